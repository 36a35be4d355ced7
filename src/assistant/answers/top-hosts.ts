/** "top 5 hosts by memory": a ranking, now or averaged over a range. */
import { namedQuery } from "../../metrics/catalogue.js";
import { coverageOfCount, spanText, windowQueries } from "../../metrics/coverage.js";
import { RATE_WINDOW_S } from "../../metrics/extremes.js";
import { formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply } from "../../reply/reply.js";
import type { Resource, TimeRange } from "../intent.js";
import { LEVEL_EMOJI, levelOf, RESOURCES, worstLevel } from "../resources.js";
import { type AnswerContext, displayHost, environmentContext, envSuffix } from "./context.js";
import { resourceLinks } from "./links.js";
import { noData, nowWords } from "./resource-now.js";

export async function answerTopHosts(
  ctx: AnswerContext,
  resource: Resource,
  n: number,
  range?: TimeRange,
): Promise<Reply> {
  const spec = RESOURCES[resource];
  const first = spec.queries[0];
  if (!first) return noData(ctx, spec);
  const build = (windowSeconds: number) => namedQuery(first.name).build({ windowSeconds });
  const length = range ? Math.max(60, range.fromSecondsAgo - range.toSecondsAgo) : 0;
  const time = range ? ctx.now - range.toSecondsAgo : ctx.now;
  const opts = { time, signal: ctx.signal };
  // Over a range: the average, and how much of the range each host has data for, so a host that
  // appeared an hour ago is not ranked by a "7-day average" of one hour without saying so.
  const over = range ? windowQueries(build, length, 240) : undefined;
  const [found, counts] = await Promise.all([
    ctx.client.instant(over ? over.avg : build(RATE_WINDOW_S), opts),
    over ? ctx.client.instant(over.count, opts) : undefined,
  ]);
  const history = new Map(
    over ? (counts ?? []).map((s) => [s.labels.instance ?? "", coverageOfCount(s.value, over)]) : [],
  );
  const samples = found.filter((s) => Number.isFinite(s.value)).sort((a, b) => b.value - a.value);
  if (samples.length === 0) return noData(ctx, spec);
  const partial = (instance: string | undefined) => {
    const h = history.get(instance ?? "");
    return over && h && !h.enough ? ` (only ${spanText(h.seconds)} of data)` : "";
  };
  const shown = samples.slice(0, n);
  const when = range ? `average ${range.label}` : "now";
  const tone = worstLevel(shown.map((s) => levelOf(spec, s.value)));
  const lines = shown.map(
    (s, i) =>
      `${i + 1}. ${displayHost(s.labels.instance)} ${formatValue(s.value, spec.unit)}${partial(s.labels.instance)}`,
  );
  return makeReply({
    title: `${LEVEL_EMOJI[tone]} Top ${shown.length} of ${samples.length} hosts by ${spec.label.toLowerCase()} (${when})${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: tone === "ok" ? "ok" : tone,
    fields: shown.map((s, i) => ({
      label: `${i + 1}. ${displayHost(s.labels.instance)}`,
      value: `${LEVEL_EMOJI[levelOf(spec, s.value)]} ${formatValue(s.value, spec.unit)}${partial(s.labels.instance)}`,
    })),
    links: resourceLinks(ctx, spec, length || 3600),
    actions: shown
      .slice(0, 3)
      .map((s) =>
        askButton(
          `${displayHost(s.labels.instance)} trend`,
          `${resource} trend last 6h on ${displayHost(s.labels.instance)}`,
        ),
      ),
    context: [
      ...environmentContext(ctx),
      `${first.label} — ${range ? when : nowWords(spec)}`,
      `From ${namedQuery(first.name).source(300)}`,
    ],
  });
}
