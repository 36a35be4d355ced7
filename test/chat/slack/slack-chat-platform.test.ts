/**
 * SlackChatPlatform as a ChatPlatform, against the fake Slack Web API: send, update, delete, thread
 * and resolveUser do what the contract says, with Slack's wire format.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSlackPlatform, type SlackChatPlatform } from "../../../src/chat/slack/slack-platform.js";
import { createBotMetrics } from "../../../src/observability/bot-metrics.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { makeReply, type UserRef } from "../../../src/reply/reply.js";
import { type FakeSlack, startFakeSlack } from "../../fakes/fake-slack.js";
import { NO_REQUESTS } from "../../support/no-requests.js";
import { SIGNING_SECRET } from "../../support/slack-requests.js";

let slack: FakeSlack;
let platform: SlackChatPlatform;
const ana: UserRef = { platform: "slack", id: "U0ANA", name: "Ana" };

beforeAll(async () => {
  slack = await startFakeSlack();
  platform = createSlackPlatform({
    config: {
      botToken: "xoxb-platform",
      signingSecret: SIGNING_SECRET,
      apiUrl: slack.apiUrl,
      allowedChannels: [],
      allowedUsers: [],
    },
    dispatcher: NO_REQUESTS,
    metrics: createBotMetrics(),
    logger: silentLogger(),
  });
  await platform.start();
});
afterAll(async () => {
  await platform.stop();
  await slack.close();
});
beforeEach(() => slack.reset());

describe("SlackChatPlatform", () => {
  it("knows its bot user after start", () => {
    expect(platform.name).toBe("slack");
    expect(platform.botUserId).toBe("U0BOT");
    expect(platform.router).toBeDefined();
  });

  it("sends, updates and deletes a reply", async () => {
    const sent = await platform.send({ channel: "C0OPS" }, makeReply({ title: "One", text: "first <b>" }));
    expect(sent).toMatchObject({ platform: "slack", channel: "C0OPS" });
    const [post] = slack.callsOf("chat.postMessage");
    expect(post?.args.text).toBe("One\nfirst &lt;b&gt;");
    expect(post?.response?.ts).toBe(sent.id);
    await platform.update(sent, makeReply({ title: "Two", text: ["by ", { mention: ana }] }));
    const [update] = slack.callsOf("chat.update");
    expect(update?.args).toMatchObject({ channel: "C0OPS", ts: sent.id, text: "Two\nby @Ana" });
    expect(JSON.stringify(update?.args.blocks)).toContain('{"type":"user","user_id":"U0ANA"}');
    await platform.delete(sent);
    expect(slack.callsOf("chat.delete")[0]?.args).toMatchObject({ channel: "C0OPS", ts: sent.id });
  });

  it("posts into a thread when asked, and threads lines under a message", async () => {
    const root = await platform.send({ channel: "C0OPS" }, makeReply({ title: "Root", text: "x" }));
    const reply = await platform.send(
      { channel: "C0OPS", threadOf: root.id },
      makeReply({ title: "R", text: "y" }),
    );
    expect(reply.threadOf).toBe(root.id);
    const line = await platform.thread(root, [
      "🔴 db-1 started firing",
      ["👀 Acknowledged by ", { mention: ana }],
    ]);
    expect(line.threadOf).toBe(root.id);
    const posts = slack.callsOf("chat.postMessage");
    expect(posts.map((p) => p.args.thread_ts)).toEqual([undefined, root.id, root.id]);
    expect(posts[2]?.args.text).toBe("🔴 db-1 started firing\n👀 Acknowledged by @Ana");
  });

  it("posts every message of a thread too long for one, not only the first", async () => {
    const root = await platform.send({ channel: "C0OPS" }, makeReply({ title: "Root", text: "x" }));
    slack.reset();
    // 60 lines near a rich_text block's 3,000 characters: more blocks than one message holds (50).
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i + 1} ${"x".repeat(2900)}`);
    const first = await platform.thread(root, lines);
    const posts = slack.callsOf("chat.postMessage");
    expect(posts.length).toBeGreaterThan(1);
    expect(posts[0]?.response?.ts).toBe(first.id);
    const shown = JSON.stringify(posts.map((p) => p.args.blocks));
    for (const line of ["line 1 ", "line 30 ", "line 60 "]) expect(shown).toContain(line);
  });

  it("resolves a user's name with users.info, and falls back to the id when Slack says no", async () => {
    expect(await platform.resolveUser("U0BEN")).toEqual({ platform: "slack", id: "U0BEN", name: "Ben" });
    // Asked once: the name is kept for a while.
    await platform.resolveUser("U0BEN");
    expect(slack.callsOf("users.info")).toHaveLength(1);
    slack.failNext("users.info", { ok: false, error: "missing_scope" });
    expect(await platform.resolveUser("U0ZED")).toEqual({ platform: "slack", id: "U0ZED", name: "U0ZED" });
  });

  it("throws what Slack refused, for the caller to explain", async () => {
    slack.failNext("chat.postMessage", { ok: false, error: "channel_not_found" });
    await expect(platform.send({ channel: "C0GONE" }, makeReply({ title: "t", text: "x" }))).rejects.toThrow(
      /channel_not_found/,
    );
  });
});
