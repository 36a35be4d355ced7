/** "what's the current system health?": CPU, memory, disk and load of every host, worst first. */
import { namedQuery } from "../../metrics/catalogue.js";
import { formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply, type ReplyField } from "../../reply/reply.js";
import type { Resource } from "../intent.js";
import { LEVEL_EMOJI, type Level, levelOf, RESOURCES, worstLevel } from "../resources.js";
import { type AnswerContext, displayHost, environmentContext, envSuffix, hostMatchers } from "./context.js";
import { currentRows } from "./resource-now.js";

const HEALTH_RESOURCES: Resource[] = ["cpu", "memory", "disk", "load"];

interface HostHealth {
  host: string;
  values: Partial<Record<Resource, number>>;
  levels: Partial<Record<Resource, Level>>;
  level: Level;
}

export async function answerHealth(ctx: AnswerContext): Promise<Reply> {
  const [rowsPerResource, down] = await Promise.all([
    Promise.all(HEALTH_RESOURCES.map((r) => currentRows(ctx, RESOURCES[r], false))),
    ctx.client.instant(namedQuery("targets_down").build({ matchers: hostMatchers(ctx) }), {
      time: ctx.now,
      signal: ctx.signal,
    }),
  ]);
  const hosts = new Map<string, HostHealth>();
  HEALTH_RESOURCES.forEach((resource, i) => {
    for (const row of rowsPerResource[i] ?? []) {
      const v = row.values[0];
      if (v === undefined || !Number.isFinite(v)) continue;
      let h = hosts.get(row.host);
      if (!h) {
        h = { host: row.host, values: {}, levels: {}, level: "ok" };
        hosts.set(row.host, h);
      }
      h.values[resource] = v;
      h.levels[resource] = levelOf(RESOURCES[resource], v);
    }
  });
  for (const h of hosts.values()) h.level = worstLevel(Object.values(h.levels));
  const list = [...hosts.values()].sort(
    (a, b) => rank(b.level) - rank(a.level) || (b.values.cpu ?? 0) - (a.values.cpu ?? 0),
  );
  const downNames = down.map((s) => `${s.labels.instance ?? "?"} (${s.labels.job ?? "?"})`);
  const overall = worstLevel([...list.map((h) => h.level), downNames.length > 0 ? "warning" : "ok"]);
  if (list.length === 0 && downNames.length === 0) {
    return makeReply({
      title: `No host metrics${ctx.host ? ` for ${ctx.host.name}` : ""}${envSuffix(ctx)}`,
      text: `Prometheus at ${ctx.client.baseUrl} answered, but has no node_exporter data${ctx.host ? ` for ${ctx.host.name}` : ""}.`,
      tone: "warning",
      context: environmentContext(ctx),
      suggestions: ["list targets", "which targets are down?"],
    });
  }
  const fmt = (r: Resource, v: number | undefined) =>
    v === undefined ? "n/a" : formatValue(v, RESOURCES[r].unit);
  const lines: string[] = [];
  const problems: string[] = [];
  for (const h of list) {
    for (const r of HEALTH_RESOURCES) {
      const level = h.levels[r];
      if (level && level !== "ok") {
        problems.push(
          `${LEVEL_EMOJI[level]} ${h.host}: ${RESOURCES[r].label} ${fmt(r, h.values[r])} (≥ ${fmt(r, level === "critical" ? RESOURCES[r].critical : RESOURCES[r].warning)})`,
        );
      }
    }
  }
  let fields: ReplyField[];
  let title: string;
  const single = list.length === 1 ? list[0] : undefined;
  if (single) {
    title = `${LEVEL_EMOJI[overall]} ${single.host}: ${overall === "ok" ? "healthy" : "needs a look"}${envSuffix(ctx)}`;
    lines.push(
      `CPU ${fmt("cpu", single.values.cpu)} · Memory ${fmt("memory", single.values.memory)} · Disk ${fmt("disk", single.values.disk)} · Load/core ${fmt("load", single.values.load)}`,
    );
    fields = HEALTH_RESOURCES.map((r) => ({
      // A value Prometheus does not have yet (a young stack has no 5-minute rate) is no data, not OK.
      label: `${single.values[r] === undefined ? "⚪" : LEVEL_EMOJI[single.levels[r] ?? "ok"]} ${RESOURCES[r].label}`,
      value: fmt(r, single.values[r]),
    }));
  } else {
    const okCount = list.filter((h) => h.level === "ok").length;
    title = `${LEVEL_EMOJI[overall]} System health: ${okCount} of ${list.length} hosts OK${downNames.length ? `, ${downNames.length} target${downNames.length > 1 ? "s" : ""} down` : ""}${envSuffix(ctx)}`;
    const worst = (r: Resource) => {
      const top = [...list].sort((a, b) => (b.values[r] ?? -1) - (a.values[r] ?? -1))[0];
      return top && top.values[r] !== undefined ? `${top.host} ${fmt(r, top.values[r])}` : "n/a";
    };
    lines.push(
      `Highest CPU ${worst("cpu")} · memory ${worst("memory")} · disk ${worst("disk")} · load/core ${worst("load")}`,
    );
    fields = list.slice(0, 20).map((h) => ({
      label: `${LEVEL_EMOJI[h.level]} ${h.host}`,
      value: `CPU ${fmt("cpu", h.values.cpu)} · Mem ${fmt("memory", h.values.memory)} · Disk ${fmt("disk", h.values.disk)} · Load/core ${fmt("load", h.values.load)}`,
    }));
    if (list.length > 20) fields.push({ label: "More hosts", value: `${list.length - 20} not shown` });
  }
  if (problems.length > 0) lines.push(...problems.slice(0, 8));
  else if (list.length > 0) lines.push("All hosts within normal levels.");
  if (downNames.length > 0)
    lines.push(
      `🔴 Down: ${downNames.slice(0, 8).join(", ")}${downNames.length > 8 ? ` and ${downNames.length - 8} more` : ""}`,
    );
  const busiest = list[0];
  return makeReply({
    title,
    text: lines.join("\n"),
    tone: overall === "ok" ? "ok" : overall,
    fields,
    actions: [
      askButton("CPU trend 1h", `cpu trend last 1h${ctx.host ? ` on ${ctx.host.name}` : ""}`),
      ...(single ? [] : [askButton("Top hosts by CPU", "top 5 hosts by cpu")]),
      ...(downNames.length > 0 ? [askButton("Targets down", "which targets are down?")] : []),
      ...(busiest && !single ? [askButton(`${busiest.host} details`, `health of ${busiest.host}`)] : []),
    ],
    context: [
      ...environmentContext(ctx),
      "Now: CPU and load as 5 min / 1 min averages; memory and disk as current use",
      "From node_exporter via Prometheus",
    ],
  });
}

function rank(l: Level): number {
  return l === "critical" ? 2 : l === "warning" ? 1 : 0;
}

export { displayHost };
