/**
 * `cloudops` help, version and argument mistakes, as a user meets them: help on every verb exits 0
 * without starting anything, a mistake is one line and exit 2, and the fast paths load no heavy module.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { deadUrl } from "../fakes/broken-prometheus.js";
import { builtCli, cloudops } from "./built-cli.js";

const VERBS = ["start", "worker", "ask", "detect", "forecast", "stack"];
/** Packages `ask` loads only when the answer needs them: each is heavy, or opens connections. */
const HEAVY = [
  "ioredis",
  "echarts",
  "@resvg",
  "prom-client",
  "@slack",
  "botbuilder",
  "openai",
  "@google",
  "bullmq",
];

beforeAll(async () => {
  await builtCli();
}, 300_000);

/** The packages (node_modules/NAME) a run of the CLI resolved. */
async function packagesLoaded(args: string[], env: Record<string, string> = {}) {
  const trace = path.join(mkdtempSync(path.join(tmpdir(), "cloudops-trace-")), "imports.txt");
  const hooks = path.resolve(import.meta.dirname, "trace-imports.mjs");
  const r = await cloudops(args, { ...env, CLOUDOPS_TRACE_IMPORTS: trace }, ["--import", hooks]);
  const urls = readFileSync(trace, "utf8").trim().split("\n");
  rmSync(path.dirname(trace), { recursive: true, force: true });
  const packages = new Set(
    urls.flatMap((u) => {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
      return m?.[1] ? [m[1]] : [];
    }),
  );
  return { r, packages: [...packages], urls };
}

describe("cloudops --help and --version", () => {
  it("prints the version and the command list, exit 0", async () => {
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../package.json"), "utf8")) as {
      version: string;
    };
    const v = await cloudops(["--version"]);
    expect(v).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    const h = await cloudops(["--help"]);
    expect(h.code).toBe(0);
    for (const verb of VERBS) expect(h.stdout).toContain(`cloudops ${verb}`);
  });

  it.each(VERBS)("%s --help and -h print the verb's usage and exit 0 without starting it", async (verb) => {
    // Configuration that would make any verb that starts fail or hang: a dead Redis and Prometheus.
    const dead = await deadUrl();
    const env = { REDIS_URL: dead.replace("http", "redis"), PROMETHEUS_URL: dead, PORT: "1" };
    for (const flag of ["--help", "-h"]) {
      const r = await cloudops([verb, flag], env);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: cloudops ${verb}`));
    }
    // Help wins wherever it stands among the verb's arguments.
    const late = await cloudops([verb, "something", "--help"], env);
    expect(late.code).toBe(0);
    expect(late.stdout).toMatch(new RegExp(`^Usage: cloudops ${verb}`));
  });

  it("cloudops help VERB is the same as VERB --help", async () => {
    const a = await cloudops(["help", "detect"]);
    const b = await cloudops(["detect", "--help"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it("--version, --help and ask --help load none of the heavy packages", async () => {
    for (const args of [["--version"], ["--help"], ["ask", "--help"], ["worker", "--help"]]) {
      const { r, packages } = await packagesLoaded(args);
      expect(r.code).toBe(0);
      expect(packages, args.join(" ")).toEqual([]);
    }
  });

  it("ask without anomalies loads neither Redis nor the chart renderer nor an LLM SDK", async () => {
    const { r, packages } = await packagesLoaded(["ask", "cpu usage", "--at", inject("fixtureEnd")], {
      PROMETHEUS_URL: inject("prometheusUrl"),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CPU/);
    // The trace works: the engine's own packages are there.
    expect(packages).toContain("zod");
    expect(packages.filter((p) => HEAVY.some((h) => p.startsWith(h)))).toEqual([]);
  });

  it("a trend answer loads the chart renderer, since its reply carries a chart", async () => {
    const { r, packages } = await packagesLoaded(["ask", "cpu trend last 1h", "--at", inject("fixtureEnd")], {
      PROMETHEUS_URL: inject("prometheusUrl"),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Chart: Line chart/);
    expect(packages).toContain("echarts");
    expect(packages).not.toContain("ioredis");
  });
});

describe("cloudops argument mistakes", () => {
  it.each([
    [
      ["ask", "--frobnicate", "cpu"],
      /^cloudops ask: unknown option "--frobnicate"\. Usage: cloudops ask "QUESTION"/,
    ],
    [
      ["detect", "x.csv", "--tresh", "0.5"],
      /^cloudops detect: unknown option "--tresh"\. Usage: cloudops detect FILE\.csv/,
    ],
    [
      ["stack", "up", "--force"],
      /^cloudops stack: unknown option "--force"\. Usage: cloudops stack up\|down\|status/,
    ],
    [["worker", "--once"], /^cloudops worker: unknown option "--once"\. Usage: cloudops worker/],
    [["start", "-p", "3000"], /^cloudops start: unknown option "-p"\. Usage: cloudops start/],
    [["ask", "cpu", "--env"], /^cloudops ask: option --env needs a value/],
    [["ask", "--json=yes", "cpu"], /^cloudops ask: option --json takes no value/],
    [["detect", "x.csv", "--threshold", "1.5"], /^cloudops detect: --threshold must be a number from 0 to 1/],
    [["stack", "sideways"], /^cloudops stack: unexpected argument "sideways"/],
    [["detect"], /^cloudops detect: name the CSV file to score/],
  ])("%j: one line naming the mistake and the usage, exit 2", async (args, message) => {
    const r = await cloudops(args, {
      REDIS_URL: "redis://127.0.0.1:1",
      PROMETHEUS_URL: "http://127.0.0.1:1",
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|at .*\.js:\d+/);
  });

  it("takes arguments after -- as the question, even ones that look like options", async () => {
    const r = await cloudops(["ask", "--json", "--at", inject("fixtureEnd"), "--", "--help"], {
      PROMETHEUS_URL: inject("prometheusUrl"),
    });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { intent: string }).intent).toBeTruthy();
  });

  it("explains an unknown command", async () => {
    const r = await cloudops(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
  });
});
