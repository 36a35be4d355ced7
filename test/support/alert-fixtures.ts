/** Alerts and alert groups as the store hands them to renderers, for renderer and golden tests. */
import type { Alert } from "../../src/alerts/alert.js";
import type { OpenAlertGroup } from "../../src/alerts/alert-list.js";
import type { GroupState } from "../../src/alerts/alert-store.js";
import type { AuditEntry } from "../../src/alerts/audit-log.js";
import type { UserRef } from "../../src/reply/reply.js";

/** 03:00 UTC on 2026-11-25: when the sample alerts start. */
export const T0 = Date.parse("2026-11-25T03:00:00Z");

/** Alert `i` of a disk-full group on db-`i`, firing since T0 (change anything with `over`). */
export function sampleAlert(i: number, over: Partial<Alert> = {}): Alert {
  return {
    fingerprint: `a1b2c3d4${i.toString(16).padStart(8, "0")}`,
    status: "firing",
    labels: { alertname: "HostDiskFull", severity: "critical", instance: `db-${i}:9100`, job: "node" },
    annotations: {
      summary: `Disk /data on db-${i} is 93% full`,
      runbook_url: "https://runbooks.example/disk",
    },
    startsAt: T0,
    generatorUrl: "http://prometheus:9090/graph?g0.expr=disk",
    source: "alertmanager",
    ...over,
  };
}

/** Group 3fa2c19b of `alerts`, routed to a Slack channel by default. */
export function sampleGroup(alerts: Alert[], over: Partial<GroupState["group"]> = {}): GroupState {
  return {
    group: {
      id: "3fa2c19b",
      target: { platform: "slack", channel: "C0ALERTS", route: "default" },
      labels: { alertname: "HostDiskFull" },
      createdAt: T0,
      ...over,
    },
    alerts,
    events: [],
    rev: 1,
  };
}

/** Ana, on Slack: who acknowledges and silences in the samples. */
export const ANA: UserRef = { platform: "slack", id: "U0ANA", name: "Ana" };

/** Two open groups as `alerts` lists them: one acknowledged, one silenced. */
export const SAMPLE_OPEN_GROUPS: OpenAlertGroup[] = [
  {
    id: "3fa2c19b",
    name: "HostDiskFull",
    instance: "db-1:9100",
    firing: 1,
    since: T0,
    severity: "critical",
    ack: { by: ANA, at: T0 + 60_000 },
  },
  {
    id: "0a1b2c3d",
    name: "HostHighCpu",
    firing: 3,
    since: T0 + 120_000,
    severity: "warning",
    silencedUntil: T0 + 3_600_000,
  },
];

export const SAMPLE_AUDIT: AuditEntry[] = [
  { at: T0, actor: "Ana (slack:U0ANA)", action: "ack", subject: "3fa2c19b", detail: "HostDiskFull" },
];
