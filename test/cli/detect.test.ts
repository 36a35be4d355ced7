/** `cloudops detect` as a user runs it (the built dist/cli.js): both modes, the anomaly column, bad input. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SERIES_THRESHOLD } from "../../src/anomaly/detect-csv.js";
import { builtCli, cloudops } from "./built-cli.js";

beforeAll(async () => {
  await builtCli();
}, 300_000);

const dir = mkdtempSync(path.join(tmpdir(), "cloudops-detect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

/** A sine series of 600 rows, five minutes apart, with one spike at row 500. */
const seriesRows = Array.from({ length: 600 }, (_, i) => {
  const t = new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace("T", " ");
  const v = i === 500 ? "250.50" : (40 + 10 * Math.sin(i / 20)).toFixed(2);
  return `${t},${v}`;
});

/** Rows of a scored file: its input fields, score and flag. */
function parseScored(text: string) {
  const [header, ...rows] = text.trim().split("\n");
  return {
    header,
    rows: rows.map((l) => {
      const fields = l.split(",");
      return {
        input: fields.slice(0, -2).join(","),
        score: Number(fields.at(-2)),
        anomaly: fields.at(-1),
      };
    }),
  };
}

const trainRows = Array.from({ length: 300 }, (_, i) => `${(i % 17) / 17},${(i % 13) / 13},${(i % 7) / 7}`);

describe("cloudops detect FILE.csv (one series)", () => {
  it("writes each row unchanged with anomaly_score and anomaly, flagging the spike at the default threshold", async () => {
    const input = file("series.csv", `timestamp,value\r\n${seriesRows.join("\r\n")}\r\n`);
    const out = path.join(dir, "scored.csv");
    const r = await cloudops(["detect", input, "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { header, rows } = parseScored(readFileSync(out, "utf8"));
    expect(header).toBe("timestamp,value,anomaly_score,anomaly");
    expect(rows.map((x) => x.input)).toEqual(seriesRows);
    for (const x of rows) {
      expect(x.score >= 0 && x.score <= 1).toBe(true);
      expect(x.anomaly).toBe(x.score >= DEFAULT_SERIES_THRESHOLD ? "1" : "0");
    }
    const scores = rows.map((x) => x.score);
    expect(scores.indexOf(Math.max(...scores))).toBe(500);
    expect(rows[500]?.anomaly).toBe("1");
    // The smooth part of the series stays unflagged.
    expect(rows.slice(100, 500).filter((x) => x.anomaly === "1")).toEqual([]);
  });

  it("--threshold moves the cut: at 0 every row is flagged, at 1 none", async () => {
    const input = file("series-t.csv", `${seriesRows.join("\n")}\n`);
    const all = parseScored((await cloudops(["detect", input, "--threshold", "0"])).stdout).rows;
    const none = parseScored((await cloudops(["detect", input, "--threshold", "1"])).stdout).rows;
    expect(all.every((x) => x.anomaly === "1")).toBe(true);
    expect(none.filter((x) => x.score < 1).every((x) => x.anomaly === "0")).toBe(true);
    expect(all.map((x) => x.score)).toEqual(none.map((x) => x.score));
  });

  it("without a header, scores the first row too and names the columns", async () => {
    const r = await cloudops(["detect", file("noheader.csv", `${seriesRows.join("\n")}\n`)]);
    const { header, rows } = parseScored(r.stdout);
    expect(header).toBe("timestamp,value,anomaly_score,anomaly");
    expect(rows).toHaveLength(600);
  });

  it("keeps the file's own header names", async () => {
    const r = await cloudops(["detect", file("named.csv", `time,cpu\n${seriesRows.join("\n")}\n`)]);
    expect(parseScored(r.stdout).header).toBe("time,cpu,anomaly_score,anomaly");
  });
});

describe("cloudops detect TEST.csv --train TRAIN.csv (rows of numbers)", () => {
  it("writes each test row with its isolation-forest score and flag; the outlier is flagged, inliers not", async () => {
    const r = await cloudops([
      "detect",
      file("test.csv", "0.5,0.5,0.5\n9,9,9\n0.4,0.6,0.5\n"),
      "--train",
      file("train.csv", `${trainRows.join("\n")}\n`),
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { header, rows } = parseScored(r.stdout);
    expect(header).toBe("x1,x2,x3,anomaly_score,anomaly");
    const [inlier, outlier, inlier2] = rows;
    expect(rows.map((x) => x.input)).toEqual(["0.5,0.5,0.5", "9,9,9", "0.4,0.6,0.5"]);
    expect(outlier?.score).toBeGreaterThan((inlier?.score ?? 1) + 0.1);
    expect(outlier?.score).toBeGreaterThan((inlier2?.score ?? 1) + 0.1);
    expect([inlier?.anomaly, outlier?.anomaly, inlier2?.anomaly]).toEqual(["0", "1", "0"]);
  });

  it("reads a header row the same way as the series mode, in TRAIN and TEST", async () => {
    const args = (testText: string, trainText: string) => [
      "detect",
      file(`h-test-${testText.length}.csv`, testText),
      "--train",
      file(`h-train-${trainText.length}.csv`, trainText),
    ];
    const bare = await cloudops(args("0.5,0.5,0.5\n9,9,9\n", `${trainRows.join("\n")}\n`));
    const named = await cloudops(
      args("cpu,mem,disk\n0.5,0.5,0.5\n9,9,9\n", `cpu,mem,disk\n${trainRows.join("\n")}\n`),
    );
    expect(named.stderr).toBe("");
    expect(named.code).toBe(0);
    const a = parseScored(bare.stdout);
    const b = parseScored(named.stdout);
    expect(b.header).toBe("cpu,mem,disk,anomaly_score,anomaly");
    // The header changes the names only: same rows, same scores.
    expect(b.rows).toEqual(a.rows);
  });

  it("a larger false-alarm budget lowers the default threshold, flagging more rows", async () => {
    const args = (budget: string) => [
      "detect",
      file("test-budget.csv", "0.5,0.5,0.5\n0.9,0.9,0.9\n9,9,9\n"),
      "--train",
      file("train-budget.csv", `${trainRows.join("\n")}\n`),
      "--false-alarms-per-day",
      budget,
    ];
    const strict = parseScored((await cloudops(args("0.01"))).stdout).rows;
    const loose = parseScored((await cloudops(args("1440"))).stdout).rows;
    // The scores do not depend on the budget; the flags do (1,440 a day at one row a minute: the
    // threshold falls to the calibration margin alone).
    expect(loose.map((r) => r.score)).toEqual(strict.map((r) => r.score));
    expect(loose.filter((r) => r.anomaly === "1").length).toBeGreaterThan(
      strict.filter((r) => r.anomaly === "1").length,
    );
  });

  it("--threshold overrides the threshold calibrated on TRAIN", async () => {
    const r = await cloudops([
      "detect",
      file("test-t.csv", "0.5,0.5,0.5\n9,9,9\n"),
      "--train",
      file("train-t.csv", `${trainRows.join("\n")}\n`),
      "--threshold",
      "0",
    ]);
    expect(parseScored(r.stdout).rows.map((x) => x.anomaly)).toEqual(["1", "1"]);
  });
});

describe("cloudops detect: bad input", () => {
  it.each([
    ["a missing file", () => [path.join(dir, "nope.csv")], /no such file/],
    ["an empty file", () => [file("empty.csv", "")], /is empty/],
    [
      "ragged rows",
      () => [file("ragged.csv", "timestamp,value\n2024-01-01,1\n2024-01-02,2,3\n")],
      /line 3: expected 2 fields/,
    ],
    [
      "a non-number",
      () => [file("nan.csv", "timestamp,value\n2024-01-01,1\n2024-01-02,abc\n")],
      /line 3: "abc" is not a number/,
    ],
    ["a header alone", () => [file("header.csv", "timestamp,value\n")], /header and no rows/],
    [
      "a first matrix row mixing words and numbers",
      () => [file("mixed.csv", "1,abc,3\n1,2,3\n"), "--train", file("mixed-train.csv", "1,2,3\n4,5,6\n")],
      /line 1: "abc" is not a number/,
    ],
    [
      "train and test of different widths",
      () => [file("t3.csv", "1,2,3\n"), "--train", file("t2.csv", "1,2\n3,4\n")],
      /has 3 columns but .* has 2/,
    ],
    [
      "--interval without --train",
      () => [file("series-i.csv", "timestamp,value\n1,1\n2,2\n"), "--interval", "60"],
      /--interval and --false-alarms-per-day apply with --train only/,
    ],
    [
      "a budget that is not a positive number",
      () => [
        file("t-b.csv", "1,2,3\n"),
        "--train",
        file("tr-b.csv", "1,2,3\n4,5,6\n"),
        "--false-alarms-per-day",
        "0",
      ],
      /--false-alarms-per-day must be a number above 0/,
    ],
  ])("refuses %s with one clear line and exit code 2", async (_, args, message) => {
    const r = await cloudops(["detect", ...args()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
