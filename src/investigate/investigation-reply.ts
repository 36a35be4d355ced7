/**
 * The first look as a reply: the headline names what moved most (value vs usual, since when) or says
 * nothing unusual was found — or, first of all, what failed; then one line per finding: what moved,
 * where else, related alerts, what changed, the last time, and the checks as links.
 */
import { describeRarity } from "../anomaly/rarity.js";
import type { LineChartSpec } from "../charts/chart-spec.js";
import type { Unit } from "../metrics/catalogue.js";
import { hostOfInstance } from "../metrics/promql.js";
import { formatClock, formatDuration, formatValue } from "../metrics/units.js";
import { makeReply, type Reply, type ReplyChart, type ReplyLink, type ReplyTone } from "../reply/reply.js";
import type { Investigation, InvestigationChange, MovedFeature } from "./investigation.js";

/** Draws a chart (the engine's chart pool, or renderLineChart in-process). */
export type ChartRenderer = (spec: LineChartSpec, signal?: AbortSignal) => Promise<ReplyChart> | ReplyChart;

const UNITS: readonly string[] = ["percent", "bytes", "bytes_per_second", "ratio", "count", "seconds"];
const unitOf = (u: string): Unit => (UNITS.includes(u) ? (u as Unit) : "count");

/** Text from outside (alert names, notes, labels) cannot open a code span or start a line. */
function literal(text: string, max = 200): string {
  const clean = text
    .replace(/`/g, "'")
    .replace(/[\r\n\t]+/g, " ")
    .trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

const host = (instance: string | undefined) =>
  instance ? literal(hostOfInstance(instance), 120) : "the fleet";
const clock = (ms: number) => formatClock(ms / 1000);

function movedText(m: MovedFeature): string {
  const unit = unitOf(m.unit);
  return `${m.label} is ${formatValue(m.value, unit)} vs usual ${formatValue(m.usual, unit)}`;
}

export function investigationHeadline(inv: Investigation): string {
  const where = host(inv.suspect?.instance ?? inv.request.instance);
  if (inv.failures.length > 0) {
    const what = inv.failures[0] as string;
    return `🔎 First look at ${where} incomplete: ${literal(what, 160)}`;
  }
  const top = inv.moved[0];
  if (top) {
    const since = top.since !== undefined ? ` (since ${clock(top.since)})` : "";
    return `🔎 First look: ${movedText(top)} on ${where}${since}`;
  }
  if (inv.nothingUnusual) return `🔎 First look: nothing unusual found on ${where}`;
  const change = inv.changes[0];
  if (change) return `🔎 First look: ${changeText(change)}`;
  return `🔎 First look at ${where}: nothing moved beyond its usual level`;
}

function changeText(c: InvestigationChange): string {
  const at = c.at !== undefined ? ` at ${clock(c.at)}` : "";
  const since = c.at !== undefined ? ` since ${clock(c.at)}` : "";
  const where = c.instance ? ` on ${host(c.instance)}` : "";
  switch (c.kind) {
    case "reboot":
      return (c.count ?? 1) > 1
        ? `${host(c.instance)} rebooted ${c.count} times (last at ${c.at !== undefined ? clock(c.at) : "?"})`
        : `${host(c.instance)} rebooted${at}`;
    case "target_down":
      return c.ongoing ? `${literal(c.detail)}${where}${since}` : `${literal(c.detail)}${where}`;
    default:
      return `${literal(c.detail)}${where}${c.kind === "config_reload" || c.kind === "version" ? at : c.at !== undefined ? ` (last at ${clock(c.at)})` : ""}`;
  }
}

function historyLine(h: NonNullable<Investigation["history"]>[number], now: number): string {
  const ago = formatDuration(Math.max(0, (now - h.startsAt) / 1000));
  const lasted =
    h.endsAt !== undefined
      ? `, lasted ${formatDuration(Math.max(0, (h.endsAt - h.startsAt) / 1000))}`
      : h.endUnknown
        ? ", resolved (when is not on record)"
        : ", still open";
  const done: string[] = [];
  if (h.ackBy) done.push(`acknowledged by ${literal(h.ackBy, 80)}`);
  if (h.silenced) done.push("silenced");
  for (const n of (h.notes ?? []).slice(0, 2)) done.push(`“${literal(n, 160)}”`);
  return `• ${clock(h.startsAt)} (${ago} ago)${lasted}${done.length ? `; ${done.join("; ")}` : ""}`;
}

/** An LLM's account over the findings (src/assistant/llm/narration.ts checked it cites them). */
export interface InvestigationNarration {
  text: string;
  provider: string;
  model: string;
}

/**
 * The findings as an LLM reads them to write its account: the reply's own headline and lines, so it
 * cites the numbers and times exactly as the reader sees them below it.
 */
export function investigationFacts(inv: Investigation): { subject: string; facts: object } {
  const reply = investigationReply(inv);
  const where = host(inv.suspect?.instance ?? inv.request.instance);
  return {
    subject: `First look at the alert ${literal(inv.request.alertName, 120)} on ${where} (environment ${literal(inv.request.environment, 60)}): what is the most likely cause?`,
    facts: {
      headline: reply.title,
      findings: (typeof reply.text === "string" ? reply.text : "").split("\n"),
      investigatedAt: clock(inv.at),
      alertStartedAt: clock(inv.request.startsAt),
    },
  };
}

/** The reply, with an LLM's account on top of the data when there is one. */
export function investigationReply(inv: Investigation, narration?: InvestigationNarration): Reply {
  const lines: string[] = [];
  if (narration) {
    lines.push(`🤖 ${literal(narration.text, 800)}`);
    lines.push(
      `(written by ${literal(narration.provider, 20)} ${literal(narration.model, 60)} from the data below)`,
    );
    lines.push("");
  }
  const where = host(inv.suspect?.instance ?? inv.request.instance);
  if (inv.failures.length > 0) {
    lines.push("Could not check:");
    for (const f of inv.failures.slice(0, 5)) lines.push(`• ${literal(f, 240)}`);
  }
  if (inv.moved.length > 0) {
    lines.push(`What moved on ${where} (last 15 min vs usual at this hour):`);
    for (const m of inv.moved) {
      const since = m.since !== undefined ? `, since ${clock(m.since)}` : "";
      lines.push(
        `• ${movedText(m)} (${Math.abs(m.score).toFixed(1)}σ ${m.score >= 0 ? "above" : "below"}${since})`,
      );
    }
  } else if (inv.failures.length === 0 && inv.suspect === undefined && inv.request.instance === undefined) {
    lines.push("No host's features moved beyond their usual level.");
  } else if (inv.failures.length === 0) {
    lines.push(`Nothing moved on ${where}: all 18 host features are within their usual level at this hour.`);
  }
  const a = inv.anomaly;
  if (a) {
    const leading = a.leading
      .map(
        (l) =>
          `${l.label} ${formatValue(l.value, unitOf(l.unit))} vs usual ${formatValue(l.usual, unitOf(l.unit))}`,
      )
      .join(", ");
    const verdict = a.anomalous
      ? `flagged it at ${clock(a.at)}: ${describeRarity(a.score)} (score ${a.score.toFixed(2)}, threshold ${a.threshold.toFixed(2)})${a.flaggedBy ? `, for ${literal(a.flaggedBy, 160)}` : ""}`
      : `scored it within its usual pattern at ${clock(a.at)} (score ${a.score.toFixed(2)}, threshold ${a.threshold.toFixed(2)})`;
    lines.push(`Anomaly engine ${verdict}${leading ? `; led by ${leading}` : ""}.`);
  }
  if (inv.elsewhere.length > 0) {
    lines.push("Where else:");
    for (const e of inv.elsewhere) {
      const label = inv.moved.find((m) => m.feature === e.feature)?.label ?? e.feature;
      lines.push(`• ${host(e.instance)}: ${label} moved too (correlation ${e.correlation.toFixed(2)})`);
    }
    if (inv.elsewhereTotal !== undefined && inv.elsewhereTotal > inv.elsewhere.length)
      lines.push(`• and ${inv.elsewhereTotal - inv.elsewhere.length} more hosts`);
  }
  if (inv.relatedAlerts.length > 0) {
    lines.push("Other alerts within 15 min:");
    for (const a of inv.relatedAlerts.slice(0, 5)) {
      const on = a.instance ? ` on ${host(a.instance)}` : "";
      lines.push(`• ${literal(a.name, 120)}${on} (since ${clock(a.startsAt)})`);
    }
  }
  if (inv.changes.length > 0) {
    lines.push("What changed in the last 6 h:");
    for (const c of inv.changes.slice(0, 6)) lines.push(`• ${changeText(c)}`);
    if (inv.changes.length > 6) lines.push(`• and ${inv.changes.length - 6} more`);
  } else if (!inv.failedParts?.includes("changes")) {
    lines.push(
      "What changed in the last 6 h: no reboot, restart, new version, target down or config reload.",
    );
  }
  const history = inv.history;
  if (history && history.length > 0) {
    lines.push(`Last time${history.length > 1 ? `s (${history.length})` : ""}:`);
    for (const h of history.slice(0, 3)) lines.push(historyLine(h, inv.at));
  } else if (history) {
    lines.push("Earlier times: none on record (incidents are remembered 30 days).");
  }
  const links: ReplyLink[] = inv.checks.flatMap((c) =>
    c.url ? [{ label: literal(c.label, 80), url: c.url }] : [],
  );
  const queries = inv.checks.filter((c) => c.query).slice(0, 2);
  const tone: ReplyTone =
    inv.failures.length > 0
      ? "warning"
      : inv.nothingUnusual
        ? "ok"
        : inv.moved.length > 0 || inv.changes.length > 0
          ? "warning"
          : "info";
  return makeReply({
    title: investigationHeadline(inv),
    text: lines.join("\n"),
    tone,
    links,
    context: [
      `Environment: ${literal(inv.request.environment, 60)}`,
      `Investigated at ${clock(inv.at)} in ${formatDuration(inv.durationMs / 1000)}`,
      ...queries.map((c) => `Query: \`${literal(c.query ?? "", 400)}\``),
    ],
  });
}

/**
 * A small chart of the strongest moved feature over the last hour (with the others of its unit), its
 * usual level as a dashed line; undefined when nothing moved or the drawing failed.
 */
export async function investigationChart(
  inv: Investigation,
  render: ChartRenderer,
  signal?: AbortSignal,
): Promise<ReplyChart | undefined> {
  const series = inv.series ?? [];
  const first = series[0];
  if (!first) return undefined;
  const same = series.filter((s) => s.unit === first.unit).slice(0, 3);
  const where = host(inv.suspect?.instance ?? inv.request.instance);
  const unit = unitOf(first.unit);
  try {
    return await render(
      {
        title: `${same.map((s) => s.label).join(", ")} on ${where} — last hour`,
        unit,
        series: same.map((s) => ({ name: s.label, points: s.points })),
        ...(Number.isFinite(first.usual)
          ? {
              threshold: {
                value: first.usual,
                label: `usual ${first.label} ${formatValue(first.usual, unit)}`,
              },
            }
          : {}),
        width: 600,
        height: 300,
      },
      signal,
    );
  } catch {
    return undefined;
  }
}
