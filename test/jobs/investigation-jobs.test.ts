/**
 * The first look delivered, through the real app (the real investigator against the fixture
 * Prometheus), BullMQ on real Redis and the platforms' SDKs against fakes: an Alertmanager group on a
 * fixture host gets ONE reply in its Slack thread however many replicas share Redis, stored with the
 * group (read back through GET /api/v1/alerts/{id}) and counted in /metrics; the group growing to
 * twice its alerts edits that same reply; `investigate ID` answers with it; on Teams the reply goes
 * under the alert's card.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AlertGroupResponse } from "../../src/http/api-schemas.js";
import { investigationHeadline } from "../../src/investigate/investigation-reply.js";
import { InvestigationStore } from "../../src/investigate/investigation-store.js";
import { INVESTIGATION_QUEUE } from "../../src/jobs/investigation-jobs.js";
import { type Action, decodeAction } from "../../src/reply/action.js";
import { cardActions, cardText, install, post, press } from "../chat/teams/activities.js";
import { type FakeConnector, startFakeConnector } from "../fakes/fake-connector.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { alertmanagerAccepts, alertmanagerWebhook } from "../support/alertmanager.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { FORM, postSigned, SIGNING_SECRET, sign, slashCommand } from "../support/slack-requests.js";
import { until } from "../support/until.js";

const HOST = "db-1:9100";
let seq = 0;

/** `name` firing on `hosts` (fingerprints from `seq`); `resolvedAt` sends it resolved. */
function webhook(name: string, hosts: string[], at: { startsAt?: number; resolvedAt?: number } = {}) {
  const status = at.resolvedAt === undefined ? "firing" : "resolved";
  return alertmanagerWebhook(
    hosts.map((instance, i) => ({
      status,
      labels: { alertname: name, severity: "critical", instance, job: "node" },
      annotations: { summary: `${name} on ${instance}` },
      startsAt: at.startsAt === undefined ? "2026-11-25T03:00:00Z" : new Date(at.startsAt).toISOString(),
      ...(at.resolvedAt !== undefined ? { endsAt: new Date(at.resolvedAt).toISOString() } : {}),
      generatorURL: "http://prometheus:9090/graph?g0.expr=up",
      fingerprint: `f1a5${seq.toString(16).padStart(4, "0")}${i.toString(16).padStart(4, "0")}`,
    })),
    {
      groupKey: `{}:{alertname="${name}"}`,
      groupLabels: { alertname: name },
      commonLabels: { alertname: name, severity: "critical", job: "node" },
      status,
    },
  );
}

/** The first look's jobs have all run: none waiting, active, delayed or retrying. */
async function jobsSettled(prefix: string, completed: number): Promise<void> {
  const queue = new Queue(INVESTIGATION_QUEUE, {
    connection: { url: inject("redisUrl") },
    prefix: `${prefix}:bull`,
  });
  try {
    await until(`${completed} investigation job(s) completed and none pending`, async () => {
      const c = await queue.getJobCounts(
        "completed",
        "failed",
        "waiting",
        "active",
        "delayed",
        "prioritized",
      );
      return (
        c.completed === completed &&
        (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0
      );
    });
    const c = await queue.getJobCounts("completed", "failed");
    expect(c.failed).toBe(0);
  } finally {
    await queue.close();
  }
}

/** Investigation jobs completed so far. */
async function completedJobs(prefix: string): Promise<number> {
  const queue = new Queue(INVESTIGATION_QUEUE, {
    connection: { url: inject("redisUrl") },
    prefix: `${prefix}:bull`,
  });
  try {
    return (await queue.getJobCounts("completed")).completed ?? 0;
  } finally {
    await queue.close();
  }
}

/** The typed actions of a Slack message's buttons. */
function buttonActions(call: SlackCall | undefined): Action[] {
  const out: Action[] = [];
  for (const block of (call?.args.blocks ?? []) as { elements?: { type: string; value?: string }[] }[])
    for (const e of block.elements ?? []) {
      const action = e.type === "button" ? decodeAction(e.value) : undefined;
      if (action) out.push(action);
    }
  return out;
}

/** Investigations counted by an app's /metrics, all outcomes. */
async function investigationsCounted(app: TestApp): Promise<number> {
  const metric = await app.app.metrics.investigations.get();
  return metric.values.reduce((n, v) => n + v.value, 0);
}

describe("first look on Slack, three replicas on one Redis", () => {
  let slack: FakeSlack;
  const apps: TestApp[] = [];
  let redis: Redis;
  const fixtureEnd = Date.parse(inject("fixtureEnd"));
  let clock = fixtureEnd;
  const now = () => clock;
  const env = (apiUrl: string) => ({
    SLACK_BOT_TOKEN: "xoxb-1-first-look",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: apiUrl,
    SLACK_ALERT_CHANNEL: "C0ALERTS",
    ALERTMANAGER_WEBHOOK_OPEN: "true",
    ALERT_POSTS_PER_MINUTE: "1000",
    ALERT_FIRST_LOOK: "true",
  });

  beforeAll(async () => {
    slack = await startFakeSlack();
    const first = await startTestApp(env(slack.apiUrl), undefined, now);
    apps.push(first);
    for (let i = 0; i < 2; i++) apps.push(await startTestApp(env(slack.apiUrl), first.redisPrefix, now));
    redis = new Redis(inject("redisUrl"));
  });
  afterAll(async () => {
    redis?.disconnect();
    for (const app of apps.slice(1).reverse()) await app.close({ keepKeys: true });
    await apps[0]?.close();
    await slack?.close();
  });

  const alertPosts = () =>
    slack.callsOf("chat.postMessage").filter((c) => c.args.channel === "C0ALERTS" && !c.args.thread_ts);
  const firstLooks = (ts: string) =>
    slack
      .callsOf("chat.postMessage")
      .filter((c) => c.args.thread_ts === ts && JSON.stringify(c.args.blocks).includes("First look"));

  it("posts one first look in the alert's thread, stores it with the group, edits it when the group doubles", async () => {
    seq++;
    const name = `DiskLatencyHigh${seq}`;
    const [a, b, c] = apps as [TestApp, TestApp, TestApp];
    await alertmanagerAccepts(a.url, webhook(name, [HOST]));
    let message: SlackCall | undefined;
    await until("the alert message", () => {
      message = alertPosts().find((p) => JSON.stringify(p.args.blocks).includes(name));
      return message !== undefined;
    });
    const ts = String(message?.response?.ts);
    const investigate = buttonActions(message).find((x) => x.kind === "alert.investigate");
    expect(investigate?.kind).toBe("alert.investigate");
    const group = investigate && "id" in investigate ? investigate.id : "";

    await until("the first look in the thread", () => firstLooks(ts).length > 0);
    await jobsSettled(a.redisPrefix, 1);
    expect(alertPosts().filter((p) => JSON.stringify(p.args.blocks).includes(name))).toHaveLength(1);
    expect(firstLooks(ts)).toHaveLength(1);
    const counted = await Promise.all(apps.map(investigationsCounted));
    expect(counted.reduce((x, y) => x + y, 0)).toBe(1);

    // Stored with the group, read back (validated) from another replica's API.
    const res = await fetch(`${b.url}/api/v1/alerts/${group}`);
    expect(res.status).toBe(200);
    const body = AlertGroupResponse.parse(await res.json());
    expect(body.id).toBe(group);
    expect(body.investigation?.request.instance).toBe(HOST);
    expect(body.investigation?.request.alertName).toBe(name);
    expect(body.investigation?.request.groupId).toBe(group);
    const reply = firstLooks(ts)[0] as SlackCall;
    const headline = investigationHeadline(body.investigation as never);
    expect(JSON.stringify(reply.args.blocks)).toContain(JSON.stringify(headline).slice(1, -1).slice(0, 40));
    const store = new InvestigationStore(redis, `${a.redisPrefix}:alerts`);
    const stored = await store.get(group);
    expect(stored?.reply).toMatchObject({ platform: "slack", threadOf: ts, id: String(reply.response?.ts) });
    // It lives as long as the group's keys.
    const [groupTtl, ttl] = await Promise.all([
      redis.pttl(`${a.redisPrefix}:alerts:group:${group}`),
      redis.pttl(`${a.redisPrefix}:alerts:group:${group}:investigation`),
    ]);
    expect(ttl).toBeGreaterThan(0);
    expect(Math.abs(groupTtl - ttl)).toBeLessThan(60_000);
    // Redis data of another shape reads as absent, never as an investigation.
    await redis.set(`${a.redisPrefix}:alerts:group:ffffffff:investigation`, '{"investigation":{"at":"x"}}');
    expect(await store.get("ffffffff")).toBeUndefined();

    // The group grows to two alerts: the same reply is edited, none is added.
    await alertmanagerAccepts(c.url, webhook(name, [HOST, "web-1:9100"]));
    await until("the first look edited", () =>
      slack.callsOf("chat.update").some((u) => u.args.ts === reply.response?.ts),
    );
    await jobsSettled(a.redisPrefix, 2);
    expect(firstLooks(ts)).toHaveLength(1);
    expect((await store.get(group))?.redone).toBe(1);
    expect((await store.get(group))?.firing).toBe(2);
    // Timed by whichever replica ran the job: each process exports its own.
    const metrics = await Promise.all(apps.map(async (x) => (await fetch(`${x.url}/metrics`)).text()));
    expect(
      metrics.filter((m) =>
        /cloudops_investigation_duration_seconds_count\{outcome="(ok|nothing_unusual|failed)"\}/.test(m),
      ).length,
    ).toBeGreaterThan(0);
  });

  it("uploads the chart of what moved below the first look, in the thread", async () => {
    // In the middle of web-2's CPU spike (node-fixture.ts).
    clock = fixtureEnd - 2.75 * 3600_000;
    try {
      seq++;
      const name = `CpuBusy${seq}`;
      const [a] = apps as [TestApp];
      await alertmanagerAccepts(a.url, webhook(name, ["web-2:9100"]));
      let message: SlackCall | undefined;
      await until("the alert message", () => {
        message = alertPosts().find((p) => JSON.stringify(p.args.blocks).includes(name));
        return message !== undefined;
      });
      const ts = String(message?.response?.ts);
      await until("the first look in the thread", () => firstLooks(ts).length > 0);
      const [look] = firstLooks(ts);
      expect(JSON.stringify(look?.args.blocks)).toMatch(/First look: CPU/);
      const chartTitle = (x: SlackCall) =>
        JSON.stringify(x.args.files ?? null).includes("on web-2 — last hour");
      await until("the first look's chart in the thread", () =>
        slack
          .callsOf("files.completeUploadExternal")
          .some((x) => String(x.args.thread_ts) === ts && chartTitle(x)),
      );
      const uploads = slack
        .callsOf("files.completeUploadExternal")
        .filter((x) => String(x.args.thread_ts) === ts && chartTitle(x));
      expect(uploads).toHaveLength(1);
    } finally {
      clock = fixtureEnd;
    }
  });

  it("answers `/cloudops investigate ID` with the first look, and an unknown id with what is wrong", async () => {
    seq++;
    const name = `LoadHigh${seq}`;
    const [a, , c] = apps as [TestApp, TestApp, TestApp];
    await alertmanagerAccepts(a.url, webhook(name, [HOST]));
    let message: SlackCall | undefined;
    await until("the alert message", () => {
      message = alertPosts().find((p) => JSON.stringify(p.args.blocks).includes(name));
      return message !== undefined;
    });
    const group = /alert ([0-9a-f]{8})/.exec(JSON.stringify(message?.args.blocks))?.[1] ?? "";
    expect(group).toMatch(/^[0-9a-f]{8}$/);
    const command = async (text: string) => {
      const before = slack.callsOf("response_url").length + slack.callsOf("chat.postMessage").length;
      await postSigned(
        `${c.url}/slack/events`,
        sign(slashCommand(text, { channel: "C0OPS", responseUrl: slack.responseUrl }), FORM),
      );
      let found = "";
      await until(`the answer to ${text}`, () => {
        const calls = [...slack.callsOf("response_url"), ...slack.callsOf("chat.postMessage")];
        if (calls.length <= before) return false;
        const answer = calls.find(
          (x) => x.args.channel !== "C0ALERTS" && /First look|There is no alert/.test(JSON.stringify(x.args)),
        );
        found = answer ? JSON.stringify(answer.args) : "";
        return found !== "";
      });
      return found;
    };
    const answer = await command(`investigate ${group}`);
    expect(answer).toContain("First look");
    expect(answer).toContain("db-1");
    slack.reset();
    expect(await command("investigate 0badc0de")).toContain("There is no alert 0badc0de");
  });
});

describe("first look on Teams, three replicas on one Redis", () => {
  const CONVERSATION = "19:first-look@thread.tacv2";
  let connector: FakeConnector;
  const apps: TestApp[] = [];
  // The replicas' shared clock, moved along by the test of an alert that fires again.
  let clock = Date.parse(inject("fixtureEnd"));
  const now = () => clock;
  const env = {
    TEAMS_EMULATOR: "true",
    TEAMS_ALERT_CONVERSATION: CONVERSATION,
    ALERTMANAGER_WEBHOOK_OPEN: "true",
    ALERT_POSTS_PER_MINUTE: "1000",
    ALERT_FIRST_LOOK: "true",
    ALERT_ACTORS: "*",
  };

  beforeAll(async () => {
    connector = await startFakeConnector();
    const first = await startTestApp(env, undefined, now);
    apps.push(first);
    for (let i = 0; i < 2; i++) apps.push(await startTestApp(env, first.redisPrefix, now));
  });
  afterAll(async () => {
    for (const app of apps.slice(1).reverse()) await app.close({ keepKeys: true });
    await apps[0]?.close();
    await connector?.close();
  });

  const where = () => ({
    serviceUrl: connector.url,
    conversationId: CONVERSATION,
    conversationType: "channel" as const,
  });
  type Call = { method: string; activityId?: string; responseId?: unknown; body: Record<string, unknown> };
  const firstLooksUnder = (cardId: string) => (x: Call) =>
    x.method === "POST" && x.activityId === cardId && cardText(x.body).includes("First look");
  const cardOf = (name: string, nth = 0) =>
    connector.calls.filter(
      (x) => x.method === "POST" && x.activityId === undefined && cardText(x.body).includes(name),
    )[nth];

  it("replies once under the alert's card", async () => {
    const [a] = apps as [TestApp];
    expect((await post(a.url, install(where()))).status).toBeLessThan(300);
    seq++;
    const name = `MemoryPressure${seq}`;
    await alertmanagerAccepts(a.url, webhook(name, [HOST]));
    await connector.waitFor(
      (x) => x.method === "POST" && x.activityId === undefined && cardText(x.body).includes(name),
    );
    const card = cardOf(name);
    const cardId = String(card?.responseId);
    expect(cardActions(cardText(card?.body)).some((x) => x.kind === "alert.investigate")).toBe(true);
    await connector.waitFor(firstLooksUnder(cardId));
    await jobsSettled(a.redisPrefix, 1);
    expect(connector.calls.filter(firstLooksUnder(cardId))).toHaveLength(1);
    const counted = await Promise.all(apps.map(investigationsCounted));
    expect(counted.reduce((x, y) => x + y, 0)).toBe(1);
  });

  it("says when an alert that fires again fired last, how long it lasted and who acknowledged it", async () => {
    const [a, b] = apps as [TestApp, TestApp];
    expect((await post(a.url, install(where()))).status).toBeLessThan(300);
    seq++;
    const name = `DiskBusy${seq}`;
    const redis = new Redis(inject("redisUrl"));
    try {
      const store = new InvestigationStore(redis, `${a.redisPrefix}:alerts`);
      const completedBefore = await completedJobs(a.redisPrefix);
      // The same alert (same fingerprint) each time, starting at the clock's time.
      const firingNow = () => webhook(name, [HOST], { startsAt: clock });
      await alertmanagerAccepts(a.url, firingNow());
      await connector.waitFor(
        (x) => x.method === "POST" && x.activityId === undefined && cardText(x.body).includes(name),
      );
      const firstCard = String(cardOf(name)?.responseId);
      await connector.waitFor(firstLooksUnder(firstCard));
      const group = (await store.incidents(name, HOST))[0]?.groupId ?? "";
      expect(group).toMatch(/^[0-9a-f]{8}$/);
      // Acknowledged, then resolved 40 minutes after it began: how it ended is remembered.
      const ack = await post(b.url, press({ kind: "alert.ack", id: group }, where()));
      expect(ack.status).toBe(200);
      await until("the acknowledgement stored", async () => {
        const res = await fetch(`${a.url}/api/v1/alerts/${group}`);
        return res.status === 200 && ((await res.json()) as { ack?: unknown }).ack !== undefined;
      });
      clock += 40 * 60_000;
      await alertmanagerAccepts(b.url, webhook(name, [HOST], { startsAt: clock, resolvedAt: clock }));
      await until("the incident's end remembered", async () =>
        (await store.incidents(name, HOST)).some((i) => i.endsAt !== undefined),
      );
      await jobsSettled(a.redisPrefix, completedBefore + 1);

      // Two hours later it fires again: a new card, and its first look names the last time.
      clock += 2 * 3600_000;
      await alertmanagerAccepts(a.url, firingNow());
      await until("the new incident's card", () => cardOf(name, 1) !== undefined);
      const secondCard = String(cardOf(name, 1)?.responseId);
      const [look] = await connector.waitFor(firstLooksUnder(secondCard));
      const text = cardText(look?.body);
      expect(text).toMatch(/Last time/);
      expect(text).toContain("lasted 40 min");
      expect(text).toContain("acknowledged by");
      expect(text).not.toContain("none on record");
      expect(await store.incidents(name, HOST)).toHaveLength(2);
    } finally {
      redis.disconnect();
    }
  });
});
