/**
 * The chart under an alert: the last 3 hours of what the alert is about on its host, drawn from live
 * Prometheus data by the same code that draws a trend answer (the built-in engine's chart seam).
 */
import type { LineChartSpec } from "../charts/chart-spec.js";
import type { QueryName } from "../metrics/catalogue.js";
import type { ReplyChart } from "../reply/reply.js";
import type { Alert } from "./alert.js";
import type { GroupState } from "./alert-store.js";
import { type AlertTopic, alertTopic } from "./group-message.js";

/** What an alert's chart shows: a signal the engine charts, or one catalogue query. */
export type AlertChartRequest = (
  | { topic: Exclude<AlertTopic, "containers"> }
  | { query: Extract<QueryName, "containers_cpu_percent"> }
) & { host: string; rangeSeconds: number; environment?: string };

/** Draws charts from data (the built-in engine implements it). */
export interface ChartSource {
  chart(
    request: AlertChartRequest,
    signal?: AbortSignal,
    deadlineMs?: number,
  ): Promise<ReplyChart | undefined>;
}

/** Draws a chart spec (the bot's chart pool). */
export type DrawChart = (spec: LineChartSpec, signal?: AbortSignal) => Promise<ReplyChart> | ReplyChart;

/**
 * Draws the forecast behind a predictive alert (history, forecast with its interval, the full line);
 * undefined for an alert that is not predictive.
 */
export interface ForecastChartSource {
  forecastChart(alert: Alert, draw: DrawChart, signal?: AbortSignal): Promise<ReplyChart | undefined>;
}

const RANGE_SECONDS = 3 * 3600;
/**
 * Nobody waits on an alert's chart (the message is already posted; the chart follows in its thread),
 * so it is not held to a question's answer deadline: on a busy machine the first chart, which also
 * starts a drawing worker, can take longer than that, and the alert would lose its chart.
 */
const CHART_DEADLINE_MS = 20_000;

/** The chart the group's message gets, or undefined when the group is not about one host. */
export function chartRequest(state: GroupState): AlertChartRequest | undefined {
  const firing = state.alerts.filter((a) => a.status === "firing");
  const instances = new Set(firing.map((a) => a.labels.instance).filter(Boolean));
  const first = firing[0];
  const host = first?.labels.instance;
  if (!first || !host || instances.size !== 1) return undefined;
  const topic = alertTopic(first);
  return {
    ...(topic === "containers" ? { query: "containers_cpu_percent" as const } : { topic }),
    host,
    rangeSeconds: RANGE_SECONDS,
    ...(first.labels.environment ? { environment: first.labels.environment } : {}),
  };
}

export function alertChart(
  source: ChartSource,
  /** With it, a predictive alert on one series gets its forecast chart rather than the last 3 hours. */
  forecasts?: { source: ForecastChartSource; draw: DrawChart },
): (state: GroupState) => Promise<ReplyChart | undefined> {
  return async (state) => {
    const firing = state.alerts.filter((a) => a.status === "firing");
    const only = firing.length === 1 ? firing[0] : undefined;
    if (forecasts && only) {
      // A forecast that cannot be drawn (Prometheus slow, too little history) leaves the usual chart.
      const chart = await forecasts.source
        .forecastChart(only, forecasts.draw, AbortSignal.timeout(CHART_DEADLINE_MS))
        .catch(() => undefined);
      if (chart) return chart;
    }
    const request = chartRequest(state);
    return request ? source.chart(request, undefined, CHART_DEADLINE_MS) : undefined;
  };
}
