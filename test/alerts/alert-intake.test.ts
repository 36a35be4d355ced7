/**
 * Bounded alert state (issue 13) in real Redis: a firing alert expires unless its source sends it
 * again (each send refreshes it), an expired alert leaves its group and closes it; beyond
 * ALERT_MAX_OPEN_GROUPS new groups fold into one overflow group per channel.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { AlertStore, RESOLVED_RETENTION_MS } from "../../src/alerts/alert-store.js";
import { groupId, type Target } from "../../src/alerts/routing.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";

let redis: Redis;
const prefix = testPrefix("alert-intake");
const HOUR = 3_600_000;
const target: Target = { platform: "slack", channel: "C0ALERTS", groupBy: ["alertname"], route: "default" };

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  await dropKeysAndDisconnect(redis, prefix);
});

const alert = (fingerprint: string, name: string, parts: Partial<Alert> = {}): Alert => ({
  fingerprint,
  status: "firing",
  labels: { alertname: name, instance: "db-1:9100" },
  annotations: {},
  startsAt: 1_000,
  source: "alertmanager",
  ...parts,
});

describe("firing alerts expire unless sent again", () => {
  it("gives a firing alert ALERT_FIRING_TTL, refreshed by every send", async () => {
    const store = new AlertStore(redis, `${prefix}:ttl`, { firingTtlMs: 12 * HOUR });
    const key = `${prefix}:ttl:alert:aa01`;
    await store.receive(alert("aa01", "DiskFull"), [target]);
    expect(await redis.pttl(key)).toBeGreaterThan(11 * HOUR);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(12 * HOUR);
    // Time passes (shortened by hand): Alertmanager's next send brings the full TTL back.
    await redis.pexpire(key, 60_000);
    expect(await store.receive(alert("aa01", "DiskFull"), [target])).toBe("unchanged");
    expect(await redis.pttl(key)).toBeGreaterThan(11 * HOUR);
    const group = `${prefix}:ttl:group:${groupId(target, { alertname: "DiskFull" })}`;
    expect(await redis.pttl(group)).toBeGreaterThan(RESOLVED_RETENTION_MS);
  });

  it("ends an alert not sent again: it leaves its group, a line says so, the group closes", async () => {
    const store = new AlertStore(redis, `${prefix}:stale`);
    const id = groupId(target, { alertname: "CpuHigh" });
    await store.receive(alert("bb01", "CpuHigh"), [target]);
    await store.receive(alert("bb02", "CpuHigh", { labels: { alertname: "CpuHigh", instance: "db-2" } }), [
      target,
    ]);
    expect(await store.expireStale(id, 5_000)).toBe(0);
    await redis.del(`${prefix}:stale:alert:bb01`); // what its TTL does when nobody sends it again
    expect(await store.expireStale(id, 5_000)).toBe(1);
    let state = await store.groupState(id);
    expect(state?.alerts.map((a) => a.fingerprint)).toEqual(["bb02"]);
    expect(state?.events.at(-1)).toEqual({ kind: "note", text: expect.stringMatching(/1 alert expired/) });
    expect(await store.openGroupIds()).toEqual([id]);
    await redis.del(`${prefix}:stale:alert:bb02`);
    expect(await store.expireStale(id, 6_000)).toBe(1);
    state = await store.groupState(id);
    expect(state?.group.resolvedAt).toBe(6_000);
    expect(await store.openGroupIds()).toEqual([]);
    expect(await redis.pttl(`${prefix}:stale:group:${id}`)).toBeLessThanOrEqual(RESOLVED_RETENTION_MS);
  });
});

describe("open groups are capped", () => {
  it("folds new groups beyond ALERT_MAX_OPEN_GROUPS into one overflow group per channel", async () => {
    const store = new AlertStore(redis, `${prefix}:cap`, { maxOpenGroups: 10 });
    for (let i = 0; i < 30; i++) await store.receive(alert(`cc${i}`, `Name${i}`), [target]);
    const open = await store.openGroupIds(100);
    expect(open).toHaveLength(11);
    const overflow = (await Promise.all(open.map((id) => store.getGroup(id)))).filter(
      (g) => g?.kind === "overflow",
    );
    expect(overflow).toHaveLength(1);
    const state = await store.groupState(overflow[0]?.id ?? "");
    expect(state?.alerts).toHaveLength(20);
    // A group already open still takes its own alerts.
    await store.receive(alert("cc-again", "Name3", { labels: { alertname: "Name3", instance: "x" } }), [
      target,
    ]);
    const name3 = await store.groupState(groupId(target, { alertname: "Name3" }));
    expect(name3?.alerts).toHaveLength(2);
  });
});
