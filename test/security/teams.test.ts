/**
 * POST /api/messages under arbitrary activities, on the real app (botbuilder's CloudAdapter in
 * emulator mode on a loopback bind) with a fake connector and real Redis. Whatever arrives — any JSON,
 * activities with a field changed or missing, card presses with any value, any serviceUrl — the bot
 * answers without a 5xx and within its request deadline; from someone it does not serve (another
 * tenant, a person not listed) it stores nothing; and it never calls a serviceUrl off this machine.
 */
import fc from "fast-check";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANA,
  EVE,
  install,
  OTHER_TENANT,
  type Person,
  press,
  say,
  TENANT,
} from "../chat/teams/activities.js";
import { type FakeConnector, startFakeConnector } from "../fakes/fake-connector.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { testRedis } from "../support/redis.js";
import { until } from "../support/until.js";
import { AUDIT_STREAM, checkAsync, hostileJson, hostileText, redisSnapshot, snapshotDiff } from "./fuzz.js";

let connector: FakeConnector;
let app: TestApp;
let redis: Redis;

beforeAll(async () => {
  connector = await startFakeConnector();
  app = await startTestApp({
    TEAMS_EMULATOR: "true",
    TEAMS_ALLOWED_TENANTS: TENANT,
    TEAMS_ALLOWED_USERS: ANA.aadObjectId,
    // Only someone else may act: every press here that acts must be refused.
    ALERT_ACTORS: "29:bo",
  });
  redis = testRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await app?.close();
  await connector?.close();
});

interface Answer {
  status: number;
  body: string;
  sent: string;
}

/** Posts every activity at once; status 0 is no answer within 15 s (a hang, reported with its input). */
async function postAll(activities: unknown[]): Promise<Answer[]> {
  return Promise.all(
    activities.map(async (a) => {
      const sent = (JSON.stringify(a) ?? "undefined").slice(0, 3000);
      try {
        const res = await fetch(`${app.url}/api/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(a) ?? "",
          signal: AbortSignal.timeout(15_000),
        });
        return { status: res.status, body: await res.text(), sent };
      } catch (e) {
        return { status: 0, body: `no answer: ${String(e)}`, sent };
      }
    }),
  );
}

/**
 * An invoke the bot has no handler for is answered 501 by botbuilder's ActivityHandler: that is the
 * Bot Framework's answer for it (the channel shows "not supported"), not a failure of ours.
 */
function unhandledInvoke(a: Answer): boolean {
  return a.status === 501 && /"type":"invoke"/.test(a.sent) && !/"name":"adaptiveCard\/action"/.test(a.sent);
}

function expectNoServerError(answers: Answer[]): void {
  const failed = answers.filter((a) => (a.status >= 500 && !unhandledInvoke(a)) || a.status === 0);
  expect(failed.length, failed.map((a) => `${a.status} ${a.body.slice(0, 120)} ← ${a.sent}`).join("\n")).toBe(
    0,
  );
}

/** Waits until the bot has stopped calling the connector (proactive work after a turn). */
async function settled(): Promise<void> {
  let last = -1;
  await until(
    "the bot to stop calling the connector",
    () => {
      const now = connector.calls.length + connector.failed.length;
      const still = now === last;
      last = now;
      return still;
    },
    60_000,
    300,
  );
}

/** Sets `path` (dot-separated) of a copy of `o` to `value`, or deletes it when `value` is undefined. */
function mutate(o: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(o) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (const p of path.slice(0, -1)) {
    const next = at[p];
    if (!next || typeof next !== "object") return copy;
    at = next as Record<string, unknown>;
  }
  const last = path.at(-1) as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

const FIELDS = [
  "type",
  "text",
  "from",
  "from.id",
  "from.aadObjectId",
  "conversation",
  "conversation.id",
  "conversation.tenantId",
  "conversation.conversationType",
  "channelData",
  "channelData.tenant",
  "channelData.tenant.id",
  "recipient",
  "serviceUrl",
  "channelId",
  "entities",
  "value",
  "value.action",
  "value.action.data",
  "value.action.data.action",
  "value.action.verb",
  "name",
  "membersAdded",
  "replyToId",
  "locale",
  "id",
].map((f) => f.split("."));

const teamsAction = fc.oneof(
  fc.constantFrom(
    { kind: "help" as const },
    { kind: "alerts.list" as const },
    { kind: "alerts.audit" as const },
    { kind: "ask" as const, text: "cpu on web-1" },
  ),
  fc
    .tuple(
      fc.constantFrom("alert.ack", "alert.resolve", "alert.unsilence"),
      fc.stringMatching(/^[0-9a-f]{8}$/),
    )
    .map(([kind, id]) => ({ kind, id }) as { kind: "alert.ack"; id: string }),
);

/** An activity as Teams sends it, from `who` in `tenant`, then perhaps with one field changed or gone. */
function activity(who: fc.Arbitrary<Person>, tenant: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const where = fc.record({
    from: who,
    tenant,
    conversationType: fc.constantFrom("personal" as const, "groupChat" as const, "channel" as const),
  });
  const base = fc.oneof(
    fc.tuple(hostileText(10), where).map(([t, w]) => say(t, { ...w, serviceUrl: connector.url })),
    where.map((w) => install({ ...w, serviceUrl: connector.url })),
    fc.tuple(teamsAction, where).map(([a, w]) => press(a, { ...w, serviceUrl: connector.url })),
    fc.tuple(hostileJson(3), where).map(([v, w]) => {
      const p = press({ kind: "help" }, { ...w, serviceUrl: connector.url });
      return { ...p, value: { action: { type: "Action.Execute", verb: "cloudops", data: { action: v } } } };
    }),
  );
  return fc
    .tuple(
      base,
      fc.option(fc.tuple(fc.constantFrom(...FIELDS), fc.option(hostileJson(2), { nil: undefined })), {
        nil: undefined,
      }),
    )
    .map(([a, change]) => (change ? mutate(a, change[0], change[1]) : a));
}

const outsider = activity(fc.constantFrom(EVE), fc.constantFrom(TENANT, OTHER_TENANT));
const otherTenant = activity(fc.constantFrom(ANA, EVE), fc.constant(OTHER_TENANT));

describe("Teams activities", () => {
  it("any JSON at all: never a 5xx, nothing stored", async () => {
    const before = await redisSnapshot(redis, app.redisPrefix);
    await checkAsync(
      fc.asyncProperty(fc.array(hostileJson(4), { minLength: 30, maxLength: 30 }), async (batch) => {
        expectNoServerError(await postAll(batch));
      }),
      3,
    );
    await settled();
    expect(snapshotDiff(before, await redisSnapshot(redis, app.redisPrefix), AUDIT_STREAM).join(" ")).toBe(
      "",
    );
  });

  it("activities from people or tenants the bot does not serve, however altered: no 5xx, nothing stored", async () => {
    const before = await redisSnapshot(redis, app.redisPrefix);
    await checkAsync(
      fc.asyncProperty(
        fc.array(fc.oneof(outsider, otherTenant), { minLength: 30, maxLength: 30 }),
        async (batch) => {
          expectNoServerError(await postAll(batch));
        },
      ),
      3,
    );
    await settled();
    expect(snapshotDiff(before, await redisSnapshot(redis, app.redisPrefix), AUDIT_STREAM).join(" ")).toBe(
      "",
    );
  });

  it("activities from the person it serves, with any text, press or change: no 5xx", async () => {
    await checkAsync(
      fc.asyncProperty(
        fc.array(activity(fc.constant(ANA), fc.constant(TENANT)), { minLength: 25, maxLength: 25 }),
        async (batch) => {
          expectNoServerError(await postAll(batch));
        },
      ),
      2,
    );
    await settled();
  });

  it("an activity whose type is missing or not a string is refused with a 4xx, not a 500", async () => {
    // Found by the properties above: CloudAdapter.process parses the body with its own schema and
    // throws (outside its try) on fields of the wrong type; nothing in front of it checks the shape.
    const base = say("help", { serviceUrl: connector.url }) as Record<string, unknown>;
    const { type: _type, ...untyped } = base;
    expectNoServerError(
      await postAll([
        { ...base, type: null },
        { ...base, type: 7 },
        untyped,
        { ...base, from: "ana" },
        { ...base, conversation: [] },
      ]),
    );
  });

  it("never calls a serviceUrl off this machine, whatever the activity names", async () => {
    // Emulator mode: replies go to the activity's serviceUrl, which anyone can write. 192.0.2.0/24 is
    // TEST-NET-1: nothing answers there, so a call made to it shows as a hang or a connector failure.
    const far = fc.constantFrom(
      "http://192.0.2.1:9/",
      "https://example.com/",
      "http://169.254.169.254/latest/",
      "ftp://127.0.0.1/",
      "javascript:alert(1)",
      "",
      "not a url",
    );
    const before = await redisSnapshot(redis, app.redisPrefix);
    await checkAsync(
      fc.asyncProperty(
        fc.array(fc.tuple(activity(fc.constant(ANA), fc.constant(TENANT)), far), {
          minLength: 10,
          maxLength: 10,
        }),
        async (batch) => {
          connector.reset();
          const answers = await postAll(batch.map(([a, url]) => mutate(a, ["serviceUrl"], url)));
          expectNoServerError(answers);
          expect(connector.calls).toHaveLength(0);
        },
      ),
      2,
    );
    // No conversation reference (a later alert would be sent there) was kept for a far serviceUrl.
    const refs = await redis.hgetall(`${app.redisPrefix}:teams:references`);
    const far_ = Object.values(refs).filter((r) => !r.includes("127.0.0.1"));
    expect(far_.length, far_.join("\n").slice(0, 1000)).toBe(0);
    expect(
      snapshotDiff(before, await redisSnapshot(redis, app.redisPrefix), AUDIT_STREAM).filter(
        (k) => !k.endsWith(":teams:references"),
      ),
    ).toEqual([]);
  });
});
