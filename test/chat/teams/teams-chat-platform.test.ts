/**
 * TeamsChatPlatform's side of the ChatPlatform contract, proactively, through the real CloudAdapter
 * against the fake connector: send (top level and in a thread), update in place, delete, thread lines
 * as literal text, resolveUser; and a conversation the bot was never installed in is a lasting failure
 * for the alert notifier, not one to retry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationReferences } from "../../../src/chat/teams/conversation-references.js";
import { NoConversationReference } from "../../../src/chat/teams/proactive-sender.js";
import { TeamsAlertNotifier } from "../../../src/chat/teams/teams-alert-notifier.js";
import { TeamsChatPlatform } from "../../../src/chat/teams/teams-chat-platform.js";
import { loadConfig } from "../../../src/config/config.js";
import { createBotMetrics } from "../../../src/observability/bot-metrics.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { makeReply } from "../../../src/reply/reply.js";
import { type FakeConnector, startFakeConnector } from "../../fakes/fake-connector.js";
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
    dispatcher: {
      dispatch: () => {
        throw new Error("no turns in this test");
      },
    },
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
});
