/**
 * The read-only tools the model may call. Every argument is validated with zod before anything runs;
 * every result is a summary under a size budget (series count, min/avg/max/last per series, top-k),
 * never a raw dump; a failure comes back to the model as a result with status and message.
 */
import { z } from "zod";
import type { AnomalyStore } from "../../anomaly/anomaly-store.js";
import { namedQuery, type QueryName } from "../../metrics/catalogue.js";
import type { Environments } from "../../metrics/environments.js";
import {
  type ExprBuilder,
  type Extremes,
  extremesBySeries,
  extremesQuery,
  RATE_WINDOW_S,
  type StepRange,
  seriesKey,
} from "../../metrics/extremes.js";
import type { PrometheusClient, RangeSeries } from "../../metrics/prometheus-client.js";
import { hostMatcher } from "../../metrics/promql.js";
import {
  checkPromql,
  checkRangeQuery,
  DEFAULT_PROMQL_LIMITS,
  type PromqlLimits,
  seriesCountQuery,
  tooManySeries,
} from "../../metrics/promql-guard.js";
import { formatValue } from "../../metrics/units.js";
import { type Answer, plainText, type ReplyChart } from "../../reply/reply.js";
import type { ChartRequest } from "../engine.js";
import type { ToolSpec } from "./llm-provider.js";

export interface ToolResult {
  status: "success" | "error" | "no_data";
  data?: unknown;
  error?: string;
}

/**
 * An open alert group as get_alerts reads it: the fields of alerts/alert-list's `OpenAlertGroup` (which
 * the alert service returns) that the model is shown. Declared here because alerts/ imports assistant/,
 * so assistant/ must not import alerts/.
 */
export interface OpenAlert {
  id: string;
  name: string;
  instance?: string;
  firing: number;
  /** Epoch ms the earliest firing alert started. */
  since: number;
  severity: string;
  environment?: string;
  ack?: { by: { name: string }; at: number };
  silencedUntil?: number;
}

/** Draws a chart from data (the built-in engine's seam). */
export interface ChartDrawer {
  chart(request: ChartRequest, signal?: AbortSignal): Promise<ReplyChart | undefined>;
}

/** Answers a planning question in plain words (the built-in engine's seam); throws for any other. */
export interface PlanningAnswerer {
  planning(question: string, environment?: string, signal?: AbortSignal): Promise<Answer>;
}

export interface ToolContext {
  environments: Environments;
  anomalies?: AnomalyStore;
  /** The open alert groups, as data. */
  openAlerts?: () => Promise<OpenAlert[]>;
  grafanaUrl?: string;
  /** Epoch ms. */
  now: () => number;
  signal: AbortSignal;
  /** Draws render_chart's chart (the built-in engine); the chain attaches it to the reply. */
  charts?: ChartDrawer;
  /** Answers the planning tool's questions (the built-in engine). */
  planner?: PlanningAnswerer;
  /** Receives a chart a tool drew. */
  attach?: (chart: ReplyChart) => void;
  /** Evaluation runs: results per tool name, returned (after validation) instead of running the tool. */
  canned?: Record<string, ToolResult>;
  /** Bounds of the PromQL the tools run (PROMQL_MAX_RANGE, …); the defaults when not given. */
  promql?: PromqlLimits;
}

export interface Tool<A = unknown> {
  spec: ToolSpec;
  args: z.ZodType<A>;
  run(args: A, ctx: ToolContext): Promise<ToolResult>;
}

/** Largest tool result the model sees, in characters of JSON. */
export const RESULT_BUDGET = 4000;
/** Series listed per result; the rest are counted. */
const TOP_K = 10;
const MAX_RANGE_S = 7 * 86400;
const MAX_POINTS = 500;

const METRICS = {
  cpu: "cpu_busy_percent",
  memory: "memory_used_percent",
  disk: "disk_used_percent",
  load: "load1_per_core",
  network_rx: "network_receive_bytes",
  network_tx: "network_transmit_bytes",
  cpu_user: "cpu_user_percent",
  cpu_system: "cpu_system_percent",
  iowait: "cpu_iowait_percent",
  steal: "cpu_steal_percent",
  load5: "load5_per_core",
  swap: "swap_used_percent",
  disk_read: "disk_read_bytes",
  disk_write: "disk_write_bytes",
  disk_io: "disk_busy_percent",
  network_errors: "network_errors_per_second",
  tcp: "tcp_established",
  context_switches: "context_switches_per_second",
  blocked: "procs_blocked",
  uptime: "uptime_seconds",
  targets_down: "targets_down",
  container_cpu: "containers_cpu_percent",
  container_memory: "containers_memory_bytes",
} as const satisfies Record<string, QueryName>;

const durationText = z.string().regex(/^\d{1,4}[mhd]$/, 'a duration like "30m", "6h" or "7d"');
const duration = durationText.refine((d) => toSeconds(d) <= MAX_RANGE_S, "at most 7d");
const hostArg = z
  .string()
  .regex(/^[A-Za-z0-9_.:[\]-]{1,100}$/, "a host name")
  .optional();
const envArg = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,40}$/)
  .optional();

function toSeconds(d: string): number {
  const n = Number(d.slice(0, -1));
  return n * { m: 60, h: 3600, d: 86400 }[d.slice(-1) as "m"];
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v;
}

/** Keeps a result under the budget by listing fewer series, then by cutting. */
export function withinBudget(result: ToolResult): ToolResult {
  let text = JSON.stringify(result);
  if (text.length <= RESULT_BUDGET) return result;
  const data = result.data as { series?: unknown[] } | undefined;
  if (data && Array.isArray(data.series)) {
    const series = [...data.series];
    while (
      series.length > 1 &&
      JSON.stringify({ ...result, data: { ...data, series } }).length > RESULT_BUDGET
    )
      series.pop();
    const trimmed = {
      ...result,
      data: { ...data, series, note: `${data.series.length - series.length} more series omitted` },
    };
    text = JSON.stringify(trimmed);
    if (text.length <= RESULT_BUDGET) return trimmed;
  }
  return { status: result.status, data: { truncated: text.slice(0, RESULT_BUDGET - 200) } };
}

/**
 * min/avg/max/last of each series, the top-k by last value first. `extremes` (from an extremes
 * query, see metrics/extremes) replace the step points' min and max, which miss what happens
 * between steps.
 */
export function summariseRange(
  series: RangeSeries[],
  unit: string,
  extremes?: ReadonlyMap<string, Extremes>,
): Record<string, unknown> {
  const rows = series.map((s) => {
    const v = s.points.map((p) => p[1]).filter(Number.isFinite);
    const sum = v.reduce((a, b) => a + b, 0);
    const e = extremes?.get(seriesKey(s.labels));
    return {
      labels: s.labels,
      min: round(e ? e.min : Math.min(...v)),
      avg: round(v.length ? sum / v.length : Number.NaN),
      max: round(e ? e.max : Math.max(...v)),
      last: round(v.at(-1) ?? Number.NaN),
      points: v.length,
    };
  });
  rows.sort((a, b) => (b.last || 0) - (a.last || 0));
  return { unit, seriesCount: rows.length, series: rows.slice(0, TOP_K), ...omitted(rows.length) };
}

const omitted = (count: number) =>
  count > TOP_K ? { note: `the ${TOP_K} highest of ${count} series; ${count - TOP_K} more not shown` } : {};

function summariseInstant(samples: { labels: Record<string, string>; value: number }[], unit: string) {
  const rows = samples
    .map((s) => ({ labels: s.labels, value: round(s.value) }))
    .sort((a, b) => (b.value || 0) - (a.value || 0));
  return { unit, seriesCount: rows.length, series: rows.slice(0, TOP_K), ...omitted(rows.length) };
}

function client(ctx: ToolContext, environment?: string) {
  const c = ctx.environments.get(environment);
  if (!c)
    throw new Error(`unknown environment "${environment}"; known: ${ctx.environments.names().join(", ")}`);
  return c;
}

/**
 * A range and, when its steps are coarser than the expression's fine resolution, the extremes
 * between them. A failing extremes query (an expensive ad-hoc expression) leaves the step points'
 * extremes, said as such.
 */
async function rangeWithExtremes(
  c: PrometheusClient,
  build: ExprBuilder,
  range: StepRange,
  signal: AbortSignal,
  admit: (fine: { expr: string; start: number; end: number; step: number }) => boolean = () => true,
): Promise<{ series: RangeSeries[]; extremes?: Map<string, Extremes>; minMax: string }> {
  const candidate = extremesQuery(build, range);
  // The finer query wraps the expression in a subquery: it passes the same guard, or is not run.
  const fine = candidate && admit(candidate) ? candidate : undefined;
  const [series, ext] = await Promise.all([
    c.range(build(RATE_WINDOW_S), range, { signal }),
    fine ? c.range(fine.expr, fine, { signal }).catch(() => undefined) : undefined,
  ]);
  return {
    series,
    extremes: ext ? extremesBySeries(ext) : undefined,
    minMax:
      candidate && !ext
        ? `min and max of the ${range.step} s step points only (the finer query ${fine ? "failed" : "would cost too much"})`
        : `min and max over evaluations every ${fine ? fine.resolution : range.step} s`,
  };
}

function limitsOf(ctx: ToolContext): PromqlLimits {
  return ctx.promql ?? DEFAULT_PROMQL_LIMITS;
}

function rangeOf(ctx: ToolContext, range: string) {
  const end = Math.floor(ctx.now() / 1000);
  const seconds = toSeconds(range);
  const step = Math.max(limitsOf(ctx).minStepSeconds, Math.ceil(seconds / MAX_POINTS));
  return { start: end - seconds, end, step };
}

const refused = (why: string): ToolResult => ({
  status: "error",
  error: `refused before reaching Prometheus: ${why}`.slice(0, 1000),
});

/**
 * Why a query is refused (see metrics/promql-guard), or undefined: parsed and bounded, then its
 * selectors' series counted with one cheap instant query before the data query runs. A count that
 * fails refuses too: an unchecked query is not run.
 */
async function promqlRefusal(
  c: PrometheusClient,
  expr: string,
  range: StepRange | undefined,
  ctx: ToolContext,
  signal: AbortSignal,
): Promise<string | undefined> {
  const limits = limitsOf(ctx);
  const badRange = range && checkRangeQuery(range, limits);
  if (badRange) return badRange;
  const verdict = checkPromql(expr, limits, range ? { rangeSeconds: range.end - range.start } : {});
  if (!verdict.ok) return verdict.reason;
  if (verdict.selectors.length === 0) return undefined;
  const count = seriesCountQuery(verdict.selectors);
  const counted = checkPromql(count, limits);
  if (!counted.ok) return `its series could not be counted safely (${counted.reason})`;
  try {
    const samples = await c.instant(count, { time: range?.end ?? Math.floor(ctx.now() / 1000), signal });
    // One unlabelled sample is the answer; anything else is not a count we can trust.
    return tooManySeries(samples.length === 1 ? (samples[0]?.value ?? Number.NaN) : Number.NaN, limits);
  } catch (e) {
    return `counting its series failed (${(e instanceof Error ? e.message : String(e)).slice(0, 200)})`;
  }
}

const queryMetric: Tool<{
  metric: keyof typeof METRICS;
  host?: string;
  environment?: string;
  range?: string;
}> = {
  spec: {
    name: "query_metric",
    description:
      "Reads one named host metric from Prometheus, now or over a range (min/avg/max/last per host). Metrics: cpu (% busy), cpu_user / cpu_system / iowait / steal (% of CPU time), memory (% used), swap (% used), disk (% used, fullest filesystem), disk_read / disk_write (bytes/s), disk_io (% busy, busiest disk), load / load5 (load1 / load5 per core), network_rx / network_tx (bytes/s), network_errors (errors + drops /s), tcp (established connections), context_switches (/s), blocked (processes blocked on I/O), uptime (seconds since boot), targets_down, container_cpu, container_memory.",
    parameters: {},
  },
  args: z.object({
    metric: z.enum(Object.keys(METRICS) as [keyof typeof METRICS]),
    host: hostArg,
    environment: envArg,
    range: duration.optional(),
  }),
  async run(a, ctx) {
    const q = namedQuery(METRICS[a.metric]);
    const matchers = a.host ? [hostMatcher(a.host)] : [];
    const promql = q.build({ matchers });
    const c = client(ctx, a.environment);
    // A catalogue query with an escaped host passes the guard (tested for every entry); the range is
    // the caller's, and the operator's PROMQL_MAX_RANGE holds here too.
    const range = a.range ? rangeOf(ctx, a.range) : undefined;
    const bad = range ? checkRangeQuery(range, limitsOf(ctx)) : undefined;
    if (bad) return refused(bad);
    const at = Math.floor(ctx.now() / 1000);
    const window = a.range
      ? `last ${a.range} until ${new Date(at * 1000).toISOString()}`
      : `at ${new Date(at * 1000).toISOString()}`;
    if (a.range) {
      const { series, extremes, minMax } = await rangeWithExtremes(
        c,
        (windowSeconds) => q.build({ matchers, windowSeconds }),
        range ?? rangeOf(ctx, a.range),
        ctx.signal,
      );
      if (series.length === 0) return { status: "no_data", data: { metric: a.metric, window } };
      return {
        status: "success",
        data: { metric: a.metric, window, minMax, ...summariseRange(series, q.unit, extremes) },
      };
    }
    const samples = await c.instant(promql, { time: at, signal: ctx.signal });
    if (samples.length === 0) return { status: "no_data", data: { metric: a.metric, window } };
    return {
      status: "success",
      data: {
        metric: a.metric,
        window,
        ...summariseInstant(samples, q.unit),
        formatted: samples
          .slice(0, TOP_K)
          .map((s) => `${s.labels.instance ?? ""} ${formatValue(s.value, q.unit)}`),
      },
    };
  },
};

const promqlQuery: Tool<{ query: string; range?: string; environment?: string }> = {
  spec: {
    name: "promql_query",
    description:
      "Runs a read-only PromQL expression, instant or over a range (at most 500 points per series). Every selector must name its metric; no regex on __name__; durations are plain literals (5m, 1h30m). Limits, by default: ranges, offsets and subquery ranges up to 7d, subquery resolutions from 15s, at most 10,000 series; a refusal says which limit. Use query_metric when one of its metrics fits.",
    parameters: {},
  },
  args: z.object({
    query: z.string().min(1).max(2000),
    // Bounded by the operator's PROMQL_MAX_RANGE when it runs, not by a fixed 7d here.
    range: durationText.optional(),
    environment: envArg,
  }),
  async run(a, ctx) {
    const c = client(ctx, a.environment);
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]);
    const range = a.range ? rangeOf(ctx, a.range) : undefined;
    // Parsed and bounded before anything reaches Prometheus (metrics/promql-guard): only its query
    // endpoints are ever called, and only with an expression that cannot take it down.
    const refusal = await promqlRefusal(c, a.query, range, ctx, signal);
    if (refusal) return refused(refusal);
    if (range) {
      const limits = limitsOf(ctx);
      const { series, extremes, minMax } = await rangeWithExtremes(
        c,
        () => a.query,
        range,
        signal,
        (fine) =>
          checkRangeQuery(fine, limits) === undefined &&
          checkPromql(fine.expr, limits, { rangeSeconds: fine.end - fine.start }).ok,
      );
      return series.length === 0
        ? { status: "no_data", data: { query: a.query } }
        : {
            status: "success",
            data: { query: a.query, range: a.range, minMax, ...summariseRange(series, "value", extremes) },
          };
    }
    const samples = await c.instant(a.query, { time: Math.floor(ctx.now() / 1000), signal });
    return samples.length === 0
      ? { status: "no_data", data: { query: a.query } }
      : { status: "success", data: { query: a.query, ...summariseInstant(samples, "value") } };
  },
};

const listTargets: Tool<{ environment?: string }> = {
  spec: {
    name: "list_targets",
    description: "Lists scrape targets from their `up` series: how many are up, and each one that is down.",
    parameters: {},
  },
  args: z.object({ environment: envArg }),
  async run(a, ctx) {
    // The `up` series rather than /api/v1/targets: Thanos, Mimir and VictoriaMetrics all have it.
    const up = await client(ctx, a.environment).instant(namedQuery("targets_up").build({}), {
      time: Math.floor(ctx.now() / 1000),
      signal: ctx.signal,
    });
    if (up.length === 0) return { status: "no_data", data: { note: "no `up` series: nothing is scraped" } };
    const down = up.filter((s) => s.value === 0);
    return {
      status: "success",
      data: {
        total: up.length,
        up: up.length - down.length,
        down: down
          .slice(0, TOP_K)
          .map((s) => ({ job: s.labels.job ?? "", instance: s.labels.instance ?? "" })),
        ...(down.length > TOP_K ? { note: `${down.length - TOP_K} more down not listed` } : {}),
      },
    };
  },
};

const getAnomalies: Tool<{ environment?: string }> = {
  spec: {
    name: "get_anomalies",
    description:
      "The anomaly detector's latest findings: hosts scoring above their threshold and the features that moved.",
    parameters: {},
  },
  args: z.object({ environment: envArg }),
  async run(a, ctx) {
    if (!ctx.anomalies) return { status: "no_data", data: { note: "anomaly detection is not running" } };
    const env = a.environment ?? ctx.environments.defaultName;
    const [status, latest] = await Promise.all([ctx.anomalies.status(env), ctx.anomalies.latest(env)]);
    if (!status.lastScanAt) return { status: "no_data", data: { note: "no scan has run yet" } };
    return {
      status: "success",
      data: {
        lastScanAt: new Date(status.lastScanAt).toISOString(),
        anomalous: latest
          .filter((s) => s.anomalous)
          .slice(0, TOP_K)
          .map((s) => ({
            instance: s.instance,
            score: round(s.score),
            threshold: round(s.threshold),
            moved: s.deviations
              .slice(0, 3)
              .map((d) => ({ feature: d.label, value: round(d.value), usual: round(d.baseline) })),
          })),
        hostsScored: latest.length,
      },
    };
  },
};

const getAlerts: Tool<Record<string, never>> = {
  spec: {
    name: "get_alerts",
    description:
      "The alert groups firing now: id, alert name, host, how many alerts fire, since when, severity, environment, who acknowledged, silenced until.",
    parameters: {},
  },
  args: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  async run(_a, ctx) {
    const groups = (await ctx.openAlerts?.()) ?? [];
    if (groups.length === 0) return { status: "no_data", data: { note: "nothing is firing" } };
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      status: "success",
      data: {
        count: groups.length,
        alerts: groups.slice(0, 30).map((g) => ({
          id: g.id,
          name: g.name,
          ...(g.instance ? { instance: g.instance } : {}),
          firing: g.firing,
          since: iso(g.since),
          severity: g.severity,
          ...(g.environment ? { environment: g.environment } : {}),
          ...(g.ack ? { acknowledgedBy: g.ack.by.name, acknowledgedAt: iso(g.ack.at) } : {}),
          ...(g.silencedUntil !== undefined ? { silencedUntil: iso(g.silencedUntil) } : {}),
        })),
      },
    };
  },
};

const grafanaLink: Tool<{ dashboard: "system" | "containers" | "anomalies"; host?: string; range?: string }> =
  {
    spec: {
      name: "grafana_link",
      description:
        "A link to the Grafana dashboard for a host and time range (system, containers or anomalies).",
      parameters: {},
    },
    args: z.object({
      dashboard: z.enum(["system", "containers", "anomalies"]),
      host: hostArg,
      range: duration.optional(),
    }),
    async run(a, ctx) {
      if (!ctx.grafanaUrl) return { status: "no_data", data: { note: "GRAFANA_URL is not configured" } };
      const uid = {
        system: "system-overview",
        containers: "docker-containers",
        anomalies: "ml-anomaly-detection",
      }[a.dashboard];
      const to = ctx.now();
      const q = new URLSearchParams({ from: String(to - toSeconds(a.range ?? "6h") * 1000), to: String(to) });
      if (a.host) q.set("var-instance", a.host);
      return { status: "success", data: { url: `${ctx.grafanaUrl.replace(/\/+$/, "")}/d/${uid}?${q}` } };
    },
  };

const renderChart: Tool<{
  metric: keyof typeof METRICS;
  host?: string;
  environment?: string;
  range: string;
}> = {
  spec: {
    name: "render_chart",
    description:
      "Attaches a line chart (one line per host) of a named metric over a range to your answer. Returns what it shows; call it when a trend helps.",
    parameters: {},
  },
  args: z.object({
    metric: z.enum(Object.keys(METRICS) as [keyof typeof METRICS]),
    host: hostArg,
    environment: envArg,
    range: duration,
  }),
  async run(a, ctx) {
    if (!ctx.charts) return { status: "no_data", data: { note: "charts are not available here" } };
    const chart = await ctx.charts.chart(
      {
        query: METRICS[a.metric],
        rangeSeconds: toSeconds(a.range),
        ...(a.host ? { host: a.host } : {}),
        ...(a.environment ? { environment: a.environment } : {}),
      },
      ctx.signal,
    );
    if (!chart)
      return { status: "no_data", data: { note: "no data to chart", metric: a.metric, range: a.range } };
    ctx.attach?.(chart);
    return { status: "success", data: { attached: chart.title, shows: chart.alt } };
  },
};

const planning: Tool<{ question: string; environment?: string }> = {
  spec: {
    name: "planning",
    description:
      "Answers planning questions from live data with the built-in analyses, in plain words: forecasts ('when will disk be full on db-1', 'memory forecast'), the capacity report ('what fills up within 30 days'), rightsizing and savings ('where can we save', 'idle hosts'), and comparisons with a significance verdict ('web-1 vs web-2 cpu', 'is web-2 slower than the others', 'cpu before and after 14:00', 'memory this week vs last week'). Returns the answer's headline, lines and fields; attaches its chart.",
    parameters: {},
  },
  args: z.object({ question: z.string().min(3).max(300), environment: envArg }),
  async run(a, ctx) {
    if (!ctx.planner) return { status: "no_data", data: { note: "planning answers are not available here" } };
    const { reply } = await ctx.planner.planning(a.question, a.environment, ctx.signal);
    if (reply.chart) ctx.attach?.(reply.chart);
    return {
      status: reply.tone === "error" ? "error" : "success",
      data: {
        headline: reply.title,
        lines: plainText(reply.text).split("\n").slice(0, 20),
        fields: reply.fields.slice(0, 20),
        context: reply.context.slice(0, 5),
        ...(reply.chart ? { chart: reply.chart.title } : {}),
      },
    };
  },
};

export const TOOLS: Tool[] = [
  queryMetric,
  promqlQuery,
  listTargets,
  getAnomalies,
  getAlerts,
  grafanaLink,
  renderChart,
  planning,
].map((t) => {
  const tool = t as Tool;
  // The JSON Schema the model sees is generated from the same zod schema that validates its calls.
  tool.spec = { ...tool.spec, parameters: z.toJSONSchema(tool.args as z.ZodType) as Record<string, unknown> };
  return tool;
});

/** Runs a call: unknown tools and invalid arguments answer the model; nothing throws. */
export async function runTool(name: string, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const tool = TOOLS.find((t) => t.spec.name === name);
  if (!tool)
    return {
      status: "error",
      error: `there is no tool "${String(name).slice(0, 60)}"; the tools are ${TOOLS.map((t) => t.spec.name).join(", ")}`,
    };
  const parsed = tool.args.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      status: "error",
      error: `invalid arguments: ${issue?.path.join(".") || "arguments"}: ${issue?.message ?? "invalid"}`,
    };
  }
  const canned = ctx.canned?.[name];
  if (canned) return withinBudget(canned);
  try {
    return withinBudget(await tool.run(parsed.data, ctx));
  } catch (e) {
    return { status: "error", error: (e instanceof Error ? e.message : String(e)).slice(0, 500) };
  }
}
