/**
 * "Where can we save?", "rightsizing for prod", "idle hosts": the rightsizing report of an
 * environment (or of the host the question names) as three views — the savings in money with the top
 * recommendations, the full table of hosts and containers, and the idle hosts.
 */
import { prometheusGraphLink } from "../../grafana/links.js";
import { DEFAULT_PRICES_SOURCE, type Prices } from "../../insights/prices.js";
import {
  type ContainerRightsizing,
  GiB,
  type HostRightsizing,
  type RightsizingReport,
  type RightsizingRules,
  rightsizing,
  rightsizingQueries,
  type SizeFinding,
} from "../../insights/rightsizing.js";
import { formatDuration, formatValue } from "../../metrics/units.js";
import { askButton, makeReply, type Reply, type ReplyLink } from "../../reply/reply.js";
import type { Intent } from "../intent.js";
import { type AnswerContext, environmentContext, envSuffix, hostMatchers } from "./context.js";

type RightsizingIntent = Extract<Intent, { kind: "rightsizing" }>;

/** What rightsizing answers are priced and ruled by: the engine's `costs` option. */
export interface CostSettings {
  prices: Prices;
  /** Overrides of the default rules (lookback, headroom, thresholds). */
  rules?: Partial<RightsizingRules>;
  /** Per query; rightsizing reads weeks of data, longer than a "now" question. The answer's deadline still holds. */
  queryTimeoutMs?: number;
}

/** Recommendations listed by name in the savings view; lines of each kind in the table view. */
const TOP = 5;
const MAX_LINES = 25;

export async function answerRightsizing(
  ctx: AnswerContext,
  intent: RightsizingIntent,
  costs: CostSettings,
): Promise<Reply> {
  const report = await rightsizing(ctx.client, {
    now: ctx.now,
    prices: costs.prices,
    ...(costs.rules ? { rules: costs.rules } : {}),
    matchers: hostMatchers(ctx),
    signal: ctx.signal,
    ...(costs.queryTimeoutMs ? { timeoutMs: costs.queryTimeoutMs } : {}),
    // The idle view needs no containers: four fewer queries over weeks of data.
    hostsOnly: intent.view === "idle",
  });
  const where = ctx.host ? ` on ${ctx.host.name}` : "";
  const fatal = report.failures.find((f) => f.query === "host cores" || f.query === "host cpu_used");
  if (fatal) {
    return makeReply({
      title: `⚠️ Prometheus did not answer: no rightsizing${where}${envSuffix(ctx)}`,
      text: `${fatal.error}\nHost sizes and CPU usage are needed for every recommendation; ask again when Prometheus answers.`,
      tone: "error",
      context: [...environmentContext(ctx), ...howLines(ctx, report)],
    });
  }
  if (report.hosts.length === 0) {
    return makeReply({
      title: `No hosts to size${where}${envSuffix(ctx)}`,
      text: "Prometheus has no node_exporter CPU series (node_cpu_seconds_total) in this window. Scrape node_exporter to size hosts.",
      tone: "warning",
      context: [...environmentContext(ctx), ...howLines(ctx, report)],
    });
  }
  if (report.hosts.every((h) => h.status === "insufficient_history")) {
    const most = Math.max(...report.hosts.map((h) => h.historySeconds));
    return makeReply({
      title: `⏳ Too little history to size${where} yet${envSuffix(ctx)}`,
      text: [
        `${count(report.hosts.length, "host")} with ${most >= report.stepSeconds ? `at most ${formatDuration(most)}` : `less than ${formatDuration(report.stepSeconds)}`} of data; recommendations need ${formatDuration(report.rules.minHistorySeconds)} (best: the ${formatDuration(report.rules.lookbackSeconds)} window).`,
        ...report.failures.map(
          (f) => `Not measured — Prometheus did not answer the ${f.query} query: ${f.error}`,
        ),
      ].join("\n"),
      tone: "info",
      context: [...environmentContext(ctx), ...howLines(ctx, report), ...priceLines(report)],
    });
  }
  switch (intent.view) {
    case "savings":
      return savingsView(ctx, report, where);
    case "rightsizing":
      return tableView(ctx, report, where);
    case "idle":
      return idleView(ctx, report, where);
  }
}

function savingsView(ctx: AnswerContext, r: RightsizingReport, where: string): Reply {
  const p = r.prices;
  const total = r.totals.resizeMonthly + r.totals.idleMonthly;
  const shrink = r.hosts.filter((h) => !h.idle && h.resizeMonthly > 0);
  const idle = r.hosts.filter((h) => h.idle).sort((a, b) => b.monthlyCost - a.monthlyCost);
  const grow = r.hosts.filter((h) => !h.idle && h.resizeMonthly < 0);
  const young = r.hosts.filter((h) => h.status === "insufficient_history");
  const lines: string[] = [];
  if (total > 0) {
    const parts = [
      shrink.length > 0
        ? `${money(r.totals.resizeMonthly, p)}/month from resizing ${count(shrink.length, "host")}`
        : "",
      idle.length > 0
        ? `${money(r.totals.idleMonthly, p)}/month from retiring ${count(idle.length, "idle host")}`
        : "",
    ].filter(Boolean);
    lines.push(parts.join("; "));
    const recs = [
      ...shrink.map((h) => ({
        saving: h.resizeMonthly,
        line: `${resizeLine(h)}: ${money(h.resizeMonthly, p)}/month`,
      })),
      ...idle.map((h) => ({
        saving: h.monthlyCost,
        line: `Retire or merge ${h.host} (${idleNumbers(h)}): ${money(h.monthlyCost, p)}/month`,
      })),
    ].sort((a, b) => b.saving - a.saving);
    lines.push(...recs.slice(0, TOP).map((x, i) => `${i + 1}. ${x.line}`));
    if (recs.length > TOP)
      lines.push(`…and ${recs.length - TOP} more (ask “rightsizing” for the full table)`);
  } else {
    lines.push("No host can shrink by the rules, and none is idle.");
  }
  if (grow.length > 0) {
    const g = -grow.reduce((s, h) => s + h.resizeMonthly, 0);
    lines.push(
      `${count(grow.length, "host")} need${grow.length === 1 ? "s" : ""} more (${extra(g, p)}/month): ${grow
        .slice(0, TOP)
        .map((h) => `${h.host} ${sizeChange(h)}`)
        .join("; ")}`,
    );
  }
  lines.push(...historyLines(r, young));
  const sized = r.hosts.length - young.length;
  return makeReply({
    title:
      total > 0
        ? `💰 ${money(total, p)}/month to save${where}${envSuffix(ctx)}`
        : `${grow.length > 0 ? "🟠" : "🟢"} Nothing to save${where}${envSuffix(ctx)}: ${count(sized, "host")} sized within the rules`,
    text: lines.join("\n"),
    tone: total > 0 || grow.length > 0 ? "warning" : "ok",
    fields: [
      {
        label: "Resizing",
        value: `${money(r.totals.resizeMonthly, p)}/month (${count(shrink.length, "host")})`,
      },
      { label: "Idle hosts", value: `${money(r.totals.idleMonthly, p)}/month (${idle.length})` },
      {
        label: "Growth needed",
        value: `${extra(r.totals.growMonthly, p)}/month (${count(grow.length, "host")})`,
      },
      { label: "Hosts sized", value: `${sized} of ${r.hosts.length}` },
    ],
    actions: [askButton("Full table", "rightsizing"), askButton("Idle hosts", "idle hosts")],
    links: links(ctx, r),
    context: [...environmentContext(ctx), ...howLines(ctx, r), ...priceLines(r)],
  });
}

function tableView(ctx: AnswerContext, r: RightsizingReport, where: string): Reply {
  const p = r.prices;
  const order = (h: HostRightsizing) => (h.idle ? 1 : h.resizeMonthly > 0 ? 0 : h.resizeMonthly < 0 ? 2 : 3);
  const hosts = [...r.hosts].sort(
    (a, b) =>
      order(a) - order(b) ||
      Math.abs(b.resizeMonthly) - Math.abs(a.resizeMonthly) ||
      a.host.localeCompare(b.host),
  );
  const lines: string[] = ["Hosts:"];
  for (const h of hosts.slice(0, MAX_LINES)) lines.push(`• ${hostLine(h, p)}`);
  if (hosts.length > MAX_LINES) lines.push(`…and ${hosts.length - MAX_LINES} more hosts`);
  const changing = r.containers.filter((c) => containerChanges(c));
  if (r.containers.length > 0) {
    lines.push(`Containers (${changing.length} of ${r.containers.length} to change):`);
    for (const c of changing.slice(0, MAX_LINES)) lines.push(`• ${containerLine(c)}`);
    if (changing.length > MAX_LINES) lines.push(`…and ${changing.length - MAX_LINES} more containers`);
  }
  const young = r.hosts.filter((h) => h.status === "insufficient_history");
  lines.push(...historyLines(r, young));
  const shrink = r.hosts.filter((h) => !h.idle && h.resizeMonthly > 0).length;
  const grow = r.hosts.filter((h) => h.cpu?.action === "grow" || h.memory?.action === "grow").length;
  const idle = r.hosts.filter((h) => h.idle).length;
  return makeReply({
    title: `📐 Rightsizing${where}${envSuffix(ctx)}: ${count(shrink, "host")} to shrink, ${grow} to grow, ${idle} idle`,
    text: lines.join("\n"),
    tone: shrink + grow + idle + changing.length > 0 ? "warning" : "ok",
    fields: [
      { label: "Save by resizing", value: `${money(r.totals.resizeMonthly, p)}/month` },
      { label: "Save by retiring idle", value: `${money(r.totals.idleMonthly, p)}/month` },
      { label: "Cost of growing", value: `${extra(r.totals.growMonthly, p)}/month` },
      { label: "Containers to change", value: `${changing.length} of ${r.containers.length}` },
    ],
    actions: [askButton("Savings", "where can we save?"), askButton("Idle hosts", "idle hosts")],
    links: links(ctx, r),
    context: [...environmentContext(ctx), ...howLines(ctx, r), ...priceLines(r)],
  });
}

function idleView(ctx: AnswerContext, r: RightsizingReport, where: string): Reply {
  const p = r.prices;
  const idle = r.hosts.filter((h) => h.idle).sort((a, b) => b.monthlyCost - a.monthlyCost);
  const young = r.hosts.filter((h) => h.status === "insufficient_history");
  const rule = `Idle: p95 CPU under ${cores(r.rules.idleCpuCores)} and network (in + out, real NICs) under ${formatValue(r.rules.idleNetworkBytesPerSecond, "bytes_per_second")}`;
  const lines =
    idle.length > 0
      ? idle
          .slice(0, MAX_LINES)
          .map((h) => `• ${h.host}: ${idleNumbers(h)}, ${h.cores} cores: ${money(h.monthlyCost, p)}/month`)
      : [`No idle host among ${count(r.hosts.length - young.length, "host")} sized.`];
  if (idle.length > MAX_LINES) lines.push(`…and ${idle.length - MAX_LINES} more`);
  lines.push(rule);
  lines.push(...historyLines(r, young));
  return makeReply({
    title:
      idle.length > 0
        ? `💤 ${count(idle.length, "idle host")}${where}${envSuffix(ctx)}: ${money(r.totals.idleMonthly, p)}/month`
        : `🟢 No idle hosts${where}${envSuffix(ctx)}`,
    text: lines.join("\n"),
    tone: idle.length > 0 ? "warning" : "ok",
    fields: idle.slice(0, 10).map((h) => ({ label: h.host, value: `${money(h.monthlyCost, p)}/month` })),
    actions: [askButton("Savings", "where can we save?"), askButton("Full table", "rightsizing")],
    links: links(ctx, r),
    context: [...environmentContext(ctx), ...howLines(ctx, r), ...priceLines(r)],
  });
}

/** "~$96", "~$1,234": amounts rounded to whole units (they are estimates). */
export function money(amount: number, prices: Prices): string {
  const whole = Math.round(Math.abs(amount));
  const c = prices.currency ?? "$";
  // A code ("EUR") is followed by a space, a symbol ("$", "€") is not.
  return `~${c}${/[A-Za-z]$/.test(c) ? " " : ""}${whole.toLocaleString("en-US")}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** 8 → "8", 3.2 → "3.2", 0.3 → "0.30", 0.012 → "0.012": cores at a sensible precision. */
function num(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return x.toFixed(x >= 10 ? 0 : x >= 1 ? 1 : x >= 0.1 ? 2 : 3);
}

/** 3.2 → "3.2 cores", 1 → "1 core". */
function cores(x: number): string {
  return `${num(x)} ${x === 1 ? "core" : "cores"}`;
}

/** What growing costs: "+$27". */
function extra(amount: number, prices: Prices): string {
  return `+${money(amount, prices).slice(1)}`;
}

const gib = (bytes: number) => `${Math.round(bytes / GiB)} GiB`;

/** "8 → 4 cores, 32 → 7 GiB" for what changes on a host. */
function sizeChange(h: HostRightsizing): string {
  const parts: string[] = [];
  if (h.cpu && h.cpu.capacity !== undefined && h.cpu.target !== h.cpu.capacity)
    parts.push(`${h.cpu.capacity} → ${h.cpu.target} cores`);
  if (h.memory && h.memory.capacity !== undefined && h.memory.target !== h.memory.capacity)
    parts.push(`${gib(h.memory.capacity)} → ${gib(h.memory.target)}`);
  return parts.join(", ");
}

function resizeLine(h: HostRightsizing): string {
  const used = [
    h.cpuUsedCores !== undefined ? `p95 CPU ${cores(h.cpuUsedCores)}` : "",
    h.memoryPeakBytes !== undefined ? `peak memory ${formatValue(h.memoryPeakBytes, "bytes")}` : "",
  ].filter(Boolean);
  return `Resize ${h.host} ${sizeChange(h)} (${used.join(", ")})`;
}

function idleNumbers(h: HostRightsizing): string {
  return [
    `p95 CPU ${cores(h.cpuUsedCores ?? 0)}`,
    h.networkBytesPerSecond !== undefined
      ? `network ${formatValue(h.networkBytesPerSecond, "bytes_per_second")}`
      : "network not measured",
  ].join(", ");
}

/** How one resource reads: "CPU 8 → 4 cores (p95 3.2)", "memory 16 GiB fits (peak 12.0 GiB)". */
function findingText(label: string, f: SizeFinding | undefined, kind: "cpu" | "memory"): string {
  if (!f) return `${label} not measured`;
  const fmt = kind === "cpu" ? num : (x: number) => formatValue(x, "bytes");
  const unit = kind === "cpu" ? " cores" : "";
  const used = `${kind === "cpu" ? "p95" : "peak"} ${fmt(f.used)}`;
  const cap = f.capacity !== undefined ? fmt(f.capacity) : "";
  switch (f.action) {
    case "shrink":
    case "grow":
      return `${label} ${cap} → ${fmt(f.target)}${unit} (${used})`;
    case "keep":
      return `${label} ${cap}${unit} fits (${used})`;
    case "set_limit":
      return `${label}: none, set ${fmt(f.target)}${unit} (${used})`;
    case "unbounded":
      return `${label}: none, needs ~${fmt(f.target)}${unit} (${used})`;
  }
}

function verdict(actions: Array<SizeFinding["action"] | undefined>): string {
  if (actions.includes("grow")) return "GROW";
  if (actions.includes("shrink")) return "SHRINK";
  if (actions.includes("set_limit")) return "SET LIMIT";
  return "KEEP";
}

function hostLine(h: HostRightsizing, p: Prices): string {
  if (h.status === "insufficient_history")
    return `${h.host}: TOO YOUNG to size (${formatDuration(h.historySeconds)} of data), ${h.cores} cores`;
  const what = h.idle ? "IDLE" : verdict([h.cpu?.action, h.memory?.action]);
  const cpu = findingText("CPU", h.cpu, "cpu");
  const mem = findingText("memory", h.memory, "memory");
  const price = h.idle
    ? `: ${money(h.monthlyCost, p)}/month if retired`
    : h.resizeMonthly > 0
      ? `: ${money(h.resizeMonthly, p)}/month`
      : h.resizeMonthly < 0
        ? `: ${extra(-h.resizeMonthly, p)}/month`
        : "";
  return `${h.host}: ${what} — ${cpu}; ${mem}${price}`;
}

function containerChanges(c: ContainerRightsizing): boolean {
  return [c.cpu?.action, c.memory?.action].some((a) => a === "shrink" || a === "grow" || a === "set_limit");
}

function containerLine(c: ContainerRightsizing): string {
  if (c.status === "insufficient_history")
    return `${c.name} on ${c.host}: TOO YOUNG (${formatDuration(c.historySeconds)} of data)`;
  const cpu = findingText("CPU limit", c.cpu, "cpu");
  const mem = findingText("memory limit", c.memory, "memory");
  return `${c.name} on ${c.host}: ${verdict([c.cpu?.action, c.memory?.action])} — ${cpu}; ${mem}`;
}

/** Less history than asked for, and hosts too young to size: said, never hidden. */
function historyLines(r: RightsizingReport, young: HostRightsizing[]): string[] {
  const out: string[] = [];
  const sized = r.hosts.filter((h) => h.status === "ok");
  const most = Math.max(0, ...sized.map((h) => h.historySeconds));
  if (sized.length > 0 && most < r.rules.lookbackSeconds - 2 * r.stepSeconds)
    out.push(
      `Based on ${formatDuration(most)} of data (of the ${formatDuration(r.rules.lookbackSeconds)} asked for)`,
    );
  if (young.length > 0)
    out.push(
      `${count(young.length, "host")} too young to size (under ${formatDuration(r.rules.minHistorySeconds)} of data): ${young
        .slice(0, 5)
        .map((h) => `${h.host} (${formatDuration(h.historySeconds)})`)
        .join(", ")}${young.length > 5 ? ", …" : ""}`,
    );
  for (const f of r.failures)
    out.push(`Not measured — Prometheus did not answer the ${f.query} query: ${f.error}`);
  return out;
}

/** The window, the rules and the queries, for trust. */
function howLines(ctx: AnswerContext, r: RightsizingReport): string[] {
  const rules = r.rules;
  const q = rightsizingQueries(rules, hostMatchers(ctx));
  return [
    `Window: last ${formatDuration(rules.lookbackSeconds)}, evaluated every ${formatDuration(r.stepSeconds)} (CPU as ${formatDuration(r.rateWindowSeconds)} rates)`,
    `Rules: CPU at p${Math.round(rules.cpuQuantile * 100)} + ${Math.round(rules.cpuHeadroom * 100)}%, memory at peak + ${Math.round(rules.memoryHeadroom * 100)}%; a host shrinks by at least ${rules.hostMinCpuSavingCores} core or ${formatValue(rules.hostMinMemorySavingBytes, "bytes")} and ${Math.round(rules.minSavingShare * 100)}%; grows above ${Math.round(rules.growAbove * 100)}%`,
    `From node_cpu_seconds_total (busy = not idle, iowait or steal), MemTotal − MemAvailable, node_network_*_bytes_total, and cAdvisor's container_spec_* limits`,
    `CPU query: ${q.host.cpu_used}`,
  ];
}

function priceLines(r: RightsizingReport): string[] {
  const p = r.prices;
  const c = p.currency ?? "$";
  const units = `${c}${p.cpuCoreMonth} a core and ${c}${p.gbMonth} a GiB per month`;
  const filed = r.hosts.filter((h) => h.priceFrom === "file").length;
  const lines = [
    p.origin === "default"
      ? `Prices: an estimate at ${units} (${DEFAULT_PRICES_SOURCE}); set COST_CPU_CORE_MONTH and COST_GB_MONTH to your own`
      : `Prices: yours, ${units}`,
  ];
  if (p.perHost)
    lines.push(
      `${count(filed, "host")} priced from ${p.file ?? "the price file"}; the others at unit prices`,
    );
  return lines;
}

function links(ctx: AnswerContext, r: RightsizingReport): ReplyLink[] {
  const q = rightsizingQueries(r.rules, hostMatchers(ctx));
  return [
    {
      label: "Prometheus: p95 CPU",
      url: prometheusGraphLink(
        ctx.client.baseUrl,
        q.host.cpu_used,
        Math.min(r.rules.lookbackSeconds, 86_400),
      ),
    },
  ];
}
