/** "cpu trends for the last hour", "memory this week vs last week": numbers over time, with a chart. */

import type { LineChartSpec } from "../../charts/line-chart.js";
import { type Comparison, compareSeries, describeComparison } from "../../insights/compare.js";
import { namedQuery } from "../../metrics/catalogue.js";
import {
  COVERAGE_NEEDED,
  type Coverage,
  coverageOfCount,
  coverageOfPoints,
  spanText,
  windowQueries,
} from "../../metrics/coverage.js";
import {
  type Extremes,
  type ExtremesQuery,
  extremesBySeries,
  extremesOfPoints,
  extremesQuery,
  firstTimeAt,
  isWindowed,
  peakSearchRange,
  RATE_WINDOW_S,
  seriesKey,
} from "../../metrics/extremes.js";
import type { RangeSeries } from "../../metrics/prometheus-client.js";
import type { LabelMatcher } from "../../metrics/promql.js";
import { formatClock, formatDelta, formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply, type ReplyChart, type ReplyField } from "../../reply/reply.js";
import type { Resource, TimeRange } from "../intent.js";
import { LEVEL_EMOJI, levelOf, RESOURCES, type ResourceSpec, worstLevel } from "../resources.js";
import { DIRECTION_WORD, direction, type SeriesStats, summarise } from "../stats.js";
import { compareOptionsFor } from "./compare.js";
import {
  type AnswerContext,
  displayHost,
  drawChart,
  environmentContext,
  envSuffix,
  hostMatchers,
  toChartSeries,
} from "./context.js";
import { resourceLinks } from "./links.js";
import { noData } from "./resource-now.js";
import { type QueryWindow, queryWindow } from "./time-window.js";

interface SeriesSummary {
  name: string;
  labels: Record<string, string>;
  family: Family;
  stats: SeriesStats;
  direction: ReturnType<typeof direction>;
  history: Coverage;
}

/** One query of a resource over the window: its chart line, its exact extremes and its latest value. */
interface Family {
  label: string;
  /** The expression as a function of its rate() window, optionally narrowed by more matchers. */
  build: (windowSeconds: number, extra?: LabelMatcher[]) => string;
  /** The plain values at each step: the chart line and the average. */
  series: RangeSeries[];
  /** Max and min per series key, from every fine evaluation (or the step points when fine already). */
  extremes: Map<string, Extremes>;
  /** The fine query behind `extremes`; undefined when the step points were already fine. */
  fine?: ExtremesQuery;
  /** The instant value at the range's end, per series key. */
  latest: Map<string, number>;
}

/** What a trend chart needs of a signal: its queries, unit, name and warning level. */
export type ChartedSpec = Pick<ResourceSpec, "label" | "queries" | "unit" | "warning">;

async function fetchRange(
  ctx: AnswerContext,
  spec: Pick<ResourceSpec, "queries">,
  win: QueryWindow,
): Promise<{ label: string; series: RangeSeries[] }[]> {
  return Promise.all(
    spec.queries.map(async (q) => ({
      label: q.label,
      series: await ctx.client.range(
        namedQuery(q.name).build({ matchers: hostMatchers(ctx), windowSeconds: win.rateWindow }),
        win,
        { signal: ctx.signal },
      ),
    })),
  );
}

/**
 * Each query of a resource three ways at once: the range at the window's step (chart, average), the
 * extremes between the steps (peak, min), and the instant value at `at` ("now").
 */
async function fetchFamilies(
  ctx: AnswerContext,
  spec: ResourceSpec,
  win: QueryWindow,
  at: number,
): Promise<Family[]> {
  const matchers = hostMatchers(ctx);
  const opts = { signal: ctx.signal };
  return Promise.all(
    spec.queries.map(async (q): Promise<Family> => {
      const build = (windowSeconds: number, extra: LabelMatcher[] = []) =>
        namedQuery(q.name).build({ matchers: [...matchers, ...extra], windowSeconds });
      const fine = extremesQuery(build, win, at);
      const [series, ext, latest] = await Promise.all([
        ctx.client.range(build(win.rateWindow), win, opts),
        fine ? ctx.client.range(fine.expr, fine, opts) : undefined,
        ctx.client.instant(build(RATE_WINDOW_S), { time: at, signal: ctx.signal }),
      ]);
      return {
        label: q.label,
        build,
        series,
        fine,
        // Without a fine query the step points are fine already (see extremesQuery).
        extremes: ext
          ? extremesBySeries(ext)
          : new Map(
              series.flatMap((s) => {
                const e = extremesOfPoints(s.points);
                return e ? [[seriesKey(s.labels), e] as const] : [];
              }),
            ),
        latest: new Map(latest.map((s) => [seriesKey(s.labels), s.value])),
      };
    }),
  );
}

/**
 * Evaluations per compared period: a week in half hours, so history is told to half an hour. A week
 * at 10 minutes cost 0.7 s per query for 10 hosts' CPU on a busy 2-core machine, and a comparison
 * runs four of them.
 */
const PERIOD_POINTS = 336;

function tolerance(spec: ResourceSpec): number {
  return spec.unit === "percent" ? 5 : spec.unit === "ratio" ? 0.2 : 0;
}

interface PeriodAverage {
  name: string;
  avg: number;
  history: Coverage;
}

/**
 * Each host's average of the resource's headline query over the range's length before `at`, with
 * how much of that span has data. Sampled every few minutes with windows that leave no sample out,
 * so the average is the span's, and a host born half an hour ago shows half an hour of data.
 */
async function periodAverages(
  ctx: AnswerContext,
  spec: ResourceSpec,
  range: TimeRange,
  at: number,
): Promise<PeriodAverage[]> {
  const first = spec.queries[0];
  if (!first) return [];
  const matchers = hostMatchers(ctx);
  const length = Math.max(60, range.fromSecondsAgo - range.toSecondsAgo);
  const q = windowQueries(
    (windowSeconds) => namedQuery(first.name).build({ matchers, windowSeconds }),
    length,
    PERIOD_POINTS,
  );
  const opts = { time: at, signal: ctx.signal };
  const [avg, count] = await Promise.all([
    ctx.client.instant(q.avg, opts),
    ctx.client.instant(q.count, opts),
  ]);
  const counts = new Map(count.map((s) => [seriesKey(s.labels), s.value]));
  return avg
    .filter((s) => Number.isFinite(s.value))
    .map((s) => ({
      name: displayHost(s.labels.instance),
      avg: s.value,
      history: coverageOfCount(counts.get(seriesKey(s.labels)), q),
    }));
}

function summariseFamily(
  family: Family,
  win: QueryWindow,
  at: number,
  spec: ResourceSpec,
  suffix = "",
): SeriesSummary[] {
  const out: SeriesSummary[] = [];
  for (const s of family.series) {
    const key = seriesKey(s.labels);
    const stats = summarise(s.points, {
      extremes: family.extremes.get(key),
      // A series with no value at the end has stopped: "now" is then "no data", not its last point.
      latest: family.latest.get(key) ?? Number.NaN,
      latestAt: at,
    });
    if (stats)
      out.push({
        name: `${displayHost(s.labels.instance)}${suffix}`,
        labels: s.labels,
        family,
        stats,
        direction: direction(s.points, tolerance(spec)),
        history: coverageOfPoints(s.points, win),
      });
  }
  return out;
}

/**
 * The moment of the peak. An extremes query only says which step holds it; the inner expression
 * evaluated over that one step on that one host finds the instant.
 */
async function peakTime(ctx: AnswerContext, peak: SeriesSummary): Promise<number> {
  const fine = peak.family.fine;
  const instance = peak.labels.instance;
  if (!fine || instance === undefined) return peak.stats.maxAt;
  const only: LabelMatcher = { label: "instance", op: "=", value: instance };
  const series = await ctx.client.range(
    peak.family.build(fine.windowSeconds, [only]),
    peakSearchRange(fine, peak.stats.maxAt),
    { signal: ctx.signal },
  );
  const key = seriesKey(peak.labels);
  const match = series.find((s) => seriesKey(s.labels) === key);
  return (match && firstTimeAt(match.points, peak.stats.max)) ?? peak.stats.maxAt;
}

/**
 * The trend chart: one line per host (and per query when the signal has several), the warning level
 * drawn. The trend answer and the engine's chart seam both draw it from here.
 */
function trendChartSpec(
  ctx: AnswerContext,
  spec: ChartedSpec,
  families: { label: string; series: RangeSeries[] }[],
  rangeLabel: string,
): LineChartSpec {
  const multi = families.length > 1;
  return {
    title: `${spec.label}${ctx.host ? ` on ${ctx.host.name}` : ""} — ${rangeLabel}${envSuffix(ctx)}`,
    subject: `${spec.label}${ctx.host ? ` on ${ctx.host.name}` : ""}`,
    unit: spec.unit,
    series: families.flatMap((f) =>
      // Per-container queries (cAdvisor) have a line per container on each host: name both.
      toChartSeries(
        f.series,
        (l) =>
          `${displayHost(l.instance)}${l.name ? ` ${l.name}` : ""}${multi ? ` ${f.label.toLowerCase()}` : ""}`,
      ),
    ),
    threshold:
      spec.warning !== undefined
        ? { value: spec.warning, label: `warning ${formatValue(spec.warning, spec.unit)}` }
        : undefined,
  };
}

/** The trend chart of a signal over `range`, alone (no numbers, no reply); undefined with no data. */
export async function trendChart(
  ctx: AnswerContext,
  spec: ChartedSpec,
  range: TimeRange,
): Promise<ReplyChart | undefined> {
  const families = await fetchRange(ctx, spec, queryWindow(range, ctx.now));
  if (families.every((f) => f.series.length === 0)) return undefined;
  return await ctx.renderChart(trendChartSpec(ctx, spec, families, range.label), ctx.signal);
}

export async function answerResourceTrend(
  ctx: AnswerContext,
  resource: Resource,
  range: TimeRange,
): Promise<Reply> {
  const spec = RESOURCES[resource];
  const win = queryWindow(range, ctx.now);
  const at = ctx.now - range.toSecondsAgo;
  const families = await fetchFamilies(ctx, spec, win, at);
  const multi = families.length > 1;
  const summaries = families
    .flatMap((f) => summariseFamily(f, win, at, spec, multi ? ` ${f.label.toLowerCase()}` : ""))
    .sort((a, b) => b.stats.max - a.stats.max);
  if (summaries.length === 0) return noData(ctx, spec);
  const fmt = (v: number) => formatValue(v, spec.unit);
  const peak = summaries[0] as SeriesSummary;
  const tone = worstLevel(summaries.map((s) => levelOf(spec, s.stats.max)));
  // A series that did not move has no moment of peak worth naming.
  const flat = fmt(peak.stats.max) === fmt(peak.stats.min);
  const nowWord = range.toSecondsAgo === 0 ? "now" : `at ${formatClock(at)}`;
  const lines = [
    flat
      ? `${spec.label} ${range.label}: highest ${peak.name}, steady at ${fmt(peak.stats.max)}`
      : `${spec.label} ${range.label}: peak ${fmt(peak.stats.max)} on ${peak.name} at ${formatClock(await peakTime(ctx, peak))}`,
  ];
  if (summaries.length === 1 || ctx.host) {
    for (const s of summaries) {
      lines.push(
        `${s.name}: ${nowWord} ${fmt(s.stats.last)} · avg ${fmt(s.stats.avg)} · min ${fmt(s.stats.min)} · max ${fmt(s.stats.max)} · ${DIRECTION_WORD[s.direction]}`,
      );
    }
    const young = summaries.find((s) => !s.history.enough);
    if (young) lines.push(`Only ${spanText(young.history.seconds)} of data in this window`);
  } else {
    const rising = summaries.filter((s) => s.direction === "rising").map((s) => s.name);
    if (rising.length > 0) lines.push(`Rising: ${rising.slice(0, 5).join(", ")}`);
  }
  const fields: ReplyField[] = summaries.slice(0, 20).map((s) => ({
    label: `${LEVEL_EMOJI[levelOf(spec, s.stats.max)]} ${s.name}`,
    value: `min ${fmt(s.stats.min)} · avg ${fmt(s.stats.avg)} · max ${fmt(s.stats.max)} · ${nowWord} ${fmt(s.stats.last)} ${DIRECTION_WORD[s.direction]}`,
  }));
  if (summaries.length > 20)
    fields.push({ label: "More series", value: `${summaries.length - 20} not shown` });
  const drawn = await drawChart(ctx, trendChartSpec(ctx, spec, families, range.label));
  const hostPart = ctx.host ? ` on ${ctx.host.name}` : "";
  return makeReply({
    title: `${LEVEL_EMOJI[tone]} ${spec.label} ${range.label}${ctx.host ? ` on ${ctx.host.name}` : ""}${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: tone === "ok" ? "ok" : tone,
    fields,
    chart: drawn.chart,
    links: resourceLinks(ctx, spec, win.end - win.start, win.end),
    actions: [
      askButton("Last 1h", `${resource} trend last 1h${hostPart}`),
      askButton("Last 6h", `${resource} trend last 6h${hostPart}`),
      askButton("Last 24h", `${resource} trend last 24h${hostPart}`),
      askButton("Last 7d", `${resource} trend last 7d${hostPart}`),
    ],
    context: [
      ...environmentContext(ctx),
      `Window: ${formatWindow(win)} (step ${win.step} s)`,
      methodText(families[0], win, at, nowWord),
      `From ${namedQuery(spec.queries[0]?.name ?? "cpu_busy_percent").source(win.rateWindow)}`,
      ...drawn.note,
    ],
  });
}

/** How "now", the peak and the min were measured, so the numbers can be checked. */
function methodText(family: Family | undefined, win: QueryWindow, at: number, nowWord: string): string {
  const windowed = family !== undefined && isWindowed(family.build(RATE_WINDOW_S));
  const fine = family?.fine;
  const average = (seconds: number) => (windowed ? `${spanText(seconds)} average` : "value");
  const now = `${nowWord === "now" ? "Now" : "Latest"}: ${average(RATE_WINDOW_S)} at ${formatClock(at)}`;
  const every = spanText(fine?.resolution ?? win.step);
  return `${now} · min and max over ${average(fine?.windowSeconds ?? RATE_WINDOW_S)}s every ${every}`;
}

export async function answerResourceCompare(
  ctx: AnswerContext,
  resource: Resource,
  range: TimeRange,
  offsetSeconds: number,
): Promise<Reply> {
  const spec = RESOURCES[resource];
  const win = queryWindow(range, ctx.now);
  const before: QueryWindow = { ...win, start: win.start - offsetSeconds, end: win.end - offsetSeconds };
  const at = ctx.now - range.toSecondsAgo;
  const [current, previous, cur, earlier] = await Promise.all([
    fetchRange(ctx, spec, win),
    fetchRange(ctx, spec, before),
    periodAverages(ctx, spec, range, at),
    periodAverages(ctx, spec, range, at - offsetSeconds),
  ]);
  const prev = new Map(earlier.map((s) => [s.name, s]));
  if (cur.length === 0) return noData(ctx, spec);
  const fmt = (v: number) => formatValue(v, spec.unit);
  const thenLabel =
    offsetSeconds === 86400 ? "the day before" : offsetSeconds === 604800 ? "the week before" : "before";
  const span = spanText(Math.max(60, range.fromSecondsAgo - range.toSecondsAgo));
  // Each host's points in both periods, for the judgement of whether the change is real.
  const pointsOf = (families: { series: RangeSeries[] }[]) => {
    const out = new Map<string, number[]>();
    for (const s of families[0]?.series ?? []) {
      const name = displayHost(s.labels.instance);
      out.set(name, [...(out.get(name) ?? []), ...s.points.map(([, v]) => v)]);
    }
    return out;
  };
  const nowPoints = pointsOf(current);
  const thenPoints = pointsOf(previous);
  // The earlier period is the baseline: compared only when most of it has data.
  const rows = cur.map((c) => {
    const p = prev.get(c.name);
    const before = p?.history.enough ? p.avg : undefined;
    return {
      name: c.name,
      now: c.avg,
      history: c.history,
      before,
      earlier: p?.history,
      judged:
        before === undefined
          ? undefined
          : compareSeries(nowPoints.get(c.name) ?? [], thenPoints.get(c.name) ?? [], compareOptionsFor(spec)),
    };
  });
  const change = (r: (typeof rows)[number]) => (r.before === undefined ? -1 : Math.abs(r.now - r.before));
  rows.sort((a, b) => change(b) - change(a));
  const biggest = rows[0] as (typeof rows)[number];
  const longestEarlier = Math.max(0, ...rows.map((r) => r.earlier?.seconds ?? 0));
  const missing = rows.filter((r) => r.before === undefined);
  const lines: string[] = [];
  if (biggest.before !== undefined) {
    lines.push(
      `Biggest change: ${biggest.name} avg ${fmt(biggest.now)} ${range.label} vs ${fmt(biggest.before)} ${thenLabel} (${formatDelta(biggest.now - biggest.before, spec.unit)})${verdictSuffix(biggest.judged, spec)}`,
    );
    const judged = rows.filter((r) => r.judged !== undefined && r.judged.verdict !== "insufficient");
    const real = judged.filter((r) => r.judged?.verdict === "clear" || r.judged?.verdict === "likely");
    if (judged.length > 1)
      lines.push(
        real.length === 0
          ? `No real change on any of ${judged.length} hosts`
          : `Real changes on ${real.length} of ${judged.length} hosts: ${real
              .slice(0, 5)
              .map((r) => `${r.name} ${r.judged?.direction} (${r.judged?.verdict})`)
              .join(", ")}${real.length > 5 ? ", …" : ""}`,
      );
    if (missing.length > 0)
      lines.push(
        `Not compared (too little data ${thenLabel}): ${missing
          .slice(0, 5)
          .map((r) => r.name)
          .join(", ")}${missing.length > 5 ? ", …" : ""}`,
      );
  } else {
    lines.push(
      `${spec.label} ${range.label}: ${biggest.name} avg ${fmt(biggest.now)}; ${
        longestEarlier < 60
          ? `no data for ${thenLabel}, so nothing to compare with`
          : `${thenLabel} has only ${spanText(longestEarlier)} of data of ${span}, too little to compare`
      }`,
    );
  }
  const fields: ReplyField[] = rows.slice(0, 20).map((r) => {
    const partial = r.history.enough ? "" : ` (over ${spanText(r.history.seconds)} of data)`;
    let value: string;
    if (r.before !== undefined)
      value = `avg ${fmt(r.now)} vs ${fmt(r.before)} (${formatDelta(r.now - r.before, spec.unit)})${verdictSuffix(r.judged, spec)}${partial}`;
    else if (!r.earlier || r.earlier.seconds < 60)
      value = `avg ${fmt(r.now)}${partial} · ${thenLabel}: no data`;
    else
      value = `avg ${fmt(r.now)}${partial} · ${thenLabel}: only ${spanText(r.earlier.seconds)} of data, not compared`;
    return { label: r.name, value };
  });
  const top = new Set(rows.slice(0, 3).map((r) => r.name));
  const chartSeries = [
    ...toChartSeries((current[0]?.series ?? []).filter((s) => top.has(displayHost(s.labels.instance)))),
    ...toChartSeries(
      (previous[0]?.series ?? [])
        .filter((s) => top.has(displayHost(s.labels.instance)))
        // Shift the earlier period onto the current one so the two lines overlay.
        .map((s) => ({
          labels: s.labels,
          points: s.points.map(([t, v]) => [t + offsetSeconds, v] as [number, number]),
        })),
      (l) => `${displayHost(l.instance)} (${thenLabel})`,
    ),
  ];
  const drawn = await drawChart(ctx, {
    title: `${spec.label} — ${range.label} vs ${thenLabel}`,
    subject: spec.label,
    unit: spec.unit,
    series: chartSeries,
  });
  return makeReply({
    title: `${spec.label}: ${range.label} vs ${thenLabel}${ctx.host ? ` on ${ctx.host.name}` : ""}${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: "info",
    fields,
    chart: drawn.chart,
    links: resourceLinks(ctx, spec, win.end - win.start, win.end),
    context: [
      ...environmentContext(ctx),
      `Averages over ${formatWindow({ start: at - (range.fromSecondsAgo - range.toSecondsAgo), end: at })} and the same span ${thenLabel}; compared only where ${thenLabel} has data for ${Math.round(COVERAGE_NEEDED * 100)}% of it`,
      ...(biggest.judged && biggest.judged.verdict !== "insufficient"
        ? [
            `Real or not: judged on each period's ${biggest.judged.subject.n} and ${biggest.judged.reference.n} points every ${spanText(win.step)}, resampled in blocks of ${biggest.judged.blockLength} (the series' memory); a change must leave out zero from the 95% interval to be clear, the 90% one to be likely, and be at least ${formatDelta(biggest.judged.floor, spec.unit).replace(/^[+−±]/, "")}`,
          ]
        : []),
      `From ${namedQuery(spec.queries[0]?.name ?? "cpu_busy_percent").source(win.rateWindow)}`,
      ...drawn.note,
    ],
  });
}

/** ": higher by 12% (clear)" after a compared pair; nothing when it could not be judged. */
function verdictSuffix(c: Comparison | undefined, spec: ResourceSpec): string {
  if (!c || c.verdict === "insufficient") return "";
  return `: ${describeComparison(c, (d) => formatDelta(d, spec.unit))}`;
}

function formatWindow(win: { start: number; end: number }): string {
  const d = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");
  return `${d(win.start)} → ${d(win.end)} UTC`;
}
