/**
 * The chat answer to `report [period]`: a short summary (availability against the SLO, the worst
 * targets, alerts) and a link to the printable report in the console, where every number's query is.
 */
import { makeReply, type Reply } from "../reply/reply.js";
import type { AvailabilityReport, TargetAvailability } from "./availability.js";
import type { AlertHistorySummary } from "./report-alerts.js";

const pct = (v: number | null) => (v === null ? "no data" : `${v.toFixed(v >= 99.9 ? 3 : 2)}%`);
/** Below this share of the period observed, the report says its figures cover only that part. */
const MIN_COVERAGE_PCT = 90;
const mins = (v: number) => (v >= 120 ? `${(v / 60).toFixed(1)} h` : `${Math.round(v)} min`);

/** The console page that shows the report for `period` (an absolute URL when the bot knows its own). */
export function reportPageUrl(period: string, environment: string, publicUrl?: string): string {
  const q = new URLSearchParams({ period, environment });
  return `${publicUrl ?? ""}/report?${q.toString()}`;
}

export function reportReply(
  report: AvailabilityReport,
  alerts: AlertHistorySummary | { error: string },
  url: string,
): Reply {
  const slo = report.slo.targetPct;
  const observed = report.jobs.reduce((s, j) => s + j.observedMinutes, 0);
  const down = report.jobs.reduce((s, j) => s + j.downtimeMinutes, 0);
  const overall = observed > 0 ? 100 * (1 - down / observed) : null;
  const missing = report.targets.filter((t) => t.sloMet === false);
  const worst = [...report.targets]
    .filter((t): t is TargetAvailability & { availabilityPct: number } => t.availabilityPct !== null)
    .sort((a, b) => a.availabilityPct - b.availabilityPct || b.downtimeMinutes - a.downtimeMinutes)
    .filter((t) => t.downtimeMinutes > 0)
    .slice(0, 3);
  // How much of the period the targets were seen: a verdict on a tenth of a month is no verdict.
  const coverage =
    report.targets.length > 0
      ? report.targets.reduce((s, t) => s + t.coveragePct, 0) / report.targets.length
      : 0;
  const noData = observed === 0;
  const thin = !noData && coverage < MIN_COVERAGE_PCT;
  const lines = [
    noData
      ? `No data: Prometheus has no \`up\` samples for ${report.period.label}, so availability cannot be said.`
      : `Availability ${pct(overall)} over ${report.targets.length} targets, ${report.period.label} (SLO ${slo}%).`,
    ...(thin
      ? [
          `Only ${coverage.toFixed(1)}% of the period was observed (Prometheus holds less history): the figures cover that part.`,
        ]
      : []),
    ...(noData
      ? []
      : [
          missing.length === 0
            ? thin
              ? "Every target met the SLO over the observed part."
              : "Every target met the SLO."
            : `${missing.length} of ${report.targets.length} targets missed the SLO.`,
        ]),
    ...worst.map(
      (t) =>
        `${t.instance} (${t.job}): ${pct(t.availabilityPct)}, down ${mins(t.downtimeMinutes)} in ${t.outages ?? "?"} outage${t.outages === 1 ? "" : "s"}`,
    ),
  ];
  if ("error" in alerts) lines.push(`Alerts: not read (${alerts.error}).`);
  else {
    const ack = alerts.medianMinutesToAcknowledge;
    const resolve = alerts.medianMinutesToResolve;
    lines.push(
      `Alerts: ${alerts.count}` +
        (ack !== null ? `, median ${mins(ack)} to acknowledge` : "") +
        (resolve !== null ? `, ${mins(resolve)} to resolve` : "") +
        (alerts.partial
          ? ` (kept ${alerts.retentionDays} days: complete from ${alerts.completeFrom.slice(0, 10)})`
          : ""),
    );
  }
  if (report.problems.length) lines.push(...report.problems);
  const absolute = /^https?:\/\//.test(url);
  // Without PUBLIC_URL the bot does not know its own address: the path is given as text to open there.
  if (!absolute) lines.push(`Printable report: ${url} on this bot's web console.`);
  return makeReply({
    title: `📄 Report: ${report.period.label} (${report.environment})${noData ? ": no data" : thin ? `: ${coverage.toFixed(0)}% of the period observed` : ""}`,
    text: lines.join("\n"),
    tone: missing.length > 0 || noData || thin ? "warning" : report.problems.length ? "warning" : "ok",
    fields: [
      { label: "Downtime", value: `${mins(down)} (target-minutes)` },
      {
        label: "Targets",
        value: `${report.targets.length}${report.truncated ? ` of ${report.targetCount}` : ""}`,
      },
    ],
    links: absolute ? [{ label: "Printable report", url }] : [],
    context: [`From up in ${report.environment}, counted hour by hour; the report shows every query.`],
  });
}
