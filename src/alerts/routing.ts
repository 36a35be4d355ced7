/**
 * Alert routing: which channel an alert goes to, whom it mentions, and how alerts are grouped into one
 * message. Routes come from a YAML file (ALERT_ROUTES_FILE) and are tried in order; the first match
 * wins unless it says `continue: true`. Alerts no route takes go to the default channel.
 */
import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Alert } from "./alert.js";

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

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a Prometheus label name");

const routeSchema = z
  .object({
    name: z.string().min(1).max(64).optional(),
    /** Label equality matchers. */
    match: z.record(labelName, z.string().max(256)).default({}),
    /** Label regex matchers, anchored as in Alertmanager. */
    match_re: z.record(labelName, z.string().max(256)).default({}),
    severity: z.array(z.string().max(32)).optional(),
    environment: z.array(z.string().max(64)).optional(),
    slack_channel: z
      .string()
      .regex(/^[A-Z0-9]{2,32}$/, "a Slack channel id like C0123ABCD")
      .optional(),
    teams_conversation: z.string().min(1).max(512).optional(),
    mention: z
      .string()
      .regex(/^<[!@#][A-Za-z0-9^|_.-]{1,60}>$/, 'a Slack mention like "<!subteam^S0123>" or "<@U0123>"')
      .optional(),
    group_by: z.array(labelName).max(16).optional(),
    continue: z.boolean().default(false),
  })
  .refine((r) => r.slack_channel || r.teams_conversation, {
    message: "needs slack_channel or teams_conversation",
  });

const routesFileSchema = z.object({ routes: z.array(routeSchema).max(200) });

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

export class RoutesError extends Error {
  override name = "RoutesError";
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

function compile(text: string): CompiledRoute[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new RoutesError(`not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const parsed = routesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RoutesError(`${issue?.path.join(".") || "file"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data.routes.map((r, i) => {
    const matchRe: Record<string, RegExp> = {};
    for (const [k, v] of Object.entries(r.match_re)) {
      try {
        matchRe[k] = new RegExp(`^(?:${v})$`);
      } catch {
        throw new RoutesError(`routes.${i}.match_re.${k}: not a valid regular expression`);
      }
    }
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
