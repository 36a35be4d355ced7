/**
 * Comparisons with a judgement: "web-1 vs web-2 cpu" (host vs host), "is web-2 slower than the
 * others?" (a host against the rest of its environment), "cpu since the deploy at 14:00" (before vs
 * after a moment). Each says the two numbers, their difference, and whether it is real
 * (insights/compare.ts: a block bootstrap interval that allows for the series' memory, and a floor
 * below which a difference is no real change).
 */
import {
  type CompareOptions,
  type Comparison,
  compareSeries,
  describeComparison,
} from "../../insights/compare.js";
import type { Unit } from "../../metrics/catalogue.js";
import { namedQuery } from "../../metrics/catalogue.js";
import { isWindowed, RATE_WINDOW_S } from "../../metrics/extremes.js";
import type { RangeSeries } from "../../metrics/prometheus-client.js";
import { hostMatcher, type LabelMatcher } from "../../metrics/promql.js";
import { formatClock, formatDelta, formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply, type ReplyField } from "../../reply/reply.js";
import type { Intent } from "../intent.js";
import { RESOURCES, type ResourceSpec } from "../resources.js";
import { type AnswerContext, displayHost, drawChart, environmentContext, envSuffix } from "./context.js";
import { resourceLinks } from "./links.js";
import { type QueryWindow, queryWindow } from "./time-window.js";

type CompareHostsIntent = Extract<Intent, { kind: "compare_hosts" }>;
type CompareFleetIntent = Extract<Intent, { kind: "compare_fleet" }>;
type CompareChangeIntent = Extract<Intent, { kind: "compare_change" }>;

/** Most hosts one host-vs-host question compares. */
const MAX_HOSTS = 5;
/** Longest stretch on each side of a before/after moment: the day before against the day after. */
export const MAX_CHANGE_SIDE_S = 86_400;
/** Hosts listed by a fleet-wide before/after answer. */
const MAX_FIELDS = 15;

/**
 * The practical floor in the unit: a difference below it is no real change however sure. Half a
 * percentage point for percentages, 0.05 for ratios (load per core); other units rely on the 5%
 * relative floor alone.
 */
export function minAbsoluteFor(unit: Unit): number {
  return unit === "percent" ? 0.5 : unit === "ratio" ? 0.05 : 0;
}

export function compareOptionsFor(spec: Pick<ResourceSpec, "unit">): CompareOptions {
  return { minAbsolute: minAbsoluteFor(spec.unit) };
}

/** One host's headline series: the worst of its series at each step when a query gives several. */
interface HostSeries {
  host: string;
  points: Array<[number, number]>;
}

function byHost(series: RangeSeries[]): HostSeries[] {
  const hosts = new Map<string, Map<number, number>>();
  for (const s of series) {
    const host = displayHost(s.labels.instance);
    const at = hosts.get(host) ?? new Map<number, number>();
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) continue;
      const prev = at.get(t);
      at.set(t, prev === undefined ? v : Math.max(prev, v));
    }
    hosts.set(host, at);
  }
  return [...hosts].map(([host, at]) => ({
    host,
    points: [...at].sort((a, b) => a[0] - b[0]),
  }));
}

/**
 * The signal as compared: its headline query only, named so when the signal has several ("Network
 * received" rather than "Network", which also has sent).
 */
function headlineSpec(spec: ResourceSpec): ResourceSpec {
  const first = spec.queries[0];
  if (!first || spec.queries.length === 1) return spec;
  return { ...spec, label: `${spec.label} ${first.label.toLowerCase()}`, queries: [first] };
}

function headline(spec: ResourceSpec): { name: Parameters<typeof namedQuery>[0]; label: string } {
  const first = spec.queries[0];
  if (!first) throw new Error(`${spec.label} has no query`);
  return first;
}

function buildExpr(spec: ResourceSpec, matchers: LabelMatcher[], windowSeconds: number): string {
  return namedQuery(headline(spec).name).build({ matchers, windowSeconds });
}

async function fetchHosts(
  ctx: AnswerContext,
  spec: ResourceSpec,
  matchers: LabelMatcher[],
  win: QueryWindow,
): Promise<HostSeries[]> {
  const series = await ctx.client.range(buildExpr(spec, matchers, win.rateWindow), win, {
    signal: ctx.signal,
  });
  return byHost(series);
}

const values = (points: Array<[number, number]>) => points.map(([, v]) => v);
const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((s, v) => s + v, 0) / xs.length : Number.NaN);

/** "+5.0 pts", "+1.0 MiB/s": the difference in the unit (the verdict's words give it relative). */
function deltaText(c: Comparison, unit: Unit): string {
  return formatDelta(c.difference, unit);
}

function words(c: Comparison, unit: Unit): string {
  return describeComparison(c, (d) => formatDelta(d, unit));
}

/** The small print saying how a verdict was reached, so it can be checked. */
function methodLine(c: Comparison, unit: Unit, step: number): string {
  if (c.verdict === "insufficient")
    return `Judged on ${c.subject.n} and ${c.reference.n} points: too few to judge`;
  const [lo, hi] = c.interval;
  const floor =
    c.floor > 0
      ? `; differences under ${formatDelta(c.floor, unit).replace(/^[+−±]/, "")} count as no real change`
      : "";
  return (
    `Judged on ${c.subject.n} and ${c.reference.n} points ${stepText(step)} apart, resampled in blocks of ${c.blockLength} ` +
    `(the series' memory): ${Math.round(c.confidence * 100)}% interval of the difference ${formatDelta(lo, unit)} to ${formatDelta(hi, unit)}${floor}`
  );
}

function stepText(seconds: number): string {
  return seconds % 3600 === 0
    ? `${seconds / 3600} h`
    : seconds % 60 === 0
      ? `${seconds / 60} min`
      : `${seconds} s`;
}

function verdictTone(c: Comparison): Reply["tone"] {
  return c.verdict === "insufficient" ? "warning" : "info";
}

function fromLine(spec: ResourceSpec, win: QueryWindow): string {
  return `From ${namedQuery(headline(spec).name).source(win.rateWindow)}`;
}

function windowText(start: number, end: number): string {
  const d = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");
  return `${d(start)} → ${d(end)} UTC`;
}

function toChart(name: string, points: Array<[number, number]>) {
  return { name, points: points.map(([t, v]) => [t * 1000, v] as [number, number | null]) };
}

/** "web-1 vs web-2 cpu", "is web-1 busier than web-2": the first named host against the others. */
export async function answerCompareHosts(ctx: AnswerContext, intent: CompareHostsIntent): Promise<Reply> {
  const spec = headlineSpec(RESOURCES[intent.resource]);
  const names = [...new Set(intent.hosts.map((h) => h.trim()).filter(Boolean))].slice(0, MAX_HOSTS);
  if (names.length < 2) {
    return makeReply({
      title: "Name two different hosts to compare",
      text: `I need two hosts, e.g. “${spec.label.toLowerCase()} web-1 vs web-2”.`,
      tone: "warning",
      suggestions:
        ctx.hosts.length >= 2 ? [`${intent.resource} ${ctx.hosts[0]?.name} vs ${ctx.hosts[1]?.name}`] : [],
    });
  }
  const win = queryWindow(intent.range, ctx.now);
  const fetched = await Promise.all(names.map((n) => fetchHosts(ctx, spec, [hostMatcher(n)], win)));
  const fmt = (v: number) => formatValue(v, spec.unit);
  const series = names.map((name, i) => ({
    name,
    points: fetched[i]?.find((s) => s.host === name)?.points ?? fetched[i]?.[0]?.points ?? [],
  }));
  const [first, ...others] = series as [(typeof series)[number], ...typeof series];
  const comparisons = others.map((o) => ({
    other: o,
    c: compareSeries(values(first.points), values(o.points), compareOptionsFor(spec)),
  }));
  const missing = series.filter((s) => s.points.length === 0).map((s) => s.name);
  const lines: string[] = [];
  for (const { other, c } of comparisons) {
    if (c.verdict === "insufficient") {
      const empty = [first, other].filter((s) => s.points.length === 0).map((s) => s.name);
      lines.push(
        empty.length > 0
          ? `${first.name} vs ${other.name}: no ${spec.label} data for ${empty.join(" and ")} ${intent.range.label}`
          : `${first.name} vs ${other.name}: ${words(c, spec.unit)}`,
      );
      continue;
    }
    lines.push(
      `${first.name} avg ${fmt(c.subject.mean)} vs ${other.name} ${fmt(c.reference.mean)} (${deltaText(c, spec.unit)}): ${words(c, spec.unit)}`,
    );
  }
  const fields: ReplyField[] = series.map((s) => {
    const v = values(s.points);
    return {
      label: s.name,
      value:
        v.length > 0
          ? `avg ${fmt(mean(v))} · min ${fmt(Math.min(...v))} · max ${fmt(Math.max(...v))}`
          : "no data",
    };
  });
  const drawn = await drawChart(ctx, {
    title: `${spec.label}: ${names.join(" vs ")} — ${intent.range.label}${envSuffix(ctx)}`,
    subject: `${spec.label} on ${names.join(" and ")}`,
    unit: spec.unit,
    series: series.map((s) => toChart(s.name, s.points)),
  });
  const main = comparisons[0]?.c;
  const title =
    main && main.verdict !== "insufficient"
      ? `${spec.label} ${intent.range.label}: ${first.name} ${fmt(main.subject.mean)} vs ${others[0]?.name} ${fmt(main.reference.mean)}${envSuffix(ctx)}`
      : `${spec.label} ${intent.range.label}: ${names.join(" vs ")}${envSuffix(ctx)}`;
  const range = intent.range.label.replace(/^last /, "");
  return makeReply({
    title,
    text: lines.join("\n"),
    tone: missing.length > 0 ? "warning" : "info",
    fields,
    chart: drawn.chart,
    links: resourceLinks(ctx, spec, win.end - win.start, win.end),
    actions: [
      askButton("Last 24h", `${intent.resource} ${names.join(" vs ")} last 24h`),
      askButton("Last 7d", `${intent.resource} ${names.join(" vs ")} last 7d`),
    ].filter((a) => !(a.action.kind === "ask" && a.action.text.endsWith(` ${range}`))),
    context: [
      ...environmentContext(ctx),
      `Window: ${windowText(win.start, win.end)} (step ${win.step} s)`,
      ...(main ? [methodLine(main, spec.unit, win.step)] : []),
      fromLine(spec, win),
      ...drawn.note,
    ],
  });
}

/** The median of the values at each time across hosts: the fleet's typical line. */
export function medianLine(hosts: HostSeries[]): Array<[number, number]> {
  const at = new Map<number, number[]>();
  for (const h of hosts) for (const [t, v] of h.points) (at.get(t) ?? at.set(t, []).get(t))?.push(v);
  return [...at]
    .sort((a, b) => a[0] - b[0])
    .map(([t, vs]) => {
      const s = [...vs].sort((a, b) => a - b);
      const m = s.length / 2;
      const med = s.length % 2 ? (s[Math.floor(m)] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
      return [t, med] as [number, number];
    });
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${s}`;
}

/**
 * "is web-2 slower than the others?": the question's host against the median of the other hosts of
 * its environment at each step (the median, so one odd peer does not move the yardstick), with its
 * rank among all hosts by average and the others' range: a host can differ clearly from the typical
 * peer and still sit inside the spread of the fleet, and the answer says which.
 */
export async function answerCompareFleet(ctx: AnswerContext, intent: CompareFleetIntent): Promise<Reply> {
  const spec = headlineSpec(RESOURCES[intent.resource]);
  const host = ctx.host;
  if (!host) {
    const example = ctx.hosts[0]?.name ?? "web-1";
    return makeReply({
      title: "Which host should I compare with the others?",
      text: `Name one, e.g. “is ${example} slower than the others?”`,
      tone: "warning",
      suggestions: ctx.hosts.slice(0, 3).map((h) => `is ${h.name} slower than the others?`),
    });
  }
  const win = queryWindow(intent.range, ctx.now);
  const all = await fetchHosts(ctx, spec, [], win);
  const fmt = (v: number) => formatValue(v, spec.unit);
  const mine = all.find((s) => s.host === host.name);
  const peers = all.filter((s) => s.host !== host.name && s.points.length > 0);
  const base = {
    links: resourceLinks(ctx, spec, win.end - win.start, win.end),
    context: [
      ...environmentContext(ctx),
      `Window: ${windowText(win.start, win.end)} (step ${win.step} s)`,
      fromLine(spec, win),
    ],
  };
  if (!mine || mine.points.length === 0) {
    return makeReply({
      ...base,
      title: `No ${spec.label} data for ${host.name} ${intent.range.label}${envSuffix(ctx)}`,
      text: `Prometheus has no ${spec.label} series for ${host.name} ${intent.range.label}, so there is nothing to compare.`,
      tone: "warning",
    });
  }
  if (peers.length === 0) {
    return makeReply({
      ...base,
      title: `${spec.label} ${fmt(mean(values(mine.points)))} on ${host.name}: no other host to compare with${envSuffix(ctx)}`,
      text: `${host.name} is the only host with ${spec.label} data ${intent.range.label} in this environment.`,
      tone: "info",
    });
  }
  const fleet = medianLine(peers);
  const c = compareSeries(values(mine.points), values(fleet), compareOptionsFor(spec));
  const averages = [mine, ...peers]
    .map((s) => ({ host: s.host, avg: mean(values(s.points)) }))
    .sort((a, b) => b.avg - a.avg);
  const rank = averages.findIndex((a) => a.host === host.name) + 1;
  const peerAvgs = averages.filter((a) => a.host !== host.name).map((a) => a.avg);
  const lo = Math.min(...peerAvgs);
  const hi = Math.max(...peerAvgs);
  const myAvg = c.subject.mean;
  const spread =
    myAvg > hi
      ? `above every other host (the others ${fmt(lo)}–${fmt(hi)})`
      : myAvg < lo
        ? `below every other host (the others ${fmt(lo)}–${fmt(hi)})`
        : `within the others' range (${fmt(lo)}–${fmt(hi)})`;
  const lines = [
    c.verdict === "insufficient"
      ? `${host.name} avg ${fmt(myAvg)} vs the others' median ${fmt(c.reference.mean)}: ${words(c, spec.unit)}`
      : `${host.name} avg ${fmt(myAvg)} vs the others' median ${fmt(c.reference.mean)} (${deltaText(c, spec.unit)}): ${words(c, spec.unit)}`,
    `Rank: ${ordinal(rank)} highest of ${averages.length} hosts, ${spread}`,
  ];
  const fields: ReplyField[] = averages.slice(0, 10).map((a, i) => ({
    label: `${i + 1}. ${a.host}${a.host === host.name ? " ◀" : ""}`,
    value: `avg ${fmt(a.avg)}`,
  }));
  if (averages.length > 10) {
    const mineShown = averages.slice(0, 10).some((a) => a.host === host.name);
    fields.push({
      label: mineShown ? "More hosts" : `${rank}. ${host.name} ◀`,
      value: mineShown ? `${averages.length - 10} not shown` : `avg ${fmt(myAvg)}`,
    });
  }
  const drawn = await drawChart(ctx, {
    title: `${spec.label}: ${host.name} vs the others — ${intent.range.label}${envSuffix(ctx)}`,
    subject: `${spec.label} on ${host.name} and the median of ${peers.length} other hosts`,
    unit: spec.unit,
    series: [toChart(host.name, mine.points), toChart(`median of ${peers.length} others`, fleet)],
  });
  return makeReply({
    ...base,
    title: `${spec.label} ${intent.range.label}: ${host.name} ${fmt(myAvg)} vs others ${fmt(c.reference.mean)}${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: verdictTone(c),
    fields,
    chart: drawn.chart,
    actions: [
      // The same question over a longer span: a day, or a week when a day was asked.
      intent.range.label === "last 24h"
        ? askButton("Last 7d", `is ${host.name} different from the others for ${intent.resource} last 7d`)
        : askButton("Last 24h", `is ${host.name} different from the others for ${intent.resource} last 24h`),
    ],
    context: [
      ...environmentContext(ctx),
      `Window: ${windowText(win.start, win.end)} (step ${win.step} s)`,
      `The others: the median of ${peers.length} hosts at each step`,
      methodLine(c, spec.unit, win.step),
      fromLine(spec, win),
      ...drawn.note,
    ],
  });
}

/**
 * "cpu since the deploy at 14:00": the stretch after the moment against the same length before it,
 * at most a day each side and no longer than the time since. A windowed expression (a rate over 5
 * minutes) evaluated just after the moment still averages what came before, so those points are left
 * out of the "after" side.
 */
export async function answerCompareChange(ctx: AnswerContext, intent: CompareChangeIntent): Promise<Reply> {
  const spec = headlineSpec(RESOURCES[intent.resource]);
  const at = ctx.now - intent.atSecondsAgo;
  const side = Math.max(60, Math.min(intent.atSecondsAgo, MAX_CHANGE_SIDE_S));
  const win = queryWindow(
    {
      fromSecondsAgo: intent.atSecondsAgo + side,
      toSecondsAgo: Math.max(0, intent.atSecondsAgo - side),
      label: intent.label,
    },
    ctx.now,
  );
  const matchers = ctx.host ? [hostMatcher(ctx.host.name)] : [];
  const settle = isWindowed(buildExpr(spec, matchers, RATE_WINDOW_S)) ? win.rateWindow : 0;
  const hosts = (await fetchHosts(ctx, spec, matchers, win)).filter(
    (h) => !ctx.host || h.host === ctx.host.name,
  );
  const fmt = (v: number) => formatValue(v, spec.unit);
  const sideText = stepTextLong(side);
  const scope = ctx.host ? ` on ${ctx.host.name}` : "";
  const base = {
    links: resourceLinks(ctx, spec, win.end - win.start, win.end),
  };
  const context = [
    ...environmentContext(ctx),
    `Before: ${windowText(at - side, at)} · after: ${windowText(at, at + side)}${settle > 0 ? ` (the first ${stepText(settle)} after left out: each point averages the ${stepText(settle)} before it)` : ""}`,
    fromLine(spec, win),
  ];
  if (hosts.length === 0) {
    return makeReply({
      ...base,
      title: `No ${spec.label} data${scope} around ${intent.label}${envSuffix(ctx)}`,
      text: `Prometheus has no ${spec.label} series${scope} between ${formatClock(at - side)} and ${formatClock(at + side)}.`,
      tone: "warning",
      context,
    });
  }
  const rows = hosts
    .map((h) => {
      const before = h.points.filter(([t]) => t > at - side && t <= at);
      const after = h.points.filter(([t]) => t >= at + settle && t <= at + side);
      return {
        host: h.host,
        before,
        after,
        c: compareSeries(values(after), values(before), compareOptionsFor(spec)),
      };
    })
    .sort((a, b) => rankOf(b.c) - rankOf(a.c));
  const top = rows[0] as (typeof rows)[number];
  const line = (r: (typeof rows)[number]) =>
    r.c.verdict === "insufficient"
      ? `${r.host}: ${words(r.c, spec.unit)}`
      : `${r.host}: avg ${fmt(r.c.subject.mean)} after vs ${fmt(r.c.reference.mean)} before (${deltaText(r.c, spec.unit)}): ${words(r.c, spec.unit)}`;
  const lines: string[] = [];
  if (rows.length === 1) {
    lines.push(line(top));
  } else if (top.c.verdict === "insufficient") {
    lines.push(`${rows.length} hosts: ${words(top.c, spec.unit)}`);
  } else {
    const changed = rows.filter((r) => r.c.verdict === "clear" || r.c.verdict === "likely");
    lines.push(
      changed.length === 0
        ? `No host changed clearly after ${intent.label} (${rows.length} hosts)`
        : `${changed.length} of ${rows.length} hosts changed after ${intent.label}; biggest: ${line(top)}`,
    );
  }
  lines.push(
    `Compared ${sideText} each side${side < MAX_CHANGE_SIDE_S ? `: the time since ${intent.label}` : " (at most a day)"}`,
  );
  const fields: ReplyField[] = rows.slice(0, MAX_FIELDS).map((r) => ({
    label: r.host,
    value:
      r.c.verdict === "insufficient"
        ? words(r.c, spec.unit)
        : `${fmt(r.c.reference.mean)} → ${fmt(r.c.subject.mean)} (${deltaText(r.c, spec.unit)}) · ${words(r.c, spec.unit)}`,
  }));
  if (rows.length > MAX_FIELDS)
    fields.push({ label: "More hosts", value: `${rows.length - MAX_FIELDS} not shown` });
  const charted = rows.slice(0, 3);
  const drawn = await drawChart(ctx, {
    title: `${spec.label}${scope}: before and after ${intent.label}${envSuffix(ctx)}`,
    subject: `${spec.label}${scope} before and after ${intent.label}`,
    unit: spec.unit,
    // Before and after as two lines per host: where the colour changes is the moment.
    series: charted.flatMap((r) => [
      toChart(`${r.host} before`, r.before),
      toChart(`${r.host} after`, r.after),
    ]),
  });
  return makeReply({
    ...base,
    title:
      top.c.verdict === "insufficient"
        ? `${spec.label}${scope} since ${intent.label}: too little data${envSuffix(ctx)}`
        : `${spec.label}${rows.length === 1 ? ` ${fmt(top.c.subject.mean)}` : ""}${scope} since ${intent.label}: ${rows.length === 1 ? words(top.c, spec.unit) : clearCount(rows.filter((r) => r.c.verdict === "clear").length)}${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: top.c.verdict === "insufficient" ? "warning" : "info",
    fields,
    chart: drawn.chart,
    context: [
      ...context.slice(0, -1),
      methodLine(top.c, spec.unit, win.step),
      ...context.slice(-1),
      ...drawn.note,
    ],
  });
}

function clearCount(n: number): string {
  return n === 0 ? "no clear change" : n === 1 ? "1 clear change" : `${n} clear changes`;
}

/** Sort key: clear changes first, then likely, by size; then the rest by size; too little data last. */
function rankOf(c: Comparison): number {
  const size = Math.abs(c.relative ?? 0) + Math.abs(c.difference) * 1e-9;
  if (c.verdict === "clear") return 3e6 + size;
  if (c.verdict === "likely") return 2e6 + size;
  if (c.verdict === "none") return 1e6 + size;
  return 0;
}

function stepTextLong(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds >= 3600) {
    const h = Math.floor(seconds / 3600);
    const m = Math.round((seconds % 3600) / 60);
    return `${h} h${m ? ` ${m} min` : ""}`;
  }
  return `${Math.round(seconds / 60)} min`;
}
