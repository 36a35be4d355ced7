/** Containers from cAdvisor metrics: running, restarting, top by CPU or memory. */

import { DASHBOARDS, grafanaPanelLink } from "../../grafana/links.js";
import { namedQuery } from "../../metrics/catalogue.js";
import type { InstantSample } from "../../metrics/prometheus-client.js";
import { formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply } from "../../reply/reply.js";
import type { Intent } from "../intent.js";
import { type AnswerContext, displayHost, environmentContext, envSuffix, hostMatchers } from "./context.js";

type ContainersIntent = Extract<Intent, { kind: "containers" }>;

/** A container seen by cAdvisor within this many seconds counts as running. */
const RUNNING_WITHIN = 120;

export async function answerContainers(ctx: AnswerContext, intent: ContainersIntent): Promise<Reply> {
  const matchers = hostMatchers(ctx);
  const q = (name: Parameters<typeof namedQuery>[0], windowSeconds?: number) =>
    ctx.client.instant(namedQuery(name).build({ matchers, windowSeconds }), {
      time: ctx.now,
      signal: ctx.signal,
    });
  const label = (s: InstantSample) => `${s.labels.name ?? "?"} on ${displayHost(s.labels.instance)}`;
  const links = ctx.grafanaUrl
    ? [
        {
          label: "Grafana: containers",
          url: grafanaPanelLink({
            grafanaUrl: ctx.grafanaUrl,
            dashboardUid: DASHBOARDS.dockerContainers.uid,
            panelId:
              intent.view === "top_memory"
                ? DASHBOARDS.dockerContainers.panels.memory
                : intent.view === "restarting"
                  ? DASHBOARDS.dockerContainers.panels.restarts
                  : DASHBOARDS.dockerContainers.panels.cpu,
            fromMs: (ctx.now - 3600) * 1000,
            toMs: ctx.now * 1000,
          }),
        },
      ]
    : [];
  const base = { links, context: [...environmentContext(ctx), "From cAdvisor metrics via Prometheus"] };
  const seen = await q("containers_last_seen_age");
  if (seen.length === 0) {
    return makeReply({
      title: `No container metrics${envSuffix(ctx)}`,
      text: "Prometheus has no cAdvisor series (container_last_seen). Scrape cAdvisor to see containers.",
      tone: "warning",
      ...base,
    });
  }
  const running = seen.filter((s) => Number.isFinite(s.value) && s.value <= RUNNING_WITHIN);
  switch (intent.view) {
    case "running": {
      const stale = seen.length - running.length;
      return makeReply({
        title: `🐳 ${running.length} containers running${ctx.host ? ` on ${ctx.host.name}` : ""}${envSuffix(ctx)}`,
        text: [
          running.slice(0, 40).map(label).sort().join("\n"),
          stale > 0 ? `${stale} more not seen in the last ${RUNNING_WITHIN} s (stopped or gone)` : "",
        ]
          .filter(Boolean)
          .join("\n"),
        tone: "info",
        fields: [
          { label: "Running", value: String(running.length) },
          { label: "Not seen recently", value: String(stale) },
        ],
        actions: [
          askButton("Restarting?", "which containers are restarting"),
          askButton("Top by CPU", "top containers by cpu"),
        ],
        ...base,
      });
    }
    case "restarting": {
      const restarts = (await q("containers_restarts", 3600)).sort((a, b) => b.value - a.value);
      if (restarts.length === 0) {
        return makeReply({
          title: `🟢 No container restarted in the last hour${envSuffix(ctx)}`,
          text: `${running.length} containers running; none restarted in the last hour.`,
          tone: "ok",
          ...base,
        });
      }
      return makeReply({
        title: `🟠 ${restarts.length} container${restarts.length > 1 ? "s" : ""} restarted in the last hour${envSuffix(ctx)}`,
        text: restarts
          .slice(0, 20)
          .map((s) => `${label(s)}: ${s.value} restart${s.value === 1 ? "" : "s"}`)
          .join("\n"),
        tone: "warning",
        fields: restarts.slice(0, 20).map((s) => ({ label: label(s), value: `${s.value} restarts` })),
        ...base,
      });
    }
    case "top_cpu":
    case "top_memory": {
      const cpu = intent.view === "top_cpu";
      const unit = cpu ? "percent" : "bytes";
      const samples = (await q(cpu ? "containers_cpu_percent" : "containers_memory_bytes"))
        .filter((s) => Number.isFinite(s.value))
        .sort((a, b) => b.value - a.value)
        .slice(0, intent.n);
      return makeReply({
        title: `🐳 Top ${samples.length} containers by ${cpu ? "CPU" : "memory"}${envSuffix(ctx)}`,
        text: samples
          .map((s, i) => `${i + 1}. ${label(s)} ${formatValue(s.value, unit)}${cpu ? " of a core" : ""}`)
          .join("\n"),
        tone: "info",
        fields: samples.map((s, i) => ({
          label: `${i + 1}. ${label(s)}`,
          value: formatValue(s.value, unit),
        })),
        ...base,
        context: [...base.context, cpu ? "CPU as % of one core, 5 min rate" : "Working-set memory"],
      });
    }
  }
}
