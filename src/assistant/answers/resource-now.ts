/** "cpu usage", "memory on web-2": the current value, with its usual level and the worst host. */
import { namedQuery } from "../../metrics/catalogue.js";
import {
  type Coverage,
  coverageOfCount,
  historyText,
  spanText,
  windowQueries,
} from "../../metrics/coverage.js";
import { isWindowed, RATE_WINDOW_S } from "../../metrics/extremes.js";
import type { InstantSample } from "../../metrics/prometheus-client.js";
import { formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply, type ReplyField } from "../../reply/reply.js";
import type { Resource } from "../intent.js";
import { LEVEL_EMOJI, levelOf, RESOURCES, type ResourceSpec, worstLevel } from "../resources.js";
import {
  type AnswerContext,
  displayHost,
  environmentContext,
  envSuffix,
  hostMatchers,
  scopeText,
} from "./context.js";
import { resourceLinks } from "./links.js";

/** "Usual level" is the average over this window, given only when most of it has data. */
const USUAL_WINDOW_S = 86400;

interface HostRow {
  host: string;
  instance: string;
  values: number[];
  /** The headline query's average over {@link USUAL_WINDOW_S}, when asked for. */
  usual?: number;
  /** How much of that window has data; the usual level is only said when it is enough. */
  history?: Coverage;
}

/** Current values of every query of a resource, joined per instance. */
export async function currentRows(
  ctx: AnswerContext,
  spec: ResourceSpec,
  withUsual: boolean,
): Promise<HostRow[]> {
  const matchers = hostMatchers(ctx);
  const exprs = spec.queries.map((q) => namedQuery(q.name).build({ matchers }));
  const calls: Promise<InstantSample[]>[] = exprs.map((e) =>
    ctx.client.instant(e, { time: ctx.now, signal: ctx.signal }),
  );
  const first = spec.queries[0];
  const usual =
    withUsual && first
      ? windowQueries(
          (windowSeconds) => namedQuery(first.name).build({ matchers, windowSeconds }),
          USUAL_WINDOW_S,
        )
      : undefined;
  if (usual) {
    for (const e of [usual.avg, usual.count])
      calls.push(ctx.client.instant(e, { time: ctx.now, signal: ctx.signal }));
  }
  const results = await Promise.all(calls);
  const rows = new Map<string, HostRow>();
  spec.queries.forEach((_, i) => {
    for (const s of results[i] ?? []) {
      const inst = s.labels.instance ?? "";
      let row = rows.get(inst);
      if (!row) {
        row = { host: displayHost(inst), instance: inst, values: spec.queries.map(() => Number.NaN) };
        rows.set(inst, row);
      }
      row.values[i] = s.value;
    }
  });
  if (usual) {
    const avg = byInstance(results[spec.queries.length]);
    const count = byInstance(results[spec.queries.length + 1]);
    for (const row of rows.values()) {
      row.usual = avg.get(row.instance);
      row.history = coverageOfCount(count.get(row.instance), usual);
    }
  }
  return [...rows.values()].sort((a, b) => (b.values[0] ?? 0) - (a.values[0] ?? 0));
}

function byInstance(samples: InstantSample[] | undefined): Map<string, number> {
  return new Map((samples ?? []).map((s) => [s.labels.instance ?? "", s.value]));
}

/** "now, 5 min average" for a rate, "now" for a gauge: what the current value stands for. */
export function nowWords(spec: ResourceSpec, now = "now"): string {
  const first = spec.queries[0];
  const windowed =
    first !== undefined && isWindowed(namedQuery(first.name).build({ windowSeconds: RATE_WINDOW_S }));
  return windowed ? `${now}, ${spanText(RATE_WINDOW_S)} average` : now;
}

/** The usual level, when there is enough history behind it. */
function knownUsual(row: HostRow): number | undefined {
  return row.history?.enough && row.usual !== undefined && Number.isFinite(row.usual) ? row.usual : undefined;
}

export async function answerResourceNow(ctx: AnswerContext, resource: Resource): Promise<Reply> {
  const spec = RESOURCES[resource];
  const rows = await currentRows(ctx, spec, true);
  const source = namedQuery(spec.queries[0]?.name ?? "cpu_busy_percent").source(300);
  if (rows.length === 0) return noData(ctx, spec);
  const levels = rows.map((r) => levelOf(spec, r.values[0] ?? 0));
  const tone = worstLevel(levels);
  const top = rows[0] as HostRow;
  const lines: string[] = [];
  const valueText = (r: HostRow) =>
    spec.queries.length === 1
      ? formatValue(r.values[0] ?? Number.NaN, spec.unit)
      : spec.queries
          .map((q, i) => `${q.label} ${formatValue(r.values[i] ?? Number.NaN, spec.unit)}`)
          .join(" · ");
  let title: string;
  if (ctx.host || rows.length === 1) {
    title = `${LEVEL_EMOJI[tone]} ${spec.label} ${valueText(top)} on ${top.host}${envSuffix(ctx)}`;
    lines.push(
      `${spec.queries[0]?.label ?? spec.label}: ${valueText(top)} on ${top.host} (${nowWords(spec)})`,
    );
    const usual = knownUsual(top);
    if (usual !== undefined) {
      lines.push(`Usual level: ${formatValue(usual, spec.unit)} (${spanText(USUAL_WINDOW_S)} average)`);
    } else if (top.history) {
      lines.push(`Usual level: not known yet — ${historyText(top.history)}`);
    }
    if (resource === "cpu") lines.push(...(await cpuBreakdown(ctx)));
    if (resource === "disk") lines.push(...(await diskMounts(ctx)));
  } else {
    const avg = rows.reduce((s, r) => s + (r.values[0] ?? 0), 0) / rows.length;
    title = `${LEVEL_EMOJI[tone]} ${spec.label}: ${top.host} highest at ${formatValue(top.values[0] ?? Number.NaN, spec.unit)}${envSuffix(ctx)}`;
    lines.push(
      `Highest: ${top.host} ${valueText(top)} · fleet average ${formatValue(avg, spec.unit)} ${scopeText(ctx, rows.length)} (${nowWords(spec)})`,
    );
    const hot = rows.filter((_, i) => levels[i] !== "ok");
    if (spec.warning !== undefined) {
      lines.push(
        hot.length === 0
          ? `All ${rows.length} hosts below the ${formatValue(spec.warning, spec.unit)} warning level.`
          : `${hot.length} of ${rows.length} hosts at or above ${formatValue(spec.warning, spec.unit)}: ${hot.map((r) => r.host).join(", ")}`,
      );
    }
    const young = rows.filter((r) => r.history && !r.history.enough);
    const longest = young.map((r) => r.history as Coverage).sort((a, b) => b.seconds - a.seconds)[0];
    if (longest && young.length === rows.length) {
      lines.push(`Usual levels: not known yet — ${historyText(longest)}`);
    } else if (longest) {
      lines.push(
        `Usual level not known yet for ${young.length} of ${rows.length} hosts (under ${spanText(USUAL_WINDOW_S)} of history): ${young
          .slice(0, 5)
          .map((r) => r.host)
          .join(", ")}${young.length > 5 ? ", …" : ""}`,
      );
    }
  }
  const fields: ReplyField[] = rows.slice(0, 20).map((r) => {
    const usual = knownUsual(r);
    return {
      label: `${LEVEL_EMOJI[levelOf(spec, r.values[0] ?? 0)]} ${r.host}`,
      value: `${valueText(r)}${usual !== undefined ? ` (usual ${formatValue(usual, spec.unit)})` : ""}`,
    };
  });
  if (rows.length > 20) fields.push({ label: "More hosts", value: `${rows.length - 20} not shown` });
  const hostPart = ctx.host ? ` on ${ctx.host.name}` : "";
  return makeReply({
    title,
    text: lines.join("\n"),
    tone: tone === "ok" ? "ok" : tone,
    fields,
    links: resourceLinks(ctx, spec, 3600),
    actions: [
      askButton("Trend, last 1h", `${resource} trend last 1h${hostPart}`),
      askButton("Last 24h", `${resource} trend last 24h${hostPart}`),
      ...(ctx.host ? [] : [askButton("Top 5 hosts", `top 5 hosts by ${resource}`)]),
    ],
    context: [...environmentContext(ctx), `From ${source}`],
  });
}

async function cpuBreakdown(ctx: AnswerContext): Promise<string[]> {
  const samples = await ctx.client.instant(
    namedQuery("cpu_mode_percent").build({ matchers: hostMatchers(ctx) }),
    {
      time: ctx.now,
      signal: ctx.signal,
    },
  );
  const order = ["user", "system", "iowait", "steal"];
  const parts = samples
    .filter((s) => Number.isFinite(s.value))
    .sort((a, b) => order.indexOf(a.labels.mode ?? "") - order.indexOf(b.labels.mode ?? ""))
    .map((s) => `${s.labels.mode} ${formatValue(s.value, "percent")}`);
  return parts.length > 0 ? [`Breakdown: ${parts.join(" · ")}`] : [];
}

async function diskMounts(ctx: AnswerContext): Promise<string[]> {
  const samples = await ctx.client.instant(
    namedQuery("disk_used_percent_by_mount").build({ matchers: hostMatchers(ctx) }),
    { time: ctx.now, signal: ctx.signal },
  );
  const parts = samples
    .filter((s) => Number.isFinite(s.value))
    .sort((a, b) => b.value - a.value)
    .slice(0, 6)
    .map((s) => `${s.labels.mountpoint} ${formatValue(s.value, "percent")}`);
  return parts.length > 0 ? [`Mounts: ${parts.join(" · ")}`] : [];
}

export function noData(ctx: AnswerContext, spec: ResourceSpec): Reply {
  const where = ctx.host ? `for ${ctx.host.name}` : "for any host";
  return makeReply({
    title: `No ${spec.label.toLowerCase()} data ${where}${envSuffix(ctx)}`,
    text: `Prometheus at ${ctx.client.baseUrl} has no ${namedQuery(spec.queries[0]?.name ?? "cpu_busy_percent").source(300)} series ${where}. Is node_exporter scraped there?`,
    tone: "warning",
    context: environmentContext(ctx),
    suggestions: ["which targets are down?", "list targets"],
  });
}
