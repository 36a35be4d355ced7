/**
 * Redis killed (SIGKILL) in the middle of alert delivery and started again on the same port and data
 * folder, its append-only file fsynced on every write: a bot on it posting a burst of Alertmanager
 * alerts to the fake Slack, Redis killed while a post is on its way to Slack, webhooks refused
 * meanwhile sent again as Alertmanager does. Once delivery drains, every alert was posted exactly
 * once: none lost, none doubled. Then an anomaly scan caught by the same crash: Redis killed while
 * the scan is reading Prometheus; once Redis is back the scan job completes on a later attempt.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { groupId, type Target } from "../../src/alerts/routing.js";
import { SCAN_QUEUE } from "../../src/jobs/anomaly-jobs.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { type SlowProxy, startSlowProxy } from "../fakes/slow-proxy.js";
import { alertmanagerWebhook, postAlertmanager } from "../support/alertmanager.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";
import { SIGNING_SECRET } from "../support/slack-requests.js";
import { until } from "../support/until.js";
import { type RedisProcess, startRedis } from "./redis-process.js";

const TOKEN = "chaos-redis-token";
const ALERTS = 40;
const PER_WEBHOOK = 5;
/** Redis dies when Slack receives this post. */
const KILL_AT_POST = 8;

let redisProc: RedisProcess;
let slack: FakeSlack;
const apps: TestApp[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  redisProc = await startRedis();
  slack = await startFakeSlack();
});

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => {});
  for (const c of clients) c.disconnect();
  await slack?.close();
  // The whole server is this file's: its folder goes with every key written.
  await redisProc?.stop();
});

/** A connection to this file's Redis that keeps trying through its restarts. */
function redisClient(): Redis {
  const c = new Redis(redisProc.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  c.on("error", () => {});
  clients.push(c);
  return c;
}

const alertName = (i: number) => `ChaosRedis${String(i).padStart(3, "0")}`;

function webhook(first: number) {
  return alertmanagerWebhook(
    Array.from({ length: PER_WEBHOOK }, (_, k) => {
      const i = first + k;
      return {
        labels: { alertname: alertName(i), instance: `host-${i}:9100`, severity: "warning" },
        annotations: { summary: `chaos alert ${i}` },
        startsAt: "2026-11-25T03:00:00Z",
        fingerprint: `cc${i.toString(16).padStart(14, "0")}`,
      };
    }),
    { groupKey: `{}:{batch="${first}"}`, commonLabels: { severity: "warning" } },
  );
}

/** Sends a webhook until the bot accepts it, as Alertmanager retries; returns the refusals. */
async function sendUntilAccepted(app: TestApp, body: unknown): Promise<number> {
  let refused = 0;
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const res = await postAlertmanager(app.url, body, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(20_000),
      });
      if (res.ok) return refused;
      await res.arrayBuffer();
    } catch {
      // timed out or connection dropped: Alertmanager retries those too
    }
    refused++;
    if (Date.now() > deadline) throw new Error("the bot did not accept the webhook within 90 s");
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Top-level posts Slack accepted (answered ok), per alert name. */
function postedPerAlert(channel: string): Map<string, number> {
  const counts = new Map<string, number>();
  const accepted = slack
    .callsOf("chat.postMessage")
    .filter((c: SlackCall) => c.args.channel === channel && !c.args.thread_ts && c.response?.ok === true);
  for (const c of accepted) {
    const name = /ChaosRedis\d{3}/.exec(JSON.stringify(c.args.blocks))?.[0];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

describe("Redis killed and restarted mid-delivery (AOF, fsync always)", () => {
  it("posts every alert of the burst exactly once", async () => {
    const channel = "C0CHAOSREDIS";
    const app = await startTestApp({
      REDIS_URL: redisProc.url,
      SLACK_BOT_TOKEN: "xoxb-1-chaos-redis",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_ALERT_CHANNEL: channel,
      ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
      ALERT_POSTS_PER_MINUTE: "1000",
    });
    apps.push(app);
    const redis = redisClient();
    // Redis dies while the KILL_AT_POST-th post is with Slack: the bot hears Slack's answer with no
    // Redis to write down where the message is.
    let killedAt = 0;
    slack.onCall((call) => {
      if (
        killedAt === 0 &&
        call.method === "chat.postMessage" &&
        slack.callsOf("chat.postMessage").length >= KILL_AT_POST
      ) {
        killedAt = Date.now();
        redisProc.kill();
      }
    });
    let refused = 0;
    const sending = (async () => {
      for (let first = 0; first < ALERTS; first += PER_WEBHOOK)
        refused += await sendUntilAccepted(app, webhook(first));
    })();
    await until("Redis killed mid-post", () => killedAt > 0, 60_000);
    await redisProc.exited();
    // Down long enough for the bot to notice: a webhook refused, or the outbox pass failing.
    await until("a webhook refused while Redis is down", () => refused > 0, 10_000).catch(() => {});
    await redisProc.restart();
    await sending;
    await until(`all ${ALERTS} alerts posted`, () => postedPerAlert(channel).size === ALERTS, 90_000);
    await until(
      "the outbox to drain",
      async () => (await redis.llen(`${app.redisPrefix}:alerts:outbox`)) === 0,
      60_000,
    );
    const counts = postedPerAlert(channel);
    const lost = Array.from({ length: ALERTS }, (_, i) => alertName(i)).filter((n) => !counts.has(n));
    const doubled = [...counts].filter(([, n]) => n > 1).map(([name]) => name);
    expect({ lost, doubled }).toEqual({ lost: [], doubled: [] });
    // The burst did straddle the crash: posts before the kill and after the restart.
    const at = slack.callsOf("chat.postMessage").map((c) => c.at);
    expect(at.some((t) => t < killedAt)).toBe(true);
    expect(at.some((t) => t > killedAt)).toBe(true);
    // Every group open in the restarted Redis, each with its message.
    expect(await redis.zcard(`${app.redisPrefix}:alerts:groups:open`)).toBe(ALERTS);
  }, 240_000);
});

describe("a send cut short between the alert and its group", () => {
  it("is taken in by the resend (which finds the alert stored and its group without it)", async () => {
    const redis = new Redis(inject("redisUrl"));
    const prefix = testPrefix("cut-short");
    try {
      const store = new AlertStore(redis, prefix);
      const target: Target = {
        platform: "slack",
        channel: "C0CUT",
        groupBy: ["alertname"],
        route: "default",
      };
      const firing: Alert = {
        fingerprint: "c0ffee0000000001",
        status: "firing",
        labels: { alertname: "CutShort", instance: "web-1:9100" },
        annotations: {},
        startsAt: 1_700_000_000_000,
        source: "alertmanager",
      };
      const group = groupId(target, { alertname: "CutShort" });
      // What the first send left when Redis died after its first write: the alert, naming its group.
      await redis.set(
        `${prefix}:alert:${firing.fingerprint}`,
        JSON.stringify({ alert: firing, groups: [group] }),
      );
      expect(await store.receive(firing, [target])).toBe("new");
      expect(await store.pending()).toEqual([group]);
      expect((await store.groupState(group))?.alerts.map((a) => a.fingerprint)).toEqual([firing.fingerprint]);
      // Taken in once: the next resend is a repeat.
      expect(await store.receive(firing, [target])).toBe("unchanged");
      // The same for a resolve cut short after the alert was stored as resolved.
      const resolved: Alert = { ...firing, status: "resolved", endsAt: 1_700_000_600_000 };
      await redis.set(
        `${prefix}:alert:${firing.fingerprint}`,
        JSON.stringify({ alert: resolved, groups: [group] }),
      );
      expect(await store.receive(resolved, [target])).toBe("resolved");
      expect((await store.groupState(group))?.group.resolvedAt).toBeDefined();
      expect(await store.receive(resolved, [target])).toBe("unchanged");
    } finally {
      await dropKeysAndDisconnect(redis, prefix);
    }
  });
});

describe("Redis killed and restarted mid-scan", () => {
  let prom: PrometheusProcess;
  let proxy: SlowProxy;
  const END = Math.floor(Date.UTC(2026, 4, 4, 8, 0, 0) / 1000);

  beforeAll(async () => {
    prom = await startBackfilledPrometheus(
      await writeFleet({ hosts: 2, end: END, days: 90 / 1440, stepSeconds: 15 }),
    );
    // Range queries (training and scans) held 3 s each: long enough to kill Redis during one.
    proxy = await startSlowProxy(prom.url, "/api/v1/query_range", 0);
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await prom?.stop();
  });

  it("completes the interrupted scan job once Redis is back", async () => {
    const app = await startTestApp(
      {
        REDIS_URL: redisProc.url,
        PROMETHEUS_URL: proxy.url,
        ANOMALY_ENABLED: "true",
        ANOMALY_SCAN_EVERY: "10s",
        ANOMALY_JOB_LOCK: "5s",
      },
      undefined,
      () => END * 1000,
    );
    apps.push(app);
    const queue = new Queue(SCAN_QUEUE, {
      connection: { url: redisProc.url },
      prefix: `${app.redisPrefix}:bull`,
    });
    queue.on("error", () => {});
    try {
      const redis = redisClient();
      const status = `${app.redisPrefix}:anomaly:default:status`;
      // A first scan (with its training) completes: the models are in Redis.
      await until("a first scan", async () => (await queue.getCompletedCount()) > 0, 90_000);
      // The next scan is held in its range queries when Redis dies.
      proxy.delayMs = 3000;
      const held = proxy.matched;
      await until("a scan reading Prometheus", () => proxy.matched > held, 30_000);
      const [active] = await queue.getJobs(["active"]);
      expect(active?.name).toBe("scan");
      redisProc.kill();
      await redisProc.exited();
      proxy.delayMs = 0;
      await redisProc.restart();
      // That job (or its retry after its lock lapsed) completes, and later scans go on.
      const id = String(active?.id);
      await until(
        `scan job ${id} completed`,
        async () => (await queue.getJob(id).catch(() => undefined))?.finishedOn !== undefined,
        90_000,
      );
      const job = await queue.getJob(id);
      expect(job?.returnvalue).toMatchObject({ hosts: 2 });
      const completed = await queue.getCompletedCount();
      await until(
        "another scan after the restart",
        async () => (await queue.getCompletedCount()) > completed,
        60_000,
      );
      expect(await redis.hget(status, "lastScanAt")).toBe(String(END * 1000));
    } finally {
      await queue.close();
    }
  }, 300_000);
});
