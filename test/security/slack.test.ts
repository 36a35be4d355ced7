/**
 * POST /slack/events under arbitrary requests, on the real app (Bolt on the shared server) with a fake
 * Slack Web API and real Redis. Unsigned, wrongly signed, stale or future-dated requests: refused,
 * nothing stored, nothing sent to Slack. Signed requests of any shape — JSON, forms, slash commands
 * with any text, block_actions with any value — from someone who may not act: never a 5xx, nothing
 * stored. Each request gets an answer before its own deadline (fetch's signal), not a hang.
 */
import fc from "fast-check";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOT_USER_ID, type FakeSlack, startFakeSlack } from "../fakes/fake-slack.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { testRedis } from "../support/redis.js";
import {
  blockAction,
  eventEnvelope,
  FORM,
  JSON_TYPE,
  SIGNING_SECRET,
  type SignedRequest,
  sign,
  slashCommand,
} from "../support/slack-requests.js";
import { until } from "../support/until.js";
import { AUDIT_STREAM, checkAsync, hostileJson, hostileText, redisSnapshot, snapshotDiff } from "./fuzz.js";

let slack: FakeSlack;
let app: TestApp;
let redis: Redis;
let events: string;

beforeAll(async () => {
  slack = await startFakeSlack();
  app = await startTestApp({
    SLACK_BOT_TOKEN: "xoxb-1-test",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    // Only Ben may act on alerts and rules; every request here comes from someone else.
    ALERT_ACTORS: "U0BEN",
  });
  events = `${app.url}/slack/events`;
  redis = testRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await app?.close();
  await slack?.close();
});

/** Status 0: no answer within 15 s (a hang is a failure with its input, not a test timeout). */
async function send(req: SignedRequest): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(events, {
      method: "POST",
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    return { status: 0, body: `no answer: ${String(e)}` };
  }
}

/** Nothing stored but the capped audit of refusals; the audit stream stays within its cap. */
async function nothingStored(before: Map<string, string>): Promise<void> {
  expect(snapshotDiff(before, await redisSnapshot(redis, app.redisPrefix), AUDIT_STREAM).join(" ")).toBe("");
  expect(await redis.xlen(`${app.redisPrefix}:audit`)).toBeLessThanOrEqual(10_000);
}

/**
 * Sends `requests` at once and returns each answer. Bolt answers a request no listener takes with a
 * 404 only after its 3-second ack window: one at a time, 80 of them would take minutes.
 */
async function sendAll(requests: SignedRequest[]): Promise<{ status: number; body: string; sent: string }[]> {
  return Promise.all(requests.map(async (r) => ({ ...(await send(r)), sent: r.body.slice(0, 300) })));
}

/** Waits until the app has stopped calling Slack (a request's work is done after its ack). */
async function settled(): Promise<void> {
  let last = -1;
  await until(
    "the app to stop calling Slack",
    () => {
      const now = slack.calls.length;
      const still = now === last;
      last = now;
      return still;
    },
    60_000,
    300,
  );
}

const contentType = fc.constantFrom(FORM, JSON_TYPE, "text/plain", "application/json; charset=utf-8", "");
/** Bodies of every shape Slack sends, and of shapes it never sends. */
const anyBody = fc.oneof(
  hostileJson().map((v) => JSON.stringify(v) ?? ""),
  hostileJson(2).map((v) =>
    JSON.stringify({ type: "event_callback", team_id: "T0TEAM", api_app_id: "A0APP", event: v }),
  ),
  fc
    .dictionary(
      fc.constantFrom("payload", "command", "text", "type", "ssl_check", "challenge"),
      hostileText(3),
    )
    .map((d) => new URLSearchParams(d).toString()),
  hostileJson(3).map((v) => new URLSearchParams({ payload: JSON.stringify(v) ?? "" }).toString()),
  hostileText(8),
);

describe("Slack requests", () => {
  it("unsigned, wrongly signed, stale or future-dated: refused, nothing stored, nothing sent", async () => {
    const nowS = () => Math.floor(Date.now() / 1000);
    const forgery = fc.oneof(
      fc.constant({ kind: "wrong secret", secret: "not-the-secret", offset: 0 }),
      // Slack's own rule is five minutes either way; replays and clocks set ahead are both refused.
      fc
        .integer({ min: 301, max: 10 ** 8 })
        .map((o) => ({ kind: "stale", secret: SIGNING_SECRET, offset: -o })),
      fc
        .integer({ min: 301, max: 10 ** 8 })
        .map((o) => ({ kind: "future", secret: SIGNING_SECRET, offset: o })),
      fc.constant({ kind: "unsigned", secret: "", offset: 0 }),
    );
    // Requests a valid signature would have answered (commands, events), and requests of any shape.
    const request = fc.oneof(
      fc
        .tuple(hostileText(6), fc.constant(FORM))
        .map(([t, type]) => [slashCommand(t, { responseUrl: slack.responseUrl }), type] as const),
      fc.constant([
        eventEnvelope({
          type: "app_mention",
          user: "U0ANA",
          text: `<@${BOT_USER_ID}> help`,
          ts: "1700000100.000100",
          channel: "C0OPS",
        }),
        JSON_TYPE,
      ] as const),
      fc.tuple(anyBody, contentType),
    );
    slack.reset();
    const before = await redisSnapshot(redis, app.redisPrefix);
    await checkAsync(
      fc.asyncProperty(request, forgery, async ([body, type], f) => {
        const signed = sign(body, type, { secret: f.secret || "x", timestamp: nowS() + f.offset });
        const headers = f.kind === "unsigned" ? { "content-type": type } : signed.headers;
        const r = await send({ body, headers });
        // Refused at the door, whatever the body: Bolt's signature check or the timestamp window.
        expect(r.status, `${f.kind} (${f.offset} s): ${r.body.slice(0, 200)}`).toBe(401);
      }),
      60,
    );
    await settled();
    await nothingStored(before);
    expect(slack.calls.map((c) => c.method)).toEqual([]);
  });

  it("signed bodies of any shape: never a 5xx, nothing stored", async () => {
    const before = await redisSnapshot(redis, app.redisPrefix);
    await checkAsync(
      fc.asyncProperty(
        fc.array(fc.tuple(anyBody, contentType), { minLength: 40, maxLength: 40 }),
        async (batch) => {
          const answers = await sendAll(batch.map(([body, type]) => sign(body, type)));
          const failed = answers.filter((a) => a.status >= 500 || a.status === 0);
          expect(failed.length, failed.map((a) => `${a.status} ← ${a.sent}`).join("\n")).toBe(0);
        },
      ),
      3,
    );
    await settled();
    await nothingStored(before);
  });

  it("a signed envelope whose event is not an object is refused with a 4xx, not a 500", async () => {
    // Found by the property above. Bolt reads `'channel' in event` (helpers.js, getTypeAndConversation)
    // and throws on a number or null; nothing in front of Bolt checks the shape.
    const answers = await sendAll([
      sign('{"type":"event_callback","team_id":"T0TEAM","api_app_id":"A0APP","event":0}', JSON_TYPE),
      sign('{"type":"event_callback","event":null}', JSON_TYPE),
      sign("null", JSON_TYPE),
      sign("payload=null", FORM),
    ]);
    expect(answers.map((a) => `${a.status} ← ${a.sent}`).filter((l) => l.startsWith("5"))).toEqual([]);
  });

  it("slash commands, mentions and direct messages with any text: acknowledged, nothing stored", async () => {
    const before = await redisSnapshot(redis, app.redisPrefix);
    const user = fc.constantFrom("U0ANA", "U0EVE", "", "U0BOT", "<@U0BEN>", "W123");
    const request = fc.oneof(
      fc
        .tuple(hostileText(12), user)
        .map(([t, u]) => sign(slashCommand(t, { user: u, responseUrl: slack.responseUrl }), FORM)),
      fc.tuple(hostileText(12), user).map(([t, u]) =>
        sign(
          eventEnvelope({
            type: "app_mention",
            user: u,
            text: `<@${BOT_USER_ID}> ${t}`,
            ts: "1700000100.000100",
            channel: "C0OPS",
          }),
          JSON_TYPE,
        ),
      ),
      fc.tuple(hostileText(12), user).map(([t, u]) =>
        sign(
          eventEnvelope({
            type: "message",
            channel_type: "im",
            user: u,
            text: t,
            ts: "1700000200.000100",
            channel: "D0DM",
          }),
          JSON_TYPE,
        ),
      ),
    );
    await checkAsync(
      fc.asyncProperty(request, async (req) => {
        const r = await send(req);
        expect(r.status, r.body.slice(0, 200)).toBe(200);
      }),
      40,
    );
    await settled();
    await nothingStored(before);
  });

  it("block_actions with any action id and value: never a 5xx, nothing stored", async () => {
    const before = await redisSnapshot(redis, app.redisPrefix);
    const value = fc.oneof(
      hostileText(6),
      hostileJson(3).map((v) => JSON.stringify(v) ?? ""),
      // Well-formed actions an outsider might forge: acting ones must be refused by the policy.
      fc
        .tuple(
          fc.constantFrom(
            "alert.ack",
            "alert.silence",
            "alert.resolve",
            "alert.unsilence",
            "rule.change",
            "rule.create",
          ),
          fc.stringMatching(/^[0-9a-f]{8}$/),
        )
        .map(([kind, id]) => JSON.stringify({ kind, id, for: "1h", op: "delete", text: "cpu > 1" })),
      fc.string({ unit: "binary", maxLength: 3000 }),
    );
    // Mostly our own prefix (a listener takes it), sometimes not (Bolt answers 404 after 3 s).
    const actionId = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom("cloudops:act", "cloudops:ask", "cloudops:link:x", "cloudops:"),
      },
      { weight: 1, arbitrary: hostileText(2) },
    );
    const press = fc
      .tuple(actionId, value, fc.constantFrom("U0ANA", "U0EVE"))
      .map(([id, v, user]) => sign(blockAction(id, v, { user }), FORM));
    await checkAsync(
      fc.asyncProperty(fc.array(press, { minLength: 30, maxLength: 30 }), async (batch) => {
        const answers = await sendAll(batch);
        const failed = answers.filter((a) => a.status >= 500 || a.status === 0);
        expect(failed.length, failed.map((a) => `${a.status} ← ${a.sent}`).join("\n")).toBe(0);
      }),
      3,
    );
    await settled();
    await nothingStored(before);
  });
});
