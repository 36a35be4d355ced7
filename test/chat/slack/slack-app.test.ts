/**
 * The real Bolt app on the real HTTP server, against a fake Slack Web API and the fixture Prometheus.
 * Requests are signed exactly as Slack signs them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeAction } from "../../../src/reply/action.js";
import { type FakeSlack, startFakeSlack } from "../../fakes/fake-slack.js";
import { startTestApp, type TestApp } from "../../support/app.js";
import { metricValue } from "../../support/metrics.js";
import {
  appMention,
  blockAction,
  directMessage,
  FORM,
  JSON_TYPE,
  postSigned,
  SIGNING_SECRET,
  sign,
  slashCommand,
} from "../../support/slack-requests.js";
import { until } from "../../support/until.js";

let slack: FakeSlack;
let app: TestApp;
let events: string;

beforeAll(async () => {
  slack = await startFakeSlack();
  app = await startTestApp({
    SLACK_BOT_TOKEN: "xoxb-1-test",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
  });
  events = `${app.url}/slack/events`;
});
afterAll(async () => {
  await app.close();
  await slack.close();
});
beforeEach(() => slack.reset());

function blocksText(args: Record<string, unknown>): string {
  return JSON.stringify(args.blocks ?? []);
}

function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
    true,
  );
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("Slack app", () => {
  it("verified the token with auth.test at start", async () => {
    // The reset above cleared the start-up calls; a fresh app proves it again.
    const other = await startFakeSlack();
    const a = await startTestApp({
      SLACK_BOT_TOKEN: "xoxb-2",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: other.apiUrl,
    });
    expect(other.callsOf("auth.test").length).toBeGreaterThanOrEqual(1);
    await a.close();
    await other.close();
  });

  it("fails start-up clearly when auth.test rejects the token", async () => {
    const other = await startFakeSlack();
    other.failNext("auth.test", { ok: false, error: "invalid_auth" }, { ok: false, error: "invalid_auth" });
    await expect(
      startTestApp({
        SLACK_BOT_TOKEN: "xoxb-bad",
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: other.apiUrl,
      }),
    ).rejects.toThrow(/Slack rejected the bot token \(auth.test: invalid_auth\)/);
    await other.close();
  });

  it("/cloudops health → 200 before the answer, then a message with this machine's numbers", async () => {
    const r = await postSigned(
      events,
      sign(slashCommand("health", { responseUrl: slack.responseUrl }), FORM),
    );
    expect(r.status).toBe(200);
    // Bolt acknowledges before the answer is worked out. Slack's 3 s is measured in bench/ on a quiet
    // machine; here the bound is one a loaded machine cannot cross while acknowledging first.
    expect(r.ms).toBeLessThan(10_000);
    const [post] = await slack.waitFor("chat.postMessage");
    expect(post?.args.channel).toBe("C0OPS");
    const blocks = blocksText(post?.args ?? {});
    for (const host of ["web-1", "web-2", "db-1"]) expect(blocks).toContain(host);
    expect(blocks).toMatch(/CPU 25\.0%/);
    expect(blocks).toMatch(/CPU 60\.0%/);
    expect(blocks).toContain("answered by builtin");
    expect(String(post?.args.text)).toMatch(/System health/);
  });

  it("/cloudops help is shown only to the asker", async () => {
    const r = await postSigned(events, sign(slashCommand("help", { responseUrl: slack.responseUrl }), FORM));
    expect(r.status).toBe(200);
    const [resp] = await slack.waitFor("response_url");
    expect(resp?.args.response_type).toBe("ephemeral");
    expect(JSON.stringify(resp?.args.blocks)).toContain("What I can answer");
    // The commands are listed once, by the dispatcher, for every platform.
    expect(JSON.stringify(resp?.args.blocks)).toContain("ack ID");
    expect(slack.callsOf("chat.postMessage")).toHaveLength(0);
  });

  it("a question not understood gets a private explanation, not channel noise", async () => {
    await postSigned(
      events,
      sign(slashCommand("blorp the flux capacitor", { responseUrl: slack.responseUrl }), FORM),
    );
    const [resp] = await slack.waitFor("response_url");
    expect(resp?.args.response_type).toBe("ephemeral");
    expect(JSON.stringify(resp?.args.blocks)).toContain("did not understand");
    expect(slack.callsOf("chat.postMessage")).toHaveLength(0);
  });

  it("@mention with a trend question → threaded reply and a PNG uploaded in the thread", async () => {
    const r = await postSigned(
      events,
      sign(appMention("show me cpu trends last 6h", { ts: "1700000500.000100" }), JSON_TYPE),
    );
    expect(r.status).toBe(200);
    const [post] = await slack.waitFor("chat.postMessage");
    expect(post?.args.thread_ts).toBe("1700000500.000100");
    // The answer is the first post, or replaces the "working…" note a slow answer posts first.
    let answer: Record<string, unknown> | undefined;
    await until("the trend answer in the thread", async () => {
      answer = slack.calls.find(
        (c) =>
          (c.method === "chat.postMessage" || c.method === "chat.update") &&
          /CPU last 6h/.test(blocksText(c.args)),
      )?.args;
      return answer !== undefined;
    });
    if (answer?.ts) expect(answer.ts).toBe(post?.response?.ts);
    else expect(answer?.thread_ts).toBe("1700000500.000100");
    const [upload] = await slack.waitFor("upload");
    const size = pngSize(upload?.bytes ?? Buffer.alloc(0));
    expect(size.width).toBeGreaterThanOrEqual(600);
    expect(size.height).toBeGreaterThanOrEqual(300);
    const [complete] = await slack.waitFor("files.completeUploadExternal");
    expect(complete?.args.channel_id).toBe("C0OPS");
    expect(complete?.args.thread_ts).toBe("1700000500.000100");
    expect(slack.callsOf("files.getUploadURLExternal")).toHaveLength(1);
  });

  it("answers direct messages in the conversation", async () => {
    await postSigned(events, sign(directMessage("memory on web-2"), JSON_TYPE));
    const [post] = await slack.waitFor("chat.postMessage");
    expect(post?.args.channel).toBe("D0DM");
    expect(blocksText(post?.args ?? {})).toMatch(/Memory 75\.0% on web-2/);
  });

  it("a button updates the same message in place with chat.update", async () => {
    await postSigned(
      events,
      sign(
        blockAction("cloudops:ask:1", encodeAction({ kind: "ask", text: "cpu trend last 24h on web-1" }), {
          messageTs: "1700000777.000100",
        }),
        FORM,
      ),
    );
    const [update] = await slack.waitFor("chat.update");
    expect(update?.args.ts).toBe("1700000777.000100");
    expect(blocksText(update?.args ?? {})).toMatch(/CPU last 24h on web-1/);
    expect(blocksText(update?.args ?? {})).toContain("answered by builtin");
    expect(slack.callsOf("chat.postMessage")).toHaveLength(0);
  });

  it("refuses a forged button value clearly, and does nothing", async () => {
    for (const value of ["3fa2c19b 1h", '{"kind":"alert.ack","id":"3fa2c19b; rm"}', "cpu trend last 24h"]) {
      slack.reset();
      const r = await postSigned(events, sign(blockAction("cloudops:alert.ack:0", value), FORM));
      expect(r.status).toBe(200);
      const [refusal] = await slack.waitFor("chat.postEphemeral");
      expect(refusal?.args.user).toBe("U0ANA");
      expect(blocksText(refusal?.args ?? {})).toContain("not one this bot made");
      // (The previous test's chart upload may still arrive; only chat calls are this test's.)
      expect(slack.calls.filter((c) => c.method.startsWith("chat.")).map((c) => c.method)).toEqual([
        "chat.postEphemeral",
      ]);
    }
  });

  it("link buttons are only acknowledged", async () => {
    const r = await postSigned(events, sign(blockAction("cloudops:link:0", ""), FORM));
    expect(r.status).toBe(200);
    await postSigned(events, sign(directMessage("memory on web-2"), JSON_TYPE));
    await slack.waitFor("chat.postMessage");
    expect(slack.calls.filter((c) => c.method.startsWith("chat.")).map((c) => c.args.channel)).toEqual([
      "D0DM",
    ]);
  });

  it("a 429 with Retry-After: 1 on the first post → the message arrives once, after ≥ 1 s", async () => {
    slack.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const postedOk = () => metricValue(app.url, 'cloudops_chat_posts_total{platform="slack",outcome="ok"}');
    const okBefore = await postedOk();
    const sent = Date.now();
    await postSigned(events, sign(slashCommand("cpu usage", { responseUrl: slack.responseUrl }), FORM));
    const posts = await slack.waitFor("chat.postMessage", 2);
    expect(posts).toHaveLength(2);
    const delivered = posts[1] as { at: number; args: Record<string, unknown> };
    expect(delivered.at - (posts[0]?.at ?? sent)).toBeGreaterThanOrEqual(1000);
    // Counted once the WebClient's retries are over: no further attempt can follow.
    await until("the post counted as delivered", async () => (await postedOk()) > okBefore);
    expect(slack.callsOf("chat.postMessage")).toHaveLength(2);
  });

  it("retries a 500 with backoff and delivers once", async () => {
    slack.failNext("chat.postMessage", { status: 500 });
    await postSigned(events, sign(slashCommand("disk usage", { responseUrl: slack.responseUrl }), FORM));
    const posts = await slack.waitFor("chat.postMessage", 2);
    expect(blocksText(posts[1]?.args ?? {})).toMatch(/Disk/);
  });

  it("a failed post is counted in /metrics", async () => {
    slack.failNext(
      "chat.postMessage",
      ...Array.from({ length: 5 }, () => ({ ok: false as const, error: "channel_not_found" })),
    );
    await postSigned(
      events,
      sign(slashCommand("load", { responseUrl: slack.responseUrl, channel: "C0GONE" }), FORM),
    );
    await slack.waitFor("chat.postEphemeral");
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/cloudops_chat_posts_total\{platform="slack",outcome="failed"\} [1-9]/);
  });

  it("refuses outside the allow-list, clearly", async () => {
    const other = await startFakeSlack();
    const a = await startTestApp({
      SLACK_BOT_TOKEN: "xoxb-3",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: other.apiUrl,
      SLACK_ALLOWED_CHANNELS: "C0ALLOWED",
    });
    try {
      const r = await postSigned(
        `${a.url}/slack/events`,
        sign(slashCommand("health", { channel: "C0OTHER", responseUrl: other.responseUrl }), FORM),
      );
      expect(r.status).toBe(200);
      const [resp] = await other.waitFor("response_url");
      expect(resp?.args.response_type).toBe("ephemeral");
      expect(JSON.stringify(resp?.args.blocks)).toContain("SLACK_ALLOWED_CHANNELS");
      expect(other.callsOf("chat.postMessage")).toHaveLength(0);
    } finally {
      await a.close();
      await other.close();
    }
  });

  it("publishes the App Home with a health overview, the open alerts and the commands", async () => {
    await postSigned(events, sign(appHomeEvent(), JSON_TYPE));
    const [publish] = await slack.waitFor("views.publish");
    expect(publish?.args.user_id).toBe("U0ANA");
    const view = JSON.stringify(publish?.args.view);
    expect(view).toMatch(/System health/);
    expect(view).toMatch(/No open alerts/);
    expect(view).toMatch(/What I can answer/);
    // A home view is not refreshed until it is opened again: it says when it was drawn.
    expect(view).toMatch(/Updated \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  });
});

describe("a user outside SLACK_ALLOWED_USERS", () => {
  let other: FakeSlack;
  let a: TestApp;
  let url: string;
  beforeAll(async () => {
    other = await startFakeSlack();
    a = await startTestApp({
      SLACK_BOT_TOKEN: "xoxb-4",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: other.apiUrl,
      SLACK_ALLOWED_USERS: "U0BEN",
    });
    url = `${a.url}/slack/events`;
  });
  afterAll(async () => {
    await a.close();
    await other.close();
  });
  beforeEach(() => other.reset());

  /** Everything the bot sent to Slack, as one string. */
  const sent = () => JSON.stringify(other.calls.filter((c) => c.method !== "users.info").map((c) => c.args));

  it("gets only the refusal in the App Home: nothing about health or alerts", async () => {
    await postSigned(url, sign(appHomeEvent(), JSON_TYPE));
    const [publish] = await other.waitFor("views.publish");
    const view = JSON.stringify(publish?.args.view);
    expect(view).toContain("SLACK_ALLOWED_USERS");
    for (const word of ["System health", "open alert", "No open alerts", "What I can answer", "CPU"])
      expect(view).not.toContain(word);
  });

  it("gets only the refusal for a command, a mention, a DM and a button", async () => {
    await postSigned(url, sign(slashCommand("alerts", { responseUrl: other.responseUrl }), FORM));
    const [resp] = await other.waitFor("response_url");
    expect(JSON.stringify(resp?.args.blocks)).toContain("SLACK_ALLOWED_USERS");
    await postSigned(url, sign(appMention("health"), JSON_TYPE));
    await postSigned(url, sign(directMessage("health"), JSON_TYPE));
    await postSigned(
      url,
      sign(blockAction("cloudops:ask:0", encodeAction({ kind: "ask", text: "health" })), FORM),
    );
    const ephemeral = await other.waitFor("chat.postEphemeral", 3);
    for (const e of ephemeral) expect(JSON.stringify(e.args.blocks)).toContain("SLACK_ALLOWED_USERS");
    expect(other.callsOf("chat.postMessage")).toHaveLength(0);
    expect(other.callsOf("chat.update")).toHaveLength(0);
    expect(sent()).not.toMatch(/System health|CPU|web-1/);
  });

  it("the allowed user is answered", async () => {
    await postSigned(url, sign(directMessage("memory on web-2", { user: "U0BEN" }), JSON_TYPE));
    const [post] = await other.waitFor("chat.postMessage");
    expect(blocksText(post?.args ?? {})).toMatch(/Memory 75\.0% on web-2/);
  });
});

function appHomeEvent(): string {
  return JSON.stringify({
    token: "t",
    team_id: "T0TEAM",
    api_app_id: "A0APP",
    event: { type: "app_home_opened", user: "U0ANA", channel: "D0DM", tab: "home", event_ts: "1700000300.1" },
    type: "event_callback",
    event_id: "Ev0HOME",
    event_time: 1700000300,
  });
}

describe("Slack request verification", () => {
  it("rejects a wrong signature with 401 and does nothing", async () => {
    const req = sign(slashCommand("health", { channel: "C0FORGED" }), FORM, { secret: "wrong-secret" });
    const r = await postSigned(events, req);
    expect(r.status).toBe(401);
    // A signed request sent after it is answered: had the forged one been acted on, it would have been by now.
    await postSigned(events, sign(slashCommand("health", { channel: "C0SIGNED" }), FORM));
    await until("the signed request's answer", () =>
      slack.callsOf("chat.postMessage").some((c) => c.args.channel === "C0SIGNED"),
    );
    expect(slack.calls.filter((c) => JSON.stringify(c.args).includes("C0FORGED"))).toEqual([]);
  });

  it("rejects a timestamp older than 5 minutes with 401", async () => {
    const req = sign(slashCommand("health"), FORM, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect((await postSigned(events, req)).status).toBe(401);
  });

  it("rejects a correctly signed request timestamped 10 minutes ahead with 401, and does nothing", async () => {
    const future = Math.floor(Date.now() / 1000) + 10 * 60;
    const command = sign(slashCommand("health", { channel: "C0FUTURE" }), FORM, { timestamp: future });
    const mention = sign(appMention("health", { channel: "C0FUTURE" }), JSON_TYPE, { timestamp: future });
    expect((await postSigned(events, command)).status).toBe(401);
    expect((await postSigned(events, mention)).status).toBe(401);
    // A request sent after them is answered: had either been acted on, it would have been by now.
    await postSigned(events, sign(slashCommand("health", { channel: "C0NOW" }), FORM));
    await until("the current request's answer", () =>
      slack.callsOf("chat.postMessage").some((c) => c.args.channel === "C0NOW"),
    );
    expect(slack.calls.filter((c) => JSON.stringify(c.args).includes("C0FUTURE"))).toEqual([]);
  });

  it("survives 200 bad requests: unsigned ones are never acted on, signed ones are all answered", async () => {
    const bodies: Array<{ req: { body: string; headers: Record<string, string> }; signed: boolean }> = [];
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 200; i++) {
      switch (i % 5) {
        case 0:
          bodies.push({
            req: sign(slashCommand(`health ${i}`), FORM, { secret: `bad-${i}` }),
            signed: false,
          });
          break;
        case 1:
          bodies.push({
            req: sign(slashCommand("health"), FORM, { timestamp: now - 400 - i }),
            signed: false,
          });
          break;
        case 2:
          bodies.push({
            req: sign(`{"type": "event_callback", "event": {${"x".repeat(i)}`, JSON_TYPE),
            signed: false,
          });
          break;
        case 3:
          bodies.push({
            req: sign(slashCommand(`frobnicate --now ${i}`, { responseUrl: slack.responseUrl }), FORM),
            signed: true,
          });
          break;
        default:
          bodies.push({
            req: sign(slashCommand("x".repeat(40_000), { responseUrl: slack.responseUrl }), FORM),
            signed: true,
          });
      }
    }
    const results = await Promise.all(bodies.map((b) => postSigned(events, b.req)));
    results.forEach((r, i) => {
      const b = bodies[i];
      if (b?.signed) expect(r.status).toBe(200);
      else expect(r.status).toBeGreaterThanOrEqual(400);
    });
    // Every signed request (80) is answered privately; nothing reached the channel.
    const responses = await slack.waitFor("response_url", 80);
    expect(responses).toHaveLength(80);
    expect(slack.callsOf("chat.postMessage")).toHaveLength(0);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});
