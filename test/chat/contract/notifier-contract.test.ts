/**
 * The AlertNotifier contract, the same scenarios against every notifier (Slack through the fake Slack
 * Web API, Teams through the real CloudAdapter and the fake connector): post a group's message, leave
 * it alone when nothing it shows changed, update the same message when it did, put lines under it,
 * and tell a lasting failure from a passing one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertNotifier } from "../../../src/alerts/alert-delivery.js";
import type { GroupState, MessageRef } from "../../../src/alerts/alert-store.js";
import { alertWebClient, SlackAlertNotifier } from "../../../src/chat/slack/slack-alert-notifier.js";
import { TeamsAlertNotifier } from "../../../src/chat/teams/teams-alert-notifier.js";
import { startFakeSlack } from "../../fakes/fake-slack.js";
import { teamsOnFakeConnector } from "./teams-setup.js";
import { assertSlackFallbackInert, cardVisible, slackVisible } from "./visible.js";

interface Harness {
  notifier: AlertNotifier;
  channel: string;
  platform: "slack" | "teams";
  /** Wire calls so far that created or changed a message, and the text people see under it. */
  writes(): { posts: number; updates: number; threadLines: string[] };
  /** Makes the next call fail as the platform does when it is overloaded. */
  failNextTransiently(): void;
  /** A group whose next post fails for good (unknown channel, never installed there). */
  lastingFailure(): GroupState;
  close(): Promise<void>;
}

const at = Date.UTC(2026, 10, 25, 3, 0);
const options = { now: () => at + 10 * 60_000 };

function state(
  platform: "slack" | "teams",
  channel: string,
  over: Partial<GroupState["group"]> = {},
): GroupState {
  return {
    group: {
      id: "3fa2c19b",
      target: { platform, channel, route: "default" },
      labels: { alertname: "HostDiskFull" },
      createdAt: at,
      ...over,
    },
    alerts: [
      {
        fingerprint: "ab1",
        status: "firing",
        labels: { alertname: "HostDiskFull", instance: "db-1:9100", severity: "critical" },
        annotations: { summary: "Disk /data on db-1 is 95% full <!channel>" },
        startsAt: at,
        source: "alertmanager",
      },
    ],
    events: [],
    rev: 1,
  };
}

const harnesses: Record<string, () => Promise<Harness>> = {
  async slack() {
    const fake = await startFakeSlack();
    return {
      notifier: new SlackAlertNotifier(alertWebClient("xoxb-notifier", fake.apiUrl), options),
      channel: "C0ALERTS",
      platform: "slack",
      writes: () => ({
        posts: fake.callsOf("chat.postMessage").filter((c) => !c.args.thread_ts).length,
        updates: fake.callsOf("chat.update").length,
        threadLines: fake
          .callsOf("chat.postMessage")
          .filter((c) => c.args.thread_ts)
          .map((c) => {
            assertSlackFallbackInert(c.args.text);
            return slackVisible(c.args.blocks);
          }),
      }),
      failNextTransiently: () => fake.failNext("chat.update", { status: 500 }),
      lastingFailure() {
        fake.failNext("chat.postMessage", { ok: false, error: "channel_not_found" });
        return state("slack", "C0GONE");
      },
      close: () => fake.close(),
    };
  },
  async teams() {
    const { connector, platform, channel, close } = await teamsOnFakeConnector("contract-notifier");
    return {
      notifier: new TeamsAlertNotifier(platform, options),
      channel,
      platform: "teams",
      writes: () => ({
        posts: connector.calls.filter((c) => c.method === "POST" && !c.activityId).length,
        updates: connector.calls.filter((c) => c.method === "PUT").length,
        threadLines: connector.calls
          .filter((c) => c.method === "POST" && c.activityId)
          .map((c) => cardVisible(c.body)),
      }),
      // The Bot Framework client retries a 5xx by itself (with backoff); fail every try.
      failNextTransiently: () => connector.failNext(...Array<number>(20).fill(503)),
      lastingFailure: () => state("teams", "19:never-installed@thread.tacv2"),
      close,
    };
  },
};

describe.each(Object.keys(harnesses))("AlertNotifier contract: %s", (name) => {
  let h: Harness;
  let ref: MessageRef;
  beforeAll(async () => {
    h = await (harnesses[name] as () => Promise<Harness>)();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("posts the group's message once and says where it is", async () => {
    ref = await h.notifier.post(state(h.platform, h.channel));
    expect(ref).toMatchObject({ platform: h.platform, channel: h.channel });
    expect(ref.ts).not.toBe("");
    expect(ref.digest).not.toBe("");
    expect(h.writes().posts).toBe(1);
  });

  it("leaves the message alone when nothing it shows changed", async () => {
    const same = await h.notifier.update(state(h.platform, h.channel), ref);
    expect(same).toEqual(ref);
    expect(h.writes().updates).toBe(0);
  });

  it("updates the same message when it changes, and remembers what it shows", async () => {
    const acked = state(h.platform, h.channel, {
      ack: { by: { platform: h.platform, id: "U0ANA", name: "Ana" }, at: options.now() },
    });
    const updated = await h.notifier.update(acked, ref);
    expect(updated.ts).toBe(ref.ts);
    expect(updated.digest).not.toBe(ref.digest);
    expect(h.writes()).toMatchObject({ posts: 1, updates: 1 });
    ref = updated;
  });

  it("puts lines under the message, as typed", async () => {
    await h.notifier.thread(ref, ["✅ db-1:9100 resolved at 03:20 <!channel>"]);
    const lines = h.writes().threadLines;
    expect(lines).toHaveLength(1);
    // People read the line as it was written: "<!channel>" is text, not a mention of everyone.
    expect(lines[0]).toContain("✅ db-1:9100 resolved at 03:20 <!channel>");
  });

  it("fails a call the platform could not take, as one worth trying again", async () => {
    h.failNextTransiently();
    const error = await h.notifier
      .update(state(h.platform, h.channel, { labels: { alertname: "Other" } }), ref)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(h.notifier.isTransient?.(error) ?? true).toBe(true);
  });

  it("fails for good where trying again cannot help, and says so", async () => {
    const error = await h.notifier.post(h.lastingFailure()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(h.notifier.isTransient?.(error)).toBe(false);
  });
});
