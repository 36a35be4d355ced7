/**
 * Alerts in Microsoft Teams through the same pipeline and the same dispatcher as Slack, with the real
 * botbuilder against a fake Bot Framework connector. After the bot is installed in a channel, alerts
 * routed there arrive as proactive Adaptive Cards; a person lists, acknowledges, silences, unsilences
 * and resolves them by typing and by pressing the card's buttons (Action.Execute invokes). Each action
 * updates the alert's card in place, writes the same audit entry as Slack (the person's name and their
 * teams:id) and puts a line under the card. What a command answers its typist alone (listings, results)
 * reaches their 1:1 chat, never the channel. A card the connector refused is posted once on retry; a
 * card it took without saying its id is not posted twice.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { auditActor } from "../../src/alerts/audit-log.js";
import type { Action } from "../../src/reply/action.js";
import type { Person } from "../chat/teams/activities.js";
import {
  ANA,
  BO,
  cardActions,
  cardText,
  type InvokeAnswer,
  install,
  post,
  press,
  say,
} from "../chat/teams/activities.js";
import type { ConnectorCall, FakeConnector } from "../fakes/fake-connector.js";
import { startFakeConnector } from "../fakes/fake-connector.js";
import { startTestApp, type TestApp } from "../support/app.js";

const CONVERSATION = "19:alerts@thread.tacv2";
let connector: FakeConnector;
let app: TestApp;
let redis: Redis;

beforeAll(async () => {
  connector = await startFakeConnector();
  app = await startTestApp({
    TEAMS_EMULATOR: "true",
    TEAMS_ALERT_CONVERSATION: CONVERSATION,
    ALERT_RULE_EVERY: "1s",
    TEAMS_ALLOWED_USERS: `${ANA.aadObjectId},${BO.aadObjectId}`,
    // The webhook is closed and nobody may act unless configured (issue 13).
    ALERTMANAGER_WEBHOOK_OPEN: "true",
    ALERT_ACTORS: "*",
  });
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  redis?.disconnect();
  await app?.close();
  await connector?.close();
});

const where = (from = ANA) => ({
  serviceUrl: connector.url,
  conversationId: CONVERSATION,
  conversationType: "channel" as const,
  from,
});
const anaAudit = auditActor({ platform: "teams", id: ANA.aadObjectId, name: ANA.name });
const boAudit = auditActor({ platform: "teams", id: BO.aadObjectId, name: BO.name });

function webhook(name: string, fingerprint: string, status: "firing" | "resolved" = "firing") {
  return {
    version: "4",
    groupKey: `{}:{alertname="${name}"}`,
    status,
    receiver: "cloudops",
    groupLabels: { alertname: name },
    commonLabels: { alertname: name },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: [
      {
        status,
        labels: { alertname: name, instance: "db-9:9100", severity: "critical" },
        annotations: { summary: `${name}: /data on db-9 is 96% full` },
        startsAt: "2026-11-25T04:00:00Z",
        endsAt: status === "resolved" ? "2026-11-25T04:10:00Z" : "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph",
        fingerprint,
      },
    ],
  };
}

async function alertmanager(body: unknown) {
  const res = await fetch(`${app.url}/api/v1/alertmanager`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

/** The alert card posted (top level) in the conversation that mentions `text`; its activity id and group. */
async function postedCard(text: string, kind: Action["kind"] = "alert.details") {
  const [call] = await connector.waitFor(
    (c) => c.method === "POST" && c.activityId === undefined && cardText(c.body).includes(text),
  );
  const action = cardActions(cardText(call?.body)).find((a) => a.kind === kind);
  const group = action && "id" in action ? action.id : "";
  expect(group).toMatch(/^[0-9a-f]{8}$/);
  return { activityId: call?.responseId ?? "", call: call as ConnectorCall, group };
}

/**
 * Sends a message in the channel and returns the answer's card, which reaches the person's 1:1 chat
 * (the channel gets only the neutral line, as a reply to the message).
 */
async function typed(text: string, from: Person = ANA): Promise<string> {
  const before = connector.calls.length;
  const activity = say(text, where(from));
  await post(app.url, activity);
  const after = connector.calls.slice(before);
  const answer = after.find((c) => c.conversationId === `a:1-${from.id}` && cardText(c.body) !== "");
  const line = after.filter((c) => c.activityId === activity.id && cardText(c.body) !== "");
  expect(line).toHaveLength(1);
  expect(cardText(line[0]?.body)).toContain("Sent you the answer in a private chat.");
  return cardText(answer?.body);
}

/** Waits until the bot has sent nothing for a while (the alert pipeline is done with earlier work). */
async function quiet(ms = 400): Promise<void> {
  for (let seen = -1; seen !== connector.calls.length; ) {
    seen = connector.calls.length;
    await new Promise((r) => setTimeout(r, ms));
  }
}

async function pressed(action: Action, from = ANA): Promise<InvokeAnswer> {
  const r = await post(app.url, press(action, where(from)));
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as InvokeAnswer;
}

/** An update (PUT) of the card `activityId` whose content matches. */
async function updated(activityId: string, pattern: RegExp): Promise<string> {
  const calls = await connector.waitFor(
    (c) => c.method === "PUT" && c.activityId === activityId && pattern.test(cardText(c.body)),
  );
  return cardText(calls.at(-1)?.body);
}

/** A line posted under the card `activityId`. */
async function threadLine(activityId: string, pattern: RegExp): Promise<void> {
  await connector.waitFor(
    (c) => c.method === "POST" && c.body.replyToId === activityId && pattern.test(cardText(c.body)),
  );
}

async function lastAudit(): Promise<Record<string, string>> {
  const [entry] = await redis.xrevrange(`${app.redisPrefix}:audit`, "+", "-", "COUNT", 1);
  const fields = entry?.[1] ?? [];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
  return out;
}

describe("alerts in Teams", () => {
  it("posts a proactive card after install and updates the same activity on resolve", async () => {
    await post(app.url, install(where()));
    await connector.waitFor(
      (c) => c.conversationId === CONVERSATION && cardText(c.body).includes("What I can answer"),
    );
    await alertmanager(webhook("TeamsDiskFull", "feedbeef00000001"));
    const { call, activityId, group } = await postedCard("TeamsDiskFull");
    const card = cardText(call.body);
    expect(card).toContain("🔴 TeamsDiskFull on db-9:9100");
    expect(card).toContain("TeamsDiskFull: /data on db-9 is 96% full");
    expect(card).toContain('"title":"Acknowledge"');
    await alertmanager(webhook("TeamsDiskFull", "feedbeef00000001", "resolved"));
    expect(await updated(activityId, /✅ TeamsDiskFull/)).toContain("RESOLVED after 10 min");
    await threadLine(activityId, /db-9:9100 resolved at/);
    expect(group).toMatch(/^[0-9a-f]{8}$/);
  });

  it("lists, acknowledges, silences and unsilences by text", async () => {
    await alertmanager(webhook("TeamsTextFull", "feedbeef00000002"));
    const { activityId, group } = await postedCard("TeamsTextFull");

    const list = await typed("alerts");
    expect(list).toContain(group);
    expect(list).toContain("TeamsTextFull");

    expect(await typed(`ack ${group}`)).toContain("Acknowledged");
    expect(await updated(activityId, /ACKNOWLEDGED by /)).toContain(
      '{"type":"TextRun","text":"Ana","weight":"Bolder"}',
    );
    expect(await lastAudit()).toMatchObject({ actor: anaAudit, action: "ack", subject: group });
    await threadLine(activityId, /Acknowledged by /);

    expect(await typed(`silence ${group} 2h`, BO)).toContain("Silenced");
    expect(await updated(activityId, /SILENCED until/)).toContain('"text":"Bo"');
    expect(await lastAudit()).toMatchObject({ actor: boAudit, action: "silence", subject: group });

    expect(await typed(`unsilence ${group}`)).toContain("Unsilenced");
    await threadLine(activityId, /Silence lifted by /);
    expect(await lastAudit()).toMatchObject({ actor: anaAudit, action: "unsilence", subject: group });
    const after = connector.calls.filter((c) => c.method === "PUT" && c.activityId === activityId).at(-1);
    expect(cardText(after?.body)).not.toContain("SILENCED");
  });

  it("acknowledges, silences and unsilences by button; the presser gets a toast, everyone the updated card", async () => {
    await alertmanager(webhook("TeamsButtonFull", "feedbeef00000003"));
    const { activityId, group } = await postedCard("TeamsButtonFull");

    const ack = await pressed({ kind: "alert.ack", id: group });
    expect(ack.type).toBe("application/vnd.microsoft.activity.message");
    expect(String(ack.value)).toContain("Acknowledged");
    await updated(activityId, /ACKNOWLEDGED by /);
    expect(await lastAudit()).toMatchObject({ actor: anaAudit, action: "ack", subject: group });

    const silence = await pressed({ kind: "alert.silence", id: group, for: "1h" }, BO);
    expect(String(silence.value)).toContain("Silenced");
    // The silenced card offers Unsilence instead of Silence.
    const silenced = await updated(activityId, /SILENCED until/);
    expect(cardActions(silenced)).toContainEqual({ kind: "alert.unsilence", id: group });
    expect(await lastAudit()).toMatchObject({ actor: boAudit, action: "silence", subject: group });

    const unsilence = await pressed({ kind: "alert.unsilence", id: group });
    expect(String(unsilence.value)).toContain("Unsilenced");
    expect(await lastAudit()).toMatchObject({ actor: anaAudit, action: "unsilence", subject: group });
    await threadLine(activityId, /Silence lifted by /);

    // Details are for the presser: a toast, and the details card in their 1:1 chat, not the channel.
    const details = await pressed({ kind: "alert.details", id: group });
    expect(details.type).toBe("application/vnd.microsoft.activity.message");
    expect(String(details.value)).toContain("Sent you the answer in a private chat.");
    const [shown] = await connector.waitFor((c) => cardText(c.body).includes(`Alert ${group}: details`));
    expect(shown?.conversationId).toBe(`a:1-${ANA.id}`);
  });

  it("resolves alerts of chat rules made from Teams, by text and by button", async () => {
    const created = await typed("alert when cpu > 50% on web-2");
    expect(created).toContain("Rule created");
    const rule = /Rule ([0-9a-f]{8})/.exec(created)?.[1] ?? "";
    const cpu = await postedCard("CPUBusyRule", "alert.resolve");
    expect(await typed(`resolve ${cpu.group}`)).toContain("Resolved");
    expect(await lastAudit()).toMatchObject({ actor: anaAudit, action: "resolve", subject: cpu.group });
    await updated(cpu.activityId, /✅ CPUBusyRule/);
    // The condition still holds, so the rule would fire again: done with it.
    expect(await typed(`rule delete ${rule}`)).toContain("Rule deleted");

    const created2 = await typed("alert when memory > 50% on web-2", BO);
    const rule2 = /Rule ([0-9a-f]{8})/.exec(created2)?.[1] ?? "";
    const [memCall] = await connector.waitFor(
      (c) =>
        c.method === "POST" &&
        c.activityId === undefined &&
        cardText(c.body).includes("From a chat rule") &&
        !cardText(c.body).includes("CPUBusyRule"),
    );
    const mem = cardActions(cardText(memCall?.body)).find((a) => a.kind === "alert.resolve");
    const memGroup = mem && "id" in mem ? mem.id : "";
    const resolved = await pressed({ kind: "alert.resolve", id: memGroup }, BO);
    expect(resolved.type).toBe("application/vnd.microsoft.activity.message");
    expect(String(resolved.value)).toContain("Resolved");
    expect(await lastAudit()).toMatchObject({ actor: boAudit, action: "resolve", subject: memGroup });
    await updated(memCall?.responseId ?? "", /RESOLVED/);
    expect(await typed(`rule delete ${rule2}`, BO)).toContain("Rule deleted");
  });

  it("answers an action on an unknown alert with a toast, leaving every card alone", async () => {
    await quiet();
    const before = connector.calls.length;
    const response = await pressed({ kind: "alert.ack", id: "00000000" });
    expect(response.type).toBe("application/vnd.microsoft.activity.message");
    expect(String(response.value)).toMatch(/There is no alert 00000000/);
    await quiet();
    expect(connector.calls.slice(before).filter((c) => c.method === "PUT")).toEqual([]);
  });

  it("posts a card the connector refused (400) once, on a later try", async () => {
    await quiet();
    const topLevel = (c: { method: string; path: string }) =>
      c.method === "POST" && c.path === `/v3/conversations/${encodeURIComponent(CONVERSATION)}/activities`;
    connector.failNextMatching(topLevel, 400);
    await alertmanager(webhook("TeamsRefusedOnce", "feedbeef00000005"));
    await postedCard("TeamsRefusedOnce");
    await quiet();
    expect(connector.failed).toContainEqual({
      method: "POST",
      path: expect.stringContaining("/activities"),
      status: 400,
    });
    const posts = connector.calls.filter((c) => topLevel(c) && cardText(c.body).includes("TeamsRefusedOnce"));
    expect(posts).toHaveLength(1);
  });

  it("does not post again a card the connector took without its id; its next state gets a card of its own", async () => {
    await quiet();
    const topLevel = (c: { method: string; path: string }) =>
      c.method === "POST" && c.path === `/v3/conversations/${encodeURIComponent(CONVERSATION)}/activities`;
    connector.answerNextPostWithoutId(topLevel);
    await alertmanager(webhook("TeamsNoId", "feedbeef00000006"));
    await connector.waitFor((c) => topLevel(c) && cardText(c.body).includes("TeamsNoId"));
    await quiet();
    const cards = () => connector.calls.filter((c) => topLevel(c) && cardText(c.body).includes("TeamsNoId"));
    expect(cards()).toHaveLength(1);
    expect(cards()[0]?.responseId).toBeUndefined();
    // Resolved: the card without an id cannot change, so the resolved state is posted once, as a new card.
    await alertmanager(webhook("TeamsNoId", "feedbeef00000006", "resolved"));
    await connector.waitFor((c) => topLevel(c) && cardText(c.body).includes("✅ TeamsNoId"));
    await quiet();
    expect(cards()).toHaveLength(2);
    expect(
      connector.calls.filter((c) => c.method === "PUT" && cardText(c.body).includes("TeamsNoId")),
    ).toEqual([]);
  });
});
