/**
 * The NAB scoring rules, implemented from their description (Lavin & Ahmad 2015; the data's README):
 * probation, scaled sigmoid rewards for the earliest detection in a window, sigmoid-weighted penalties
 * for detections after a window, a threshold swept per profile for the best total, and the total
 * normalised between the null detector (no detections) and the perfect one.
 */

export interface Profile {
  name: string;
  tp: number;
  fp: number;
  fn: number;
}

export const PROFILES: Profile[] = [
  { name: "standard", tp: 1, fp: 0.11, fn: 1 },
  { name: "reward_low_FP_rate", tp: 1, fp: 0.22, fn: 1 },
  { name: "reward_low_FN_rate", tp: 1, fp: 0.11, fn: 2 },
];

/** One scored file: its scores and its anomaly windows as inclusive row ranges. */
export interface ScoredFile {
  name: string;
  scores: Float64Array;
  windows: Array<[number, number]>;
}

/** σ(x) = 2/(1+e^{5x}) − 1, and −1 beyond x > 3. */
export function scaledSigmoid(x: number): number {
  if (x > 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

export function probationRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/** The raw (unnormalised) NAB score of one file at one threshold. */
export function fileScore(file: ScoredFile, threshold: number, p: Profile): number {
  const { scores, windows } = file;
  const start = probationRows(scores.length);
  const credited = new Array<boolean>(windows.length).fill(false);
  let total = 0;
  let w = 0; // index of the first window whose end is ≥ i
  for (let i = start; i < scores.length; i++) {
    while (w < windows.length && (windows[w] as [number, number])[1] < i) w++;
    if ((scores[i] as number) < threshold) continue;
    const win = windows[w];
    if (win && win[0] <= i) {
      if (!credited[w]) {
        credited[w] = true;
        const width = win[1] - win[0] + 1;
        total += (p.tp * scaledSigmoid(-(win[1] - i + 1) / width)) / scaledSigmoid(-1);
      }
      continue;
    }
    const prev = windows[w - 1];
    if (!prev) {
      total -= p.fp;
    } else {
      const width = prev[1] - prev[0] + 1;
      total += p.fp * scaledSigmoid(Math.abs(i - prev[1]) / Math.max(1, width - 1));
    }
  }
  for (let k = 0; k < windows.length; k++) if (!credited[k]) total -= p.fn;
  return total;
}

export interface ProfileResult {
  profile: string;
  threshold: number;
  raw: number;
  normalised: number;
}

/** Sweeps one threshold over all files for the best total, then normalises it to 0..100. */
export function sweep(
  files: ScoredFile[],
  p: Profile,
  thresholds: number[] = defaultThresholds(),
): ProfileResult {
  const windowCount = files.reduce((n, f) => n + f.windows.length, 0);
  let best: ProfileResult = {
    profile: p.name,
    threshold: NEVER_THRESHOLD,
    raw: nullScore(windowCount, p),
    normalised: 0,
  };
  for (const t of thresholds) {
    let raw = 0;
    for (const f of files) raw += fileScore(f, t, p);
    if (raw > best.raw) best = { profile: p.name, threshold: t, raw, normalised: 0 };
  }
  best.normalised = normalise(best.raw, windowCount, p);
  return best;
}

/** A threshold no score reaches: the null detector, chosen when no threshold beats it. */
export const NEVER_THRESHOLD = 1.01;

/** The raw score of the null detector (no detections) over files holding `windowCount` windows. */
export function nullScore(windowCount: number, p: Profile): number {
  return -p.fn * windowCount;
}

/** A raw total on 0..100: 0 is the null detector's score over the same windows, 100 the perfect one's. */
export function normalise(raw: number, windowCount: number, p: Profile): number {
  const perfect = p.tp * windowCount;
  return (100 * (raw - nullScore(windowCount, p))) / (perfect - nullScore(windowCount, p));
}

export function defaultThresholds(): number[] {
  const out: number[] = [];
  for (let t = 0.5; t < 1; t += 0.0025) out.push(Number(t.toFixed(4)));
  for (let t = 0.99; t <= 1.0000001; t += 0.0005) out.push(Number(t.toFixed(4)));
  return out;
}
