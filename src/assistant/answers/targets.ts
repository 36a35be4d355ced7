/** "which targets are down?", "list targets": scrape health, with the scrape error when Prometheus has one. */
import { namedQuery } from "../../metrics/catalogue.js";
import type { ScrapeTarget } from "../../metrics/prometheus-client.js";
import { askButton, makeReply, type Reply } from "../../reply/reply.js";
import { type AnswerContext, environmentContext, envSuffix, hostMatchers } from "./context.js";

/** Scrape errors by instance, best effort: Thanos and Mimir have no targets endpoint. */
async function scrapeErrors(ctx: AnswerContext): Promise<Map<string, ScrapeTarget>> {
  try {
    const targets = await ctx.client.targets({ signal: ctx.signal });
    return new Map(targets.map((t) => [`${t.job}/${t.instance}`, t]));
  } catch {
    return new Map();
  }
}

export async function answerTargetsDown(ctx: AnswerContext): Promise<Reply> {
  const [all, errors] = await Promise.all([
    ctx.client.instant(namedQuery("targets_up").build({ matchers: hostMatchers(ctx) }), {
      time: ctx.now,
      signal: ctx.signal,
    }),
    scrapeErrors(ctx),
  ]);
  const down = all.filter((s) => s.value === 0);
  if (down.length === 0) {
    return makeReply({
      title: `🟢 All ${all.length} targets are up${envSuffix(ctx)}`,
      text:
        all.length === 0
          ? "Prometheus has no `up` series: nothing is scraped."
          : `Every scrape target answered its last scrape (${all.length} targets).`,
      tone: all.length === 0 ? "warning" : "ok",
      actions: [askButton("List targets", "list targets")],
      context: [...environmentContext(ctx), "From up"],
    });
  }
  const lines = down.slice(0, 30).map((s) => {
    const key = `${s.labels.job ?? ""}/${s.labels.instance ?? ""}`;
    const err = errors.get(key)?.lastError;
    return `🔴 ${s.labels.instance ?? "?"} (job ${s.labels.job ?? "?"})${err ? ` — ${err.slice(0, 200)}` : ""}`;
  });
  if (down.length > 30) lines.push(`… and ${down.length - 30} more`);
  return makeReply({
    title: `🔴 ${down.length} of ${all.length} targets down${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: "critical",
    fields: [
      { label: "Down", value: String(down.length) },
      { label: "Up", value: String(all.length - down.length) },
    ],
    actions: [askButton("System health", "what's the current system health?")],
    context: [...environmentContext(ctx), "From up == 0 (last scrape failed)"],
  });
}

export async function answerTargets(ctx: AnswerContext): Promise<Reply> {
  const all = await ctx.client.instant(namedQuery("targets_up").build({ matchers: hostMatchers(ctx) }), {
    time: ctx.now,
    signal: ctx.signal,
  });
  const byJob = new Map<string, { up: number; down: number; instances: string[] }>();
  for (const s of all) {
    const job = s.labels.job ?? "?";
    const entry = byJob.get(job) ?? { up: 0, down: 0, instances: [] };
    if (s.value === 0) entry.down++;
    else entry.up++;
    entry.instances.push(s.labels.instance ?? "?");
    byJob.set(job, entry);
  }
  const jobs = [...byJob.entries()].sort(([a], [b]) => a.localeCompare(b));
  const downTotal = jobs.reduce((n, [, j]) => n + j.down, 0);
  return makeReply({
    title: `${downTotal ? "🟠" : "🟢"} ${all.length} targets in ${jobs.length} jobs${envSuffix(ctx)}`,
    text: jobs
      .slice(0, 30)
      .map(
        ([job, j]) =>
          `${job}: ${j.up} up${j.down ? `, ${j.down} down` : ""} — ${j.instances.slice(0, 8).join(", ")}${j.instances.length > 8 ? ", …" : ""}`,
      )
      .join("\n"),
    tone: downTotal ? "warning" : "ok",
    fields: jobs
      .slice(0, 20)
      .map(([job, j]) => ({ label: job, value: `${j.up} up${j.down ? ` · ${j.down} down` : ""}` })),
    actions: downTotal ? [askButton("Targets down", "which targets are down?")] : [],
    context: [...environmentContext(ctx), "From up"],
  });
}
