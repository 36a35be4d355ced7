/** "any anomalies?": the detector's latest scores, with each finding explained by the features that moved. */
import type { AnomalyStore } from "../../anomaly/anomaly-store.js";
import { FEATURES, featureQuery } from "../../anomaly/features.js";
import type { FeatureDeviation, HostScore } from "../../anomaly/host-detector.js";
import { DASHBOARDS, grafanaPanelLink } from "../../grafana/links.js";
import { hostMatcher, hostOfInstance, renderMatchers } from "../../metrics/promql.js";
import { formatClock, formatDuration, formatValue } from "../../metrics/units.js";
import { makeReply, type Reply } from "../../reply/reply.js";
import { type AnswerContext, environmentContext, envSuffix, toChartSeries } from "./context.js";
import { answerAnomaliesNotYet } from "./static.js";

/** "iowait 38.0% vs usual 2.0% ↑" */
export function describeDeviation(d: FeatureDeviation): string {
  return `${d.label} ${formatValue(d.value, d.unit)} vs usual ${formatValue(d.baseline, d.unit)} ${d.direction === "up" ? "↑" : "↓"}`;
}

export async function answerAnomalies(ctx: AnswerContext, store: AnomalyStore): Promise<Reply> {
  const [status, latest] = await Promise.all([store.status(ctx.environment), store.latest(ctx.environment)]);
  if (!status.lastScanAt) {
    const reply = answerAnomaliesNotYet();
    if (status.lastError) reply.text += `\nThe last attempt failed: ${status.lastError}`;
    return reply;
  }
  const scores = ctx.host ? latest.filter((s) => hostOfInstance(s.instance) === ctx.host?.name) : latest;
  const anomalous = scores.filter((s) => s.anomalous);
  const age = formatDuration(Math.max(0, ctx.now - status.lastScanAt / 1000));
  const context = [
    ...environmentContext(ctx),
    `Last scan ${age} ago: ${latest.length} hosts scored by per-host isolation forests over 18 features`,
  ];
  if (status.lastError && (status.lastErrorAt ?? 0) > status.lastScanAt)
    context.push(`Latest scan failed: ${status.lastError}`);
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
      title: `🟢 No anomalies${ctx.host ? ` on ${ctx.host.name}` : ""}${envSuffix(ctx)}`,
      text: top
        ? `Every host is within its usual pattern. Highest score: ${hostOfInstance(top.instance)} ${top.score.toFixed(2)} (its threshold ${top.threshold.toFixed(2)}).`
        : "No host had data in the last scan.",
      tone: "ok",
      fields: scores.slice(0, 10).map((s) => ({
        label: hostOfInstance(s.instance),
        value: `score ${s.score.toFixed(2)} / ${s.threshold.toFixed(2)}`,
      })),
      links,
      context,
    });
  }
  const lines = anomalous
    .slice(0, 10)
    .map(
      (s) =>
        `🔴 ${hostOfInstance(s.instance)} at ${formatClock(s.at)}: score ${s.score.toFixed(2)} (threshold ${s.threshold.toFixed(2)}) — ${s.deviations
          .slice(0, 3)
          .map(describeDeviation)
          .join(", ")}`,
    );
  const worst = anomalous[0] as HostScore;
  return makeReply({
    title: `🔴 ${anomalous.length} host${anomalous.length > 1 ? "s" : ""} behaving unusually${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: "critical",
    fields: worst.deviations.slice(0, 6).map((d) => ({
      label: `${hostOfInstance(worst.instance)} · ${d.label}`,
      value: `${formatValue(d.value, d.unit)} (usual ${formatValue(d.baseline, d.unit)})`,
    })),
    chart: await featureChart(ctx, worst),
    links,
    actions: [
      {
        id: "ask",
        label: `${hostOfInstance(worst.instance)} health`,
        value: `health of ${hostOfInstance(worst.instance)}`,
      },
      { id: "ask", label: "CPU trend 6h", value: `cpu trend last 6h on ${hostOfInstance(worst.instance)}` },
    ],
    context,
  });
}

/** The most deviant feature of a host over the last 6 hours, with its usual level as a band. */
async function featureChart(ctx: AnswerContext, score: HostScore) {
  const top = score.deviations[0];
  const spec = FEATURES.find((f) => f.name === top?.feature);
  if (!top || !spec) return undefined;
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
  return ctx.renderChart({
    title: `${spec.label} on ${host} — last 6h`,
    unit: spec.unit,
    series: toChartSeries(mine.length > 0 ? mine : series),
    threshold: { value: top.baseline, label: `usual ${formatValue(top.baseline, spec.unit)}` },
  });
}
