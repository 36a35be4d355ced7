/**
 * The production host detector on SMD, through `scoreMatrix` — the path `cloudops detect TEST --train
 * TRAIN` and the bot's host models share — with each candidate configuration of the ensemble (which
 * parts, mean or max), and the choice among them by leave-one-machine-out cross-validation: for each
 * machine, the candidate with the best mean criterion on the other machines is scored on it.
 *
 * Criterion: the mean of AP, composite-F1 at one global threshold, and composite-F1 at the default
 * threshold (the one the false-alarm budget sets, as production runs): the production threshold is
 * one rarity for every host, so a part whose scale drifts between train and test must cost here.
 */
import { performance } from "node:perf_hooks";
import {
  CALIBRATION_MARGIN,
  DEFAULT_FALSE_ALARMS_PER_DAY,
  thresholdForRate,
} from "../../src/anomaly/alarm-budget.js";
import { DEFAULT_MATRIX_INTERVAL, scoreMatrix } from "../../src/anomaly/detect-csv.js";
import {
  ENSEMBLE_DEFAULTS,
  type EnsembleOptions,
  type EnsembleScores,
  type PartName,
} from "../../src/anomaly/host-ensemble.js";
import type { MachineScores, SmdDetector } from "./run.js";
import {
  averagePrecision,
  compositeF1At,
  globalCompositeF1,
  type Sweep,
  segments,
  sweep,
} from "./scoring.js";
import { SMD_COLUMNS, type SmdMachine } from "./smd-data.js";

/** A configuration of the ensemble; its name leaves out "top 3", the top-K of most candidates. */
export interface Candidate {
  parts: PartName[];
  combine: EnsembleOptions["combine"];
  /** Features averaged into the hour and temporal row scores. */
  topK: number;
}

export const CANDIDATES: Candidate[] = [
  ...(["hour", "temporal", "pca", "isolation"] as const).map((p) => ({
    parts: [p],
    combine: "mean" as const,
    topK: 3,
  })),
  ...(
    [
      ["hour", "temporal"],
      ["hour", "pca"],
      ["temporal", "pca"],
      ["hour", "temporal", "pca"],
      ["hour", "temporal", "isolation"],
      ["hour", "temporal", "pca", "isolation"],
    ] as PartName[][]
  ).flatMap((parts) => (["mean", "max"] as const).map((combine) => ({ parts, combine, topK: 3 }))),
  ...[2, 5].flatMap((topK) =>
    (["mean", "max"] as const).map((combine) => ({
      parts: ["hour", "temporal"] as PartName[],
      combine,
      topK,
    })),
  ),
];

export function candidateName(c: Candidate): string {
  const k = c.topK === 3 ? "" : `, top ${c.topK}`;
  return c.parts.length === 1 ? `${c.parts[0]} alone${k}` : `${c.combine}(${c.parts.join(", ")})${k}`;
}

const NAMES = Array.from({ length: SMD_COLUMNS }, (_, j) => `m${j + 1}`);

function rowsOf(x: Float64Array): Float64Array[] {
  return Array.from({ length: x.length / SMD_COLUMNS }, (_, i) =>
    x.subarray(i * SMD_COLUMNS, (i + 1) * SMD_COLUMNS),
  );
}

/** Scores every machine with each candidate once; detectors and the CV read from here. */
export class ProductionRuns {
  private readonly runs = new Map<string, { scored: EnsembleScores; seconds: number }>();

  run(c: Candidate, m: SmdMachine): { scored: EnsembleScores; seconds: number } {
    const key = `${candidateName(c)}\u0000${m.name}`;
    let hit = this.runs.get(key);
    if (!hit) {
      const t0 = performance.now();
      const scored = scoreMatrix(rowsOf(m.train), rowsOf(m.test), NAMES, DEFAULT_MATRIX_INTERVAL, {
        ...ENSEMBLE_DEFAULTS,
        parts: c.parts,
        combine: c.combine,
        topK: c.topK,
      });
      hit = { scored, seconds: (performance.now() - t0) / 1000 };
      this.runs.set(key, hit);
    }
    return hit;
  }

  detector(c: Candidate, label = candidateName(c)): SmdDetector {
    return {
      name: label,
      score: async (machines) =>
        machines.map((m): MachineScores => {
          const { scored, seconds } = this.run(c, m);
          return { scores: scored.score, seconds };
        }),
      explain: (m, row) => {
        const contributions = this.run(c, m).scored.contributions(row);
        return Array.from({ length: SMD_COLUMNS }, (_, j) => j).sort(
          (a, b) => (contributions[b] as number) - (contributions[a] as number),
        );
      },
    };
  }
}

/** The selection criterion over some machines (see the module's comment). */
export function criterion(sweeps: Sweep[], atDefault: number[]): number {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const global = globalCompositeF1(sweeps);
  const ap = sweeps.map((s) => averagePrecision(s));
  return (sum(ap) + sum(global.perMachine) + sum(atDefault)) / (3 * sweeps.length);
}

export interface CvFold {
  heldOut: string;
  chosen: string;
  trainCriterion: number;
}

/** Leave-one-machine-out: per held-out machine, the candidate the other machines choose. */
export function crossValidate(
  runs: ProductionRuns,
  machines: readonly SmdMachine[],
  candidates: readonly Candidate[] = CANDIDATES,
): { folds: CvFold[]; chosen: Candidate[]; allMachines: { candidate: string; criterion: number }[] } {
  const sweeps = candidates.map((c) =>
    machines.map((m) => sweep({ scores: runs.run(c, m).scored.score, labels: m.labels })),
  );
  const atDefault = candidates.map((c) =>
    machines.map((m) => falseAlarms(m, runs.run(c, m).scored.score).compositeF1),
  );
  const folds: CvFold[] = [];
  const chosen: Candidate[] = [];
  machines.forEach((m, held) => {
    let best = -1;
    let bestK = 0;
    candidates.forEach((_, k) => {
      const value = criterion(
        (sweeps[k] as Sweep[]).filter((_, i) => i !== held),
        (atDefault[k] as number[]).filter((_, i) => i !== held),
      );
      if (value > best) {
        best = value;
        bestK = k;
      }
    });
    const c = candidates[bestK] as Candidate;
    chosen.push(c);
    folds.push({ heldOut: m.name, chosen: candidateName(c), trainCriterion: best });
  });
  const allMachines = candidates
    .map((c, k) => ({
      candidate: candidateName(c),
      criterion: criterion(sweeps[k] as Sweep[], atDefault[k] as number[]),
    }))
    .sort((a, b) => b.criterion - a.criterion);
  return { folds, chosen, allMachines };
}

/** A detector that scores each machine with the candidate chosen without it. */
export function crossValidated(
  runs: ProductionRuns,
  machines: readonly SmdMachine[],
  chosen: Candidate[],
): SmdDetector {
  const byMachine = new Map(machines.map((m, i) => [m.name, chosen[i] as Candidate]));
  const pick = (m: SmdMachine) => byMachine.get(m.name) as Candidate;
  return {
    name: "cross-validated choice (leave one machine out)",
    score: async (ms) =>
      ms.map((m) => {
        const { scored, seconds } = runs.run(pick(m), m);
        return { scores: scored.score, seconds };
      }),
    explain: (m, row) => runs.detector(pick(m)).explain?.(m, row) ?? [],
  };
}

/** The default threshold's findings on one machine: outside labelled anomalies, and the labelled ones found. */
export interface FalseAlarms {
  machine: string;
  /** Days of test rows at least `margin` rows away from any labelled anomaly. */
  quietDays: number;
  /** Runs of flagged rows in those stretches (one finding each, as a scan's episode). */
  findings: number;
  perDay: number;
  segmentsFound: number;
  segments: number;
  compositeF1: number;
}

/** Rows around a labelled segment that do not count as anomaly-free (an incident's run-up and tail). */
const MARGIN_ROWS = 60;

export function falseAlarms(
  m: SmdMachine,
  scores: Float64Array,
  perDay = DEFAULT_FALSE_ALARMS_PER_DAY,
  /** Added to the production threshold (−CALIBRATION_MARGIN: the threshold without the margin). */
  shift = 0,
): FalseAlarms {
  const rowsPerDay = 86400 / DEFAULT_MATRIX_INTERVAL;
  const t = thresholdForRate(perDay, rowsPerDay) + shift;
  const near = new Uint8Array(m.testRows);
  const segs = segments(m.labels);
  for (const s of segs)
    for (let i = Math.max(0, s.start - MARGIN_ROWS); i < Math.min(m.testRows, s.end + MARGIN_ROWS); i++)
      near[i] = 1;
  let quiet = 0;
  let findings = 0;
  let inRun = false;
  for (let i = 0; i < m.testRows; i++) {
    if (near[i]) {
      inRun = false;
      continue;
    }
    quiet++;
    const flagged = (scores[i] as number) >= t;
    if (flagged && !inRun) findings++;
    inRun = flagged;
  }
  const found = segs.filter((s) => {
    for (let i = s.start; i < s.end; i++) if ((scores[i] as number) >= t) return true;
    return false;
  }).length;
  return {
    machine: m.name,
    quietDays: quiet / rowsPerDay,
    findings,
    perDay: findings / (quiet / rowsPerDay),
    segmentsFound: found,
    segments: segs.length,
    compositeF1: compositeF1At({ scores, labels: m.labels }, t),
  };
}

export const BUDGETS = [0.05, 0.1, 0.2, 0.5, 1];

/**
 * The in-sample calibration's optimism, in decades: per machine, the mean over BUDGETS of
 * log10(findings per day ÷ budget) at the threshold without CALIBRATION_MARGIN (a machine with no
 * finding counts one, so the log stays finite), then the median over machines.
 */
export function marginEstimate(
  machines: readonly SmdMachine[],
  scores: Float64Array[],
): { perMachine: number[]; median: number } {
  const perMachine = machines.map((m, i) => {
    const logs = BUDGETS.map((b) => {
      const f = falseAlarms(m, scores[i] as Float64Array, b, -CALIBRATION_MARGIN);
      return Math.log10(Math.max(f.findings, 1) / f.quietDays / b);
    });
    return logs.reduce((a, b) => a + b, 0) / logs.length;
  });
  const sorted = [...perMachine].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { perMachine, median };
}
