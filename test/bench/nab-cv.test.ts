/**
 * The NAB cross-validation (bench/nab/nab-cv.ts) on tiny synthetic files: the replayed evidence gives
 * the detector's own scores, a fold's choice reads only its training categories, and with one
 * configuration a fold picks the threshold sweep picks on the same files.
 */
import { describe, expect, it } from "vitest";
import {
  bestChoice,
  categoryOf,
  chooseByCrossValidation,
  crossValidate,
  cvThresholds,
  powersOfTwoUpTo,
  replayScores,
  seriesEvidence,
  thresholdTable,
} from "../../bench/nab/nab-cv.js";
import { PROFILES, type Profile, type ScoredFile, sweep } from "../../bench/nab/nab-scoring.js";
import { seededRandom } from "../../src/anomaly/random.js";
import {
  SCALE_COMBINATIONS,
  type StreamingOptions,
  scoreSeries,
} from "../../src/anomaly/streaming-detector.js";

const STANDARD = PROFILES[0] as Profile;
const ROWS = 200;

/** A file whose score is 0.6 everywhere except 0.99 at the given rows. */
function spiky(name: string, spikes: number[], windows: Array<[number, number]>): ScoredFile {
  const scores = new Float64Array(ROWS).fill(0.6);
  for (const i of spikes) scores[i] = 0.99;
  return { name, scores, windows };
}

const AT_100: Array<[number, number]> = [[95, 110]];
const AT_150: Array<[number, number]> = [[145, 160]];

/**
 * Two configurations: the first alarms at row 100 of every file, the second at row 150. Categories
 * a (two files), b and c (one each); `labels` gives each file's window.
 */
function twoConfigTables(labels: Record<string, Array<[number, number]>>): {
  files: ScoredFile[];
  tables: Float64Array[][];
} {
  const names = ["a/1.csv", "a/2.csv", "b/1.csv", "c/1.csv"];
  const configs = [100, 150].map((row) => names.map((n) => spiky(n, [row], labels[n] ?? [])));
  const thresholds = cvThresholds();
  return {
    files: configs[0] as ScoredFile[],
    tables: configs.map((files) => thresholdTable(files, thresholds, STANDARD)),
  };
}

function foldFor(cv: ReturnType<typeof crossValidate>, category: string) {
  const fold = cv.folds.find((f) => f.heldOut === category);
  if (!fold) throw new Error(`no fold for ${category}`);
  return fold;
}

describe("NAB leave-one-category-out cross-validation", () => {
  it("takes a file's category from the first segment of its name", () => {
    expect(categoryOf("realKnownCause/nyc_taxi.csv")).toBe("realKnownCause");
    expect(categoryOf("loose.csv")).toBe("loose.csv");
  });

  it("chooses a held-out category's configuration from the other categories' labels only", () => {
    const base = { "a/1.csv": AT_100, "a/2.csv": AT_100, "b/1.csv": AT_100, "c/1.csv": AT_150 };
    const before = twoConfigTables(base);
    const cv = crossValidate(before.files, before.tables, STANDARD);
    expect(cv.folds.map((f) => f.heldOut)).toEqual(["a", "b", "c"]);
    // Trained on a and b, whose windows are at row 100: the first configuration, which then misses c's.
    expect(foldFor(cv, "c").choice.config).toBe(0);
    expect(foldFor(cv, "c").heldOutRaw).toBeLessThan(0);

    // Relabelling c itself changes its held-out score, never the choice made for it.
    const relabelled = twoConfigTables({ ...base, "c/1.csv": AT_100 });
    const after = crossValidate(relabelled.files, relabelled.tables, STANDARD);
    expect(foldFor(after, "c").choice).toEqual(foldFor(cv, "c").choice);
    expect(foldFor(after, "c").heldOutRaw).toBeGreaterThan(0);

    // Relabelling the training categories does change it.
    const trainingMoved = twoConfigTables({ ...base, "a/1.csv": AT_150, "a/2.csv": AT_150 });
    expect(
      foldFor(crossValidate(trainingMoved.files, trainingMoved.tables, STANDARD), "c").choice.config,
    ).toBe(1);
  });

  it("gives the same choice for a fold whatever the held-out files' scores and labels, by either chooser", () => {
    const rnd = seededRandom(7);
    const names = ["x/1.csv", "x/2.csv", "y/1.csv", "y/2.csv", "z/1.csv"];
    const randomWindow = (): Array<[number, number]> => {
      const start = 40 + Math.floor(rnd() * 140);
      return [[start, start + 10]];
    };
    /** Noise, and with probability `hit` a high score inside the window: configurations differ. */
    const randomScores = (window: Array<[number, number]>, hit: number) => {
      const scores = Float64Array.from({ length: ROWS }, () => 0.5 + 0.5 * rnd() ** 8);
      const [start, end] = window[0] ?? [0, 0];
      if (rnd() < hit) scores[start + Math.floor(rnd() * (end - start))] = 0.995;
      return scores;
    };
    const hits = [0.3, 0.6, 0.9];
    // Three configurations' scores for the same labelled files.
    const windows = names.map(randomWindow);
    const configs = hits.map((hit) =>
      names.map((name, i): ScoredFile => {
        const w = windows[i] ?? [];
        return { name, scores: randomScores(w, hit), windows: w };
      }),
    );
    const thresholds = cvThresholds();
    const tablesOf = (cs: ScoredFile[][]) => cs.map((fs) => thresholdTable(fs, thresholds, STANDARD));
    const cvOf = (cs: ScoredFile[][], byCv: boolean) => {
      const files = cs[0] as ScoredFile[];
      const tables = tablesOf(cs);
      return crossValidate(
        files,
        tables,
        STANDARD,
        byCv ? chooseByCrossValidation(files, tables) : undefined,
      );
    };
    for (const byCv of [false, true])
      for (const held of ["x", "y", "z"]) {
        // New windows for the held-out files, and new scores for them in every configuration.
        const newWindows = names.map((name, i) =>
          categoryOf(name) === held ? randomWindow() : (windows[i] ?? []),
        );
        const changed = configs.map((fs, c) =>
          fs.map((f, i): ScoredFile => {
            if (categoryOf(f.name) !== held) return f;
            const w = newWindows[i] ?? [];
            return { name: f.name, scores: randomScores(w, hits[c] ?? 0), windows: w };
          }),
        );
        const cv = cvOf(configs, byCv);
        // Not the trivial choice of never alarming.
        expect(foldFor(cv, held).choice.threshold).toBeGreaterThan(0);
        expect(foldFor(cvOf(changed, byCv), held).choice).toEqual(foldFor(cv, held).choice);
      }
  });

  it("with one configuration, picks per fold the threshold sweep picks on the training files", () => {
    const rnd = seededRandom(11);
    const files = ["p/1.csv", "p/2.csv", "q/1.csv", "r/1.csv", "r/2.csv"].map((name): ScoredFile => {
      const scores = Float64Array.from({ length: ROWS }, () => 0.5 + 0.5 * rnd() ** 4);
      const start = 40 + Math.floor(rnd() * 140);
      return { name, scores, windows: [[start, start + 15]] };
    });
    const thresholds = cvThresholds();
    const cv = crossValidate(files, [thresholdTable(files, thresholds, STANDARD)], STANDARD);
    for (const fold of cv.folds) {
      const train = files.filter((f) => categoryOf(f.name) !== fold.heldOut);
      expect(thresholds[fold.choice.threshold]).toBe(sweep(train, STANDARD).threshold);
    }
    // Over all files, bestChoice is sweep itself.
    const all = bestChoice([thresholdTable(files, thresholds, STANDARD)], [0, 1, 2, 3, 4]);
    expect(thresholds[all.threshold]).toBe(sweep(files, STANDARD).threshold);
  });

  it("replays cached evidence into exactly the scores the detector gives", () => {
    const rnd = seededRandom(3);
    const values = Array.from({ length: 700 }, (_, i) => 10 * Math.sin(i / 9) + rnd());
    values[300] = 40;
    values[420] = Number.NaN; // skipped by the detector, and so by the replay
    for (let i = 500; i < 540; i++) values[i] = (values[i] as number) + 15;
    const longest = powersOfTwoUpTo(16);
    const history = 128;
    const evidence = seriesEvidence(values, longest, history);
    for (const longestScale of [4, 16])
      for (const combine of SCALE_COMBINATIONS)
        for (const [quietRows, damping] of [
          [50, 0.8],
          [20, 1],
        ] as const) {
          const o: StreamingOptions = {
            scales: powersOfTwoUpTo(longestScale),
            history,
            quietRows,
            damping,
            combine,
          };
          expect(Array.from(replayScores(values, evidence, longest, o))).toEqual(
            Array.from(scoreSeries(values, o)),
          );
        }
  });
});
