/**
 * The ChatPlatform contract, one set of scenarios run against every implementation: Slack (real Bolt
 * WebClient against the fake Slack Web API), Teams (real CloudAdapter against the fake connector) and
 * the console. Each harness reads back what a person would see from its own wire (Slack blocks, the
 * Adaptive Card, the console transcript), so "literal" is checked where it matters: at the platform.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleChatPlatform } from "../../../src/chat/console/console-platform.js";
import type { ActionDispatcher } from "../../../src/chat/dispatcher.js";
import type { ChatPlatform, PostedMessage } from "../../../src/chat/platform.js";
import { createSlackPlatform } from "../../../src/chat/slack/slack-platform.js";
import { createBotMetrics } from "../../../src/observability/bot-metrics.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { makeReply, plainText, type RichText } from "../../../src/reply/reply.js";
import { startFakeSlack } from "../../fakes/fake-slack.js";
import { NO_REQUESTS } from "../../support/no-requests.js";
import { SIGNING_SECRET } from "../../support/slack-requests.js";
import { teamsOnFakeConnector } from "./teams-setup.js";
import { assertSlackFallbackInert, cardVisible, slackVisible } from "./visible.js";

/** What a person sees of one message, read back from the platform's wire. */
interface Seen {
  text: string;
  threadOf?: string;
}

interface Harness {
  platform: ChatPlatform;
  channel: string;
  /** Messages as the platform now shows them, by id (deleted ones absent). */
  seen(): Promise<Map<string, Seen>>;
  /** A user the platform can name, and the name it gives. */
  known?: { id: string; name: string };
  close(): Promise<void>;
}

const harnesses: Record<string, () => Promise<Harness>> = {
  async slack() {
    const fake = await startFakeSlack();
    const platform = createSlackPlatform({
      config: {
        botToken: "xoxb-contract",
        signingSecret: SIGNING_SECRET,
        apiUrl: fake.apiUrl,
        allowedChannels: [],
        allowedUsers: [],
      },
      dispatcher: NO_REQUESTS,
      metrics: createBotMetrics(),
      logger: silentLogger(),
    });
    await platform.start();
    return {
      platform,
      channel: "C0CONTRACT",
      known: { id: "U0ANA", name: "Ana" },
      async seen() {
        const shown = new Map<string, Seen>();
        for (const call of fake.calls) {
          const ts = String(call.args.ts ?? call.response?.ts ?? "");
          if (call.method === "chat.postMessage" || call.method === "chat.update")
            assertSlackFallbackInert(call.args.text);
          if (call.method === "chat.postMessage")
            shown.set(ts, {
              text: slackVisible(call.args.blocks),
              ...(call.args.thread_ts ? { threadOf: String(call.args.thread_ts) } : {}),
            });
          else if (call.method === "chat.update") {
            const before = shown.get(ts);
            shown.set(ts, { ...before, text: slackVisible(call.args.blocks) });
          } else if (call.method === "chat.delete") shown.delete(ts);
        }
        return shown;
      },
      async close() {
        await platform.stop();
        await fake.close();
      },
    };
  },
  async teams() {
    const { connector, platform, channel, close } = await teamsOnFakeConnector("contract-teams");
    return {
      platform,
      channel,
      async seen() {
        const shown = new Map<string, Seen>();
        for (const call of connector.calls) {
          if (call.method === "POST" && call.responseId)
            shown.set(call.responseId, {
              text: cardVisible(call.body),
              ...(call.activityId ? { threadOf: call.activityId } : {}),
            });
          else if (call.method === "PUT" && call.activityId) {
            const before = shown.get(call.activityId);
            shown.set(call.activityId, { ...before, text: cardVisible(call.body) });
          } else if (call.method === "DELETE" && call.activityId) shown.delete(call.activityId);
        }
        return shown;
      },
      close,
    };
  },
  async console() {
    const platform = new ConsoleChatPlatform({
      dispatch: () => Promise.reject(new Error("nothing comes in here")),
    } as unknown as ActionDispatcher);
    const channel = "conversation:contract";
    return {
      platform,
      channel,
      async seen() {
        const shown = new Map<string, Seen>();
        for (const m of platform.transcript(channel)) {
          const text = m.reply
            ? `${m.reply.title}${plainText(m.reply.text)}`
            : (m.lines ?? []).map(plainText).join("\n");
          shown.set(m.id, { text, ...(m.threadOf ? { threadOf: m.threadOf } : {}) });
        }
        return shown;
      },
      async close() {
        await platform.stop();
      },
    };
  },
};

/** Strings that are markup somewhere: each must reach every platform as the characters typed. */
const HOSTILE = "<!channel> ping <https://evil.example|click> <@U1> [x](http://e) *b* _i_ ~s~ &lt; &amp;";

describe.each(Object.keys(harnesses))("ChatPlatform contract: %s", (name) => {
  let h: Harness;
  beforeAll(async () => {
    h = await (harnesses[name] as () => Promise<Harness>)();
  });
  afterAll(async () => {
    await h?.close();
  });

  const until = async (check: (seen: Map<string, Seen>) => boolean): Promise<Map<string, Seen>> => {
    // Slack and Teams record the call before the client hears back; a few reads at most.
    for (let i = 0; i < 200; i++) {
      const seen = await h.seen();
      if (check(seen)) return seen;
      await new Promise((r) => setImmediate(r));
    }
    return h.seen();
  };

  it("sends a reply people see literally, and names itself", async () => {
    const message = await h.platform.send(
      { channel: h.channel },
      makeReply({ title: "Contract", text: `first ${HOSTILE}` }),
    );
    expect(message.platform).toBe(h.platform.name);
    expect(message.channel).toBe(h.channel);
    expect(message.id).not.toBe("");
    const seen = await until((s) => s.has(message.id));
    expect(seen.get(message.id)?.text).toContain(`first ${HOSTILE}`);
  });

  it("updates a message in place", async () => {
    const message = await h.platform.send(
      { channel: h.channel },
      makeReply({ title: "Before", text: "one" }),
    );
    await h.platform.update(message, makeReply({ title: "After", text: "two" }));
    const seen = await until((s) => s.get(message.id)?.text.includes("two") === true);
    expect(seen.get(message.id)?.text).toContain("two");
    expect(seen.get(message.id)?.text).not.toContain("one");
  });

  it("deletes a message", async () => {
    const message = await h.platform.send({ channel: h.channel }, makeReply({ title: "Gone", text: "soon" }));
    await until((s) => s.has(message.id));
    await h.platform.delete(message);
    const seen = await until((s) => !s.has(message.id));
    expect(seen.has(message.id)).toBe(false);
  });

  it("threads lines under a message, mentions as people and text as typed", async () => {
    const root = await h.platform.send({ channel: h.channel }, makeReply({ title: "Root", text: "r" }));
    const lines: RichText[] = [
      `🔴 db-1 started firing ${HOSTILE}`,
      ["👀 Acknowledged by ", { mention: { platform: h.platform.name, id: "U0ANA", name: "Ana" } }],
    ];
    const line = await h.platform.thread(root, lines);
    expect(line.threadOf).toBe(root.id);
    const seen = await until((s) => s.has(line.id));
    const shown = seen.get(line.id);
    expect(shown?.threadOf).toBe(root.id);
    expect(shown?.text).toContain(`🔴 db-1 started firing ${HOSTILE}`);
    expect(shown?.text).toMatch(/👀 Acknowledged by @?(Ana|U0ANA)/);
  });

  it("sends into the thread of a message when asked", async () => {
    const root = await h.platform.send({ channel: h.channel }, makeReply({ title: "Root", text: "r" }));
    const reply: PostedMessage = await h.platform.send(
      { channel: h.channel, threadOf: root.id },
      makeReply({ title: "In thread", text: "t" }),
    );
    expect(reply.threadOf).toBe(root.id);
    const seen = await until((s) => s.has(reply.id));
    expect(seen.get(reply.id)?.threadOf).toBe(root.id);
  });

  it("resolves users: a name where it knows one, the id where it does not", async () => {
    const unknown = await h.platform.resolveUser("U0NOBODY");
    expect(unknown).toMatchObject({ platform: h.platform.name, id: "U0NOBODY" });
    expect(unknown.name.length).toBeGreaterThan(0);
    if (h.known) expect((await h.platform.resolveUser(h.known.id)).name).toBe(h.known.name);
  });
});
