/**
 * `npm run bench -- compare`: how often the comparison's verdict is wrong on synthetic AR(1) series.
 * With no difference between the two stretches, the share called "clear" (nominal 5% for the 95%
 * interval) and "clear or likely" (nominal 10%); with a real shift, the share called "clear" in the
 * right direction (power). The practical floor is off for the calibration rows (it would hide the
 * test's own error) and on (the default 5%) for the rows that say what a user sees.
 */
import { performance } from "node:perf_hooks";
import { type CompareOptions, compareSeries } from "../../src/insights/compare.js";

/** Seeded standard normal draws (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * An AR(1) series of `n` points around `mean` with stationary standard deviation `sd`, started from
 * its stationary distribution (no burn-in drift).
 */
export function ar1(n: number, rho: number, mean: number, sd: number, z: () => number): number[] {
  const innovation = sd * Math.sqrt(1 - rho * rho);
  const out: number[] = [];
  let x = sd * z();
  for (let i = 0; i < n; i++) {
    if (i > 0) x = rho * x + innovation * z();
    out.push(mean + x);
  }
  return out;
}

export interface Rates {
  clear: number;
  clearOrLikely: number;
  mannWhitney: number;
  trials: number;
}

/**
 * Verdict rates over `trials` pairs of independent AR(1) stretches of `n` points (mean 100, sd 10);
 * the subject shifted up by `shift` standard deviations. A "clear" counts only in the right direction.
 */
export function rates(
  n: number,
  rho: number,
  shift: number,
  trials: number,
  options: CompareOptions,
  seed = 1,
): Rates {
  const z = normals(seed * 7919 + Math.round(rho * 100) * 31 + n);
  let clear = 0;
  let either = 0;
  let mw = 0;
  for (let t = 0; t < trials; t++) {
    const subject = ar1(n, rho, 100 + shift * 10, 10, z);
    const reference = ar1(n, rho, 100, 10, z);
    const c = compareSeries(subject, reference, { seed: t + 1, ...options });
    const right = shift === 0 || c.difference > 0;
    if (c.verdict === "clear" && right) clear++;
    if ((c.verdict === "clear" || c.verdict === "likely") && right) either++;
    if (c.mannWhitney && c.mannWhitney.p < 0.05 && right) mw++;
  }
  return { clear: clear / trials, clearOrLikely: either / trials, mannWhitney: mw / trials, trials };
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export async function compareBench(trials = 400): Promise<string> {
  const started = performance.now();
  const rhos = [0, 0.5, 0.9];
  const sizes = [48, 336, 2016];
  const rows: string[] = [];
  rows.push(
    '| ρ | points per side | no shift: "clear" (floor off) | no shift: "clear" or "likely" (floor off) | no shift: Mann-Whitney p<0.05 on block means | no shift: "clear" (5% floor) | shift 0.5 sd: "clear" (floor off) | shift 1 sd: "clear" (5% floor) |',
    "|---|---|---|---|---|---|---|---|",
  );
  for (const rho of rhos) {
    for (const n of sizes) {
      const off = rates(n, rho, 0, trials, { minRelative: 0 });
      const on = rates(n, rho, 0, trials, {});
      const half = rates(n, rho, 0.5, trials, { minRelative: 0 });
      const one = rates(n, rho, 1, trials, {});
      rows.push(
        `| ${rho} | ${n} | ${pct(off.clear)} | ${pct(off.clearOrLikely)} | ${pct(off.mannWhitney)} | ${pct(on.clear)} | ${pct(half.clear)} | ${pct(one.clear)} |`,
      );
    }
  }
  const timed = ar1(2016, 0.9, 100, 10, normals(3));
  const other = ar1(2016, 0.9, 100, 10, normals(4));
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) compareSeries(timed, other, { seed: i + 1 });
  const perCall = (performance.now() - t0) / 20;
  return [
    `${trials} pairs per row; AR(1) stretches with mean 100 and standard deviation 10 (a shift of 0.5 sd is 5%, at the floor; 1 sd is 10%). Nominal rates with no shift: 5% "clear", 10% "clear" or "likely". 2000 resamples per comparison.`,
    "",
    ...rows,
    "",
    `One comparison of 2 × 2016 points: ${perCall.toFixed(1)} ms. Run time: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  compareBench(Number(process.argv[2] ?? 400)).then((out) => process.stdout.write(`${out}\n`));
}
