/**
 * Silences that cannot swallow everything (issue 13): a group's empty group-by values are `label=""`
 * matchers, a silence with no matcher that has a value is refused, and one stored that way by an
 * earlier version matches nothing. The probe from the issue: silencing a group whose group-by labels
 * are empty, then a critical DatabaseDown arrives — it is posted.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { AlertDelivery, type AlertNotifier } from "../../src/alerts/alert-delivery.js";
import type { GroupState } from "../../src/alerts/alert-store.js";
import { groupId } from "../../src/alerts/routing.js";
import { SilenceTooBroad, silenceMatches } from "../../src/alerts/silences.js";
import { createLogger } from "../../src/observability/logger.js";
import { plainText, type UserRef } from "../../src/reply/reply.js";
import { testAlertService } from "../support/alert-service.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";

let redis: Redis;
const prefix = testPrefix("silence-scope");
const ana: UserRef = { platform: "slack", id: "U0ANA", name: "Ana" };
const T0 = Date.UTC(2026, 2, 10, 12);

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  await dropKeysAndDisconnect(redis, prefix);
});

function pipeline(name: string) {
  const { store, silences, service } = testAlertService(redis, `${prefix}:${name}`, {
    groupBy: ["alertname", "environment"],
    now: () => T0,
  });
  const posted: GroupState[] = [];
  const notifier: AlertNotifier = {
    async post(state) {
      posted.push(state);
      return { platform: "slack", channel: "C0ALERTS", ts: String(posted.length), digest: "d" };
    },
    async update(_state, ref) {
      return ref;
    },
    async thread() {},
  };
  const delivery = new AlertDelivery(store, { slack: notifier }, createLogger("silent"), { now: () => T0 });
  return { store, silences, service, posted, delivery };
}

const alert = (fingerprint: string, labels: Record<string, string>): Alert => ({
  fingerprint,
  status: "firing",
  labels,
  annotations: {},
  startsAt: T0 - 60_000,
  source: "alertmanager",
});

const idOf = (labels: Record<string, string>) =>
  groupId({ platform: "slack", channel: "C0ALERTS", groupBy: [], route: "default" }, labels);

describe("silences", () => {
  it("refuses to silence a group whose group-by labels are empty; a later DatabaseDown is posted", async () => {
    const { service, posted, delivery } = pipeline("probe");
    // An alert without alertname or environment: its group's labels are all "".
    await service.ingest([alert("dd01", { job: "batch", instance: "b-1" })]);
    const empty = idOf({ alertname: "", environment: "" });
    const result = await service.silence(empty, "4h", ana);
    expect(result.ok).toBe(false);
    expect(plainText(result.reply.text)).toMatch(/would hide every alert/);
    await service.ingest([
      alert("dd02", {
        alertname: "DatabaseDown",
        severity: "critical",
        environment: "prod",
        instance: "db-1",
      }),
    ]);
    await delivery.kick();
    expect(posted.map((s) => s.group.labels.alertname)).toContain("DatabaseDown");
  });

  it('silences with `label=""` for an empty group-by value: only alerts without it', async () => {
    const { service, store } = pipeline("empty-value");
    await service.ingest([alert("ee01", { alertname: "HighCpu", instance: "web-1" })]);
    const id = idOf({ alertname: "HighCpu", environment: "" });
    expect((await service.silence(id, "1h", ana)).ok).toBe(true);
    await service.ingest([
      alert("ee02", { alertname: "HighCpu", instance: "web-2" }),
      alert("ee03", { alertname: "HighCpu", environment: "prod", instance: "web-3" }),
    ]);
    const queued = await store.pending();
    // The prod alert is a group of its own, not silenced: queued for its message.
    expect(queued).toContain(idOf({ alertname: "HighCpu", environment: "prod" }));
  });

  it("refuses to store a silence that would match every alert, and ignores one stored earlier", async () => {
    const { silences } = pipeline("store");
    const base = { startsAt: T0, endsAt: Date.now() + 3_600_000, createdBy: "x", comment: "", groups: [] };
    await expect(silences.create({ ...base, matchers: {} })).rejects.toBeInstanceOf(SilenceTooBroad);
    await expect(silences.create({ ...base, matchers: { alertname: "" } })).rejects.toBeInstanceOf(
      SilenceTooBroad,
    );
    expect(silenceMatches({}, { alertname: "DatabaseDown" })).toBe(false);
    expect(silenceMatches({ alertname: "", environment: "" }, {})).toBe(false);
    expect(silenceMatches({ alertname: "A", environment: "" }, { alertname: "A" })).toBe(true);
    expect(silenceMatches({ alertname: "A", environment: "" }, { alertname: "A", environment: "p" })).toBe(
      false,
    );
    // As an earlier version stored it: `{}` as matchers.
    const p = `${prefix}:store:alerts`;
    await redis.set(`${p}:silence:0badc0de`, JSON.stringify({ id: "0badc0de", matchers: {}, ...base }));
    await redis.zadd(`${p}:silences:by-end`, base.endsAt, "0badc0de");
    expect(await silences.matching({ alertname: "DatabaseDown" })).toBeUndefined();
  });
});
