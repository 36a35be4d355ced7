/**
 * `cloudops start` and the bind rule, as an operator meets it: a non-loopback HOST without
 * API_TOKENS stops the process with one line naming the variables; AUTH=none starts it with a loud
 * warning in the log. Run through tsx from the sources (the rule lives in main.ts and src/http).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, inject, it } from "vitest";
import { dropKeys, testPrefix } from "../support/redis.js";
import { until } from "../support/until.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CLI = ["--import", "tsx", path.join(ROOT, "src/cli.ts"), "start"];

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  // Only what the test sets: an operator's own variables must not leak into these cases.
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PROMETHEUS_URL: inject("prometheusUrl"),
    REDIS_URL: inject("redisUrl"),
    ANOMALY_ENABLED: "false",
    ...extra,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "0.0.0.0", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise((r) => server.close(r));
  return port;
}

let child: ChildProcess | undefined;
let prefix: string | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child?.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  child = undefined;
  if (prefix) await dropKeys(prefix);
  prefix = undefined;
});

describe("cloudops start on a non-loopback HOST", () => {
  it("refuses without API_TOKENS: exit 2 and one line naming HOST and API_TOKENS", async () => {
    const result = await promisify(execFile)(process.execPath, CLI, {
      cwd: ROOT,
      env: env({ HOST: "0.0.0.0", PORT: String(await freePort()), LOG_LEVEL: "info" }),
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: "", stdout: "" }),
      (e: { code?: number; stderr?: string; stdout?: string }) => ({
        code: e.code,
        stderr: e.stderr ?? "",
        stdout: e.stdout ?? "",
      }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "Refusing to listen on HOST=0.0.0.0 without API_TOKENS: anyone reaching the port could use the API. Set API_TOKENS=name:token (tokens of 24+ characters), or HOST=127.0.0.1, or AUTH=none to run open on purpose.\n",
    );
    // Refused before anything started: nothing was logged as listening.
    expect(result.stdout).not.toContain("listening");
  });

  it("starts with AUTH=none, warning loudly in the log, and serves the API without a token", async () => {
    const port = await freePort();
    prefix = testPrefix("start-none");
    let out = "";
    child = spawn(process.execPath, CLI, {
      cwd: ROOT,
      env: env({
        HOST: "0.0.0.0",
        PORT: String(port),
        AUTH: "none",
        LOG_LEVEL: "info",
        REDIS_PREFIX: prefix,
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    await until("the bot to say it is listening", () => out.includes("listening"), 60_000);
    const lines = out
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; host?: string });
    const warning = lines.find((l) => l.msg.startsWith("AUTH=none"));
    expect(warning?.level).toBe(40); // pino's warn
    expect(warning?.msg).toMatch(/HOST=0\.0\.0\.0 answer ANYONE .* Set API_TOKENS/);
    // Said before the bot announces itself.
    expect(lines.indexOf(warning as (typeof lines)[number])).toBeLessThan(
      lines.findIndex((l) => l.msg.includes("listening")),
    );
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "help" }),
    });
    expect(res.status).toBe(200);
  });
});
