/** The `cloudops` command as a user runs it, against the fixture Prometheus and a dead one. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { deadUrl } from "../fakes/broken-prometheus.js";

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
