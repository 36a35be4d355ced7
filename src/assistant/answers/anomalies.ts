/** "any anomalies?": the detector's latest scores, with each finding explained by the features that moved. */
import type { AnomalyStore, LearningStatus, ScanStatus } from "../../anomaly/anomaly-store.js";
import { FEATURES, featureQuery } from "../../anomaly/features.js";
import type { FeatureDeviation, HostScore } from "../../anomaly/host-detector.js";
import { describeFlaggedBy, describeRarity } from "../../anomaly/rarity.js";
import { DASHBOARDS, grafanaPanelLink } from "../../grafana/links.js";
import { hostMatcher, hostOfInstance, renderMatchers } from "../../metrics/promql.js";
import { formatClock, formatDuration, formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply } from "../../reply/reply.js";
import { type AnswerContext, drawChart, environmentContext, envSuffix, toChartSeries } from "./context.js";
import { answerAnomaliesNotYet } from "./static.js";

/** "iowait 38.0% vs usual 2.0% ↑" */
export { describeFlaggedBy, describeRarity };

export function describeDeviation(d: FeatureDeviation): string {
  return `${d.label} ${formatValue(d.value, d.unit)} vs usual ${formatValue(d.baseline, d.unit)} ${d.direction === "up" ? "↑" : "↓"}`;
}

/** A scan older than this is reported as stale: the scheduler or its workers have stopped. */
const STALE_SCAN_SECONDS = 15 * 60;

export async function answerAnomalies(ctx: AnswerContext, store: AnomalyStore): Promise<Reply> {
  let status: ScanStatus;
  let latest: HostScore[];
  try {
    [status, latest] = await Promise.all([store.status(ctx.environment), store.latest(ctx.environment)]);
  } catch (e) {
    return storeUnavailable(ctx, e);
  }
  const failing = status.lastError !== undefined && (status.lastErrorAt ?? 0) > (status.lastScanAt ?? 0);
  if (failing) return scanFailing(ctx, status, latest);
  if (!status.lastScanAt || status.learning) {
    if (status.learning) return learning(ctx, status.learning);
    return answerAnomaliesNotYet(ctx.environment);
  }
  const scores = ctx.host ? latest.filter((s) => hostOfInstance(s.instance) === ctx.host?.name) : latest;
  const anomalous = scores.filter((s) => s.anomalous);
  const scanAge = Math.max(0, ctx.now - status.lastScanAt / 1000);
  const age = formatDuration(scanAge);
  const context = [
    ...environmentContext(ctx),
    `Last scan ${formatClock(status.lastScanAt / 1000)} (${age} ago): ${latest.length} hosts scored against their own history over 18 features`,
    ...confidenceNote(status),
  ];
  if (scanAge > STALE_SCAN_SECONDS) {
    return makeReply({
      title: `🟠 Anomaly results are stale: the last scan was ${age} ago${envSuffix(ctx)}`,
      text: `Scans should run every minute; none has completed since ${formatClock(status.lastScanAt / 1000)}. Are the bot's anomaly jobs or a \`cloudops worker\` running? Its last results: ${anomalous.length === 0 ? "no host unusual" : `${anomalous.length} host(s) unusual`}.`,
      tone: "warning",
      context,
    });
  }
  if (scores.length === 0) {
    return makeReply({
      title: ctx.host
        ? `🟠 ${ctx.host.name} was not scored by the last anomaly scan${envSuffix(ctx)}`
        : `🟠 The last anomaly scan scored no host${envSuffix(ctx)}`,
      text: ctx.host
        ? `The scan at ${formatClock(status.lastScanAt / 1000)} scored ${latest.length} host(s), not ${ctx.host.name}: it has no model yet or no recent node_exporter data.`
        : `The scan at ${formatClock(status.lastScanAt / 1000)} found no host with both a model and recent data. Is node_exporter scraped?`,
      tone: "warning",
      context,
      suggestions: ["which targets are down?", "list targets"],
    });
  }
  const links = ctx.grafanaUrl
    ? [
        {
          label: "Grafana: anomalies",
          url: grafanaPanelLink({
            grafanaUrl: ctx.grafanaUrl,
            dashboardUid: DASHBOARDS.anomalies.uid,
            panelId: DASHBOARDS.anomalies.panels.score,
            fromMs: (ctx.now - 6 * 3600) * 1000,
            toMs: ctx.now * 1000,
            instance: anomalous[0]?.instance,
            environment: ctx.environment,
          }),
        },
      ]
    : [];
  if (anomalous.length === 0) {
    const top = scores[0];
    return makeReply({
      title: `🟢 No anomalies${ctx.host ? ` on ${ctx.host.name}` : ""} at the ${formatClock(status.lastScanAt / 1000)} scan${envSuffix(ctx)}`,
      text: `${scores.length === 1 ? "The host is within its" : `All ${scores.length} hosts are within their`} usual pattern. Highest score: ${hostOfInstance((top as HostScore).instance)} ${(top as HostScore).score.toFixed(2)} (its threshold ${(top as HostScore).threshold.toFixed(2)}).`,
      tone: "ok",
      fields: scores.slice(0, 10).map((s) => ({
        label: hostOfInstance(s.instance),
        value: `score ${s.score.toFixed(2)} / ${s.threshold.toFixed(2)} (${describeRarity(s.score)})`,
      })),
      links,
      context,
    });
  }
  const lines = anomalous
    .slice(0, 10)
    .map(
      (s) =>
        `🔴 ${hostOfInstance(s.instance)} at ${formatClock(s.at)}: score ${s.score.toFixed(2)}, ${describeRarity(s.score)} (threshold ${s.threshold.toFixed(2)})${s.flaggedBy?.length ? `, flagged for ${describeFlaggedBy(s)}` : ""} — ${s.deviations
          .slice(0, 3)
          .map(describeDeviation)
          .join(", ")}`,
    );
  const worst = anomalous[0] as HostScore;
  const feature = await featureChart(ctx, worst);
  return makeReply({
    title: `🔴 ${anomalous.length} host${anomalous.length > 1 ? "s" : ""} behaving unusually${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: "critical",
    fields: worst.deviations.slice(0, 6).map((d) => ({
      label: `${hostOfInstance(worst.instance)} · ${d.label}`,
      value: `${formatValue(d.value, d.unit)} (usual ${formatValue(d.baseline, d.unit)})`,
    })),
    chart: feature.chart,
    links,
    actions: [
      askButton(`${hostOfInstance(worst.instance)} health`, `health of ${hostOfInstance(worst.instance)}`),
      askButton("CPU trend 6h", `cpu trend last 6h on ${hostOfInstance(worst.instance)}`),
    ],
    context: [...context, ...feature.note],
  });
}

/** The most deviant feature of a host over the last 6 hours, with its usual level as a band. */
async function featureChart(ctx: AnswerContext, score: HostScore): ReturnType<typeof drawChart> {
  const top = score.deviations[0];
  const spec = FEATURES.find((f) => f.name === top?.feature);
  if (!top || !spec) return { note: [] };
  const host = hostOfInstance(score.instance);
  // Restrict the fleet-wide feature query to this host by joining on its `up` series.
  const expr = `(${featureQuery(spec, 300)}) and on (instance) up{${renderMatchers([hostMatcher(host)])}}`;
  const end = ctx.now;
  const series = await ctx.client.range(
    expr,
    { start: end - 6 * 3600, end, step: 120 },
    { signal: ctx.signal },
  );
  const mine = series.filter((s) => s.labels.instance === score.instance);
  return drawChart(ctx, {
    title: `${spec.label} on ${host} — last 6h`,
    subject: `${spec.label} on ${host}`,
    unit: spec.unit,
    series: toChartSeries(mine.length > 0 ? mine : series),
    threshold: { value: top.baseline, label: `usual ${formatValue(top.baseline, spec.unit)}` },
  });
}

/** Models trained on less than the full window: said in every answer until they are. */
function confidenceNote(status: ScanStatus): string[] {
  const have = status.trainedHistorySeconds;
  const want = status.trainWindowSeconds;
  if (have === undefined || want === undefined || have >= 0.9 * want) return [];
  return [
    `Lower confidence: models trained on ${formatDuration(have)} of history (full window ${formatDuration(want)}); retrained as history grows`,
  ];
}

function learning(ctx: AnswerContext, l: LearningStatus): Reply {
  const dueIn = Math.max(0, l.firstModelDueAt / 1000 - ctx.now);
  if (l.historySeconds === 0) {
    return makeReply({
      title: `🟠 Anomaly detection has no host data to learn from yet${envSuffix(ctx)}`,
      text: `Prometheus at ${ctx.client.baseUrl} returned none of the 18 host features for any host (checked ${formatClock(l.checkedAt / 1000)}). Is node_exporter scraped there? The first model needs ${formatDuration(l.minHistorySeconds)} of history.`,
      tone: "warning",
      context: environmentContext(ctx),
      suggestions: ["list targets", "which targets are down?"],
    });
  }
  return makeReply({
    title: `🟠 Learning: ${formatDuration(l.historySeconds)} of history, first anomaly model due at ${formatClock(l.firstModelDueAt / 1000)}${envSuffix(ctx)}`,
    text: [
      `The detector scores hosts once it has ${formatDuration(l.minHistorySeconds)} of history; it has ${formatDuration(l.historySeconds)} (checked ${formatClock(l.checkedAt / 1000)}).`,
      `First model due at ${formatClock(l.firstModelDueAt / 1000)}${dueIn > 0 ? `, in about ${formatDuration(dueIn)}` : ", at the next scan"}; confidence is lower until a full training window of history.`,
      "Until then nothing is known about what is unusual: current levels against their thresholds are one question away.",
    ].join("\n"),
    tone: "warning",
    context: environmentContext(ctx),
    actions: [askButton("System health", "what's the current system health?")],
  });
}

function scanFailing(ctx: AnswerContext, status: ScanStatus, latest: HostScore[]): Reply {
  const reason = (status.lastError ?? "unknown error").split("\n")[0]?.slice(0, 300) ?? "";
  const since = status.lastErrorAt ? ` at ${formatClock(status.lastErrorAt / 1000)}` : "";
  const previous = status.lastScanAt
    ? `The last successful scan was at ${formatClock(status.lastScanAt / 1000)} (${formatDuration(Math.max(0, ctx.now - status.lastScanAt / 1000))} ago)${latest.some((s) => s.anomalous) ? ` and found ${latest.filter((s) => s.anomalous).length} host(s) unusual` : ""}; nothing newer is known.`
    : "No scan has succeeded yet, so nothing is known about what is unusual.";
  return makeReply({
    title: `🔴 Anomaly scan failing${envSuffix(ctx)}: ${reason.slice(0, 120)}`,
    text: `The anomaly job failed${since}: ${reason}\n${previous}`,
    tone: "critical",
    context: environmentContext(ctx),
    actions: [askButton("System health", "what's the current system health?")],
  });
}

function storeUnavailable(ctx: AnswerContext, e: unknown): Reply {
  const reason = e instanceof Error ? e.message : String(e);
  return makeReply({
    title: `🔴 Anomaly results unavailable: cannot read them from Redis${envSuffix(ctx)}`,
    text: `Reading the anomaly store failed: ${reason.slice(0, 300)}. Is Redis running at REDIS_URL? Without it nothing is known about what is unusual.`,
    tone: "error",
    context: environmentContext(ctx),
    actions: [askButton("System health", "what's the current system health?")],
  });
}
