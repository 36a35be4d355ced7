/**
 * The alert service in real Redis: every action a person takes names them (a mention in the group's
 * message and thread, `name (platform:id)` in the audit trail), and the open groups come out as data.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { alertListReply } from "../../src/alerts/alert-list.js";
import type { AlertStore } from "../../src/alerts/alert-store.js";
import { eventLine, groupReply } from "../../src/alerts/group-message.js";
import { groupId } from "../../src/alerts/routing.js";
import type { AlertActions } from "../../src/chat/dispatcher.js";
import { plainText, type UserRef } from "../../src/reply/reply.js";
import { testAlertService } from "../support/alert-service.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";

/** The group's message as delivery would draw it now. */
async function messageOf(store: AlertStore, id: string) {
  const state = await store.groupState(id);
  return state ? groupReply(state, { now: () => clock }) : undefined;
}

let redis: Redis;
const prefix = testPrefix("alert-service");
const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);
let clock = T0;

const ana: UserRef = { platform: "slack", id: "U0ANA", name: "Ana" };
const ben: UserRef = { platform: "teams", id: "29:1ben", name: "Ben" };

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  await dropKeysAndDisconnect(redis, prefix);
});

function pipeline(name: string) {
  return testAlertService(redis, `${prefix}:${name}`, {
    groupBy: ["alertname", "instance"],
    now: () => clock,
  });
}

const alert = (fingerprint: string, parts: Partial<Alert> = {}): Alert => ({
  fingerprint,
  status: "firing",
  labels: { alertname: "HighCpu", instance: "web-1:9100", severity: "critical", environment: "prod" },
  annotations: { summary: "CPU above 90%" },
  startsAt: T0 - 600_000,
  source: "alertmanager",
  ...parts,
});

const idOf = (a: Alert) =>
  groupId(
    { platform: "slack", channel: "C0ALERTS", groupBy: [], route: "default" },
    { alertname: a.labels.alertname ?? "", instance: a.labels.instance ?? "" },
  );

describe("AlertService", () => {
  it("has the shape the dispatcher calls", () => {
    const { service } = pipeline("shape");
    const actions: AlertActions = service;
    expect(typeof actions.acknowledge).toBe("function");
  });

  it("acknowledges, silences and unsilences in a person's name, audited with who they are", async () => {
    clock = T0;
    const { store, service } = pipeline("acts");
    const a = alert("f001");
    const id = idOf(a);
    await service.ingest([a]);

    const ack = await service.acknowledge(id, ana);
    expect(ack.ok).toBe(true);
    expect(ack.reply.text).toEqual([`Alert ${id} acknowledged by `, { mention: ana }, "."]);
    const acked = await messageOf(store, id);
    expect(acked?.text).toEqual([
      "ACKNOWLEDGED by ",
      { mention: ana },
      " at 12:00 UTC · firing since 2026-03-10 11:50 UTC",
      "\n",
      "CPU above 90%",
    ]);
    expect(acked?.actions.map((b) => b.action.kind)).not.toContain("alert.ack");

    clock = T0 + 60_000;
    const silenced = await service.silence(id, "2h", ben);
    expect(silenced.ok).toBe(true);
    const shown = await messageOf(store, id);
    expect(plainText(shown?.text ?? "")).toContain("🔕 SILENCED until 2026-03-10 14:01 UTC by @Ben");
    expect(shown?.actions.map((b) => b.action)).toContainEqual({ kind: "alert.unsilence", id });

    clock = T0 + 120_000;
    expect((await service.unsilence(id, ana)).ok).toBe(true);
    expect((await service.unsilence(id, ana)).ok).toBe(false);

    const events = (await store.groupState(id))?.events ?? [];
    expect(events.slice(1).map(eventLine)).toEqual([
      ["👀 Acknowledged by ", { mention: ana }],
      ["🔕 Silenced for 2 h by ", { mention: ben }],
      ["🔔 Silence lifted by ", { mention: ana }],
    ]);
    const entries = await service.auditEntries(10);
    expect(entries.map((e) => [e.actor, e.action, e.subject])).toEqual([
      ["Ana (slack:U0ANA)", "unsilence", id],
      ["Ben (teams:29:1ben)", "silence", id],
      ["Ana (slack:U0ANA)", "ack", id],
    ]);
    expect(entries[1]?.detail).toContain("2 h until 2026-03-10 14:01 UTC");
  });

  it("refuses what cannot be done, naming why, and audits nothing", async () => {
    clock = T0;
    const { service } = pipeline("refuse");
    const a = alert("f002");
    await service.ingest([a]);
    const missing = await service.acknowledge("00000000", ana);
    expect(missing.ok).toBe(false);
    expect(missing.reply.text).toContain("There is no alert 00000000");
    expect((await service.silence(idOf(a), "forever", ana)).reply.text).toContain("not a duration");
    expect((await service.resolve(idOf(a), ana)).reply.text).toContain("Only alerts of chat rules");
    expect(await service.auditEntries(10)).toEqual([]);
  });

  it("resolves a chat rule's alert by hand, in the person's name", async () => {
    clock = T0;
    const { store, service } = pipeline("resolve");
    const a = alert("f003", {
      source: "rule",
      ruleId: "abcd0123",
      labels: { alertname: "CpuRule", instance: "db-1:9100" },
    });
    const id = idOf(a);
    const told: string[] = [];
    service.onRuleAlertResolved(async (rule, fp) => void told.push(`${rule}/${fp}`));
    await service.ingest([a]);
    expect((await messageOf(store, id))?.actions.map((b) => b.action)).toContainEqual({
      kind: "alert.resolve",
      id,
    });
    const resolved = await service.resolve(id, ben);
    expect(resolved.reply.text).toEqual([`Alert ${id} resolved by `, { mention: ben }, "."]);
    expect(told).toEqual(["abcd0123/f003"]);
    expect(await service.list()).toEqual([]);
    const [entry] = await service.auditEntries(1);
    expect(entry).toMatchObject({ actor: "Ben (teams:29:1ben)", action: "resolve", subject: id });
  });

  it("lists the open groups as data, oldest first, with who acknowledged and what is silenced", async () => {
    clock = T0;
    const { service } = pipeline("list");
    const first = alert("f010", { startsAt: T0 - 3_600_000 });
    const second = alert("f011", {
      labels: { alertname: "DiskFull", instance: "db-2:9100", severity: "warning" },
    });
    await service.ingest([first]);
    clock = T0 + 1000;
    await service.ingest([second]);
    await service.acknowledge(idOf(first), ana);
    await service.silence(idOf(second), "1h", ben);
    const list = await service.list();
    expect(list).toEqual([
      {
        id: idOf(first),
        name: "HighCpu",
        instance: "web-1:9100",
        firing: 1,
        since: T0 - 3_600_000,
        severity: "critical",
        environment: "prod",
        ack: { by: ana, at: T0 + 1000 },
      },
      {
        id: idOf(second),
        name: "DiskFull",
        instance: "db-2:9100",
        firing: 1,
        since: T0 - 600_000,
        severity: "warning",
        silencedUntil: T0 + 1000 + 3_600_000,
      },
    ]);
    const reply = alertListReply(list);
    expect(reply.title).toBe("2 open alerts");
    expect(plainText(reply.text)).toBe(
      [
        `\`${idOf(first)}\` HighCpu web-1:9100 · since 2026-03-10 11:00 UTC · acked by @Ana`,
        `\`${idOf(second)}\` DiskFull db-2:9100 · since 2026-03-10 11:50 UTC · silenced until 2026-03-10 13:00 UTC`,
      ].join("\n"),
    );
  });
});
