/**
 * The alert store in real Redis: a change during delivery is never taken off the outbox; people and
 * thread events are stored as data, and data stored as text by earlier versions still loads.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { AlertStore, type GroupEvent, RESOLVED_RETENTION_MS } from "../../src/alerts/alert-store.js";
import { eventLine } from "../../src/alerts/group-message.js";
import { groupId, type Target } from "../../src/alerts/routing.js";
import type { UserRef } from "../../src/reply/reply.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";

let redis: Redis;
const prefix = testPrefix("alert-store");

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  await dropKeysAndDisconnect(redis, prefix);
});

const alert = (status: Alert["status"], fingerprint = "0123abcd", instance = "web-1:9100"): Alert => ({
  fingerprint,
  status,
  labels: { alertname: "HostDown", instance },
  annotations: {},
  startsAt: 1_700_000_000_000,
  ...(status === "resolved" ? { endsAt: 1_700_000_600_000 } : {}),
  source: "alertmanager",
});

const target: Target = { platform: "slack", channel: "C0ALERTS", groupBy: ["alertname"], route: "default" };
const GROUP = groupId(target, { alertname: "HostDown" });
const ana: UserRef = { platform: "slack", id: "U0ANA", name: "Ana" };

describe("AlertStore", () => {
  it("keeps a group queued when it changed after the revision that was delivered", async () => {
    const store = new AlertStore(redis, prefix);
    expect(await store.receive(alert("firing"), [target])).toBe("new");
    const seen = await store.groupState(GROUP);
    // The resolve arrives while the firing message is being posted.
    expect(await store.receive(alert("resolved"), [target])).toBe("resolved");
    expect(await store.doneAt(GROUP, seen?.rev ?? 0)).toBe(false);
    expect(await store.pending()).toEqual([GROUP]);
    // Delivered at the current revision, it leaves the outbox.
    const now = await store.groupState(GROUP);
    expect(await store.doneAt(GROUP, now?.rev ?? 0)).toBe(true);
    expect(await store.pending()).toEqual([]);
  });

  it("treats repeats as unchanged and unknown resolves as nothing to do", async () => {
    const store = new AlertStore(redis, `${prefix}-b`);
    expect(await store.receive(alert("resolved"), [target])).toBe("unchanged");
    expect(await store.getAlert("0123abcd")).toBeUndefined();
    await store.receive(alert("firing"), [target]);
    expect(await store.receive(alert("firing"), [target])).toBe("unchanged");
    expect(await store.pending()).toEqual([GROUP]);
  });

  it("groups alerts by the route's labels, lists the group open until its last alert resolves", async () => {
    const store = new AlertStore(redis, `${prefix}-g`);
    for (const i of [1, 2, 3]) await store.receive(alert("firing", `aa0${i}`, `web-${i}:9100`), [target]);
    expect(await store.pending()).toEqual([GROUP]);
    const state = await store.groupState(GROUP);
    expect(state?.alerts.map((a) => a.labels.instance)).toEqual(["web-1:9100", "web-2:9100", "web-3:9100"]);
    expect(state?.group.labels).toEqual({ alertname: "HostDown" });
    expect(await store.openGroupIds()).toEqual([GROUP]);
    await store.receive(alert("resolved", "aa01", "web-1:9100"), [target]);
    await store.receive(alert("resolved", "aa02", "web-2:9100"), [target]);
    expect(await store.openGroupIds()).toEqual([GROUP]);
    await store.receive(alert("resolved", "aa03", "web-3:9100"), [target]);
    expect(await store.openGroupIds()).toEqual([]);
    expect((await store.getGroup(GROUP))?.resolvedAt).toBeGreaterThan(0);
    expect((await store.groupState(GROUP))?.events.slice(-3).map(eventLine)).toEqual([
      "✅ web-1:9100 resolved at 22:23 UTC",
      "✅ web-2:9100 resolved at 22:23 UTC",
      "✅ web-3:9100 resolved at 22:23 UTC",
    ]);
  });

  it("reopens the same message when a group fires again soon, and starts a new one after a quiet spell", async () => {
    const store = new AlertStore(redis, `${prefix}-r`, { reopenWindowMs: 60_000 });
    const t0 = 1_700_000_000_000;
    await store.receive(alert("firing", "bb01"), [target], { now: t0 });
    await store.setMessage(GROUP, { platform: "slack", channel: "C0ALERTS", ts: "1.1", digest: "x" });
    await store.receive(alert("resolved", "bb01"), [target], { now: t0 + 1000 });
    await store.receive(alert("firing", "bb01"), [target], { now: t0 + 2000 });
    expect((await store.groupState(GROUP))?.message?.ts).toBe("1.1");
    // Firing again, the group's keys lose the week's retention they got when it resolved, for a live
    // group's (longer, refreshed while its alerts are sent); none is without a TTL.
    for (const suffix of ["", ":alerts", ":firing", ":message", ":events", ":rev"])
      expect(await redis.pttl(`${prefix}-r:group:${GROUP}${suffix}`), suffix).toBeGreaterThan(
        RESOLVED_RETENTION_MS,
      );
    expect((await store.groupState(GROUP))?.events.at(-1)).toEqual({
      kind: "refired",
      at: t0 + 2000,
      where: "web-1:9100",
    });
    await store.receive(alert("resolved", "bb01"), [target], { now: t0 + 3000 });
    await store.receive(alert("firing", "bb01"), [target], { now: t0 + 120_000 });
    const state = await store.groupState(GROUP);
    expect(state?.message).toBeUndefined();
    expect(state?.group.createdAt).toBe(t0 + 120_000);
  });

  it("records a silenced alert without queueing it", async () => {
    const store = new AlertStore(redis, `${prefix}-s`);
    expect(await store.receive(alert("firing"), [target], { silenced: true })).toBe("new");
    expect(await store.pending()).toEqual([]);
    expect((await store.groupState(GROUP))?.alerts).toHaveLength(1);
  });

  it("reminds once per repeat interval of a group still firing, never of an acknowledged one", async () => {
    const store = new AlertStore(redis, `${prefix}-remind`);
    const t0 = 1_700_000_000_000;
    await store.receive(alert("firing"), [target], { now: t0 });
    const hour = 3_600_000;
    expect(await store.remindIfDue(GROUP, 4 * hour, t0 + hour)).toBe(false);
    const replicas = await Promise.all(
      [1, 2, 3].map(() => store.remindIfDue(GROUP, 4 * hour, t0 + 4 * hour)),
    );
    expect(replicas.filter(Boolean)).toHaveLength(1);
    const reminder = (await store.groupState(GROUP))?.events.at(-1);
    expect(reminder).toEqual({ kind: "reminder", at: t0 + 4 * hour, ageMs: 4 * hour });
    expect(eventLine(reminder as GroupEvent)).toBe("⏰ Still firing after 4 h, not acknowledged");
    expect(await store.remindIfDue(GROUP, 4 * hour, t0 + 5 * hour)).toBe(false);
    expect(await store.remindIfDue(GROUP, 4 * hour, t0 + 8 * hour)).toBe(true);
    await store.acknowledge(GROUP, ana, t0 + 9 * hour);
    expect(await store.remindIfDue(GROUP, 4 * hour, t0 + 20 * hour)).toBe(false);
  });

  it("stores who acknowledged and silenced as a person, and the thread events as data", async () => {
    const p = `${prefix}-people`;
    const store = new AlertStore(redis, p);
    const t0 = 1_700_000_000_000;
    await store.receive(alert("firing"), [target], { now: t0 });
    await store.acknowledge(GROUP, ana, t0 + 60_000);
    const ben: UserRef = { platform: "teams", id: "29:1ben", name: "Ben <!channel>" };
    await store.setGroupSilence(
      GROUP,
      { id: "s1", until: t0 + 3_600_000, by: ben },
      { kind: "silenced", at: t0 + 120_000, by: ben, forMs: 3_600_000 },
    );
    const state = await store.groupState(GROUP);
    expect(state?.group.ack).toEqual({ by: ana, at: t0 + 60_000 });
    expect(state?.group.silence).toEqual({ id: "s1", until: t0 + 3_600_000, by: ben });
    expect(state?.events).toEqual([
      { kind: "started", at: t0, where: "web-1:9100" },
      { kind: "ack", at: t0 + 60_000, by: ana },
      { kind: "silenced", at: t0 + 120_000, by: ben, forMs: 3_600_000 },
    ]);
    // The person stays data all the way to the line: a renderer turns the mention into its own markup.
    expect(state?.events.map(eventLine)).toEqual([
      "🔴 web-1:9100 started firing",
      ["👀 Acknowledged by ", { mention: ana }],
      ["🔕 Silenced for 1 h by ", { mention: ben }],
    ]);
  });

  it("loads acknowledgements, silences and thread lines stored as text by earlier versions", async () => {
    const p = `${prefix}-old`;
    const store = new AlertStore(redis, p);
    await store.receive(alert("firing"), [target], { now: 1_700_000_000_000 });
    const g = `${p}:group:${GROUP}`;
    await redis.hset(g, "ack", JSON.stringify({ by: "<@U0OLD>", at: 5 }));
    await redis.hset(g, "silence", JSON.stringify({ id: "s0", until: 9, by: "olga" }));
    await redis.del(`${g}:events`);
    await redis.rpush(`${g}:events`, "👀 Acknowledged by <@U0OLD>", "42", '{"kind":"ack"}');
    const state = await store.groupState(GROUP);
    expect(state?.group.ack).toEqual({ by: { platform: "api", id: "<@U0OLD>", name: "<@U0OLD>" }, at: 5 });
    expect(state?.group.silence?.by).toEqual({ platform: "api", id: "olga", name: "olga" });
    // Old lines are notes shown as they were; a half-formed event is not taken for a real one.
    expect(state?.events).toEqual([
      { kind: "note", text: "👀 Acknowledged by <@U0OLD>" },
      { kind: "note", text: "42" },
      { kind: "note", text: '{"kind":"ack"}' },
    ]);
    expect(state?.events.map(eventLine)).toEqual(["👀 Acknowledged by <@U0OLD>", "42", '{"kind":"ack"}']);
  });

  it("reads corrupted Redis data as absent", async () => {
    const store = new AlertStore(redis, `${prefix}-c`);
    await redis.set(`${prefix}-c:alert:ffff`, "{not json");
    expect(await store.getAlert("ffff")).toBeUndefined();
    await redis.hset(`${prefix}-c:group:0000ffff`, "target", "{", "labels", "[]");
    expect(await store.groupState("0000ffff")).toBeUndefined();
  });
});
