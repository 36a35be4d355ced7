/** "cpu trends for the last hour", "memory this week vs last week": numbers over time, with a chart. */
import { namedQuery } from "../../metrics/catalogue.js";
import type { RangeSeries } from "../../metrics/prometheus-client.js";
import { formatClock, formatDelta, formatValue } from "../../metrics/units.js";
import { makeReply, type Reply, type ReplyField } from "../../reply/reply.js";
import type { Resource, TimeRange } from "../intent.js";
import { LEVEL_EMOJI, levelOf, RESOURCES, type ResourceSpec, worstLevel } from "../resources.js";
import { DIRECTION_WORD, direction, type SeriesStats, summarise } from "../stats.js";
import {
  type AnswerContext,
  displayHost,
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
  stats: SeriesStats;
  direction: ReturnType<typeof direction>;
}

async function fetchRange(
  ctx: AnswerContext,
  spec: ResourceSpec,
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

function tolerance(spec: ResourceSpec): number {
  return spec.unit === "percent" ? 5 : spec.unit === "ratio" ? 0.2 : 0;
}

function summariseAll(series: RangeSeries[], spec: ResourceSpec, suffix = ""): SeriesSummary[] {
  const out: SeriesSummary[] = [];
  for (const s of series) {
    const stats = summarise(s.points);
    if (stats)
      out.push({
        name: `${displayHost(s.labels.instance)}${suffix}`,
        stats,
        direction: direction(s.points, tolerance(spec)),
      });
  }
  return out.sort((a, b) => b.stats.max - a.stats.max);
}

export async function answerResourceTrend(
  ctx: AnswerContext,
  resource: Resource,
  range: TimeRange,
): Promise<Reply> {
  const spec = RESOURCES[resource];
  const win = queryWindow(range, ctx.now);
  const results = await fetchRange(ctx, spec, win);
  const multi = results.length > 1;
  const summaries = results.flatMap((r) =>
    summariseAll(r.series, spec, multi ? ` ${r.label.toLowerCase()}` : ""),
  );
  if (summaries.length === 0) return noData(ctx, spec);
  const fmt = (v: number) => formatValue(v, spec.unit);
  const peak = summaries[0] as SeriesSummary;
  const tone = worstLevel(summaries.map((s) => levelOf(spec, s.stats.max)));
  // A series that did not move has no moment of peak worth naming.
  const flat = fmt(peak.stats.max) === fmt(peak.stats.min);
  const lines = [
    flat
      ? `${spec.label} ${range.label}: highest ${peak.name}, steady at ${fmt(peak.stats.max)}`
      : `${spec.label} ${range.label}: peak ${fmt(peak.stats.max)} on ${peak.name} at ${formatClock(peak.stats.maxAt)}`,
  ];
  if (summaries.length === 1 || ctx.host) {
    for (const s of summaries) {
      lines.push(
        `${s.name}: now ${fmt(s.stats.last)} · avg ${fmt(s.stats.avg)} · min ${fmt(s.stats.min)} · max ${fmt(s.stats.max)} · ${DIRECTION_WORD[s.direction]}`,
      );
    }
  } else {
    const rising = summaries.filter((s) => s.direction === "rising").map((s) => s.name);
    if (rising.length > 0) lines.push(`Rising: ${rising.slice(0, 5).join(", ")}`);
  }
  const fields: ReplyField[] = summaries.slice(0, 20).map((s) => ({
    label: `${LEVEL_EMOJI[levelOf(spec, s.stats.max)]} ${s.name}`,
    value: `min ${fmt(s.stats.min)} · avg ${fmt(s.stats.avg)} · max ${fmt(s.stats.max)} · last ${fmt(s.stats.last)} ${DIRECTION_WORD[s.direction]}`,
  }));
  if (summaries.length > 20)
    fields.push({ label: "More series", value: `${summaries.length - 20} not shown` });
  const chartTitle = `${spec.label}${ctx.host ? ` on ${ctx.host.name}` : ""} — ${range.label}${envSuffix(ctx)}`;
  const chart = ctx.renderChart({
    title: chartTitle,
    unit: spec.unit,
    series: results.flatMap((r) =>
      toChartSeries(r.series, (l) => `${displayHost(l.instance)}${multi ? ` ${r.label.toLowerCase()}` : ""}`),
    ),
    threshold:
      spec.warning !== undefined ? { value: spec.warning, label: `warning ${fmt(spec.warning)}` } : undefined,
  });
  const hostPart = ctx.host ? ` on ${ctx.host.name}` : "";
  return makeReply({
    title: `${LEVEL_EMOJI[tone]} ${spec.label} ${range.label}${ctx.host ? ` on ${ctx.host.name}` : ""}${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: tone === "ok" ? "ok" : tone,
    fields,
    chart,
    links: resourceLinks(ctx, spec, win.end - win.start, win.end),
    actions: [
      { id: "ask", label: "Last 1h", value: `${resource} trend last 1h${hostPart}` },
      { id: "ask", label: "Last 6h", value: `${resource} trend last 6h${hostPart}` },
      { id: "ask", label: "Last 24h", value: `${resource} trend last 24h${hostPart}` },
      { id: "ask", label: "Last 7d", value: `${resource} trend last 7d${hostPart}` },
    ],
    context: [
      ...environmentContext(ctx),
      `Window: ${formatWindow(win)} (step ${win.step} s)`,
      `From ${namedQuery(spec.queries[0]?.name ?? "cpu_busy_percent").source(win.rateWindow)}`,
    ],
  });
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
  const [current, previous] = await Promise.all([fetchRange(ctx, spec, win), fetchRange(ctx, spec, before)]);
  const cur = summariseAll(current[0]?.series ?? [], spec);
  const prev = new Map(summariseAll(previous[0]?.series ?? [], spec).map((s) => [s.name, s]));
  if (cur.length === 0) return noData(ctx, spec);
  const fmt = (v: number) => formatValue(v, spec.unit);
  const thenLabel =
    offsetSeconds === 86400 ? "the day before" : offsetSeconds === 604800 ? "the week before" : "before";
  const rows = cur.map((c) => {
    const p = prev.get(c.name);
    return { name: c.name, now: c.stats.avg, before: p?.stats.avg };
  });
  rows.sort((a, b) => Math.abs(b.now - (b.before ?? b.now)) - Math.abs(a.now - (a.before ?? a.now)));
  const biggest = rows[0] as (typeof rows)[number];
  const lines = [
    biggest.before === undefined
      ? `${spec.label} ${range.label}: ${biggest.name} avg ${fmt(biggest.now)}; no data for ${thenLabel}`
      : `Biggest change: ${biggest.name} avg ${fmt(biggest.now)} ${range.label} vs ${fmt(biggest.before)} ${thenLabel} (${formatDelta(biggest.now - biggest.before, spec.unit)})`,
  ];
  const fields: ReplyField[] = rows.slice(0, 20).map((r) => ({
    label: r.name,
    value:
      r.before === undefined
        ? `avg ${fmt(r.now)} (no earlier data)`
        : `avg ${fmt(r.now)} vs ${fmt(r.before)} (${formatDelta(r.now - r.before, spec.unit)})`,
  }));
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
  return makeReply({
    title: `${spec.label}: ${range.label} vs ${thenLabel}${ctx.host ? ` on ${ctx.host.name}` : ""}${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: "info",
    fields,
    chart: ctx.renderChart({
      title: `${spec.label} — ${range.label} vs ${thenLabel}`,
      unit: spec.unit,
      series: chartSeries,
    }),
    links: resourceLinks(ctx, spec, win.end - win.start, win.end),
    context: [
      ...environmentContext(ctx),
      `Averages over ${formatWindow(win)} and the same span ${thenLabel}`,
      `From ${namedQuery(spec.queries[0]?.name ?? "cpu_busy_percent").source(win.rateWindow)}`,
    ],
  });
}

function formatWindow(win: QueryWindow): string {
  const d = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");
  return `${d(win.start)} → ${d(win.end)} UTC`;
}
