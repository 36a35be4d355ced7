/**
 * `cloudops worker`'s health server (WORKER_HEALTH_PORT): /healthz answers while the process runs,
 * /readyz only when Redis answers PING and the anomaly workers run, 503 with the reason otherwise;
 * nothing else is served. First the server alone with fakes, then the built command as operators
 * (and Docker / Kubernetes probes) meet it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { startWorkerHealth, type WorkerHealth } from "../../src/http/worker-health.js";
import { freePort } from "../support/prometheus-process.js";
import { dropKeys, testPrefix } from "../support/redis.js";
import { until } from "../support/until.js";
import { builtCli } from "./built-cli.js";

async function get(port: number, path: string, method = "GET") {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe("WORKER_HEALTH_PORT", () => {
  it("is 3001 unless set; 0 turns the health server off", () => {
    expect(loadConfig({}).workerHealthPort).toBe(3001);
    expect(loadConfig({ WORKER_HEALTH_PORT: "0" }).workerHealthPort).toBe(0);
    expect(() => loadConfig({ WORKER_HEALTH_PORT: "-1" })).toThrow(
      'Invalid configuration: WORKER_HEALTH_PORT must be a whole number between 0 and 65535 (got "-1")',
    );
  });
});

describe("the worker health server", () => {
  let server: WorkerHealth | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("answers /healthz 200 and /readyz 200 when Redis answers and the workers run", async () => {
    server = await startWorkerHealth(
      { pingRedis: async () => {}, workersProblem: () => undefined },
      "127.0.0.1",
      0,
    );
    expect(await get(server.port, "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    expect(await get(server.port, "/readyz")).toEqual({
      status: 200,
      body: { status: "ok", checks: { redis: "ok", workers: "ok" } },
    });
  });

  it("answers /readyz 503 with the reason while Redis fails or the workers do not run", async () => {
    let redisUp = false;
    let problem: string | undefined = "starting";
    server = await startWorkerHealth(
      {
        pingRedis: async () => {
          if (!redisUp) throw new Error("not connected to redis://:s3cret@cache:6379");
        },
        workersProblem: () => problem,
      },
      "127.0.0.1",
      0,
    );
    const down = await get(server.port, "/readyz");
    expect(down.status).toBe(503);
    expect(down.body).toEqual({
      status: "unavailable",
      checks: { redis: "unreachable (not connected to redis://***@cache:6379)", workers: "starting" },
      reason: "redis: unreachable (not connected to redis://***@cache:6379); workers: starting",
    });
    // Health is the process, not its dependencies: a failing Redis must not get it restarted.
    expect((await get(server.port, "/healthz")).status).toBe(200);

    redisUp = true;
    expect(await get(server.port, "/readyz")).toMatchObject({
      status: 503,
      body: { reason: "workers: starting" },
    });
    problem = undefined;
    expect((await get(server.port, "/readyz")).status).toBe(200);
    problem = "stopping";
    expect((await get(server.port, "/readyz")).status).toBe(503);
  });

  it("gives up on a PING that does not answer", async () => {
    server = await startWorkerHealth(
      { pingRedis: () => new Promise(() => {}), workersProblem: () => undefined, pingTimeoutMs: 200 },
      "127.0.0.1",
      0,
    );
    const r = await get(server.port, "/readyz");
    expect(r.status).toBe(503);
    expect(r.body.reason).toBe("redis: unreachable (PING timed out after 200 ms)");
  });

  it("serves nothing else: 404 for other paths, 405 for other methods", async () => {
    server = await startWorkerHealth(
      { pingRedis: async () => {}, workersProblem: () => undefined },
      "127.0.0.1",
      0,
    );
    for (const path of ["/", "/metrics", "/api/v1/ask", "/healthz/x"]) {
      expect((await get(server.port, path)).status, path).toBe(404);
    }
    expect((await get(server.port, "/readyz", "POST")).status).toBe(405);
    expect((await get(server.port, "/healthz", "HEAD")).status).toBe(200);
    expect((await get(server.port, "/readyz?verbose=1")).status).toBe(200);
  });

  it("rejects with EADDRINUSE when the port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(
        startWorkerHealth({ pingRedis: async () => {}, workersProblem: () => undefined }, "127.0.0.1", port),
      ).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});

describe("cloudops worker's health port", () => {
  let cli: string;
  const children: ChildProcess[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    cli = await builtCli();
  }, 300_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const p of prefixes) await dropKeys(p);
  });

  async function worker(env: Record<string, string>) {
    const prefix = testPrefix("worker-health");
    prefixes.push(prefix);
    const closed = await freePort();
    const child = spawn(process.execPath, [cli, "worker"], {
      // Only what the test sets: an operator's own variables must not leak into these cases.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REDIS_URL: inject("redisUrl"),
        REDIS_PREFIX: prefix,
        // Nobody listens there: jobs fail, which readiness does not depend on.
        PROMETHEUS_URL: `http://127.0.0.1:${closed}`,
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    child.stdout?.on("data", (d) => {
      out += String(d);
    });
    child.stderr?.on("data", (d) => {
      out += String(d);
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    return { child, exited, output: () => out };
  }

  async function answers(port: number, path: string): Promise<number | undefined> {
    try {
      return (await get(port, path)).status;
    } catch {
      return undefined; // not listening yet
    }
  }

  it("is ready once Redis answers and the workers run, and closes on SIGTERM", async () => {
    const port = await freePort();
    const w = await worker({ WORKER_HEALTH_PORT: String(port) });
    await until("/readyz 200", async () => (await answers(port, "/readyz")) === 200, 60_000);
    expect(await get(port, "/readyz")).toEqual({
      status: 200,
      body: { status: "ok", checks: { redis: "ok", workers: "ok" } },
    });
    expect(await get(port, "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    expect((await get(port, "/metrics")).status).toBe(404);
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    expect(await answers(port, "/healthz")).toBeUndefined();
  });

  it("answers /healthz 200 and /readyz 503 naming Redis while Redis is unreachable", async () => {
    const port = await freePort();
    const redisPort = await freePort(); // closed
    const w = await worker({ WORKER_HEALTH_PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    await until("/healthz 200", async () => (await answers(port, "/healthz")) === 200, 60_000);
    const r = await get(port, "/readyz");
    expect(r.status).toBe(503);
    expect(r.body.checks).toEqual({
      redis: `unreachable (not connected to redis://127.0.0.1:${redisPort})`,
      workers: "starting (scheduling the anomaly jobs in Redis)",
    });
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
  });

  it("stops with one line naming WORKER_HEALTH_PORT when the port is taken or invalid", async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    try {
      const busy = await worker({ WORKER_HEALTH_PORT: String(port) });
      expect(await busy.exited).toBe(1);
      expect(busy.output().trim()).toContain(
        `Port ${port} is already in use on 127.0.0.1; set WORKER_HEALTH_PORT to another port (0: no health server).`,
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
    const bad = await worker({ WORKER_HEALTH_PORT: "70000" });
    expect(await bad.exited).toBe(2);
    expect(bad.output().trim()).toBe(
      'Invalid configuration: WORKER_HEALTH_PORT must be at most 65535 (got "70000")',
    );
  });

  it("serves no health port with WORKER_HEALTH_PORT=0 and still runs its workers", async () => {
    const w = await worker({ WORKER_HEALTH_PORT: "0" });
    await until("the workers to run", () => w.output().includes("anomaly workers running"), 60_000);
    expect(w.output()).not.toContain("worker health");
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
  });
});
