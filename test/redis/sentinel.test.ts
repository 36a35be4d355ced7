/**
 * The bot on a real Sentinel set (REDIS_SENTINELS), started by the test: one master, one replica,
 * one sentinel. An alert is posted once; after SENTINEL FAILOVER the replica is the master, and the
 * bot, without a restart, posts a new alert once, still knows the first (replicated) one and does
 * not post it again.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AlertGroupResponse } from "../../src/http/api-schemas.js";
import { decodeAction } from "../../src/reply/action.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { alertmanagerAccepts, alertmanagerWebhook } from "../support/alertmanager.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { cli, type SentinelSet, startSentinelSet } from "../support/redis-topology.js";
import { until } from "../support/until.js";

const fixtureEnd = Date.parse(inject("fixtureEnd"));

function webhook(name: string, fingerprint: string) {
  return alertmanagerWebhook(
    [
      {
        labels: { alertname: name, severity: "critical", instance: "db-1:9100", job: "node" },
        annotations: { summary: `${name} on db-1` },
        startsAt: new Date(fixtureEnd - 600_000).toISOString(),
        generatorURL: "http://prometheus:9090/graph?g0.expr=up",
        fingerprint,
      },
    ],
    {
      groupKey: `{}:{alertname="${name}"}`,
      groupLabels: { alertname: name },
      commonLabels: { alertname: name, severity: "critical", job: "node" },
    },
  );
}

function groupOf(call: SlackCall): string {
  for (const block of (call.args.blocks ?? []) as { elements?: { type: string; value?: string }[] }[])
    for (const e of block.elements ?? []) {
      const action = e.type === "button" ? decodeAction(e.value) : undefined;
      if (action?.kind === "alert.details" && "id" in action) return action.id;
    }
  throw new Error("no details button on the message");
}

describe("Redis Sentinel (master, replica, sentinel)", () => {
  let set: SentinelSet;
  let slack: FakeSlack;
  let app: TestApp | undefined;

  beforeAll(async () => {
    set = await startSentinelSet();
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await app?.close();
    await slack?.close();
    // Throwaway processes: killing them and removing their folders removes every key.
    await set?.stop();
  });

  const alertPosts = (name: string) =>
    slack
      .callsOf("chat.postMessage")
      .filter(
        (c) =>
          c.args.channel === "C0ALERTS" && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(name),
      );
  /** The alert outbox on the node that is master now, empty: every delivery asked for has happened. */
  const outboxDrained = (prefix: string) =>
    until("the outbox to drain", async () => {
      const port = await set.currentMaster();
      return (await cli(port, "llen", `${prefix}:alerts:outbox`)) === "0";
    });

  it("keeps posting alerts, once each, across a failover", async () => {
    app = await startTestApp({
      REDIS_SENTINELS: set.sentinels,
      REDIS_SENTINEL_NAME: set.name,
      SLACK_BOT_TOKEN: "xoxb-1-sentinel",
      SLACK_SIGNING_SECRET: "sentinel-signing-secret",
      SLACK_API_URL: slack.apiUrl,
      SLACK_ALERT_CHANNEL: "C0ALERTS",
      ALERTMANAGER_WEBHOOK_OPEN: "true",
      ALERT_POSTS_PER_MINUTE: "1000",
    });
    const prefix = app.redisPrefix;

    expect(await alertmanagerAccepts(app.url, webhook("BeforeFailover", "5e71000000000001"))).toMatchObject({
      new: 1,
    });
    await until("the first alert's message", () => alertPosts("BeforeFailover").length > 0);
    await outboxDrained(prefix);
    const before = groupOf(alertPosts("BeforeFailover")[0] as SlackCall);
    // Written to the master the sentinel names.
    expect(await cli(set.masterPort, "exists", `${prefix}:alerts:group:${before}`)).toBe("1");

    const newMaster = await set.failover();
    expect(newMaster).toBe(set.replicaPort);

    // The bot, not restarted, writes to the new master and posts the new alert once.
    expect(await alertmanagerAccepts(app.url, webhook("AfterFailover", "5e71000000000002"))).toMatchObject({
      new: 1,
    });
    await until("the second alert's message", () => alertPosts("AfterFailover").length > 0);
    await outboxDrained(prefix);
    const after = groupOf(alertPosts("AfterFailover")[0] as SlackCall);
    expect(await cli(newMaster, "exists", `${prefix}:alerts:group:${after}`)).toBe("1");
    expect(alertPosts("AfterFailover")).toHaveLength(1);
    expect(alertPosts("BeforeFailover")).toHaveLength(1);

    // The first alert was replicated: the bot still knows it and treats a resend as nothing new.
    expect(await alertmanagerAccepts(app.url, webhook("BeforeFailover", "5e71000000000001"))).toMatchObject({
      unchanged: 1,
    });
    const res = await fetch(`${app.url}/api/v1/alerts/${before}`);
    expect(res.status).toBe(200);
    expect(AlertGroupResponse.parse(await res.json()).id).toBe(before);
    await outboxDrained(prefix);
    expect(alertPosts("BeforeFailover")).toHaveLength(1);
    // /readyz answers from the new master.
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
