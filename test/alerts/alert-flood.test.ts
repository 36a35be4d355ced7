/**
 * Alert intake that cannot be flooded (issue 13), through the real app against a fake Slack: the
 * webhook is closed until a token (or an explicit ALERTMANAGER_WEBHOOK_OPEN) says otherwise, a flood
 * of 1,000 distinct alerts posts at most ALERT_POSTS_PER_MINUTE messages plus one summary of the rest
 * (which stay listed), and every Redis key the intake wrote expires.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../fakes/fake-slack.js";
import { outboxDrained } from "../support/alert-outbox.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { SIGNING_SECRET } from "../support/slack-requests.js";

const TOKEN = "flood-webhook-token";
const PER_MINUTE = 5;
let slack: FakeSlack;
let redis: Redis;

beforeAll(async () => {
  slack = await startFakeSlack();
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  redis?.disconnect();
  await slack?.close();
});

const slackEnv = (channel = "C0INTAKE") => ({
  SLACK_BOT_TOKEN: "xoxb-1-flood",
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: slack.apiUrl,
  SLACK_ALERT_CHANNEL: channel,
});

/** One webhook of `n` distinct alerts (one group each: every alertname differs). */
function flood(n: number, prefix = "Flood") {
  return {
    version: "4",
    groupKey: "{}:{}",
    status: "firing",
    receiver: "cloudops",
    groupLabels: {},
    commonLabels: { severity: "warning" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: Array.from({ length: n }, (_, i) => ({
      status: "firing",
      labels: { alertname: `${prefix}${i}`, instance: `host-${i}:9100`, severity: "warning" },
      annotations: { summary: `flood alert ${i}` },
      startsAt: "2026-11-25T03:00:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "",
      fingerprint: (0xf1000000 + i).toString(16),
    })),
  };
}

const post = (app: TestApp, body: unknown, token?: string) =>
  fetch(`${app.url}/api/v1/alertmanager`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

/** Every key under `pattern`, by SCAN. */
async function keys(pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    out.push(...batch);
  } while (cursor !== "0");
  return out;
}

describe("Alertmanager webhook settings", () => {
  it("is closed with neither a token nor ALERTMANAGER_WEBHOOK_OPEN, says which to set, stores nothing", async () => {
    const app = await startTestApp(slackEnv());
    try {
      const res = await post(app, flood(1, "Closed"));
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("webhook_closed");
      expect(body.error.message).toMatch(/ALERTMANAGER_WEBHOOK_TOKEN/);
      expect(body.error.message).toMatch(/ALERTMANAGER_WEBHOOK_OPEN=true/);
      expect(await keys(`${app.redisPrefix}:alerts:*`)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("takes alerts without a token only when ALERTMANAGER_WEBHOOK_OPEN=true says so", async () => {
    const app = await startTestApp({ ...slackEnv(), ALERTMANAGER_WEBHOOK_OPEN: "true" });
    try {
      expect((await post(app, flood(1, "Open"))).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("with a token, refuses requests without it", async () => {
    const app = await startTestApp({ ...slackEnv(), ALERTMANAGER_WEBHOOK_TOKEN: TOKEN });
    try {
      expect((await post(app, flood(1, "NoToken"))).status).toBe(401);
      expect((await post(app, flood(1, "Token"), TOKEN)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe("a flood of 1,000 distinct alerts", () => {
  it("posts at most ALERT_POSTS_PER_MINUTE messages plus one summary, lists the rest, and leaves no key without a TTL", async () => {
    const app = await startTestApp({
      ...slackEnv("C0FLOOD"),
      ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
      ALERT_POSTS_PER_MINUTE: String(PER_MINUTE),
      ALERT_ACTORS: "*",
    });
    try {
      const res = await post(app, flood(1000), TOKEN);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { new: number }).new).toBe(1000);
      await outboxDrained(app, 240_000);
      const posts = slack
        .callsOf("chat.postMessage")
        .filter((c) => c.args.channel === "C0FLOOD" && !c.args.thread_ts);
      expect(posts.length).toBeLessThanOrEqual(PER_MINUTE + 1);
      const summaries = posts.filter((c) => /more alerts/.test(String(c.args.text)));
      expect(summaries).toHaveLength(1);
      // The summary was updated as it grew: its last version counts every held group.
      const ts = summaries[0]?.response?.ts;
      const last = slack
        .callsOf("chat.update")
        .filter((c) => c.args.ts === ts)
        .at(-1);
      expect(String(last?.args.text ?? summaries[0]?.args.text)).toMatch(
        new RegExp(`${1000 - PER_MINUTE} more alerts`),
      );
      // Nothing dropped: every group is open, so `alerts` lists them.
      expect(await redis.zcard(`${app.redisPrefix}:alerts:groups:open`)).toBe(1000);
      // Every key the intake wrote expires.
      const written = await keys(`${app.redisPrefix}:alerts:*`);
      expect(written.length).toBeGreaterThan(1000);
      const ttls = await Promise.all(written.map(async (k) => [k, await redis.pttl(k)] as const));
      expect(ttls.filter(([, ttl]) => ttl < 0).map(([k]) => k)).toEqual([]);
    } finally {
      await app.close();
    }
  }, 300_000);
});
