/**
 * A digest as one neutral Reply: the numbers first, one line per idea, a section that failed said in
 * one line, and one chart (the fleet's CPU and memory over the period, or alerts per day when
 * Prometheus gave nothing). The chat adapters render it as Block Kit or an Adaptive Card.
 */
import type { LineChartSpec } from "../charts/chart-spec.js";
import { formatValue } from "../metrics/units.js";
import { makeReply, type Reply, type ReplyChart } from "../reply/reply.js";
import type {
  AlertsSection,
  AnomaliesSection,
  CapacitySection,
  ChangesSection,
  DigestData,
  DigestSectionData,
  SavingsSection,
} from "./digest.js";
import { type DigestSchedule, describeSchedule } from "./digest-schedule.js";

/** "40 min", "3 h 10 min", "5 days". */
export function duration(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.round(h / 24)} days`;
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

const day = (ms: number) =>
  new Date(ms).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
const stamp = (ms: number) => `${day(ms)} ${new Date(ms).toISOString().slice(11, 16)} UTC`;

/** Most hosts or items named on one line; the rest are counted. */
const LISTED = 3;

const SEVERITY_ORDER = ["critical", "error", "warning", "info", "none"];

export function digestTitle(data: DigestData): string {
  const alerts = section(data, "alerts");
  const anomalies = section(data, "anomalies");
  const parts: string[] = [];
  if (alerts) parts.push(plural(alerts.fired, "alert"));
  if (anomalies) parts.push(plural(anomalies.findings, "anomaly", "anomalies"));
  const failed = data.sections.filter((s) => !s.ok).length;
  const head = `${data.period === "weekly" ? "Weekly" : "Daily"} digest`;
  const numbers = parts.length ? `: ${parts.join(", ")}` : "";
  return `${failed ? "🟠" : "📋"} ${head}${numbers}${failed ? ` (${plural(failed, "part")} unavailable)` : ""}`;
}

function section<K extends DigestSectionData["kind"]>(
  data: DigestData,
  kind: K,
): Extract<DigestSectionData, { kind: K }> | undefined {
  for (const s of data.sections)
    if (s.ok && s.data.kind === kind) return s.data as Extract<DigestSectionData, { kind: K }>;
  return undefined;
}

function alertLines(a: AlertsSection, periodWord: string): string[] {
  if (a.fired === 0 && a.resolved === 0 && a.stillFiring === 0)
    return [`Alerts: none fired in the last ${periodWord}`];
  const severities = Object.entries(a.bySeverity).sort(
    ([x], [y]) =>
      (SEVERITY_ORDER.indexOf(x) + 1 || 99) - (SEVERITY_ORDER.indexOf(y) + 1 || 99) || x.localeCompare(y),
  );
  const bySev = severities.length ? ` (${severities.map(([s, n]) => `${n} ${s}`).join(", ")})` : "";
  const more = a.truncated ? " at least" : "";
  const lines = [
    `Alerts:${more} ${plural(a.fired, "fired", "fired")}${bySev} · ${a.resolved} resolved · ${a.stillFiring} still firing`,
  ];
  const ack =
    a.medianAckMs !== undefined
      ? `median time to acknowledge ${duration(a.medianAckMs)} (${plural(a.acknowledged, "alert message")})`
      : "none acknowledged";
  const res =
    a.medianResolveMs !== undefined
      ? `to resolve ${duration(a.medianResolveMs)} (${a.closed})`
      : "none resolved";
  if (a.fired > 0 || a.closed > 0 || a.acknowledged > 0) lines.push(`Response: ${ack} · ${res}`);
  return lines;
}

function anomalyLines(s: AnomaliesSection): string[] {
  if (s.findings === 0) return ["Anomalies: none found"];
  const named = s.hosts
    .slice(0, LISTED)
    .map((h) => `${h.host} (${h.findings})`)
    .join(", ");
  const rest = s.hosts.length > LISTED ? ` and ${s.hosts.length - LISTED} more` : "";
  return [
    `Anomalies: ${plural(s.findings, "finding")} on ${plural(s.hosts.length, "host")}: ${named}${rest}`,
  ];
}

function changeLines(s: ChangesSection, previousWord: string, multiEnv: boolean): string[] {
  const lines: string[] = [];
  for (const c of s.changes.slice(0, 2)) {
    const label = c.metric === "cpu" ? "Fleet CPU" : "Fleet memory";
    const env = multiEnv ? ` (${c.environment})` : "";
    if (c.now === undefined) {
      lines.push(`${label}${env}: no data this period`);
      continue;
    }
    if (c.before === undefined) {
      lines.push(`${label}${env} ${formatValue(c.now, "percent")} on average; no data for ${previousWord}`);
      continue;
    }
    const diff = c.now - c.before;
    const word = Math.abs(diff) < 0.5 ? "about the same as" : diff > 0 ? "up from" : "down from";
    const pts = Math.abs(diff) < 0.5 ? "" : ` (${diff > 0 ? "+" : "−"}${Math.abs(diff).toFixed(1)} pts)`;
    lines.push(
      `${label}${env} ${formatValue(c.now, "percent")} on average, ${word} ${formatValue(c.before, "percent")} ${previousWord}${pts}`,
    );
  }
  return lines.length ? lines : ["Fleet: no CPU or memory data this period"];
}

function capacityLines(s: CapacitySection, now: number): string[] {
  const within = duration(s.withinMs);
  const young = s.insufficient > 0 ? `; ${s.insufficient} with too little history to forecast` : "";
  if (s.checked === 0) return ["Capacity: no disk or memory series to forecast"];
  if (s.risks.length === 0)
    return [`Capacity: nothing expected to fill within ${within} (${s.checked} checked${young})`];
  const named = s.risks
    .slice(0, LISTED)
    .map((r) => `${r.what} in ~${duration(Math.max(0, r.fullAt - now))}`)
    .join(", ");
  const rest = s.risks.length > LISTED ? ` and ${s.risks.length - LISTED} more` : "";
  return [`Capacity: ${plural(s.risks.length, "risk")} within ${within}: ${named}${rest}${young}`];
}

function savingsLines(s: SavingsSection): string[] {
  if (s.checked === 0) return ["Savings: no hosts to size"];
  if (s.items.length === 0)
    return s.insufficient === s.checked
      ? [`Savings: not known yet (${plural(s.checked, "host")} with under a day of history)`]
      : [
          `Savings: nothing to resize or retire (${plural(s.checked - s.insufficient, "host")} sized${s.insufficient ? `, ${s.insufficient} too young` : ""})`,
        ];
  const money = (v: number) => `${s.currency}${Math.round(v).toLocaleString("en-US")}`;
  const named = s.items
    .slice(0, LISTED)
    .map((i) => `${i.what} ${money(i.monthly)}`)
    .join(", ");
  return [
    `Savings: ~${money(s.totalMonthly)}/month possible${s.estimated ? " (at estimated list prices)" : ""}: ${named}${s.items.length > LISTED ? " …" : ""}`,
  ];
}

/** The digest's text lines, section by section, in the providers' order. */
export function digestLines(data: DigestData): string[] {
  const periodWord = data.period === "weekly" ? "7 days" : "24 h";
  const previousWord = data.period === "weekly" ? "the week before" : "the day before";
  const lines: string[] = [];
  for (const s of data.sections) {
    if (!s.ok) {
      lines.push(`${s.title}: unavailable (${s.error})`);
      continue;
    }
    const d = s.data;
    switch (d.kind) {
      case "alerts":
        lines.push(...alertLines(d, periodWord));
        break;
      case "anomalies":
        lines.push(...anomalyLines(d));
        break;
      case "changes":
        lines.push(...changeLines(d, previousWord, data.environments.length > 1));
        break;
      case "capacity":
        lines.push(...capacityLines(d, data.to));
        break;
      case "savings":
        lines.push(...savingsLines(d));
        break;
    }
  }
  return lines;
}

/**
 * What the digest's chart draws: the fleet's CPU and memory over the period when Prometheus gave
 * them, otherwise alerts per day; undefined when there is nothing to draw.
 */
export function digestChartSpec(data: DigestData): LineChartSpec | undefined {
  const span = data.period === "weekly" ? "last 7 days" : "last 24 h";
  const changes = section(data, "changes");
  const drawn = changes?.series.filter((s) => s.points.some(([, v]) => v !== null)) ?? [];
  if (drawn.length > 0)
    return {
      title: `Fleet average CPU and memory — ${span}`,
      subject: "Fleet average CPU busy % and memory used %",
      unit: "percent",
      series: drawn.map((s) => ({ name: s.name, points: s.points })),
    };
  const alerts = section(data, "alerts");
  if (alerts && alerts.fired > 0)
    return {
      title: `Alerts fired per day — ${span}`,
      subject: "Alerts fired per day",
      unit: "count",
      series: [{ name: "alerts", points: alerts.perDay.map(([t, n]) => [t, n]) }],
    };
  return undefined;
}

/** The digest as one Reply; `chart` is the rendered {@link digestChartSpec}, when there is one. */
export function digestReply(
  data: DigestData,
  opts: { schedule?: DigestSchedule; chart?: ReplyChart } = {},
): Reply {
  const failed = data.sections.some((s) => !s.ok);
  const span = data.period === "weekly" ? "7 days" : "24 h";
  const context = [
    `${span} to ${stamp(data.to)} · ${data.environments.length > 1 ? "environments" : "environment"} ${data.environments.join(", ")}`,
  ];
  const changes = section(data, "changes");
  if (changes)
    context.push(`From ${changes.source}; alerts (every channel) and anomalies from the bot's own records`);
  if (opts.schedule)
    context.push(
      `This channel's digest goes out ${describeSchedule(opts.schedule)} · \`digest off\` stops it`,
    );
  return makeReply({
    title: digestTitle(data),
    text: digestLines(data).join("\n"),
    tone: failed ? "warning" : "info",
    ...(opts.chart ? { chart: opts.chart } : {}),
    context,
  });
}
