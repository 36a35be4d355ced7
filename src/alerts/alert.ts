/**
 * Alerts as the bot keeps them, and the Alertmanager webhook (version 4) that brings them in. Every
 * field from outside is validated and bounded before it is stored or shown.
 */
import { z } from "zod";
import { makeReply, type Reply } from "../reply/reply.js";

export type AlertStatus = "firing" | "resolved";

export interface Alert {
  /** Stable identity: Alertmanager's fingerprint of the label set. */
  fingerprint: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Epoch ms. */
  startsAt: number;
  /** Epoch ms, when resolved. */
  endsAt?: number;
  generatorUrl?: string;
  source: "alertmanager";
}

const MAX_ALERTS = 1000;
const labelMap = z
  .record(z.string().max(128), z.string().max(4096))
  .refine((m) => Object.keys(m).length <= 64, { message: "at most 64 labels" });
const time = z.string().max(64);

/** The webhook body Alertmanager posts (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export const AlertmanagerWebhook = z.object({
  version: z.literal("4"),
  groupKey: z.string().max(4096),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string().max(256),
  groupLabels: labelMap,
  commonLabels: labelMap,
  commonAnnotations: labelMap,
  externalURL: z.string().max(2048),
  truncatedAlerts: z.number().int().min(0).optional(),
  alerts: z
    .array(
      z.object({
        status: z.enum(["firing", "resolved"]),
        labels: labelMap,
        annotations: labelMap,
        startsAt: time,
        endsAt: time,
        generatorURL: z.string().max(4096),
        fingerprint: z.string().regex(/^[0-9a-f]{1,32}$/, "a hex fingerprint"),
      }),
    )
    .max(MAX_ALERTS),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/** Alertmanager writes "0001-01-01T00:00:00Z" for "not ended". */
function parseTime(s: string): number | undefined {
  const t = Date.parse(s);
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

export function alertsFromWebhook(body: AlertmanagerWebhook, now = Date.now()): Alert[] {
  return body.alerts.map((a) => {
    const endsAt = a.status === "resolved" ? (parseTime(a.endsAt) ?? now) : undefined;
    return {
      fingerprint: a.fingerprint,
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: parseTime(a.startsAt) ?? now,
      ...(endsAt !== undefined ? { endsAt } : {}),
      ...(a.generatorURL ? { generatorUrl: a.generatorURL } : {}),
      source: "alertmanager" as const,
    };
  });
}

const SEVERITY_EMOJI: Record<string, string> = { critical: "🔴", warning: "🟠", info: "🔵" };

function duration(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}

const clock = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** Labels worth a field of their own; the rest stay in Alertmanager. */
const SHOWN_LABELS = [
  "instance",
  "job",
  "environment",
  "service",
  "namespace",
  "pod",
  "container",
  "mountpoint",
];

/** The alert as a platform-neutral message: severity and status first, what and where, since when. */
export function alertReply(alert: Alert): Reply {
  const name = alert.labels.alertname ?? "Alert";
  const where = alert.labels.instance ?? alert.labels.job ?? "";
  const severity = alert.labels.severity ?? "warning";
  const resolved = alert.status === "resolved";
  const emoji = resolved ? "✅" : (SEVERITY_EMOJI[severity] ?? "🟠");
  const status = resolved
    ? `RESOLVED after ${duration((alert.endsAt ?? alert.startsAt) - alert.startsAt)}`
    : `FIRING since ${clock(alert.startsAt)}`;
  const summary = alert.annotations.summary ?? alert.annotations.description ?? "";
  const lines = [status, ...(summary ? [summary] : [])];
  if (alert.annotations.description && alert.annotations.description !== summary) {
    lines.push(alert.annotations.description);
  }
  const fields = [
    { label: "Severity", value: severity },
    ...SHOWN_LABELS.filter((l) => alert.labels[l]).map((l) => ({
      label: l,
      value: alert.labels[l] as string,
    })),
  ];
  const links = [
    ...(alert.generatorUrl && /^https?:\/\//.test(alert.generatorUrl)
      ? [{ label: "Source query", url: alert.generatorUrl }]
      : []),
    ...(alert.annotations.runbook_url && /^https?:\/\//.test(alert.annotations.runbook_url)
      ? [{ label: "Runbook", url: alert.annotations.runbook_url }]
      : []),
  ];
  return makeReply({
    title: `${emoji} ${name}${where ? ` on ${where}` : ""}`,
    text: lines.join("\n"),
    tone: resolved ? "ok" : severity === "critical" ? "critical" : "warning",
    fields,
    links,
    context: [`From Alertmanager · fingerprint ${alert.fingerprint}`],
  });
}
