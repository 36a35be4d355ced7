/**
 * Reports: availability against the SLO and alert history for a period, for the API, the printable
 * console page and the chat command `report [period]`. One place that turns "which period, which
 * environment" into the data, so the three show the same numbers.
 */
import type { Environments } from "../metrics/environments.js";
import { isPrometheusError } from "../metrics/prometheus-error.js";
import { makeReply, type Reply } from "../reply/reply.js";
import { type AvailabilityReport, availabilityReport } from "./availability.js";
import type { AlertHistoryReader } from "./report-alerts.js";
import { PERIOD_FORMS, parsePeriod, type ReportPeriod } from "./report-period.js";
import { reportPageUrl, reportReply } from "./report-reply.js";

/** A request the caller got wrong (unknown environment, a period that is none): a 400, or a reply. */
export class ReportInputError extends Error {
  constructor(
    readonly code: "unknown_environment" | "bad_period",
    message: string,
  ) {
    super(message);
    this.name = "ReportInputError";
  }
}

export interface ReportsDeps {
  environments: Environments;
  /** SLO_TARGET, percent. */
  sloPct: number;
  history: Pick<AlertHistoryReader, "history">;
  now: () => number;
  /** PUBLIC_URL: links in chat point there. */
  publicUrl?: string;
}

export const DEFAULT_REPORT_PERIOD = "7d";

export class Reports {
  constructor(private readonly deps: ReportsDeps) {}

  get sloPct(): number {
    return this.deps.sloPct;
  }

  now(): number {
    return this.deps.now();
  }

  /** The environment's name, or a ReportInputError naming the known ones. */
  environment(name?: string): string {
    const env = name || this.deps.environments.defaultName;
    if (!this.deps.environments.get(env))
      throw new ReportInputError(
        "unknown_environment",
        `Unknown environment "${env.slice(0, 40)}"; known: ${this.deps.environments.names().join(", ")}`,
      );
    return env;
  }

  period(text: string): ReportPeriod {
    const p = parsePeriod(text, this.deps.now());
    if (typeof p === "string") throw new ReportInputError("bad_period", p);
    return p;
  }

  async availability(
    period: ReportPeriod,
    environment?: string,
    opts: { job?: string; signal?: AbortSignal } = {},
  ): Promise<AvailabilityReport> {
    const env = this.environment(environment);
    const client = this.deps.environments.get(env);
    if (!client) throw new ReportInputError("unknown_environment", `Unknown environment "${env}"`);
    return availabilityReport(client, period, { sloPct: this.deps.sloPct, ...opts });
  }

  /** The chat answer to `report [period]`: a summary and the link to the printable report. */
  async chatReply(
    periodText: string | undefined,
    environment?: string,
    signal?: AbortSignal,
  ): Promise<Reply> {
    let period: ReportPeriod;
    let env: string;
    try {
      period = this.period(periodText || DEFAULT_REPORT_PERIOD);
      env = this.environment(environment);
    } catch (e) {
      if (!(e instanceof ReportInputError)) throw e;
      const env = e.code === "unknown_environment";
      return makeReply({
        title: env ? "Which environment?" : "Which period?",
        text: env
          ? e.message
          : `${e.message}\nWrite \`report\` (last 7 days), \`report november\`, \`report 2026-11\`, \`report 30d\`.`,
        tone: "error",
        suggestions: ["report", "report last month"],
      });
    }
    let report: AvailabilityReport;
    try {
      report = await this.availability(period, env, signal ? { signal } : {});
    } catch (e) {
      if (!isPrometheusError(e)) throw e;
      return makeReply({
        title: `⚠️ Prometheus did not answer: no report for ${period.label}`,
        text: `Prometheus (${env}) at ${e.url}: ${e.message}`,
        tone: "error",
      });
    }
    const alerts = await this.deps.history
      .history(period.start, period.end, { now: this.deps.now(), limit: 1 })
      .then((h) => h.summary)
      .catch((e: unknown) => ({
        error: `Redis did not answer: ${e instanceof Error ? e.message : String(e)}`,
      }));
    return reportReply(report, alerts, reportPageUrl(period.param, env, this.deps.publicUrl));
  }
}

export { PERIOD_FORMS };
