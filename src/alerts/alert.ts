/**
 * Alerts as the bot keeps them, and the Alertmanager webhook (version 4) that brings them in. Every
 * field from outside is validated and bounded before it is stored or shown.
 */
import { z } from "zod";
export type AlertStatus = "firing" | "resolved";

/**
 * Where an alert came from: Alertmanager, the anomaly detector, a rule created from chat, or the
 * capacity forecast (predictive alerts: DiskWillFill, MemoryWillExhaust).
 */
export type AlertSource = "alertmanager" | "anomaly" | "rule" | "forecast";

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
  source: AlertSource;
  /** Current value against its threshold or baseline, when the source knows it (anomaly, rule). */
  value?: string;
  /** Id of the chat rule that raised it (source "rule"). */
  ruleId?: string;
}

/** Hard bound on alerts per webhook; ALERT_MAX_PER_REQUEST (at most this) is the one applied. */
const MAX_ALERTS = 10_000;
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
