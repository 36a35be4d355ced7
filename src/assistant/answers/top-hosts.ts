/** "top 5 hosts by memory": a ranking, now or averaged over a range. */
import { namedQuery } from "../../metrics/catalogue.js";
import { promDuration } from "../../metrics/promql.js";
import { formatValue } from "../../metrics/units.js";
import { makeReply, type Reply } from "../../reply/reply.js";
import type { Resource, TimeRange } from "../intent.js";
import { LEVEL_EMOJI, levelOf, RESOURCES, worstLevel } from "../resources.js";
import { type AnswerContext, displayHost, environmentContext, envSuffix } from "./context.js";
import { resourceLinks } from "./links.js";
import { noData } from "./resource-now.js";

export async function answerTopHosts(
  ctx: AnswerContext,
  resource: Resource,
  n: number,
  range?: TimeRange,
): Promise<Reply> {
  const spec = RESOURCES[resource];
  const first = spec.queries[0];
  if (!first) return noData(ctx, spec);
  const base = namedQuery(first.name).build({});
  const length = range ? Math.max(60, range.fromSecondsAgo - range.toSecondsAgo) : 0;
  const expr = range
    ? `avg_over_time((${base})[${promDuration(length)}:${promDuration(Math.max(60, Math.round(length / 240 / 60) * 60))}])`
    : base;
  const time = range ? ctx.now - range.toSecondsAgo : ctx.now;
  const samples = (await ctx.client.instant(expr, { time, signal: ctx.signal }))
    .filter((s) => Number.isFinite(s.value))
    .sort((a, b) => b.value - a.value);
  if (samples.length === 0) return noData(ctx, spec);
  const shown = samples.slice(0, n);
  const when = range ? `average ${range.label}` : "now";
  const tone = worstLevel(shown.map((s) => levelOf(spec, s.value)));
  const lines = shown.map(
    (s, i) => `${i + 1}. ${displayHost(s.labels.instance)} ${formatValue(s.value, spec.unit)}`,
  );
  return makeReply({
    title: `${LEVEL_EMOJI[tone]} Top ${shown.length} of ${samples.length} hosts by ${spec.label.toLowerCase()} (${when})${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: tone === "ok" ? "ok" : tone,
    fields: shown.map((s, i) => ({
      label: `${i + 1}. ${displayHost(s.labels.instance)}`,
      value: `${LEVEL_EMOJI[levelOf(spec, s.value)]} ${formatValue(s.value, spec.unit)}`,
    })),
    links: resourceLinks(ctx, spec, length || 3600),
    actions: shown.slice(0, 3).map((s) => ({
      id: "ask",
      label: `${displayHost(s.labels.instance)} trend`,
      value: `${resource} trend last 6h on ${displayHost(s.labels.instance)}`,
    })),
    context: [
      ...environmentContext(ctx),
      `${spec.queries[0]?.label} — ${when}`,
      `From ${namedQuery(first.name).source(300)}`,
    ],
  });
}
