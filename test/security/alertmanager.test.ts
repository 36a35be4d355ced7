/**
 * POST /api/v1/alertmanager under arbitrary bodies, on the real app with real Redis. Without the
 * token: 401 and nothing stored, whatever the body. With it: never a 5xx; a refused body stores
 * nothing; an accepted one stores only keys that expire (firing alerts live until Alertmanager stops
 * re-sending them, not forever).
 */
import fc from "fast-check";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { testRedis } from "../support/redis.js";
import { scanKeys } from "../support/redis-keys.js";
import { checkAsync, hostileJson, hostileText, redisSnapshot, snapshotDiff } from "./fuzz.js";

const TOKEN = "am-token-0123456789abcdef0123";

let app: TestApp;
let redis: Redis;

beforeAll(async () => {
  app = await startTestApp({ ALERTMANAGER_WEBHOOK_TOKEN: TOKEN });
  redis = testRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await app?.close();
});

async function post(
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  // A hang is a failure with its input, not a test timeout.
  const res = await fetch(`${app.url}/api/v1/alertmanager`, {
    method: "POST",
    headers,
    body,
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, text: await res.text() };
}

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/vnd.api+json",
);

/** Label maps: mostly ordinary, sometimes hostile names and values. */
const labels = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.dictionary(
      fc.constantFrom("alertname", "instance", "severity", "job", "env"),
      fc.string({ maxLength: 20 }),
      { maxKeys: 5 },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.oneof(hostileText(2), fc.constant("__proto__")), hostileText(3), {
      maxKeys: 4,
    }),
  },
  { weight: 1, arbitrary: hostileJson(2) },
);
const time = fc.oneof(
  fc
    .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom("0001-01-01T00:00:00Z", "", "yesterday", "9999-12-31T23:59:59Z", "-000001-01-01T00:00:00Z"),
);
const alert = fc.record(
  {
    status: fc.constantFrom("firing", "resolved", "pending"),
    labels,
    annotations: labels,
    startsAt: time,
    endsAt: time,
    generatorURL: fc.oneof(fc.webUrl(), hostileText(2)),
    fingerprint: fc.oneof(
      fc.stringMatching(/^[0-9a-f]{16}$/),
      fc.stringMatching(/^[0-9a-fA-F]{0,40}$/),
      hostileText(1),
    ),
  },
  { requiredKeys: ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"] },
);
/** A version 4 webhook, sometimes with a field missing, mistyped or extra. */
const webhook = fc
  .tuple(
    fc.record({
      version: fc.constantFrom("4", "4", "4", "3", 4),
      groupKey: fc.oneof(fc.string({ maxLength: 40 }), hostileText(4)),
      status: fc.constantFrom("firing", "resolved", "unknown"),
      receiver: fc.string({ maxLength: 20 }),
      groupLabels: labels,
      commonLabels: labels,
      commonAnnotations: labels,
      externalURL: fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 })),
      truncatedAlerts: fc.oneof(fc.nat(), fc.integer(), fc.double()),
      alerts: fc.array(alert, { maxLength: 12 }),
    }),
    fc.option(fc.constantFrom("version", "alerts", "status", "groupLabels"), { nil: undefined }),
  )
  .map(([w, drop]) => {
    const out: Record<string, unknown> = { ...w };
    if (drop) delete out[drop];
    return out;
  });

/** A webhook the schema accepts, with hostile text wherever a string may be. */
const stringMap = fc.dictionary(
  fc.oneof(
    fc.constantFrom("alertname", "instance", "severity", "job", "env", "__proto__"),
    fc.string({ maxLength: 12 }),
  ),
  fc.oneof(
    fc.string({ maxLength: 20 }),
    hostileText(3).map((t) => t.slice(0, 4096)),
  ),
  { maxKeys: 6 },
);
const validWebhook = fc.record({
  version: fc.constant("4"),
  groupKey: fc.string({ maxLength: 40 }),
  status: fc.constantFrom("firing", "resolved"),
  receiver: fc.string({ maxLength: 20 }),
  groupLabels: stringMap,
  commonLabels: stringMap,
  commonAnnotations: stringMap,
  externalURL: fc.webUrl(),
  alerts: fc.array(
    fc.record({
      status: fc.constantFrom("firing", "firing", "resolved"),
      labels: fc
        .tuple(stringMap, fc.oneof(fc.constantFrom("HighCpu", "DiskFull", ""), hostileText(2)))
        .map(([l, name]) => ({ ...l, alertname: name.slice(0, 4096) })),
      annotations: stringMap,
      startsAt: time,
      endsAt: fc.oneof(fc.constant("0001-01-01T00:00:00Z"), time),
      generatorURL: fc.webUrl(),
      fingerprint: fc.stringMatching(/^[0-9a-f]{16}$/),
    }),
    { minLength: 1, maxLength: 12 },
  ),
});

const anyBody = fc.oneof(
  { weight: 2, arbitrary: validWebhook.map((w) => JSON.stringify(w)) },
  { weight: 4, arbitrary: webhook.map((w) => JSON.stringify(w)) },
  { weight: 2, arbitrary: hostileJson().map((v) => JSON.stringify(v) ?? "null") },
  { weight: 1, arbitrary: hostileText(10) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", "{", "[", '{"alerts":', "null", "\u0000", '{"__proto__":{"x":1}}'),
  },
);

const ttlLess = async (prefix: string): Promise<string[]> => {
  const out: string[] = [];
  for (const k of await scanKeys(redis, `${prefix}*`))
    if (!k.includes(":bull:") && (await redis.ttl(k)) === -1) out.push(k);
  return out;
};

describe("the Alertmanager webhook", () => {
  it("without the token, or with a wrong one: 401 whatever the body, and nothing stored", async () => {
    const auth = fc.constantFrom(
      undefined,
      "",
      "Bearer ",
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `bearer ${TOKEN}`,
      `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`,
      `Bearer  ${TOKEN}`,
    );
    await checkAsync(
      fc.asyncProperty(anyBody, contentType, auth, async (body, type, authorization) => {
        const before = await redisSnapshot(redis, app.redisPrefix);
        const r = await post(body, {
          "content-type": type,
          ...(authorization !== undefined ? { authorization } : {}),
        });
        expect(r.status, r.text.slice(0, 200)).toBe(401);
        expect(snapshotDiff(before, await redisSnapshot(redis, app.redisPrefix)).join(" ")).toBe("");
      }),
      60,
    );
  });

  it("with the token: never a 5xx, and a refused body stores nothing", async () => {
    await checkAsync(
      fc.asyncProperty(anyBody, contentType, async (body, type) => {
        const before = await redisSnapshot(redis, app.redisPrefix);
        const r = await post(body, { "content-type": type, authorization: `Bearer ${TOKEN}` });
        expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
        if (r.status >= 400) {
          expect(
            snapshotDiff(before, await redisSnapshot(redis, app.redisPrefix)),
            r.text.slice(0, 200),
          ).toEqual([]);
          // A clear error, as JSON.
          expect(() => JSON.parse(r.text), r.text.slice(0, 200)).not.toThrow();
        }
      }),
      120,
    );
  });

  it("keeps no key without a TTL after accepting any webhook", async () => {
    let accepted = 0;
    await checkAsync(
      fc.asyncProperty(validWebhook, async (w) => {
        const r = await post(JSON.stringify(w), {
          "content-type": "application/json",
          authorization: `Bearer ${TOKEN}`,
        });
        expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
        if (r.status !== 200) return;
        accepted++;
        expect((await ttlLess(app.redisPrefix)).join(" ")).toBe("");
      }),
      40,
    );
    // The generator makes webhooks the route takes: the property was checked, not skipped.
    expect(accepted).toBeGreaterThan(0);
  });

  it("refuses a body past the size limit with a 4xx, storing nothing", async () => {
    const before = await redisSnapshot(redis, app.redisPrefix);
    const big = JSON.stringify({ version: "4", alerts: [], pad: "x".repeat(3 * 2 ** 20) });
    const r = await post(big, { "content-type": "application/json", authorization: `Bearer ${TOKEN}` });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(snapshotDiff(before, await redisSnapshot(redis, app.redisPrefix)).join(" ")).toBe("");
  });
});
