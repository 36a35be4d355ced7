/**
 * "uptime of web-1", "when did db-1 reboot", "reboots this week": time since boot as a duration with
 * the boot time, and the reboots within a range. A 24 h average of time-since-boot means nothing, so
 * uptime has its own answers instead of the generic "now" and "trend" ones.
 */
import { namedQuery } from "../../metrics/catalogue.js";
import type { RangeSeries } from "../../metrics/prometheus-client.js";
import { formatDuration } from "../../metrics/units.js";
import { askButton, makeReply, type Reply, type ReplyField } from "../../reply/reply.js";
import type { TimeRange } from "../intent.js";
import { LEVEL_EMOJI, type Level, RESOURCES } from "../resources.js";
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
import { queryWindow } from "./time-window.js";

const SPEC = RESOURCES.uptime;
const QUERY = namedQuery("uptime_seconds");
/** A boot within this long is news: the answer says "rebooted … ago" in amber. */
const RECENT_BOOT_S = 3600;
/** Boot times closer than this are the same boot (clock adjustments move btime by a second or two). */
const SAME_BOOT_S = 60;

/** "2026-11-25 08:14 UTC" */
function formatTime(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function levelOfUptime(seconds: number): Level {
  return seconds < RECENT_BOOT_S ? "warning" : "ok";
}

export async function answerUptimeNow(ctx: AnswerContext): Promise<Reply> {
  const samples = (
    await ctx.client.instant(QUERY.build({ matchers: hostMatchers(ctx) }), {
      time: ctx.now,
      signal: ctx.signal,
    })
  )
    .filter((s) => Number.isFinite(s.value))
    // Most recently booted first: that is the host a reboot question is about.
    .sort((a, b) => a.value - b.value);
  const first = samples[0];
  if (!first) return noData(ctx, SPEC);
  const rows = samples.map((s) => ({
    host: displayHost(s.labels.instance),
    up: s.value,
    bootedAt: ctx.now - s.value,
  }));
  const newest = rows[0] as (typeof rows)[number];
  const level = levelOfUptime(newest.up);
  const lines: string[] = [];
  let title: string;
  if (ctx.host || rows.length === 1) {
    title = `${LEVEL_EMOJI[level]} ${newest.host} up ${formatDuration(newest.up)}${envSuffix(ctx)}`;
    lines.push(
      `Up for ${formatDuration(newest.up)} on ${newest.host}: last booted ${formatTime(newest.bootedAt)}`,
    );
  } else {
    const oldest = rows[rows.length - 1] as (typeof rows)[number];
    title = `${LEVEL_EMOJI[level]} Uptime: ${newest.host} booted most recently, ${formatDuration(newest.up)} ago${envSuffix(ctx)}`;
    lines.push(
      `Most recent boot: ${newest.host} at ${formatTime(newest.bootedAt)} (up ${formatDuration(newest.up)})`,
    );
    lines.push(`Longest up: ${oldest.host}, ${formatDuration(oldest.up)}`);
    const recent = rows.filter((r) => r.up < RECENT_BOOT_S);
    if (recent.length > 0) lines.push(`Booted within the last hour: ${recent.map((r) => r.host).join(", ")}`);
  }
  const fields: ReplyField[] = rows.slice(0, 20).map((r) => ({
    label: `${LEVEL_EMOJI[levelOfUptime(r.up)]} ${r.host}`,
    value: `up ${formatDuration(r.up)} · booted ${formatTime(r.bootedAt)}`,
  }));
  if (rows.length > 20) fields.push({ label: "More hosts", value: `${rows.length - 20} not shown` });
  const hostPart = ctx.host ? ` on ${ctx.host.name}` : "";
  return makeReply({
    title,
    text: lines.join("\n"),
    tone: level === "ok" ? "ok" : level,
    fields,
    links: resourceLinks(ctx, SPEC, 86400),
    actions: [
      askButton("Reboots, last 24h", `uptime trend last 24h${hostPart}`),
      askButton("Last 7d", `uptime trend last 7d${hostPart}`),
    ],
    context: [...environmentContext(ctx), `From ${QUERY.source(300)}`],
  });
}

/** Boot times seen in an uptime series (each point's time minus its uptime), oldest first. */
export function bootsIn(series: RangeSeries): number[] {
  const boots: number[] = [];
  for (const [t, v] of series.points) {
    if (!Number.isFinite(v)) continue;
    const boot = t - v;
    const last = boots[boots.length - 1];
    if (last === undefined || Math.abs(boot - last) > SAME_BOOT_S) boots.push(boot);
  }
  return boots;
}

export async function answerUptimeTrend(ctx: AnswerContext, range: TimeRange): Promise<Reply> {
  const win = queryWindow(range, ctx.now);
  const series = await ctx.client.range(QUERY.build({ matchers: hostMatchers(ctx) }), win, {
    signal: ctx.signal,
  });
  const hosts = series
    .map((s) => {
      const all = bootsIn(s);
      const lastBoot = all[all.length - 1];
      // A boot inside the window is a reboot; the first boot seen may predate the window. Uptime is
      // told as of now, not as of the window's last step.
      const boots = all.filter((b) => b >= win.start);
      return {
        host: displayHost(s.labels.instance),
        up: lastBoot === undefined ? undefined : ctx.now - lastBoot,
        boots,
      };
    })
    .filter((h): h is { host: string; up: number; boots: number[] } => h.up !== undefined)
    .sort((a, b) => b.boots.length - a.boots.length || a.up - b.up);
  if (hosts.length === 0) return noData(ctx, SPEC);
  const rebooted = hosts.filter((h) => h.boots.length > 0);
  const level: Level = rebooted.length > 0 ? "warning" : "ok";
  const reboots = rebooted.reduce((n, h) => n + h.boots.length, 0);
  const scope = ctx.host ? ` on ${ctx.host.name}` : "";
  const lines =
    rebooted.length === 0
      ? [
          `No reboot ${range.label}${scope}: ${hosts.length === 1 ? "up" : "every host up"} since before the window`,
        ]
      : rebooted.map(
          (h) =>
            `${h.host} rebooted ${h.boots.length === 1 ? "at" : `${h.boots.length} times:`} ${h.boots.map(formatTime).join(", ")}`,
        );
  for (const h of hosts.slice(0, 1)) lines.push(`${h.host}: up ${formatDuration(h.up)} now`);
  const fields: ReplyField[] = hosts.slice(0, 20).map((h) => ({
    label: `${LEVEL_EMOJI[h.boots.length > 0 ? "warning" : "ok"]} ${h.host}`,
    value: `up ${formatDuration(h.up)} · ${h.boots.length === 0 ? "no reboot" : `${h.boots.length} reboot${h.boots.length === 1 ? "" : "s"}, last ${formatTime(h.boots[h.boots.length - 1] as number)}`}`,
  }));
  const hostPart = ctx.host ? ` on ${ctx.host.name}` : "";
  const drawn = await drawChart(ctx, {
    title: `Uptime${scope} — ${range.label}${envSuffix(ctx)}`,
    subject: `Uptime${scope}`,
    unit: SPEC.unit,
    series: toChartSeries(series),
  });
  return makeReply({
    title: `${LEVEL_EMOJI[level]} ${reboots === 0 ? "No reboots" : `${reboots} reboot${reboots === 1 ? "" : "s"}`} ${range.label}${scope}${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: level === "ok" ? "ok" : level,
    fields,
    chart: drawn.chart,
    links: resourceLinks(ctx, SPEC, win.end - win.start, win.end),
    actions: [
      askButton("Last 24h", `uptime trend last 24h${hostPart}`),
      askButton("Last 7d", `uptime trend last 7d${hostPart}`),
    ],
    context: [
      ...environmentContext(ctx),
      `Window: ${formatTime(win.start)} → ${formatTime(win.end)} (step ${win.step} s)`,
      `From ${QUERY.source(win.rateWindow)}`,
      ...drawn.note,
    ],
  });
}
