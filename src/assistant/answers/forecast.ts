/**
 * "When will disk be full on db-1?", "memory forecast", "cpu next week", "capacity report": the
 * forecasts of insights/capacity.ts and insights/forecast presented. Each says its date and interval,
 * the model its backtest chose and that backtest's error; "no risk within 30 days" and "too little
 * history (3 h)" are answers too.
 */
import type { ChartForecast, LineChartSpec } from "../../charts/line-chart.js";
import { prometheusGraphLink } from "../../grafana/links.js";
import {
  type CapacityForecast,
  type CapacityKind,
  type CapacityRisks,
  capacityQueries,
  capacityRisks,
  capacityStep,
  fillsWithin,
  MIN_HISTORY_SECONDS,
} from "../../insights/capacity.js";
import { forecast, timeToThreshold } from "../../insights/forecast/index.js";
import { namedQuery } from "../../metrics/catalogue.js";
import { hostOfInstance } from "../../metrics/promql.js";
import { formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply, type ReplyField, type ReplyLink } from "../../reply/reply.js";
import type { Intent } from "../intent.js";
import { RESOURCES, type ResourceSpec } from "../resources.js";
import { type AnswerContext, drawChart, environmentContext, envSuffix, hostMatchers } from "./context.js";
import { resourceLinks } from "./links.js";
import { noData } from "./resource-now.js";

const DAY = 86_400;
/** How far a fill-time question looks when it does not say. */
const DEFAULT_FILL_HORIZON = 30 * DAY;
/** How far a level forecast ("cpu next week") looks when the question does not say. */
const DEFAULT_LEVEL_HORIZON = 7 * DAY;
/** History a level forecast reads. */
const LEVEL_LOOKBACK = 14 * DAY;
/** The near window of the capacity report, beside the one asked for. */
const NEAR_WINDOW = 7 * DAY;
/** Most rows an answer lists; the rest are counted. */
const MAX_ROWS = 10;
const LEVEL = 0.9;

/** How each model is named to a reader. */
const MODEL_TEXT: Record<string, string> = {
  "seasonal-naive": "seasonal naive (same time yesterday)",
  "robust-trend": "robust linear trend (Theil–Sen since the last clean-up)",
  harmonic: "trend + daily/weekly seasonality",
  "last-value": "last value",
  "exponential-smoothing": "exponential smoothing",
  combination: "combination of seasonal naive, seasonal regression and smoothing",
};

function modelText(model: string | null): string {
  return model === null ? "none" : (MODEL_TEXT[model] ?? model);
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Tue 8 Dec 14:00 UTC" */
export function formatWhen(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.toISOString().slice(11, 16)} UTC`;
}

/** "8 Dec" */
function formatDay(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "between 6 and 11 Dec", "between 6 Dec and 2 Jan", "between 14:00 and 18:00 on 8 Dec". */
export function formatBetween(from: number, to: number): string {
  const a = new Date(from * 1000);
  const b = new Date(to * 1000);
  if (formatDay(from) === formatDay(to))
    return `between ${a.toISOString().slice(11, 16)} and ${b.toISOString().slice(11, 16)} UTC on ${formatDay(from)}`;
  if (a.getUTCMonth() === b.getUTCMonth()) return `between ${a.getUTCDate()} and ${formatDay(to)}`;
  return `between ${formatDay(from)} and ${formatDay(to)}`;
}

/** "30 days", "36 hours", "45 minutes". */
export function spanWords(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 2 * DAY) return `${Math.round(s / DAY)} days`;
  if (s >= 2 * 3600) return `${Math.round(s / 3600)} hours`;
  const minutes = Math.max(1, Math.round(s / 60));
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** "in 8 d", "in 5 h". */
function inText(seconds: number): string {
  if (seconds <= 0) return "now";
  if (seconds >= DAY) return `in ${(seconds / DAY).toFixed(seconds >= 10 * DAY ? 0 : 1)} d`;
  return `in ${Math.max(1, Math.round(seconds / 3600))} h`;
}

/** What a series is called: "/data on db-1", "memory on db-1". */
function seriesName(f: CapacityForecast, withHost = true): string {
  // Mount points come from the exporter: a long one is cut so a line stays one line.
  const mount = f.mountpoint || f.device || "disk";
  const what = f.kind === "disk" ? (mount.length > 60 ? `${mount.slice(0, 59)}…` : mount) : "memory";
  return withHost ? `${what} on ${f.host}` : what;
}

function percentOf(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(0)}%`;
}

/** The one line a series gets: its status, date and interval first, then the numbers behind it. */
export function forecastLine(f: CapacityForecast, withHost = true): string {
  const name = seriesName(f, withHost);
  const used = `${formatValue(f.usedBytes, "bytes")} of ${formatValue(f.capacityBytes, "bytes")} used (${percentOf(f.usedBytes, f.capacityBytes)})`;
  const fullWord =
    f.kind === "disk" ? "full" : `exhausted (${percentOf(f.fullAtBytes, f.capacityBytes)} used)`;
  switch (f.status) {
    case "already_full":
      return `🔴 ${name}: FULL now · ${used}`;
    case "insufficient_history":
      return `⚪ ${name}: too little history to forecast (${spanWords(f.historySeconds)}; at least ${spanWords(MIN_HISTORY_SECONDS)} needed) · ${used}`;
    case "fills": {
      const when = f.fill.expected as number;
      const range =
        f.fill.earliest !== null && f.fill.latest !== null
          ? f.fill.latest - f.fill.earliest < 3600
            ? ", give or take under an hour"
            : `, ${formatBetween(f.fill.earliest, f.fill.latest)}`
          : f.fill.earliest !== null
            ? `, from ${formatDay(f.fill.earliest)} (the interval's far end is beyond ${spanWords(f.horizonSeconds)})`
            : "";
      const cleanup =
        f.reliesOnCleanup && f.cleanups?.nextExpectedAt !== undefined
          ? ` · unless cleaned up as before (every ~${spanWords(f.cleanups.everySeconds ?? 0)}, next due ~${formatWhen(f.cleanups.nextExpectedAt)})`
          : "";
      return `${levelIcon(f)} ${name}: ${fullWord} around ${formatWhen(when)} (${inText(when - f.usedAt)})${range} · ${used}, ${growthText(f)}${cleanup}`;
    }
    case "no_risk": {
      const maybe =
        f.fill.earliest !== null
          ? ` (at the interval's high end it could be ${f.kind === "disk" ? "full" : "exhausted"} by ${formatDay(f.fill.earliest)})`
          : "";
      return `🟢 ${name}: no risk within ${spanWords(f.horizonSeconds)}${maybe} · ${used}, ${growthText(f)}`;
    }
  }
}

function levelIcon(f: CapacityForecast): string {
  if (f.status === "already_full") return "🔴";
  // Full at the current rate, but its clean-ups have come before: worth a look, not a page.
  if (f.reliesOnCleanup) return "🟠";
  if (f.fill.expected !== null && f.fill.expected - f.usedAt <= NEAR_WINDOW) return "🔴";
  return "🟠";
}

function growthText(f: CapacityForecast): string {
  const g = f.growthBytesPerDay ?? 0;
  // Less than a thousandth of the capacity a day is no movement worth naming.
  if (Math.abs(g) < 0.001 * f.capacityBytes) return "flat";
  return `${g > 0 ? "growing" : "shrinking"} ${formatValue(Math.abs(g), "bytes")}/day`;
}

/** "robust linear trend · backtest error 1.2 GiB (0.1% of size)" */
function modelField(f: CapacityForecast): string {
  if (f.model === null) return f.status === "already_full" ? "no forecast needed" : "no forecast";
  const err =
    f.backtestMaeBytes === null
      ? ""
      : ` · backtest error ${formatValue(f.backtestMaeBytes, "bytes")} (${(f.backtestMaePercent ?? 0).toFixed(2)}% of size)`;
  return `${modelText(f.model)}${err} · ${Math.round(f.level * 100)}% interval`;
}

/** The chart of one series: its history, the forecast cone, and the full line. */
function capacityChart(ctx: AnswerContext, f: CapacityForecast): LineChartSpec {
  // Values far past the full line only squash the history; the cone is drawn up to a little above it.
  const cap = 1.25 * f.fullAtBytes;
  const clip = (v: number) => Math.min(v, cap);
  // Past the point where even the lower bound is over that line, the forecast says nothing new.
  const over = f.points.findIndex((p) => p.lower >= cap);
  const drawnPoints = over >= 0 ? f.points.slice(0, over + 1) : f.points;
  const cone: ChartForecast = {
    label: "forecast",
    intervalLabel: `${Math.round(f.level * 100)}% interval`,
    points: drawnPoints.map((p) => [p.t * 1000, clip(p.forecast), clip(p.lower), clip(p.upper)]),
  };
  const name = seriesName(f);
  return {
    title: `${f.kind === "disk" ? `Disk ${name}` : `Memory on ${f.host}`} — forecast ${spanWords(f.horizonSeconds)}${envSuffix(ctx)}`,
    subject: `${f.kind === "disk" ? "Disk used" : "Memory used"}, ${name}`,
    unit: "bytes",
    series: [{ name, points: f.history.map(([t, v]) => [t * 1000, v] as [number, number | null]) }],
    threshold: {
      value: f.fullAtBytes,
      label:
        f.kind === "disk"
          ? `size ${formatValue(f.capacityBytes, "bytes")}`
          : `${percentOf(f.fullAtBytes, f.capacityBytes)} of ${formatValue(f.capacityBytes, "bytes")}`,
    },
    ...(f.points.length > 0 ? { forecast: cone } : {}),
  };
}

function kindOf(resource: string): CapacityKind | undefined {
  return resource === "disk" ? "disk" : resource === "memory" ? "memory" : undefined;
}

function methodContext(risks: CapacityRisks, kind: CapacityKind | undefined): string[] {
  const kinds = kind ? [kind] : (Object.keys(risks.queries) as CapacityKind[]);
  const out: string[] = [];
  for (const k of kinds) {
    const step = risks.step[k];
    const q = risks.queries[k];
    if (step === undefined || !q) continue;
    out.push(`${k === "disk" ? "Disks" : "Memory"}: from ${q.source}, 14 days every ${spanWords(step)}`);
  }
  out.push(
    "Each series is forecast by the model its own rolling-origin backtest picks; intervals come from that backtest's errors",
  );
  return out;
}

function failureLines(risks: CapacityRisks): string[] {
  const unfinished =
    risks.unfinished > 0
      ? [
          `⚠️ Only ${risks.forecasts.length} of ${risks.forecasts.length + risks.unfinished} series forecast before the answer's deadline; ask about one host for the rest`,
        ]
      : [];
  return unfinished.concat(
    risks.failures.map(
      (f) =>
        `⚠️ ${f.kind === "disk" ? "Disks" : "Memory"} not checked: ${f.error instanceof Error ? f.error.message : String(f.error)}`,
    ),
  );
}

function capacityLinks(ctx: AnswerContext, kind: CapacityKind): ReplyLink[] {
  return [
    {
      label: "Prometheus graph",
      url: prometheusGraphLink(ctx.client.baseUrl, capacityQueries(kind, hostMatchers(ctx)).used, 14 * DAY),
    },
  ];
}

/** "when will disk be full on db-1?", "memory forecast", "cpu next week". */
export async function answerForecast(
  ctx: AnswerContext,
  intent: Extract<Intent, { kind: "forecast" }>,
): Promise<Reply> {
  const kind = kindOf(intent.resource);
  if (!kind)
    return answerLevelForecast(
      ctx,
      RESOURCES[intent.resource],
      intent.horizonSeconds ?? DEFAULT_LEVEL_HORIZON,
    );
  const horizon = intent.horizonSeconds ?? DEFAULT_FILL_HORIZON;
  const risks = await capacityRisks(ctx.client, {
    kinds: [kind],
    matchers: hostMatchers(ctx),
    withinSeconds: horizon,
    now: ctx.now,
    signal: ctx.signal,
    ...(ctx.longQueryTimeoutMs ? { timeoutMs: ctx.longQueryTimeoutMs } : {}),
    level: LEVEL,
  });
  const spec = RESOURCES[intent.resource];
  if (risks.forecasts.length === 0) return noData(ctx, spec);
  const forecasts = risks.forecasts;
  const where = ctx.host ? ` on ${ctx.host.name}` : "";
  const label = kind === "disk" ? "Disk" : "Memory";
  const fleet = !ctx.host;
  // The headline names what fills for certain before what fills only if its clean-ups stop.
  const risky = forecasts
    .filter((f) => fillsWithin(f, ctx.now, horizon))
    .sort((a, b) => Number(a.reliesOnCleanup) - Number(b.reliesOnCleanup));
  const young = forecasts.filter((f) => f.status === "insufficient_history");
  const first = forecasts[0] as CapacityForecast;
  let title: string;
  if (risks.unfinished > 0 && risky.length === 0) {
    title = `⚠️ ${label}${where}: forecasts not finished in time`;
  } else if (risky.length > 0) {
    const f = risky[0] as CapacityForecast;
    const name = kind === "disk" ? seriesName(f, fleet) : `Memory${fleet ? ` on ${f.host}` : ""}`;
    title =
      f.status === "already_full"
        ? `🔴 ${name} is ${kind === "disk" ? "full" : "exhausted"}`
        : `${levelIcon(f)} ${name} ${kind === "disk" ? "full" : "exhausted"} around ${formatWhen(f.fill.expected as number)}`;
    if (fleet && risky.length > 1) title += ` (+${risky.length - 1} more within ${spanWords(horizon)})`;
  } else if (young.length === forecasts.length) {
    title = `⚪ ${label}${where}: too little history to forecast`;
  } else {
    title = `🟢 ${label}${where}: no risk within ${spanWords(horizon)}`;
  }
  title += envSuffix(ctx);
  const shown = fleet
    ? forecasts.filter((f) => f.status !== "no_risk" || f.fill.earliest !== null)
    : forecasts;
  const lines = shown.slice(0, MAX_ROWS).map((f) => forecastLine(f, fleet));
  const quiet = forecasts.length - shown.length;
  if (fleet)
    lines.push(
      `Checked ${forecasts.length} ${kind === "disk" ? "file system" : "host"}${forecasts.length === 1 ? "" : "s"}${quiet > 0 ? `; ${quiet} with no risk within ${spanWords(horizon)}` : ""}${shown.length > MAX_ROWS ? `; ${shown.length - MAX_ROWS} more not listed` : ""}`,
    );
  if (young.length > 0 && young.length === forecasts.length)
    lines.unshift(
      `Forecasts need at least ${spanWords(MIN_HISTORY_SECONDS)} of history; Prometheus has ${spanWords(Math.max(...young.map((f) => f.historySeconds)))}`,
    );
  lines.push(...failureLines(risks));
  const fields: ReplyField[] = forecasts
    .filter((f) => f.model !== null)
    .slice(0, MAX_ROWS)
    .map((f) => ({ label: seriesName(f, fleet), value: modelField(f) }));
  // The chart shows the headline's series.
  const charted =
    risky.find((f) => f.points.length > 0) ?? forecasts.find((f) => f.points.length > 0) ?? first;
  const drawn = await drawChart(ctx, capacityChart(ctx, charted));
  const tone =
    risky.length > 0
      ? risky.some((f) => levelIcon(f) === "🔴")
        ? "critical"
        : "warning"
      : young.length === forecasts.length
        ? "info"
        : "ok";
  const hostPart = ctx.host ? ` on ${ctx.host.name}` : "";
  return makeReply({
    title,
    text: lines.join("\n"),
    tone: risks.failures.length > 0 && tone === "ok" ? "warning" : tone,
    fields,
    chart: drawn.chart,
    links: capacityLinks(ctx, kind),
    actions: [
      askButton("Capacity report", "capacity report"),
      askButton("Trend 7d", `${intent.resource} trend last 7d${hostPart}`),
    ],
    context: [...environmentContext(ctx), ...methodContext(risks, kind), ...drawn.note],
  });
}

/** "cpu next week", "load forecast on web-2": the level over the horizon, with its interval. */
async function answerLevelForecast(ctx: AnswerContext, spec: ResourceSpec, horizon: number): Promise<Reply> {
  const q = spec.queries[0];
  if (!q) return noData(ctx, spec);
  const step = capacityStep(LEVEL_LOOKBACK);
  const end = ctx.now;
  const start = end - Math.floor(LEVEL_LOOKBACK / step) * step;
  const expr = namedQuery(q.name).build({ matchers: hostMatchers(ctx), windowSeconds: Math.max(300, step) });
  const series = await ctx.client.range(
    expr,
    { start, end, step },
    { signal: ctx.signal, ...(ctx.longQueryTimeoutMs ? { timeoutMs: ctx.longQueryTimeoutMs } : {}) },
  );
  const fmt = (v: number) => formatValue(v, spec.unit);
  const rows: {
    name: string;
    history: Array<[number, number | null]>;
    points: { t: number; forecast: number; lower: number; upper: number }[];
    model: string;
    mae: number;
    peak: { t: number; forecast: number; lower: number; upper: number };
    historySeconds: number;
    warningAt: number | null;
    /** The level now, from the last point read. */
    now: number;
  }[] = [];
  let young = 0;
  let youngest = 0;
  for (const s of series) {
    ctx.signal.throwIfAborted();
    const finite = s.points.filter(([, v]) => Number.isFinite(v));
    const span = finite.length > 1 ? (finite.at(-1)?.[0] ?? 0) - (finite[0]?.[0] ?? 0) : 0;
    if (finite.length < 24 || span < MIN_HISTORY_SECONDS) {
      young++;
      youngest = Math.max(youngest, span);
      continue;
    }
    const values = Float64Array.from(finite.map(([, v]) => v));
    const times = Float64Array.from(finite.map(([t]) => t));
    const steps = Math.max(1, Math.min(Math.ceil(Math.min(horizon, 4 * span) / step), 10_000));
    const result = forecast(values, times, steps, { level: LEVEL });
    // Every signal here is a level that cannot go below zero (%, bytes, counts, load), and a share
    // cannot pass 100%: an interval beyond what is possible would read as a warning it is not.
    const ceiling = spec.unit === "percent" ? 100 : Number.POSITIVE_INFINITY;
    const bound = (v: number) => Math.min(ceiling, Math.max(0, v));
    const points = result.points.map((p) => ({
      t: p.t,
      forecast: bound(p.forecast),
      lower: bound(p.lower),
      upper: bound(p.upper),
    }));
    const lastValue = values[values.length - 1] as number;
    const peak = points.reduce(
      (a, p) => (p.forecast > a.forecast ? p : a),
      points[0] as (typeof points)[number],
    );
    const warning = spec.warning;
    rows.push({
      name: hostOfInstance(s.labels.instance ?? ""),
      history: s.points.map(([t, v]) => [t, Number.isFinite(v) ? v : null]),
      points,
      model: result.model,
      mae: result.backtestMae,
      peak,
      historySeconds: span,
      warningAt: warning === undefined ? null : timeToThreshold({ ...result, points }, warning).expected,
      now: lastValue,
    });
    await new Promise((r) => setImmediate(r));
  }
  if (rows.length === 0 && young === 0) return noData(ctx, spec);
  const where = ctx.host ? ` on ${ctx.host.name}` : "";
  if (rows.length === 0)
    return makeReply({
      title: `⚪ ${spec.label}${where}: too little history to forecast${envSuffix(ctx)}`,
      text: `Forecasts need at least ${spanWords(MIN_HISTORY_SECONDS)} of history; Prometheus has ${spanWords(youngest)}.`,
      tone: "info",
      context: environmentContext(ctx),
      links: resourceLinks(ctx, spec, LEVEL_LOOKBACK),
    });
  rows.sort((a, b) => b.peak.forecast - a.peak.forecast);
  const top = rows[0] as (typeof rows)[number];
  const reach = (top.points.at(-1)?.t ?? end) - end;
  // A host already past the warning level is the news, whatever its forecast says about later.
  const above = spec.warning === undefined ? [] : rows.filter((r) => r.now >= (spec.warning as number));
  const crossing = rows.filter((r) => r.warningAt !== null && !above.includes(r));
  const title =
    above.length > 0
      ? `🟠 ${spec.label}${where}: ${above[0]?.name} already at ${fmt(above[0]?.now as number)}, above the warning level ${fmt(spec.warning as number)}${above.length > 1 ? ` (and ${above.length - 1} more)` : ""}${envSuffix(ctx)}`
      : crossing.length > 0
        ? `🟠 ${spec.label}${where}: ${crossing[0]?.name} expected to reach ${fmt(spec.warning as number)} around ${formatWhen(crossing[0]?.warningAt as number)}${envSuffix(ctx)}`
        : `${spec.label}${where} over the next ${spanWords(reach)}: highest ${top.name}, up to ${fmt(top.peak.forecast)}${envSuffix(ctx)}`;
  const lines = rows.slice(0, ctx.host ? MAX_ROWS : 5).map((r) => {
    const last = r.points.at(-1) as (typeof r.points)[number];
    return `${r.name}: peak ~${fmt(r.peak.forecast)} around ${formatWhen(r.peak.t)} (${Math.round(LEVEL * 100)}% interval ${fmt(r.peak.lower)}–${fmt(r.peak.upper)}) · at the end ${fmt(last.forecast)} (${fmt(last.lower)}–${fmt(last.upper)})`;
  });
  for (const r of above.slice(0, 5))
    lines.unshift(`${r.name}: ${fmt(r.now)} now, above the warning level ${fmt(spec.warning as number)}`);
  if (spec.warning !== undefined && crossing.length === 0 && above.length === 0)
    lines.push(`Not expected to reach the warning level ${fmt(spec.warning)} within ${spanWords(reach)}`);
  if (!ctx.host && rows.length > 5) lines.push(`${rows.length - 5} more hosts with lower forecasts`);
  if (young > 0)
    lines.push(
      `${young} series with too little history (under ${spanWords(MIN_HISTORY_SECONDS)}) not forecast`,
    );
  if (reach < horizon - step)
    lines.push(`Forecast to ${spanWords(reach)} only: no further than four times the history there is`);
  const fields: ReplyField[] = rows.slice(0, MAX_ROWS).map((r) => ({
    label: r.name,
    value: `${modelText(r.model)} · backtest error ${fmt(r.mae)}`,
  }));
  const drawn = await drawChart(ctx, {
    title: `${spec.label} on ${top.name} — forecast ${spanWords(reach)}${envSuffix(ctx)}`,
    subject: `${spec.label} on ${top.name}`,
    unit: spec.unit,
    series: [{ name: top.name, points: top.history.map(([t, v]) => [t * 1000, v]) }],
    ...(spec.warning !== undefined
      ? { threshold: { value: spec.warning, label: `warning ${fmt(spec.warning)}` } }
      : {}),
    forecast: {
      label: "forecast",
      intervalLabel: `${Math.round(LEVEL * 100)}% interval`,
      points: top.points.map((p) => [p.t * 1000, p.forecast, p.lower, p.upper]),
    },
  });
  return makeReply({
    title,
    text: lines.join("\n"),
    tone: crossing.length > 0 || above.length > 0 ? "warning" : "info",
    fields,
    chart: drawn.chart,
    links: resourceLinks(ctx, spec, LEVEL_LOOKBACK),
    context: [
      ...environmentContext(ctx),
      `From ${namedQuery(q.name).source(Math.max(300, step))}, 14 days every ${spanWords(step)}`,
      "Each host is forecast by the model its own rolling-origin backtest picks; intervals come from that backtest's errors",
      ...drawn.note,
    ],
  });
}

/** "capacity report", "what fills up within 30 days": every file system and host at risk. */
export async function answerCapacity(
  ctx: AnswerContext,
  intent: Extract<Intent, { kind: "capacity" }>,
): Promise<Reply> {
  const within = Math.max(DAY, intent.withinSeconds);
  const near = Math.min(NEAR_WINDOW, within);
  const risks = await capacityRisks(ctx.client, {
    matchers: hostMatchers(ctx),
    withinSeconds: within,
    now: ctx.now,
    signal: ctx.signal,
    ...(ctx.longQueryTimeoutMs ? { timeoutMs: ctx.longQueryTimeoutMs } : {}),
    level: LEVEL,
  });
  const where = ctx.host ? ` on ${ctx.host.name}` : "";
  const soon = risks.atRisk.filter((f) => fillsWithin(f, ctx.now, near));
  const later = risks.atRisk.filter((f) => !fillsWithin(f, ctx.now, near));
  const could = risks.forecasts.filter(
    (f) => !fillsWithin(f, ctx.now, within) && fillsWithin(f, ctx.now, within, "earliest"),
  );
  const young = risks.forecasts.filter((f) => f.status === "insufficient_history");
  const checkedText = `Checked ${risks.checked.disk} file system${risks.checked.disk === 1 ? "" : "s"} and the memory of ${risks.checked.memory} host${risks.checked.memory === 1 ? "" : "s"}`;
  const windows = near < within ? `${spanWords(near)} / ${spanWords(within)}` : spanWords(within);
  let title: string;
  if (risks.atRisk.length === 0)
    title =
      young.length === risks.forecasts.length && young.length > 0
        ? `⚪ Capacity${where}: too little history to forecast`
        : `🟢 Capacity${where}: nothing fills within ${spanWords(within)}`;
  else
    title = `${soon.length > 0 ? "🔴" : "🟠"} Capacity${where}: ${near < within ? `${soon.length} at risk within ${spanWords(near)}, ${risks.atRisk.length} within ${spanWords(within)}` : `${risks.atRisk.length} at risk within ${spanWords(within)}`}`;
  if (risks.failures.length > 0) title += ` — ${risks.failures.map((f) => f.kind).join(" and ")} not checked`;
  if (risks.unfinished > 0) title += ` — ${risks.unfinished} not forecast in time`;
  title += envSuffix(ctx);
  const lines: string[] = [];
  if (soon.length > 0 && near < within) lines.push(`Within ${spanWords(near)}:`);
  lines.push(...soon.slice(0, MAX_ROWS).map((f) => forecastLine(f)));
  if (later.length > 0) {
    if (near < within) lines.push(`Within ${spanWords(within)}:`);
    lines.push(...later.slice(0, Math.max(0, MAX_ROWS - soon.length)).map((f) => forecastLine(f)));
  }
  if (risks.atRisk.length > MAX_ROWS) lines.push(`${risks.atRisk.length - MAX_ROWS} more at risk not listed`);
  if (could.length > 0)
    lines.push(
      `Could fill at the interval's high end: ${could
        .slice(0, 5)
        .map((f) => `${seriesName(f)} (from ${formatDay(f.fill.earliest as number)})`)
        .join(", ")}${could.length > 5 ? `, and ${could.length - 5} more` : ""}`,
    );
  lines.push(checkedText);
  if (young.length > 0)
    lines.push(
      `Too little history to forecast (under ${spanWords(MIN_HISTORY_SECONDS)}): ${young
        .slice(0, 5)
        .map((f) => `${seriesName(f)} (${spanWords(f.historySeconds)})`)
        .join(", ")}${young.length > 5 ? `, and ${young.length - 5} more` : ""}`,
    );
  if (risks.stale.disk + risks.stale.memory > 0)
    lines.push(`${risks.stale.disk + risks.stale.memory} series stopped reporting and were left out`);
  lines.push(...failureLines(risks));
  const fields: ReplyField[] = risks.atRisk
    .filter((f) => f.model !== null)
    .slice(0, MAX_ROWS)
    .map((f) => ({ label: seriesName(f), value: modelField(f) }));
  const charted = risks.atRisk.find((f) => f.points.length > 0);
  const drawn = charted ? await drawChart(ctx, capacityChart(ctx, charted)) : { note: [] as string[] };
  const tone =
    (risks.failures.length > 0 || risks.unfinished > 0) && risks.atRisk.length === 0
      ? "warning"
      : soon.length > 0
        ? "critical"
        : risks.atRisk.length > 0
          ? "warning"
          : young.length === risks.forecasts.length && young.length > 0
            ? "info"
            : "ok";
  return makeReply({
    title,
    text: lines.join("\n"),
    tone,
    fields,
    chart: "chart" in drawn ? drawn.chart : undefined,
    links: capacityLinks(ctx, "disk"),
    actions: [
      askButton("Within 7 days", "capacity report next 7 days"),
      askButton("Within 30 days", "capacity report next 30 days"),
      askButton("Disk forecast", "when will disk be full?"),
    ],
    context: [
      ...environmentContext(ctx),
      `Windows: ${windows}; forecasts ${Math.round(LEVEL * 100)}% intervals`,
      ...methodContext(risks, undefined),
      ...drawn.note,
    ],
  });
}
