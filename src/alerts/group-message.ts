/**
 * An alert group as a platform-neutral message: the state first (firing, acknowledged, silenced,
 * resolved), what and where, since when, the value against its threshold or baseline, then each
 * alert, links to the right Grafana panel and runbook, and the buttons that act on it.
 */
import { DASHBOARDS, grafanaPanelLink } from "../grafana/links.js";
import {
  type Inline,
  makeReply,
  type Reply,
  type ReplyAction,
  type ReplyLink,
  type RichText,
} from "../reply/reply.js";
import type { Alert } from "./alert.js";
import type { GroupEvent, GroupState } from "./alert-store.js";

const SEVERITY_EMOJI: Record<string, string> = { critical: "🔴", warning: "🟠", info: "🔵" };
const SEVERITY_RANK: Record<string, number> = { critical: 3, warning: 2, info: 1 };
const SOURCE_NAME = {
  alertmanager: "Alertmanager",
  anomaly: "the anomaly detector",
  rule: "a chat rule",
  forecast: "the capacity forecast",
};
/** Alerts listed one per line in the message; the rest are counted ("and 12 more"). */
const LISTED = 15;

export function duration(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.round(h / 24)} days`;
}

export const clock = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;

const hhmm = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

/** How long a group has been firing, said in a reminder: "4 h", "2.5 h", "40 min". */
function age(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 1 ? `${Math.round(hours * 10) / 10} h` : `${Math.round(hours * 60)} min`;
}

/** The line an event of the group adds to its message's thread. */
export function eventLine(event: GroupEvent): RichText {
  switch (event.kind) {
    case "started":
      return `🔴 ${event.where} started firing`;
    case "refired":
      return `🔁 ${event.where} firing again`;
    case "resolved":
      return `✅ ${event.where} resolved at ${hhmm(event.at)}`;
    case "reminder":
      return `⏰ Still firing after ${age(event.ageMs)}, not acknowledged`;
    case "ack":
      return ["👀 Acknowledged by ", { mention: event.by }];
    case "silenced":
      return [`🔕 Silenced for ${duration(event.forMs)} by `, { mention: event.by }];
    case "unsilenced":
      return ["🔔 Silence lifted by ", { mention: event.by }];
    case "silence-ended":
      return "🔔 Silence ended";
    case "note":
      return event.text;
  }
}

/** Labels worth a field of their own; the rest stay in the source. */
const SHOWN_LABELS = [
  "instance",
  "job",
  "environment",
  "service",
  "namespace",
  "pod",
  "container",
  "mountpoint",
];

const where = (a: Alert) => a.labels.instance ?? a.labels.job ?? a.labels.pod ?? "";

/** " (prod)" when the alerts share an environment worth naming. */
function envOf(alerts: Alert[]): string {
  const env = commonLabels(alerts).environment;
  return env && env !== "default" ? ` (${env})` : "";
}

function severityOf(alerts: Alert[]): string {
  let best = "warning";
  let rank = 0;
  for (const a of alerts) {
    const s = a.labels.severity ?? "warning";
    if ((SEVERITY_RANK[s] ?? 2) > rank) {
      best = s;
      rank = SEVERITY_RANK[s] ?? 2;
    }
  }
  return best;
}

/** Labels every alert of the group has with the same value. */
function commonLabels(alerts: Alert[]): Record<string, string> {
  const [first, ...rest] = alerts;
  if (!first) return {};
  return Object.fromEntries(
    Object.entries(first.labels).filter(([k, v]) => rest.every((a) => a.labels[k] === v)),
  );
}

export type AlertTopic = "cpu" | "memory" | "disk" | "load" | "network" | "containers";

/** What resource an alert is about, from its name (or, for the detector's, the feature that moved most). */
export function alertTopic(alert: Alert): AlertTopic {
  const name =
    `${alert.labels.alertname ?? ""} ${alert.labels.metric ?? ""} ${alert.labels.feature ?? ""}`.toLowerCase();
  if (/container|pod|restart/.test(name)) return "containers";
  if (/disk|filesystem|fs_|volume|inode/.test(name)) return "disk";
  if (/mem|oom|swap/.test(name)) return "memory";
  if (/load/.test(name)) return "load";
  if (/net|network|packet|bandwidth|tcp/.test(name)) return "network";
  return "cpu";
}

/** Which shipped dashboard panel shows what this alert is about. */
function panelFor(alert: Alert): { uid: string; panelId: number } {
  const { systemOverview: so, anomalies, dockerContainers } = DASHBOARDS;
  if (alert.source === "anomaly") return { uid: anomalies.uid, panelId: anomalies.panels.score };
  const topic = alertTopic(alert);
  if (topic === "containers") return { uid: dockerContainers.uid, panelId: dockerContainers.panels.cpu };
  return { uid: so.uid, panelId: so.panels[topic] };
}

export interface GroupMessageOptions {
  grafanaUrl?: string;
  now?: () => number;
}

export function groupReply(state: GroupState, opts: GroupMessageOptions = {}): Reply {
  if (state.group.kind === "summary") return summaryReply(state);
  const now = opts.now?.() ?? Date.now();
  const { group, alerts } = state;
  const firing = alerts.filter((a) => a.status === "firing");
  const resolved = firing.length === 0;
  const shown = resolved ? alerts : firing;
  const first = shown[0] ?? alerts[0];
  const name = group.labels.alertname || first?.labels.alertname || "Alert";
  const severity = severityOf(shown);
  const silenced = group.silence && group.silence.until > now ? group.silence : undefined;
  const emoji = resolved ? "✅" : silenced ? "🔕" : (SEVERITY_EMOJI[severity] ?? "🟠");
  const place = shown.length === 1 && first && where(first) ? ` on ${where(first)}` : "";
  const count = shown.length > 1 ? ` · ${shown.length} ${resolved ? "resolved" : "firing"}` : "";
  const startsAt = Math.min(...alerts.map((a) => a.startsAt));
  const endsAt = Math.max(...alerts.map((a) => a.endsAt ?? a.startsAt));

  // Each line is literal text or pieces of one (a mention); they are joined with "\n" below.
  const lines: (string | Inline[])[] = [];
  // Status in words first (colour alone is lost on a lock screen), and who did it, when.
  if (resolved) lines.push(`RESOLVED after ${duration(endsAt - startsAt)}`);
  else if (group.ack)
    lines.push([
      "ACKNOWLEDGED by ",
      { mention: group.ack.by },
      ` at ${clock(group.ack.at).slice(11)} · firing since ${clock(startsAt)}`,
    ]);
  else lines.push(`FIRING since ${clock(startsAt)}`);
  if (silenced && !resolved)
    lines.push([`🔕 SILENCED until ${clock(silenced.until)} by `, { mention: silenced.by }]);
  const summary = first?.annotations.summary ?? first?.annotations.description ?? "";
  if (shown.length === 1 && first) {
    if (summary) lines.push(summary);
    if (first.annotations.description && first.annotations.description !== summary)
      lines.push(first.annotations.description);
    if (first.value) lines.push(first.value);
  } else {
    for (const a of alerts.slice(0, LISTED)) {
      const mark = a.status === "resolved" ? "✅" : (SEVERITY_EMOJI[a.labels.severity ?? ""] ?? "🟠");
      const text = a.annotations.summary ?? a.value ?? "";
      const when =
        a.status === "resolved"
          ? `resolved ${clock(a.endsAt ?? now).slice(11)}`
          : `since ${clock(a.startsAt).slice(11)}`;
      lines.push(`${mark} ${where(a) || a.fingerprint}${text ? ` — ${text}` : ""} (${when})`);
    }
    if (alerts.length > LISTED) lines.push(`… and ${alerts.length - LISTED} more`);
  }

  const common = commonLabels(shown);
  const fields = [
    { label: "Severity", value: severity },
    ...SHOWN_LABELS.filter((l) => common[l]).map((l) => ({ label: l, value: common[l] as string })),
  ];

  const links: ReplyLink[] = [];
  if (opts.grafanaUrl && first) {
    const panel = panelFor(first);
    links.push({
      label: "Grafana",
      url: grafanaPanelLink({
        grafanaUrl: opts.grafanaUrl,
        dashboardUid: panel.uid,
        panelId: panel.panelId,
        fromMs: startsAt - 3_600_000,
        toMs: resolved ? endsAt + 900_000 : now,
        ...(shown.length === 1 && first.labels.instance ? { instance: first.labels.instance } : {}),
        ...(common.environment ? { environment: common.environment } : {}),
      }),
    });
  }
  const runbook = first?.annotations.runbook_url;
  if (runbook && /^https?:\/\//.test(runbook)) links.push({ label: "Runbook", url: runbook });
  if (first?.generatorUrl && /^https?:\/\//.test(first.generatorUrl))
    links.push({ label: "Source query", url: first.generatorUrl });

  const id = group.id;
  const actions: ReplyAction[] = [];
  if (!resolved) {
    if (!group.ack)
      actions.push({ label: "Acknowledge", action: { kind: "alert.ack", id }, style: "primary" });
    if (silenced) actions.push({ label: "Unsilence", action: { kind: "alert.unsilence", id } });
    else
      for (const d of ["1h", "4h", "24h"])
        actions.push({ label: `Silence ${d}`, action: { kind: "alert.silence", id, for: d } });
    if (shown.some((a) => a.source === "rule"))
      actions.push({ label: "Resolve", action: { kind: "alert.resolve", id }, style: "danger" });
  }
  actions.push({ label: "Show details", action: { kind: "alert.details", id } });
  // The first look again, now (it is posted in the thread when the group is new).
  if (!resolved) actions.push({ label: "Investigate", action: { kind: "alert.investigate", id } });

  const sources = [...new Set(alerts.map((a) => SOURCE_NAME[a.source]))].join(" and ");
  return makeReply({
    title: `${emoji} ${name}${place}${envOf(shown)}${count}`,
    text: joinLines(lines),
    tone: resolved ? "ok" : severity === "critical" ? "critical" : "warning",
    fields,
    links,
    actions,
    context: [
      `From ${sources} · alert ${group.id}${group.target.route !== "default" ? ` · route ${group.target.route}` : ""}`,
    ],
  });
}

/**
 * The one message a channel gets for the groups held back in a flood (ALERT_POSTS_PER_MINUTE):
 * how many, the first of them by id, name and place, and how to see them all. Updated as it grows
 * and as they resolve.
 */
function summaryReply(state: GroupState): Reply {
  const { count, groups } = state.held ?? { count: 0, groups: [] };
  const context = [
    `Held back: more than ALERT_POSTS_PER_MINUTE new alert messages a minute here · alert ${state.group.id}`,
  ];
  if (count === 0)
    return makeReply({
      title: "✅ The held alerts resolved",
      text: "Every alert held back in this message has resolved.",
      tone: "ok",
      context,
    });
  const names = [...new Set(groups.map((g) => g.name))];
  const shownNames = names.slice(0, 5).join(", ") + (names.length > 5 || count > groups.length ? ", …" : "");
  const lines: Inline[] = [];
  for (const [i, g] of groups.entries()) {
    if (i > 0) lines.push("\n");
    const mark = SEVERITY_EMOJI[g.severity] ?? "🟠";
    lines.push(`${mark} `, { code: g.id }, ` ${g.name}${g.where ? ` on ${g.where}` : ""}`);
    if (g.firing > 1) lines.push(` · ${g.firing} firing`);
  }
  if (count > groups.length) lines.push(`\n… and ${count - groups.length} more`);
  lines.push("\n`alerts` lists them; `details ID`, `ack ID` and `silence ID 2h` work on each.");
  const critical = groups.some((g) => g.severity === "critical");
  return makeReply({
    title: `📨 ${count} more alert${count === 1 ? "" : "s"}: ${shownNames}`,
    text: lines,
    tone: critical ? "critical" : "warning",
    actions: [{ label: "List alerts", action: { kind: "alerts.list" } }],
    context,
  });
}

/** Lines as one rich text, "\n" between them; plain text when no line has a mention. */
function joinLines(lines: (string | Inline[])[]): RichText {
  if (lines.every((l) => typeof l === "string")) return lines.join("\n");
  const out: Inline[] = [];
  for (const [i, line] of lines.entries()) {
    if (i > 0) out.push("\n");
    if (typeof line === "string") out.push(line);
    else out.push(...line);
  }
  return out;
}

/** Everything about every alert of the group, for "Show details". */
export function groupDetails(state: GroupState): Reply {
  const lines: string[] = [];
  for (const a of state.alerts.slice(0, 30)) {
    lines.push(`${a.status === "firing" ? "🔴" : "✅"} ${a.labels.alertname ?? "alert"} ${where(a)}`);
    lines.push(
      `  labels: ${Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}`,
    );
    for (const [k, v] of Object.entries(a.annotations)) lines.push(`  ${k}: ${v}`);
    lines.push(
      `  since ${clock(a.startsAt)}${a.endsAt ? `, resolved ${clock(a.endsAt)}` : ""} · fingerprint ${a.fingerprint}`,
    );
  }
  if (state.alerts.length > 30) lines.push(`… and ${state.alerts.length - 30} more`);
  return makeReply({ title: `Alert ${state.group.id}: details`, text: lines.join("\n") });
}
