/**
 * TeamsChatPlatform's side of the ChatPlatform contract, proactively, through the real CloudAdapter
 * against the fake connector: send (top level and in a thread), update in place, delete, thread lines
 * as literal text, resolveUser; and a conversation the bot was never installed in is a lasting failure
 * for the alert notifier, not one to retry. Which failed posts Teams certainly kept nothing of, and
 * what the notifier makes of a post answered without an id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GroupState } from "../../../src/alerts/alert-store.js";
import { ConversationReferences } from "../../../src/chat/teams/conversation-references.js";
import { NoConversationReference, PostedWithoutId } from "../../../src/chat/teams/proactive-sender.js";
import { TeamsAlertNotifier } from "../../../src/chat/teams/teams-alert-notifier.js";
import { TeamsChatPlatform } from "../../../src/chat/teams/teams-chat-platform.js";
import { loadConfig } from "../../../src/config/config.js";
import { createBotMetrics } from "../../../src/observability/bot-metrics.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { makeReply } from "../../../src/reply/reply.js";
import { type FakeConnector, startFakeConnector } from "../../fakes/fake-connector.js";
import { NO_REQUESTS } from "../../support/no-requests.js";
import { dropKeysAndDisconnect, testPrefix, testRedis } from "../../support/redis.js";
import { ANA, cardText } from "./activities.js";

const CONVERSATION = "19:platform@thread.tacv2";
const prefix = testPrefix("teams-platform");
const redis = testRedis();
let connector: FakeConnector;
let teams: TeamsChatPlatform;

beforeAll(async () => {
  connector = await startFakeConnector();
  const references = new ConversationReferences(redis, `${prefix}:references`);
  await references.save({
    serviceUrl: connector.url,
    channelId: "msteams",
    conversation: { id: CONVERSATION, conversationType: "channel", isGroup: true },
    bot: { id: "28:cloudops-bot", name: "cloudops" },
  });
  teams = new TeamsChatPlatform({
    config: loadConfig({ TEAMS_EMULATOR: "true", LOG_LEVEL: "silent" }).teams,
    dispatcher: NO_REQUESTS,
    references,
    metrics: createBotMetrics(),
    logger: silentLogger(),
  });
  await teams.start();
});
afterAll(async () => {
  await teams?.stop();
  await connector?.close();
  await dropKeysAndDisconnect(redis, prefix);
});

describe("TeamsChatPlatform", () => {
  it("sends, threads, updates and deletes proactively", async () => {
    const posted = await teams.send({ channel: CONVERSATION }, makeReply({ title: "Hello", text: "first" }));
    expect(posted).toMatchObject({ platform: "teams", channel: CONVERSATION });
    const [post] = await connector.waitFor((c) => c.method === "POST" && cardText(c.body).includes("first"));
    expect(post?.activityId).toBeUndefined();
    expect(post?.responseId).toBe(posted.id);
    expect(post?.body.text).toBeUndefined();
    expect(post?.body.summary).toBe("Hello");

    const line = await teams.thread(posted, [["*not bold* by ", { mention: { ...ANA, platform: "teams" } }]]);
    expect(line.threadOf).toBe(posted.id);
    const [reply] = await connector.waitFor((c) => c.method === "POST" && c.activityId === posted.id);
    expect(reply?.body.replyToId).toBe(posted.id);
    expect(cardText(reply?.body)).toContain('{"type":"TextRun","text":"*not bold* by "}');

    await teams.update(posted, makeReply({ title: "Hello", text: "second" }));
    const [put] = await connector.waitFor((c) => c.method === "PUT");
    expect(put?.activityId).toBe(posted.id);
    expect(cardText(put?.body)).toContain("second");

    await teams.delete(posted);
    const [del] = await connector.waitFor((c) => c.method === "DELETE");
    expect(del?.activityId).toBe(posted.id);
  });

  it("names people it has not met by their id", async () => {
    expect(await teams.resolveUser("29:zed")).toEqual({ platform: "teams", id: "29:zed", name: "29:zed" });
  });

  it("fails for a conversation it was never installed in, and the notifier does not retry that", async () => {
    const error = await teams
      .send({ channel: "19:unknown@thread.tacv2" }, makeReply({ title: "x", text: "y" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoConversationReference);
    expect(new TeamsAlertNotifier(teams).isTransient(error)).toBe(false);
    expect(new TeamsAlertNotifier(teams).isTransient(new Error("429"))).toBe(true);
  });

  it("tells the notifier which failed posts Teams certainly kept nothing of", async () => {
    const notifier = new TeamsAlertNotifier(teams);
    const failedWith = async (...statuses: number[]) => {
      connector.failNext(...statuses);
      return teams
        .send({ channel: CONVERSATION }, makeReply({ title: "x", text: "y" }))
        .catch((e: unknown) => e);
    };
    // Refused by the connector: nothing was posted, a retry posts once.
    for (const status of [400, 403, 404]) {
      const error = await failedWith(status);
      expect(error).toBeInstanceOf(Error);
      expect(notifier.certainlyNotPosted(error)).toBe(true);
    }
    // Never sent at all.
    expect(notifier.certainlyNotPosted(new NoConversationReference("19:x"))).toBe(true);
    // A 5xx (the client tries 4 times in all) may come after Teams posted: not certain.
    const overloaded = await failedWith(...Array<number>(4).fill(503));
    expect(overloaded).toBeInstanceOf(Error);
    expect(notifier.certainlyNotPosted(overloaded)).toBe(false);
    expect(notifier.certainlyNotPosted(new Error("socket hang up"))).toBe(false);
    connector.reset();
  });

  it("keeps a card Teams posted without an id as delivered, and shows its next state on a new card", async () => {
    const notifier = new TeamsAlertNotifier(teams);
    const group = (over: Partial<GroupState["group"]> = {}): GroupState => ({
      group: {
        id: "3fa2c19b",
        target: { platform: "teams", channel: CONVERSATION, route: "default" },
        labels: { alertname: "HostDiskFull" },
        createdAt: Date.UTC(2026, 10, 25, 3),
        ...over,
      },
      alerts: [
        {
          fingerprint: "ab1",
          status: "firing",
          labels: { alertname: "HostDiskFull", instance: "db-1:9100" },
          annotations: {},
          startsAt: Date.UTC(2026, 10, 25, 3),
          source: "alertmanager",
        },
      ],
      events: [],
      rev: 1,
    });
    connector.reset();
    connector.answerNextPostWithoutId();
    // The platform says what happened; the notifier does not post the same card again.
    const error = await teams
      .send({ channel: CONVERSATION }, makeReply({ title: "x", text: "y" }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(PostedWithoutId);
    connector.answerNextPostWithoutId();
    const ref = await notifier.post(group());
    expect(ref).toMatchObject({ platform: "teams", channel: CONVERSATION, ts: "" });
    expect(ref.digest).not.toBe("");
    const posts = () => connector.calls.filter((c) => c.method === "POST" && !c.activityId);
    expect(posts()).toHaveLength(2);
    // Nothing changed: nothing is sent. A change cannot edit a card without an id: a new card shows it.
    expect(await notifier.update(group(), ref)).toEqual(ref);
    expect(posts()).toHaveLength(2);
    const acked = group({
      ack: { by: { platform: "teams", id: ANA.aadObjectId, name: "Ana" }, at: Date.now() },
    });
    const next = await notifier.update(acked, ref);
    expect(next.ts).toMatch(/^activity-/);
    expect(posts()).toHaveLength(3);
    expect(cardText(posts()[2]?.body)).toContain("ACKNOWLEDGED");
    expect(connector.calls.filter((c) => c.method === "PUT")).toEqual([]);
    // Lines under a card without an id go to the conversation, once even when answered without an id.
    connector.answerNextPostWithoutId();
    await notifier.thread(ref, ["a line"]);
    expect(posts()).toHaveLength(4);
  });
});
