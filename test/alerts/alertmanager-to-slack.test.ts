/**
 * Alertmanager's webhook into Slack, through the real app and Bolt's WebClient against a fake Slack:
 * one message per alert, deduplicated, updated in place on resolve with a line in its thread, retried
 * when Slack fails, and delivered after a restart when the bot stopped before posting.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../fakes/fake-slack.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { SIGNING_SECRET } from "../support/slack-requests.js";
import { until } from "../support/until.js";

const TOKEN = "am-secret-token";
let slack: FakeSlack;
let app: TestApp;

function env(apiUrl: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: "xoxb-1-alerts",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: apiUrl,
    SLACK_ALERT_CHANNEL: "C0ALERTS",
    ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
  };
}

let seq = 0;
function webhook(status: "firing" | "resolved", fingerprint: string, extra: Record<string, string> = {}) {
  return {
    version: "4",
    groupKey: '{}:{alertname="HostDiskFull"}',
    status,
    receiver: "cloudops",
    groupLabels: { alertname: "HostDiskFull" },
    commonLabels: { alertname: "HostDiskFull", severity: "critical" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: [
      {
        status,
        labels: {
          alertname: "HostDiskFull",
          severity: "critical",
          instance: "db-1:9100",
          job: "node",
          ...extra,
        },
        annotations: {
          summary: "Disk /data on db-1 is 93% full",
          runbook_url: "https://runbooks.example/disk",
        },
        startsAt: "2026-11-25T03:00:00Z",
        endsAt: status === "resolved" ? "2026-11-25T03:23:00Z" : "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph?g0.expr=disk",
        fingerprint,
      },
    ],
  };
}

async function send(url: string, body: unknown, token = TOKEN): Promise<Response> {
  return fetch(`${url}/api/v1/alertmanager`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

const fp = () => `a1b2c3d4${(++seq).toString(16).padStart(8, "0")}`;
const postsTo = (channel: string) =>
  slack.callsOf("chat.postMessage").filter((c) => c.args.channel === channel);

beforeAll(async () => {
  slack = await startFakeSlack();
  app = await startTestApp(env(slack.apiUrl));
});
afterAll(async () => {
  await app?.close();
  await slack?.close();
});
beforeEach(() => slack.reset());

describe("Alertmanager → Slack", () => {
  it("posts one message per alert, however often Alertmanager repeats it", async () => {
    const id = fp();
    const res = await send(app.url, webhook("firing", id));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: 1, new: 1 });
    await slack.waitFor("chat.postMessage");
    const [post] = postsTo("C0ALERTS");
    const blocks = JSON.stringify(post?.args.blocks);
    expect(blocks).toContain("🔴 HostDiskFull on db-1:9100");
    expect(blocks).toContain("FIRING since 2026-11-25 03:00 UTC");
    expect(blocks).toContain("Disk /data on db-1 is 93% full");
    expect(blocks).toContain("https://runbooks.example/disk");
    // Alertmanager resends firing alerts every group interval.
    expect(await (await send(app.url, webhook("firing", id))).json()).toMatchObject({ unchanged: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(postsTo("C0ALERTS")).toHaveLength(1);
  });

  it("updates the same message when the alert resolves, and says so in its thread", async () => {
    const id = fp();
    await send(app.url, webhook("firing", id));
    await slack.waitFor("chat.postMessage");
    await send(app.url, webhook("resolved", id));
    const [update] = await slack.waitFor("chat.update");
    const thread = (await slack.waitFor("chat.postMessage", 2)).find((c) => c.args.thread_ts);
    expect(update?.args.channel).toBe("C0ALERTS");
    expect(JSON.stringify(update?.args.blocks)).toContain("RESOLVED after 23 min");
    expect(JSON.stringify(update?.args.blocks)).toContain("✅ HostDiskFull on db-1:9100");
    expect(thread?.args.thread_ts).toBe(update?.args.ts);
    expect(String(thread?.args.text)).toContain("Resolved at 03:23 UTC");
  });

  it("retries when Slack fails and delivers once", async () => {
    slack.failNext("chat.postMessage", { status: 500 }, { status: 500 });
    await send(app.url, webhook("firing", fp()));
    await until("a delivered post", () => postsTo("C0ALERTS").length >= 3, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    // Two failed attempts and one success; the message exists once.
    expect(postsTo("C0ALERTS")).toHaveLength(3);
  });

  it("delivers a burst larger than one pass over the outbox without waiting for the next interval", async () => {
    const burst = webhook("firing", fp());
    const first = burst.alerts[0] as (typeof burst.alerts)[0];
    burst.alerts = Array.from({ length: 150 }, (_, i) => ({
      ...first,
      labels: { ...first.labels, instance: `web-${i}:9100` },
      fingerprint: `b0b0${(seq * 1000 + i).toString(16).padStart(8, "0")}`,
    }));
    expect(await (await send(app.url, burst)).json()).toMatchObject({ received: 150, new: 150 });
    // The safety-net interval is 15 s; all 150 must arrive well before it.
    await until("150 posts", () => postsTo("C0ALERTS").length >= 150, 10_000);
  });

  it("keeps a resolved alert for a week, a firing one until it resolves", async () => {
    const id = fp();
    await send(app.url, webhook("firing", id));
    await slack.waitFor("chat.postMessage");
    const redis = new Redis(inject("redisUrl"));
    try {
      const key = `${app.redisPrefix}:alerts:alert:${id}`;
      await until("the message ref", async () => (await redis.exists(`${key}:message`)) === 1, 5_000);
      expect(await redis.pttl(key)).toBe(-1);
      await send(app.url, webhook("resolved", id));
      await slack.waitFor("chat.update");
      await slack.waitFor("chat.postMessage", 2); // the thread line
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(6 * 86_400_000);
      expect(ttl).toBeLessThanOrEqual(7 * 86_400_000);
      await until("the message ref's retention", async () => (await redis.pttl(`${key}:message`)) > 0, 5_000);
    } finally {
      redis.disconnect();
    }
  });

  it("refuses a wrong token and a malformed body, storing nothing", async () => {
    expect((await send(app.url, webhook("firing", fp()), "wrong")).status).toBe(401);
    const bad = await send(app.url, { version: "4", alerts: "nope" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /Alertmanager version 4/,
    );
    const tooMany = webhook("firing", fp());
    tooMany.alerts = Array.from({ length: 1001 }, () => tooMany.alerts[0] as (typeof tooMany.alerts)[0]);
    expect((await send(app.url, tooMany)).status).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.callsOf("chat.postMessage")).toHaveLength(0);
  });

  it("is documented in /openapi.json from the schema that validates it", async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        { post?: { requestBody?: { content: Record<string, { schema: { properties?: object } }> } } }
      >;
    };
    const body = doc.paths["/api/v1/alertmanager"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(body?.properties ?? {})).toEqual(
      expect.arrayContaining(["version", "groupKey", "status", "alerts", "externalURL"]),
    );
  });

  it("delivers after a restart an alert that was stored while Slack was down", async () => {
    const down = await startFakeSlack();
    down.chaos(1, (m) => m === "chat.postMessage");
    const first = await startTestApp(env(down.apiUrl));
    const id = fp();
    expect((await send(first.url, webhook("firing", id))).status).toBe(200);
    await first.close();
    await down.close();
    // A new process on the same Redis (same key prefix) delivers what was left in the outbox.
    const second = await startTestApp({ ...env(slack.apiUrl) }, first.redisPrefix);
    try {
      await until(
        "the delivery after restart",
        () => postsTo("C0ALERTS").some((c) => JSON.stringify(c.args.blocks).includes(id)),
        20_000,
      );
    } finally {
      await second.close();
    }
  });
});
