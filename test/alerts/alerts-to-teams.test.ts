/**
 * Alerts in Microsoft Teams through the same pipeline as Slack, with the real botbuilder against a
 * fake Bot Framework connector: after the bot is installed in a channel, an Alertmanager alert routed
 * there arrives as a proactive Adaptive Card; resolving it updates that same activity; an Action.Execute
 * Acknowledge updates the card for everyone and writes the state and the audit entry.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ConnectorCall, type FakeConnector, startFakeConnector } from "../fakes/fake-connector.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { alertActionActivity, installActivity } from "../support/teams-activities.js";

const CONVERSATION = "19:alerts@thread.tacv2";
let connector: FakeConnector;
let app: TestApp;

beforeAll(async () => {
  connector = await startFakeConnector();
  app = await startTestApp({ TEAMS_EMULATOR: "true", TEAMS_ALERT_CONVERSATION: CONVERSATION });
});
afterAll(async () => {
  await app?.close();
  await connector?.close();
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

function webhook(status: "firing" | "resolved") {
  return {
    version: "4",
    groupKey: '{}:{alertname="TeamsDiskFull"}',
    status,
    receiver: "cloudops",
    groupLabels: { alertname: "TeamsDiskFull" },
    commonLabels: { alertname: "TeamsDiskFull" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: [
      {
        status,
        labels: { alertname: "TeamsDiskFull", instance: "db-9:9100", severity: "critical" },
        annotations: { summary: "Disk /data on db-9 is 96% full" },
        startsAt: "2026-11-25T04:00:00Z",
        endsAt: status === "resolved" ? "2026-11-25T04:10:00Z" : "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph",
        fingerprint: "feedbeef00000001",
      },
    ],
  };
}

const cardOf = (c: ConnectorCall | undefined) =>
  JSON.stringify(
    ((c?.body.attachments as { contentType: string; content: unknown }[] | undefined) ?? []).find(
      (a) => a.contentType === "application/vnd.microsoft.card.adaptive",
    )?.content ?? null,
  );

describe("alerts in Teams", () => {
  it("posts a proactive card after install, updates the same activity on resolve, and acks from the card", async () => {
    await post(
      "/api/messages",
      installActivity({
        serviceUrl: connector.url,
        conversationId: CONVERSATION,
        conversationType: "channel",
      }),
    );
    await connector.waitFor(
      (c) => c.conversationId === CONVERSATION && cardOf(c).includes("What I can answer"),
    );

    expect((await post("/api/v1/alertmanager", webhook("firing"))).status).toBe(200);
    const [posted] = await connector.waitFor(
      (c) => c.method === "POST" && c.conversationId === CONVERSATION && cardOf(c).includes("TeamsDiskFull"),
    );
    const card = cardOf(posted);
    expect(card).toContain("🔴 TeamsDiskFull on db-9:9100");
    expect(card).toContain("Disk /data on db-9 is 96% full");
    expect(card).toContain('"verb":"cloudops.alert"');
    expect(card).toContain('"title":"Acknowledge"');
    const group = /alert ([0-9a-f]{8})/.exec(card)?.[1] ?? "";

    // Acknowledge from the card: the clicker gets the refreshed card, everyone gets the update.
    const invoke = await post(
      "/api/messages",
      alertActionActivity("alert-ack", group, { serviceUrl: connector.url, conversationId: CONVERSATION }),
    );
    expect(invoke.status).toBe(200);
    const response = JSON.parse(invoke.text) as { statusCode: number; type: string; value: unknown };
    expect(response.type).toBe("application/vnd.microsoft.card.adaptive");
    expect(JSON.stringify(response.value)).toContain("ACKNOWLEDGED by Ana at ");
    const [ackUpdate] = await connector.waitFor(
      (c) => c.method === "PUT" && cardOf(c).includes("ACKNOWLEDGED by Ana"),
    );
    // The card posted is the one updated (its id is what the connector answered to the post).
    expect(ackUpdate?.conversationId).toBe(CONVERSATION);
    expect(posted?.activityId).toBeUndefined();
    expect(ackUpdate?.activityId).toMatch(/^activity-\d+$/);
    const redis = new Redis(inject("redisUrl"));
    try {
      const ack = JSON.parse((await redis.hget(`${app.redisPrefix}:alerts:group:${group}`, "ack")) ?? "{}");
      expect(ack.by).toBe("Ana");
      const [entry] = await redis.xrevrange(`${app.redisPrefix}:audit`, "+", "-", "COUNT", 1);
      expect(entry?.[1]).toEqual(expect.arrayContaining(["action", "ack", "actor", "Ana", "subject", group]));
    } finally {
      redis.disconnect();
    }
    const reply = await connector.waitFor(
      (c) => c.method === "POST" && String(c.body.text ?? "").includes("Acknowledged by Ana"),
    );
    expect(reply[0]?.body.replyToId).toBe(ackUpdate?.activityId);

    // Resolved: the same activity changes.
    await post("/api/v1/alertmanager", webhook("resolved"));
    const [resolved] = await connector.waitFor(
      (c) => c.method === "PUT" && cardOf(c).includes("✅ TeamsDiskFull"),
    );
    expect(resolved?.activityId).toBe(ackUpdate?.activityId);
    expect(cardOf(resolved)).toContain("RESOLVED after 10 min");
  });

  it("answers an action on an unknown alert with a message, leaving the card alone", async () => {
    const invoke = await post(
      "/api/messages",
      alertActionActivity("alert-ack", "00000000", {
        serviceUrl: connector.url,
        conversationId: CONVERSATION,
      }),
    );
    const response = JSON.parse(invoke.text) as { type: string; value: string };
    expect(response.type).toBe("application/vnd.microsoft.activity.message");
    expect(response.value).toMatch(/There is no alert 00000000/);
  });
});
