/**
 * Reports and exports: the query parameters (validated with these schemas) and the answers, as the
 * OpenAPI document shows them.
 */
import { extendZodWithOpenApi, type OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { MAX_EXPORT_ROWS } from "../insights/report-alerts.js";

// Whichever schema module loads first extends zod (a second call does nothing).
extendZodWithOpenApi(z);

const format = z.enum(["json", "csv"]).default("json").openapi({
  description:
    "json (default) or csv (RFC 4180; cells that a spreadsheet would run as formulas start with ')",
});
const environment = z.string().max(64).optional().openapi({
  description: "Environment name from PROMETHEUS_ENVIRONMENTS; default: the first one",
  example: "prod",
});
const when = (what: string) =>
  z
    .string()
    .max(40)
    .openapi({ description: `${what}: a date (2026-11-01) or an ISO time with a zone (2026-11-01T00:00Z)` });

export const AvailabilityQuery = z
  .object({
    period: z.string().max(60).optional().openapi({
      description:
        'A month ("2026-11", "november", "last month"), a span back from now ("7d", "24h") or "FROM..TO". Default "7d" unless from and to are given.',
      example: "2026-11",
    }),
    from: when("Start (with to, instead of period)").optional(),
    to: when("End; a date alone includes that day").optional(),
    environment,
    job: z.string().max(200).optional().openapi({ description: "Only this job's targets" }),
    format,
  })
  .strict();

export const ExportQuery = z
  .object({
    from: when("Start (inclusive)"),
    to: when("End (exclusive; a date alone includes that day). Default: now").optional(),
    format,
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_EXPORT_ROWS)
      .optional()
      .openapi({
        description: `Most rows returned, ${MAX_EXPORT_ROWS.toLocaleString("en")} at most (the default)`,
      }),
  })
  .strict();

const Query = z.object({
  promql: z.string(),
  kind: z.enum(["range", "instant"]),
  start: z.string().optional(),
  end: z.string().optional(),
  time: z.string().optional(),
  step: z.string().optional(),
});
const budget = {
  availabilityPct: z.number().nullable(),
  downtimeMinutes: z.number(),
  observedMinutes: z.number(),
  outages: z.number().int().nullable(),
  sloMet: z.boolean().nullable(),
  allowedDowntimeMinutes: z.number(),
  errorBudgetUsedPct: z.number().nullable(),
};

export const AvailabilityResponse = z
  .object({
    environment: z.string(),
    period: z.object({
      label: z.string(),
      from: z.string(),
      to: z.string(),
      complete: z.boolean(),
      param: z.string(),
    }),
    slo: z.object({ targetPct: z.number() }),
    method: z.array(z.string()).describe("How the numbers are counted, in words"),
    queries: z.record(z.string(), Query).describe("The PromQL behind the numbers, by name"),
    numbers: z.record(z.string(), z.array(z.string())).describe("Which queries each number comes from"),
    jobs: z.array(
      z.object({
        job: z.string(),
        targets: z.number().int(),
        targetsMissingSlo: z.number().int(),
        ...budget,
      }),
    ),
    targets: z.array(
      z.object({
        job: z.string(),
        instance: z.string(),
        coveragePct: z.number(),
        firstSeen: z.string().nullable(),
        lastSeen: z.string().nullable(),
        appeared: z.boolean(),
        disappeared: z.boolean(),
        ...budget,
      }),
    ),
    targetCount: z.number().int(),
    truncated: z.boolean(),
    problems: z.array(z.string()),
  })
  .openapi("AvailabilityReport");

const exportMeta = {
  from: z.string(),
  to: z.string(),
  total: z.number().int().describe("Rows that matched; more than rows when truncated"),
  truncated: z.boolean(),
};

export const AlertHistoryResponse = z
  .object({
    ...exportMeta,
    rows: z.array(
      z.object({
        fingerprint: z.string(),
        alertname: z.string(),
        severity: z.string(),
        target: z.string(),
        environment: z.string(),
        source: z.string(),
        status: z.enum(["firing", "resolved"]),
        startsAt: z.string(),
        endsAt: z.string().nullable(),
        acknowledgedAt: z.string().nullable(),
        acknowledgedBy: z.string().nullable(),
        minutesToAcknowledge: z.number().nullable(),
        minutesToResolve: z.number().nullable(),
        summary: z.string(),
      }),
    ),
    summary: z.object({
      count: z.number().int(),
      firing: z.number().int(),
      resolved: z.number().int(),
      bySeverity: z.record(z.string(), z.number().int()),
      acknowledged: z.number().int(),
      medianMinutesToAcknowledge: z.number().nullable(),
      medianMinutesToResolve: z.number().nullable(),
      topAlertnames: z.array(z.object({ alertname: z.string(), count: z.number().int() })),
      completeFrom: z
        .string()
        .describe("Resolved alerts are kept for retentionDays: history is complete from here"),
      partial: z.boolean(),
      retentionDays: z.number(),
    }),
  })
  .openapi("AlertHistory");

export const AuditResponse = z
  .object({
    ...exportMeta,
    rows: z.array(
      z.object({
        at: z.string(),
        actor: z.string(),
        action: z.string(),
        subject: z.string(),
        detail: z.string(),
      }),
    ),
    capacity: z.number().int().describe("Entries the audit trail keeps; older ones are dropped"),
  })
  .openapi("AuditExport");

/** Adds the report and export routes to the OpenAPI document. */
export function registerReportPaths(
  registry: OpenAPIRegistry,
  h: {
    security: Array<Record<string, string[]>>;
    error: z.ZodType;
  },
): void {
  const json = (schema: z.ZodType, description: string) => ({
    description,
    content: { "application/json": { schema } },
  });
  const csvToo = (schema: z.ZodType, description: string) => ({
    description,
    content: { "application/json": { schema }, "text/csv": { schema: z.string() } },
  });
  const errors = {
    400: json(h.error, "A parameter is not understood; the message says which and the accepted forms"),
    401: json(h.error, "Missing or wrong bearer token"),
  };
  registry.registerPath({
    method: "get",
    path: "/api/v1/reports/availability",
    summary: "Availability and SLO per job and target",
    description:
      "From Prometheus's up, counted hour by hour: availability, downtime, outages, and the error budget against SLO_TARGET. Every number names the queries it comes from. CSV gives one row per target.",
    security: h.security,
    request: { query: AvailabilityQuery },
    responses: {
      200: csvToo(AvailabilityResponse, "The report"),
      ...errors,
      502: json(h.error, "Prometheus did not answer"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/v1/alerts/history",
    summary: "Alert history for a period (JSON or CSV)",
    description: `Alerts that fired in [from, to), oldest first, with acknowledgement and resolution times; at most ${MAX_EXPORT_ROWS.toLocaleString("en")} rows. Resolved alerts are kept for 7 days.`,
    security: h.security,
    request: { query: ExportQuery },
    responses: {
      200: csvToo(AlertHistoryResponse, "The alerts"),
      ...errors,
      503: json(h.error, "Redis unavailable"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/v1/audit",
    summary: "Audit trail for a period (JSON or CSV)",
    description: `Who acknowledged, silenced, resolved or changed what, in [from, to), oldest first; at most ${MAX_EXPORT_ROWS.toLocaleString("en")} rows.`,
    security: h.security,
    request: { query: ExportQuery },
    responses: {
      200: csvToo(AuditResponse, "The entries"),
      ...errors,
      503: json(h.error, "Redis unavailable"),
    },
  });
}
