/** `cloudops ask` as a user runs it (the built dist/cli.js), against the fixture Prometheus and Redis. */
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AnomalyStore } from "../../src/anomaly/anomaly-store.js";
import type { HostScore } from "../../src/anomaly/host-detector.js";
import { deadUrl } from "../fakes/broken-prometheus.js";
import { startFakeOpenAi } from "../fakes/fake-llm.js";
import { dropKeysAndDisconnect, testPrefix, testRedis } from "../support/redis.js";
import { builtCli, cloudops } from "./built-cli.js";

beforeAll(async () => {
  await builtCli();
}, 300_000);

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
    rmSync(path.dirname(file), { recursive: true, force: true });
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

  it("explains a bad --at", async () => {
    const bad = await cloudops(["ask", "cpu", "--at", "yesterday-ish"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--at must be a date/);
  });
});

/** A TCP server in Redis's place that accepts connections and never answers; counts them. */
async function silentServer(): Promise<{
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((s) => {
    count++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    connections: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("cloudops ask: anomaly results from the bot's Redis", () => {
  const prefix = testPrefix("cli-anomalies");
  const redis = testRedis();
  const env = () => ({
    PROMETHEUS_URL: inject("prometheusUrl"),
    REDIS_URL: inject("redisUrl"),
    REDIS_PREFIX: prefix,
  });

  afterAll(async () => {
    await dropKeysAndDisconnect(redis, prefix);
  });

  it("reads the scan the bot stored under REDIS_PREFIX and names the unusual host", async () => {
    const at = Math.floor(Date.parse(inject("fixtureEnd")) / 1000);
    const score: HostScore = {
      instance: "web-2:9100",
      at,
      score: 0.87,
      threshold: 0.62,
      anomalous: true,
      flaggedBy: ["hour"],
      deviations: [
        {
          feature: "cpu_iowait",
          label: "iowait",
          unit: "percent",
          value: 31,
          baseline: 1,
          z: 9,
          direction: "up",
          score: 0.9,
        },
      ],
    };
    // The same store and key layout the bot uses (src/app.ts): `${REDIS_PREFIX}:anomaly`.
    await new AnomalyStore(redis, `${prefix}:anomaly`).recordScan("default", [score], at * 1000);
    const r = await cloudops(["ask", "any anomalies?", "--at", inject("fixtureEnd")], env());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("web-2");
    expect(r.stdout).toContain("0.87");
    expect(r.stdout).toMatch(/iowait 31\.0% vs usual 1\.0%/);
    expect(r.stdout).not.toMatch(/not (completed a )?scan/);
  });

  it("with Redis refusing connections, says so in one line naming it, exit 1", async () => {
    const url = (await deadUrl()).replace("http:", "redis:");
    const r = await cloudops(["ask", "any anomalies?"], { ...env(), REDIS_URL: url });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    // The title as the reply has it (its status marker first), then the reason.
    expect(r.stderr).toMatch(/^\S+ Anomaly results unavailable: /);
    expect(r.stderr).toContain(`Redis at ${new URL(url).host} unreachable (connection refused)`);
    expect(r.stderr).not.toMatch(/no anomalies|not (completed a )?scan/i);
  });

  it("with a Redis that never answers, gives up after the connect timeout instead of hanging", async () => {
    const silent = await silentServer();
    try {
      const r = await cloudops(["ask", "any anomalies?"], { ...env(), REDIS_URL: silent.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/unreachable \(no answer within 2 s\)/);
      expect(silent.connections()).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it("never connects to Redis for a question that does not need it", async () => {
    const silent = await silentServer();
    try {
      for (const question of ["cpu usage", "what's the current system health?", "help"]) {
        const r = await cloudops(["ask", question, "--at", inject("fixtureEnd")], {
          ...env(),
          REDIS_URL: silent.url,
        });
        expect(r.code, question).toBe(0);
      }
      expect(silent.connections()).toBe(0);
    } finally {
      await silent.close();
    }
  });
});
