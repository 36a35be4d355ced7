/** The `cloudops` command as a user runs it, against the fixture Prometheus and a dead one. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { deadUrl } from "../fakes/broken-prometheus.js";
import { startFakeOpenAi } from "../fakes/fake-llm.js";

const run = promisify(execFile);

async function cloudops(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      env: { ...process.env, LOG_LEVEL: "silent", ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

describe("cloudops ask", () => {
  it("prints the health of every fixture host as readable text", async () => {
    const r = await cloudops(["ask", "what's the current system health?", "--at", inject("fixtureEnd")], {
      PROMETHEUS_URL: inject("prometheusUrl"),
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/System health/);
    for (const host of ["web-1", "web-2", "db-1"]) expect(r.stdout).toContain(host);
    expect(r.stdout).toMatch(/CPU \d+\.\d%/);
  });

  it("saves the chart of a trend answer with --chart", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "cloudops-cli-")), "cpu.png");
    const r = await cloudops(["ask", "cpu trend last 1h", "--at", inject("fixtureEnd"), "--chart", file], {
      PROMETHEUS_URL: inject("prometheusUrl"),
    });
    expect(r.code).toBe(0);
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
  });

  it("prints JSON with --json", async () => {
    const r = await cloudops(["ask", "--json", "which targets are down", "--at", inject("fixtureEnd")], {
      PROMETHEUS_URL: inject("prometheusUrl"),
    });
    const body = JSON.parse(r.stdout) as { provider: string; intent: string; reply: { text: string } };
    expect(body.provider).toBe("builtin");
    expect(body.intent).toBe("targets_down");
    expect(body.reply.text).toContain("db-2:9100");
  });

  it("asks the configured LLM provider, which calls a tool on the fixture Prometheus", async () => {
    const openai = await startFakeOpenAi();
    try {
      openai.script(
        { toolCalls: [{ name: "list_targets", args: {} }] },
        {
          reply: (req) =>
            `Targets\n${JSON.stringify(req.messages).includes("db-2:9100") ? "db-2:9100 is down" : "?"}`,
        },
      );
      const r = await cloudops(["ask", "--json", "anything down?", "--at", inject("fixtureEnd")], {
        PROMETHEUS_URL: inject("prometheusUrl"),
        OPENAI_API_KEY: "sk-test-0000000000000000",
        OPENAI_BASE_URL: openai.url,
      });
      const body = JSON.parse(r.stdout) as { provider: string; reply: { text: string } };
      expect(body.provider).toBe("openai");
      expect(body.reply.text).toBe("db-2:9100 is down");
    } finally {
      await openai.close();
    }
  });

  it("with Prometheus stopped, says so in one line and exits non-zero", async () => {
    const url = await deadUrl();
    const r = await cloudops(["ask", "what's the current system health?"], { PROMETHEUS_URL: url });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`Prometheus at ${url} refused the connection`);
  });

  it("rejects a bad configuration with one line naming the variable, exit 2", async () => {
    const r = await cloudops(["ask", "cpu"], { PROMETHEUS_URL: "not a url" });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'Invalid configuration: PROMETHEUS_URL must be an http(s) URL (got "not a url")',
    );
  });

  it("explains unknown commands and a bad --at", async () => {
    expect((await cloudops(["frobnicate"])).stderr).toMatch(/Unknown command "frobnicate"/);
    const bad = await cloudops(["ask", "cpu", "--at", "yesterday-ish"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--at must be a date/);
  });
});

describe("cloudops detect", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-detect-"));
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it("writes timestamp,value,anomaly_score with the input unchanged and a score for every row", async () => {
    const rows = Array.from({ length: 600 }, (_, i) => {
      const t = new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace("T", " ");
      const v = i === 500 ? "250.50" : (40 + 10 * Math.sin(i / 20)).toFixed(2);
      return `${t},${v}`;
    });
    const input = file("series.csv", `timestamp,value\r\n${rows.join("\r\n")}\r\n`);
    const out = path.join(dir, "scored.csv");
    const r = await cloudops(["detect", input, "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines[0]).toBe("timestamp,value,anomaly_score");
    expect(lines.length).toBe(601);
    const scores = lines.slice(1).map((l, i) => {
      const [t, v, s] = l.split(",");
      expect(`${t},${v}`).toBe(rows[i]);
      return Number(s);
    });
    for (const s of scores) expect(s >= 0 && s <= 1).toBe(true);
    expect(scores.indexOf(Math.max(...scores))).toBe(500);
  });

  it("scores test rows with a forest fitted on training rows", async () => {
    const train = Array.from({ length: 300 }, (_, i) => `${(i % 17) / 17},${(i % 13) / 13},${(i % 7) / 7}`);
    const r = await cloudops([
      "detect",
      file("test.csv", "0.5,0.5,0.5\n9,9,9\n0.4,0.6,0.5\n"),
      "--train",
      file("train.csv", `${train.join("\n")}\n`),
    ]);
    expect(r.code).toBe(0);
    const [header, inlier, outlier, inlier2] = r.stdout.trim().split("\n");
    expect(header).toBe("anomaly_score");
    expect(Number(outlier)).toBeGreaterThan(Number(inlier) + 0.1);
    expect(Number(outlier)).toBeGreaterThan(Number(inlier2) + 0.1);
  });

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
      "train and test of different widths",
      () => [file("t3.csv", "1,2,3\n"), "--train", file("t2.csv", "1,2\n3,4\n")],
      /has 3 columns but .* has 2/,
    ],
  ])("refuses %s with one clear line and exit code 2", async (_, args, message) => {
    const r = await cloudops(["detect", ...args()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
