/**
 * What every answerer gets: the environment's Prometheus, the host the question is about (if any),
 * the clock, the deadline, and helpers to turn instance labels and queries into display text.
 */
import type { ChartSeries, LineChartSpec } from "../../charts/line-chart.js";
import type { Host } from "../../metrics/environments.js";
import type { PrometheusClient } from "../../metrics/prometheus-client.js";
import { hostMatcher, hostOfInstance, type LabelMatcher } from "../../metrics/promql.js";
import type { ReplyChart, ReplyLink } from "../../reply/reply.js";

export interface AnswerContext {
  environment: string;
  /** Whether to name the environment in answers (not when the only one is "default"). */
  showEnvironment: boolean;
  client: PrometheusClient;
  hosts: Host[];
  /** The host the question names, resolved against `hosts`. */
  host?: Host;
  /** Evaluation time, epoch seconds. */
  now: number;
  signal: AbortSignal;
  grafanaUrl?: string;
  renderChart: ChartRenderer;
  /**
   * Per-attempt Prometheus timeout for answers that read weeks of history (forecasts, rightsizing):
   * longer than the client's default, within the longer deadline those answers get.
   */
  longQueryTimeoutMs?: number;
}

/**
 * Draws a chart: in the bot, a pool of worker threads (src/charts/chart-pool.ts) that may refuse when
 * busy; where one chart is drawn at a time (`cloudops ask`, tests) simply in-process, synchronously.
 * `signal` is the answer's deadline: when it passes the answer stops waiting for its chart (one that
 * was still queued is not drawn at all).
 */
export type ChartRenderer = (spec: LineChartSpec, signal?: AbortSignal) => Promise<ReplyChart> | ReplyChart;

/**
 * A reply's chart, or the context line saying why it has none. The chart is an extra: when it cannot
 * be drawn (every worker busy and the queue full, the deadline passed before it was drawn, a failed
 * drawing) the answer still goes out with its numbers, and says so.
 */
export async function drawChart(
  ctx: AnswerContext,
  spec: LineChartSpec,
): Promise<{ chart?: ReplyChart; note: string[] }> {
  try {
    return { chart: await ctx.renderChart(spec, ctx.signal), note: [] };
  } catch (e) {
    const why = ctx.signal.aborted
      ? "the answer's deadline passed before it was drawn"
      : e instanceof Error
        ? e.message
        : String(e);
    return { note: [`Chart not drawn: ${why}`] };
  }
}

/** Matchers restricting queries to the asked host (none for fleet-wide questions). */
export function hostMatchers(ctx: AnswerContext): LabelMatcher[] {
  return ctx.host ? [hostMatcher(ctx.host.name)] : [];
}

/** "web-1" for "web-1:9100"; keeps the port when two instances share a host name. */
export function displayHost(instance: string | undefined): string {
  return instance ? hostOfInstance(instance) : "(no instance)";
}

/** " (prod)" or "" — appended to titles. */
export function envSuffix(ctx: AnswerContext): string {
  return ctx.showEnvironment ? ` (${ctx.environment})` : "";
}

/** "on web-1" / "on 3 hosts" */
export function scopeText(ctx: AnswerContext, count: number): string {
  if (ctx.host) return `on ${ctx.host.name}`;
  return count === 1 ? "on 1 host" : `on ${count} hosts`;
}

export function environmentContext(ctx: AnswerContext): string[] {
  return ctx.showEnvironment ? [`Environment: ${ctx.environment}`] : [];
}

/** Series keyed by display host, for charts. */
export function toChartSeries(
  series: { labels: Record<string, string>; points: Array<[number, number]> }[],
  name: (labels: Record<string, string>) => string = (l) => displayHost(l.instance),
): ChartSeries[] {
  return series.map((s) => ({
    name: name(s.labels),
    points: s.points.map(([t, v]) => [t * 1000, Number.isFinite(v) ? v : null] as [number, number | null]),
  }));
}

export type { ReplyLink };
