/**
 * Report and export routes: availability against the SLO, alert history and the audit trail, as JSON
 * or CSV. Mounted under /api/v1, behind the same bearer token as the rest of the API.
 */
import { type Request, type Response, Router } from "express";
import type { Redis } from "ioredis";
import type { z } from "zod";
import type { AvailabilityReport, TargetAvailability } from "../insights/availability.js";
import { DEFAULT_REPORT_PERIOD, ReportInputError, type Reports } from "../insights/report.js";
import {
  type AlertHistoryReader,
  type AlertHistoryRow,
  type AuditExport,
  auditBetween,
  MAX_EXPORT_ROWS,
} from "../insights/report-alerts.js";
import { type CsvColumn, toCsv } from "../insights/report-csv.js";
import { parseInstant, periodBetween, type ReportPeriod } from "../insights/report-period.js";
import { isPrometheusError } from "../metrics/prometheus-error.js";
import type { Logger } from "../observability/logger.js";
import { AvailabilityQuery, ExportQuery } from "./report-schemas.js";

export interface ReportRouteDeps {
  reports: Reports;
  history: AlertHistoryReader;
  redis: Redis;
  /** The audit trail's stream key. */
  auditKey: string;
  logger: Logger;
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** The first problem with the query string, said as "name: what is wrong". */
function queryProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid query";
  if (issue.code === "unrecognized_keys")
    return `unknown parameter ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  const where = issue.path.join(".") || "query";
  return `${where}: ${issue.message}`;
}

const fileName = (...parts: string[]) =>
  parts
    .join("-")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .slice(0, 100);

function sendCsv(res: Response, name: string, csv: string, truncated: boolean, total: number): void {
  res
    .type("text/csv; charset=utf-8")
    .set("content-disposition", `attachment; filename="${name}.csv"`)
    .set("x-total-rows", String(total))
    .set("x-truncated", String(truncated))
    .send(csv);
}

const TARGET_COLUMNS: CsvColumn<TargetAvailability>[] = [
  { header: "job", value: (t) => t.job },
  { header: "instance", value: (t) => t.instance },
  { header: "availability_pct", value: (t) => t.availabilityPct },
  { header: "downtime_minutes", value: (t) => t.downtimeMinutes },
  { header: "outages", value: (t) => t.outages },
  { header: "observed_minutes", value: (t) => t.observedMinutes },
  { header: "coverage_pct", value: (t) => t.coveragePct },
  { header: "slo_met", value: (t) => t.sloMet },
  { header: "allowed_downtime_minutes", value: (t) => t.allowedDowntimeMinutes },
  { header: "error_budget_used_pct", value: (t) => t.errorBudgetUsedPct },
  { header: "first_seen", value: (t) => t.firstSeen },
  { header: "last_seen", value: (t) => t.lastSeen },
];

const ALERT_COLUMNS: CsvColumn<AlertHistoryRow>[] = [
  { header: "starts_at", value: (r) => r.startsAt },
  { header: "ends_at", value: (r) => r.endsAt },
  { header: "status", value: (r) => r.status },
  { header: "alertname", value: (r) => r.alertname },
  { header: "severity", value: (r) => r.severity },
  { header: "target", value: (r) => r.target },
  { header: "environment", value: (r) => r.environment },
  { header: "source", value: (r) => r.source },
  { header: "acknowledged_at", value: (r) => r.acknowledgedAt },
  { header: "acknowledged_by", value: (r) => r.acknowledgedBy },
  { header: "minutes_to_acknowledge", value: (r) => r.minutesToAcknowledge },
  { header: "minutes_to_resolve", value: (r) => r.minutesToResolve },
  { header: "fingerprint", value: (r) => r.fingerprint },
  { header: "summary", value: (r) => r.summary },
];

const AUDIT_COLUMNS: CsvColumn<AuditExport["rows"][number]>[] = [
  { header: "at", value: (r) => r.at },
  { header: "actor", value: (r) => r.actor },
  { header: "action", value: (r) => r.action },
  { header: "subject", value: (r) => r.subject },
  { header: "detail", value: (r) => r.detail },
];

export function reportRouter(deps: ReportRouteDeps): Router {
  const router = Router();
  const { reports } = deps;

  router.get("/api/v1/reports/availability", async (req: Request, res: Response) => {
    const q = AvailabilityQuery.safeParse(req.query);
    if (!q.success) {
      sendError(
        res,
        400,
        "invalid_query",
        `${queryProblem(q.error)}. Expected ?period=2026-11 or ?period=7d (or from=&to=), optional environment=, job=, format=json|csv.`,
      );
      return;
    }
    const { period: periodText, from, to, environment, job, format } = q.data;
    let period: ReportPeriod;
    try {
      if ((from === undefined) !== (to === undefined))
        throw new ReportInputError("bad_period", 'Give both "from" and "to", or a period.');
      if (periodText !== undefined && from !== undefined)
        throw new ReportInputError("bad_period", 'Give a period or "from" and "to", not both.');
      if (from !== undefined && to !== undefined) {
        const p = periodBetween(from, to, reports.now());
        if (typeof p === "string") throw new ReportInputError("bad_period", p);
        period = p;
      } else period = reports.period(periodText ?? DEFAULT_REPORT_PERIOD);
      reports.environment(environment);
    } catch (e) {
      if (e instanceof ReportInputError) {
        sendError(res, 400, e.code, e.message);
        return;
      }
      throw e;
    }
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    let report: AvailabilityReport;
    try {
      report = await reports.availability(period, environment, {
        ...(job ? { job } : {}),
        signal: controller.signal,
      });
    } catch (e) {
      if (isPrometheusError(e)) {
        sendError(
          res,
          502,
          "prometheus_unavailable",
          `Prometheus (${e.environment}) did not answer: ${e.message}`,
        );
        return;
      }
      throw e;
    }
    if (format === "csv") {
      const name = fileName("availability", report.period.param, report.environment);
      sendCsv(res, name, toCsv(TARGET_COLUMNS, report.targets), report.truncated, report.targetCount);
      return;
    }
    res.json(report);
  });

  /** from/to of an export, or a 400 already sent. */
  const exportWindow = (req: Request, res: Response) => {
    const q = ExportQuery.safeParse(req.query);
    if (!q.success) {
      sendError(
        res,
        400,
        "invalid_query",
        `${queryProblem(q.error)}. Expected ?from=2026-11-01&to=2026-12-01, optional format=json|csv, limit=1..${MAX_EXPORT_ROWS}.`,
      );
      return undefined;
    }
    const now = reports.now();
    const from = parseInstant(q.data.from, false);
    const to = q.data.to === undefined ? now : parseInstant(q.data.to, true);
    if (from === undefined || to === undefined) {
      const which = from === undefined ? "from" : "to";
      sendError(res, 400, "invalid_query", `${which}: not a date; write 2026-11-01 or 2026-11-01T00:00Z.`);
      return undefined;
    }
    if (to <= from) {
      sendError(res, 400, "invalid_query", '"to" must be after "from".');
      return undefined;
    }
    return { from, to, format: q.data.format, limit: q.data.limit ?? MAX_EXPORT_ROWS, now };
  };

  router.get("/api/v1/alerts/history", async (req, res) => {
    const w = exportWindow(req, res);
    if (!w) return;
    let history: Awaited<ReturnType<AlertHistoryReader["history"]>>;
    try {
      history = await deps.history.history(w.from, w.to, { limit: w.limit, now: w.now });
    } catch (e) {
      redisFailed(res, e);
      return;
    }
    if (w.format === "csv") {
      const name = fileName("alerts", history.from.slice(0, 10), history.to.slice(0, 10));
      sendCsv(res, name, toCsv(ALERT_COLUMNS, history.rows), history.truncated, history.total);
      return;
    }
    res.json(history);
  });

  router.get("/api/v1/audit", async (req, res) => {
    const w = exportWindow(req, res);
    if (!w) return;
    let audit: AuditExport;
    try {
      audit = await auditBetween(deps.redis, deps.auditKey, w.from, w.to, w.limit);
    } catch (e) {
      redisFailed(res, e);
      return;
    }
    if (w.format === "csv") {
      const name = fileName("audit", audit.from.slice(0, 10), audit.to.slice(0, 10));
      sendCsv(res, name, toCsv(AUDIT_COLUMNS, audit.rows), audit.truncated, audit.total);
      return;
    }
    res.json(audit);
  });

  function redisFailed(res: Response, e: unknown): void {
    deps.logger.warn({ err: String(e) }, "report export: Redis did not answer");
    sendError(
      res,
      503,
      "redis_unavailable",
      `Alerts and the audit trail live in Redis, which did not answer: ${e instanceof Error ? e.message : String(e)}`,
    );
  }

  return router;
}
