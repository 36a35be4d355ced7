/**
 * Alert routing: which channel an alert goes to, whom it mentions, and how alerts are grouped into one
 * message. Routes come from a YAML file (ALERT_ROUTES_FILE) and are tried in order; the first match
 * wins unless it says `continue: true`. Alerts no route takes go to the default channel.
 */
import { createHash } from "node:crypto";
import { parseRoutes, RoutesError } from "../config/alert-routes.js";
import type { Alert } from "./alert.js";

export { RoutesError };

export type TargetPlatform = "slack" | "teams";

/** Where one group of alerts is posted. */
export interface Target {
  platform: TargetPlatform;
  /** Slack channel id, or the Teams conversation id. */
  channel: string;
  /** Prepended to the message, e.g. "<!subteam^S0123>" for a Slack user group. */
  mention?: string;
  groupBy: string[];
  route: string;
}

interface CompiledRoute {
  name: string;
  match: Record<string, string>;
  matchRe: Record<string, RegExp>;
  severity?: string[];
  environment?: string[];
  targets: Omit<Target, "groupBy" | "route">[];
  groupBy?: string[];
  continue: boolean;
}

export interface RoutingOptions {
  /** Routes file contents (YAML or JSON). */
  routesText?: string;
  defaultSlackChannel?: string;
  defaultTeamsConversation?: string;
  defaultGroupBy: string[];
}

export class AlertRouter {
  private readonly routes: CompiledRoute[];

  constructor(private readonly opts: RoutingOptions) {
    this.routes = opts.routesText ? compile(opts.routesText) : [];
  }

  targets(alert: Alert): Target[] {
    const out: Target[] = [];
    for (const r of this.routes) {
      if (!matches(r, alert.labels)) continue;
      for (const t of r.targets)
        out.push({ ...t, groupBy: r.groupBy ?? this.opts.defaultGroupBy, route: r.name });
      if (!r.continue) return out;
    }
    if (out.length > 0) return out;
    const groupBy = this.opts.defaultGroupBy;
    if (this.opts.defaultSlackChannel)
      out.push({ platform: "slack", channel: this.opts.defaultSlackChannel, groupBy, route: "default" });
    if (this.opts.defaultTeamsConversation)
      out.push({ platform: "teams", channel: this.opts.defaultTeamsConversation, groupBy, route: "default" });
    return out;
  }
}

function matches(r: CompiledRoute, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(r.match)) if ((labels[k] ?? "") !== v) return false;
  for (const [k, re] of Object.entries(r.matchRe)) if (!re.test(labels[k] ?? "")) return false;
  if (r.severity && !r.severity.includes(labels.severity ?? "")) return false;
  if (r.environment && !r.environment.includes(labels.environment ?? "")) return false;
  return true;
}

/** The routes file's routes as matchers (the file was checked by config's parseRoutes). */
function compile(text: string): CompiledRoute[] {
  return parseRoutes(text).map((r, i) => {
    const matchRe: Record<string, RegExp> = {};
    for (const [k, v] of Object.entries(r.match_re)) matchRe[k] = new RegExp(`^(?:${v})$`);
    const targets: CompiledRoute["targets"] = [];
    const mention = r.mention ? { mention: r.mention } : {};
    if (r.slack_channel) targets.push({ platform: "slack", channel: r.slack_channel, ...mention });
    if (r.teams_conversation) targets.push({ platform: "teams", channel: r.teams_conversation, ...mention });
    return {
      name: r.name ?? `route ${i + 1}`,
      match: r.match,
      matchRe,
      ...(r.severity ? { severity: r.severity } : {}),
      ...(r.environment ? { environment: r.environment } : {}),
      targets,
      ...(r.group_by ? { groupBy: r.group_by } : {}),
      continue: r.continue,
    };
  });
}

/** The labels an alert shares with the rest of its group. */
export function groupLabels(alert: Alert, groupBy: string[]): Record<string, string> {
  return Object.fromEntries(groupBy.map((l) => [l, alert.labels[l] ?? ""]));
}

/**
 * A short, stable id for a group in one channel: what people type in `/cloudops ack ID`. Eight hex
 * characters give 4 billion values, plenty for the groups alive at one time.
 */
export function groupId(target: Target, labels: Record<string, string>): string {
  const key = JSON.stringify([target.platform, target.channel, Object.entries(labels).sort()]);
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}
