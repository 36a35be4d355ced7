/** The alert store in real Redis: a change during delivery is never taken off the outbox. */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { dropKeysAndDisconnect } from "../support/redis.js";

let redis: Redis;
const prefix = `test-alert-store-${process.pid}-${Date.now()}`;

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  await dropKeysAndDisconnect(redis, prefix);
});

const alert = (status: Alert["status"]): Alert => ({
  fingerprint: "0123abcd",
  status,
  labels: { alertname: "HostDown", instance: "web-1:9100" },
  annotations: {},
  startsAt: 1_700_000_000_000,
  ...(status === "resolved" ? { endsAt: 1_700_000_600_000 } : {}),
  source: "alertmanager",
});

describe("AlertStore", () => {
  it("keeps an alert queued when it changed after the revision that was delivered", async () => {
    const store = new AlertStore(redis, prefix);
    expect(await store.receive(alert("firing"))).toBe("new");
    const seen = await store.get("0123abcd");
    // The resolve arrives while the firing message is being posted.
    expect(await store.receive(alert("resolved"))).toBe("resolved");
    expect(await store.doneAt("0123abcd", seen?.rev ?? 0)).toBe(false);
    expect(await store.pending()).toEqual(["0123abcd"]);
    // Delivered at the current revision, it leaves the outbox.
    const now = await store.get("0123abcd");
    expect(await store.doneAt("0123abcd", now?.rev ?? 0)).toBe(true);
    expect(await store.pending()).toEqual([]);
  });

  it("treats repeats as unchanged and unknown resolves as nothing to do", async () => {
    const store = new AlertStore(redis, `${prefix}-b`);
    expect(await store.receive(alert("resolved"))).toBe("unchanged");
    expect(await store.get("0123abcd")).toBeUndefined();
    await store.receive(alert("firing"));
    expect(await store.receive(alert("firing"))).toBe("unchanged");
    expect(await store.pending()).toEqual(["0123abcd"]);
  });

  it("reads corrupted Redis data as absent", async () => {
    const store = new AlertStore(redis, `${prefix}-c`);
    await redis.set(`${prefix}-c:alert:ffff`, "{not json");
    expect(await store.get("ffff")).toBeUndefined();
  });
});
