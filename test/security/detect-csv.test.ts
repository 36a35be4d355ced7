/**
 * `cloudops detect` under arbitrary CSV: the command either writes one scored row per input row
 * (a finite score in [0, 1], the row itself unchanged) or exits 2 with a one-line CsvInputError —
 * never another exception, never a NaN score.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { CsvInputError, detectMatrixCsv, detectSeriesCsv } from "../../src/anomaly/detect-csv.js";
import { run } from "../../src/cli/detect.js";
import { check, checkAsync } from "./fuzz.js";

const dir = mkdtempSync(join(tmpdir(), "cloudops-fuzz-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A field: a number of any size or spelling, or something that is not one. */
const field = fc.oneof(
  { weight: 6, arbitrary: fc.double().map(String) },
  { weight: 2, arbitrary: fc.integer().map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "NaN",
      "Infinity",
      "-Infinity",
      "1e308",
      "-1e308",
      "0x10",
      "1_0",
      "٣",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
);
const timestamp = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.nat().map(String),
);
const lineEnd = fc.constantFrom("\n", "\r\n", "\r", "\n\n");

/** A `timestamp,value` file, mostly well-formed (so the detector runs), sometimes not. */
const seriesCsv = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof(
        { weight: 8, arbitrary: fc.tuple(timestamp, field).map(([t, v]) => `${t},${v}`) },
        { weight: 1, arbitrary: fc.array(field, { maxLength: 4 }).map((f) => f.join(",")) },
      ),
      { maxLength: 300 },
    ),
    lineEnd,
  )
  .map(([header, rows, nl]) => (header ? ["timestamp,value", ...rows] : rows).join(nl));

/** A finite series, long enough for every scale of the detector to score. */
const finiteSeries = fc
  .array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 50, maxLength: 600 })
  .map((values) => values.map((v, i) => `${i},${v}`).join("\n"));

function scoresOf(out: string): number[] {
  return out
    .trimEnd()
    .split("\n")
    .slice(1)
    .map((row) => Number(row.split(",").at(-2)));
}

describe("detect on a timestamp,value CSV", () => {
  it("scores every row or refuses the file with a CsvInputError", () => {
    check(
      fc.property(seriesCsv, (csv) => {
        let out: string;
        try {
          out = detectSeriesCsv(csv, "in.csv");
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(CsvInputError);
          expect((e as Error).message.length).toBeLessThan(300);
          return;
        }
        for (const s of scoresOf(out)) {
          expect(Number.isFinite(s), `score ${s}`).toBe(true);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
        }
      }),
      150,
    );
  });

  it("gives every finite value, however large or small, a score in [0, 1]", () => {
    check(
      fc.property(finiteSeries, (csv) => {
        const scores = scoresOf(detectSeriesCsv(csv, "in.csv"));
        expect(scores).toHaveLength(csv.split("\n").length);
        for (const s of scores) expect(s >= 0 && s <= 1, `score ${s}`).toBe(true);
      }),
      40,
    );
  });

  it("through the command: exit 0 with the scores, or exit 2 — never an exception", async () => {
    let n = 0;
    await checkAsync(
      fc.asyncProperty(seriesCsv, async (csv) => {
        const file = join(dir, `in-${n}.csv`);
        const out = join(dir, `out-${n++}.csv`);
        writeFileSync(file, csv);
        // The command explains a refusal on stderr; the property needs only its exit code.
        const quiet = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
        const code = await run([file, "--out", out]).finally(() => quiet.mockRestore());
        expect([0, 2]).toContain(code);
      }),
      30,
    );
  });
});

describe("detect on a matrix with --train", () => {
  const matrix = (columns: number, minRows = 1) =>
    fc
      .array(fc.array(field, { minLength: columns, maxLength: columns }), {
        minLength: minRows,
        maxLength: 40,
      })
      .map((rows) => rows.map((r) => r.join(",")).join("\n"));

  // TRAIN has two rows or more here: one row is the finding of the last test.
  it("scores TEST against TRAIN or refuses with a CsvInputError", () => {
    check(
      fc.property(
        fc
          .integer({ min: 1, max: 4 })
          .chain((c) => fc.tuple(matrix(c, 2), fc.oneof(matrix(c), matrix(c + 1)))),
        ([train, test]) => {
          try {
            for (const s of scoresOf(detectMatrixCsv(test, "test.csv", train, "train.csv"))) {
              expect(Number.isFinite(s), `score ${s}`).toBe(true);
            }
          } catch (e) {
            expect(e, String(e)).toBeInstanceOf(CsvInputError);
          }
        },
      ),
      40,
    );
  });

  it("through the command: a TRAIN file of one row is refused as input (exit 2), not a crash", async () => {
    // Found by the property above: IsolationForest.fit throws a plain Error on one row.
    const train = join(dir, "train-one.csv");
    const test = join(dir, "test-one.csv");
    writeFileSync(train, "1,2\n");
    writeFileSync(test, "1,2\n3,4\n");
    await expect(run([test, "--train", train, "--out", join(dir, "out-one.csv")])).resolves.toBe(2);
  });
});
