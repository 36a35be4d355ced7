/**
 * Alert rules made from chat: `/cloudops alert when disk > 90% for 10m on prod`. A rule is one
 * catalogue query (never user text pasted into PromQL), a comparison, a hold time and a scope; it is
 * stored in Redis, evaluated by a scheduled job against Prometheus, and raises alerts per host through
 * the same pipeline as Alertmanager's, resolved when the condition clears.
 *
 * A forecast rule (`alert when disk will be full within 3d on db-1`) is stored and listed here too,
 * but evaluated with the capacity forecasts by the predictive-alert job (predictive-alerts.ts): a
 * forecast of the fleet every few minutes, not an instant query every few seconds.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { namedQuery, type QueryName } from "../metrics/catalogue.js";
import type { Environments } from "../metrics/environments.js";
import { hostMatcher } from "../metrics/promql.js";
import { formatValue } from "../metrics/units.js";
import { parseStored } from "../redis/parse-stored.js";
import { makeReply, type Reply, type UserRef } from "../reply/reply.js";
import type { Alert } from "./alert.js";
import type { AlertService } from "./alert-service.js";
import { auditActor } from "./audit-log.js";
import { duration } from "./group-message.js";

/**
 * What the chat commands about rules need (`alert when …`, `rules`, `rule pause|resume|delete ID`).
 * Who may create or change rules is the dispatcher's access policy, decided before these are called.
 */
export interface RuleCommands {
  create(text: string, actor: UserRef): Promise<Reply>;
  list(): Promise<Reply>;
  change(op: "pause" | "resume" | "delete", id: string, actor: UserRef): Promise<Reply>;
}

/** What a rule can watch: a name people type, the catalogue query behind it. */
const METRICS: Record<string, { query: QueryName; label: string }> = {
  cpu: { query: "cpu_busy_percent", label: "CPU busy" },
  memory: { query: "memory_used_percent", label: "memory used" },
  mem: { query: "memory_used_percent", label: "memory used" },
  disk: { query: "disk_used_percent", label: "disk used" },
  load: { query: "load1_per_core", label: "load per core" },
};
const OPS = {
  ">": ">",
  ">=": ">=",
  "<": "<",
  "<=": "<=",
  above: ">",
  over: ">",
  below: "<",
  under: "<",
} as const;
type Op = ">" | ">=" | "<" | "<=";

export interface ChatRule {
  id: string;
  metric: string;
  op: Op;
  threshold: number;
  forMs: number;
  environment: string;
  host?: string;
  createdBy: string;
  createdAt: number;
  paused: boolean;
  /**
   * Set for a forecast rule: it fires when the metric (disk or memory) is expected full within this
   * long; `op`, `threshold` (the full line, %) and `forMs` (0) are then fixed.
   */
  withinMs?: number;
}

const ruleSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{8}$/),
  metric: z.string().refine((m) => m in METRICS),
  op: z.enum([">", ">=", "<", "<="]),
  threshold: z.number().finite(),
  forMs: z.number().int().min(0),
  environment: z.string(),
  host: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.number(),
  paused: z.boolean(),
  withinMs: z.number().int().min(0).optional(),
});

/** Per host: since when the condition holds, and whether the alert fired. */
const hostStateSchema = z.object({ since: z.number(), firing: z.boolean() });
type HostState = z.infer<typeof hostStateSchema>;

const MAX_RULES = 200;
const MAX_HOLD_MS = 24 * 3_600_000;
/** A forecast rule looks between an hour and 30 days ahead (the forecast reads 14 days of history). */
const MIN_WITHIN_MS = 3_600_000;
const MAX_WITHIN_MS = 30 * 86_400_000;

export function describeRule(r: ChatRule): string {
  if (r.withinMs !== undefined)
    return `${r.metric === "disk" ? "disk expected full" : "memory expected to run out (95% used)"} within ${duration(r.withinMs)} on ${r.host ?? "every host"} (${r.environment})`;
  const m = METRICS[r.metric];
  const unit = namedQuery(m?.query ?? "cpu_busy_percent").unit;
  return `${m?.label ?? r.metric} ${r.op} ${formatValue(r.threshold, unit)}${r.forMs > 0 ? ` for ${duration(r.forMs)}` : ""} on ${r.host ?? "every host"} (${r.environment})`;
}

export type ParsedRule = Pick<
  ChatRule,
  "metric" | "op" | "threshold" | "forMs" | "environment" | "host" | "withinMs"
>;

/** The forms a rule can take, for the reply to one that cannot be read. */
const RULE_FORMS =
  "I understand rules like `alert when disk > 90% for 10m on prod`, `alert when cpu > 85 for 5m on web-1`, `alert when load > 2 for 15m` (cpu, memory, disk in %, load per core), and forecasts: `alert when disk will be full within 3d [on HOST] [in ENV]`, `alert when memory will run out within 12h`.";

/** "disk will be full within 3d on db-1 in prod", "memory will run out within 12h". */
const FORECAST_RULE =
  /^(disk|memory|mem)\s+(?:will\s+)?(?:be\s+full|be\s+exhausted|fill(?:\s+up)?|run\s+out|full|exhausted)\s+(?:with)?in\s+(\d{1,4})\s*(h|hr|hrs|hours?|d|days?|w|wk|weeks?)(?:\s+on\s+([A-Za-z0-9_.:-]{1,100}))?(?:\s+in\s+([A-Za-z0-9_-]{1,40}))?$/i;

/** Host or environment after "on", and the environment after "in", as the threshold rules read them. */
function scopeOf(
  on: string | undefined,
  inEnv: string | undefined,
  environments: string[],
  defaultEnvironment: string,
): { environment: string; host?: string } | string {
  let environment = inEnv ?? defaultEnvironment;
  let host: string | undefined;
  if (on) {
    if (environments.includes(on)) environment = on;
    else host = on;
  }
  if (!environments.includes(environment))
    return `There is no environment "${environment}"; known: ${environments.join(", ")}.`;
  return { environment, ...(host ? { host } : {}) };
}

function parseForecastRule(
  m: RegExpExecArray,
  environments: string[],
  defaultEnvironment: string,
): ParsedRule | string {
  const metric = (m[1] as string).toLowerCase() === "disk" ? "disk" : "memory";
  const unit = (m[3] as string).toLowerCase();
  const unitMs = unit.startsWith("h") ? 3_600_000 : unit.startsWith("d") ? 86_400_000 : 7 * 86_400_000;
  const withinMs = Number(m[2]) * unitMs;
  if (withinMs < MIN_WITHIN_MS || withinMs > MAX_WITHIN_MS)
    return "A forecast rule looks between 1 hour and 30 days ahead (`within 3d`, `within 12h`).";
  const scope = scopeOf(m[4], m[5], environments, defaultEnvironment);
  if (typeof scope === "string") return scope;
  // The full line: a file system with nothing available, memory at 95% of MemTotal.
  return { metric, op: ">=", threshold: metric === "disk" ? 100 : 95, forMs: 0, withinMs, ...scope };
}

/** Parses the text after "alert when"; returns the rule or what is wrong with the text. */
export function parseRule(
  text: string,
  environments: string[],
  defaultEnvironment: string,
): ParsedRule | string {
  const forecast = FORECAST_RULE.exec(text.trim());
  if (forecast) return parseForecastRule(forecast, environments, defaultEnvironment);
  const m =
    /^(cpu|memory|mem|disk|load)\s*(>=|<=|>|<|above|over|below|under)\s*(\d+(?:\.\d+)?)\s*%?(?:\s+for\s+(\d{1,4})\s*(s|sec|m|min|h))?(?:\s+on\s+([A-Za-z0-9_.:-]{1,100}))?(?:\s+in\s+([A-Za-z0-9_-]{1,40}))?$/i.exec(
      text.trim(),
    );
  if (!m) return RULE_FORMS;
  const metric = (m[1] as string).toLowerCase();
  const threshold = Number(m[3]);
  if (metric !== "load" && threshold > 100) return "Percentages go up to 100.";
  const unitMs = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[
    (m[5] ?? "m").toLowerCase() as "m"
  ];
  const forMs = m[4] ? Number(m[4]) * unitMs : 0;
  if (forMs > MAX_HOLD_MS) return "A rule can wait at most 24 h before it fires.";
  const scope = scopeOf(m[6], m[7], environments, defaultEnvironment);
  if (typeof scope === "string") return scope;
  return {
    metric,
    op: OPS[(m[2] as string).toLowerCase() as keyof typeof OPS],
    threshold,
    forMs,
    ...scope,
  };
}

const holds = (value: number, op: Op, threshold: number) =>
  op === ">"
    ? value > threshold
    : op === ">="
      ? value >= threshold
      : op === "<"
        ? value < threshold
        : value <= threshold;

export class ChatRules implements RuleCommands {
  /** Resolves a forecast rule's alerts when it is paused or deleted (the predictive-alert job's). */
  private forecastRuleStopped?: (rule: ChatRule) => Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly environments: Environments,
    private readonly alerts: AlertService,
    private readonly now: () => number = Date.now,
  ) {}

  private get rulesKey() {
    return `${this.prefix}:rules`;
  }
  private stateKey(id: string) {
    return `${this.prefix}:rule:${id}:hosts`;
  }

  /**
   * Where a rule's per-series state lives (a hash: field → `{since, firing, …}`); the predictive-alert
   * job keeps forecast rules' state there, so a hand-resolved alert resets it as for any rule.
   */
  ruleStateKey(id: string): string {
    return this.stateKey(id);
  }

  /** Who resolves a forecast rule's alerts when it is paused or deleted. */
  onForecastRuleStopped(handler: (rule: ChatRule) => Promise<void>): void {
    this.forecastRuleStopped = handler;
  }

  async all(): Promise<ChatRule[]> {
    const raw = await this.redis.hgetall(this.rulesKey);
    return Object.values(raw)
      .map((t) => parseStored(ruleSchema, t) as ChatRule | undefined)
      .filter((r): r is ChatRule => r !== undefined)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async create(text: string, actor: UserRef): Promise<Reply> {
    const parsed = parseRule(text, this.environments.names(), this.environments.defaultName);
    if (typeof parsed === "string")
      return makeReply({ title: "I could not read that rule", text: parsed, tone: "error" });
    if ((await this.redis.hlen(this.rulesKey)) >= MAX_RULES)
      return makeReply({
        title: "Too many rules",
        text: `At most ${MAX_RULES} rules; delete some first.`,
        tone: "error",
      });
    const rule: ChatRule = {
      ...parsed,
      id: randomBytes(4).toString("hex"),
      // Shown on the rule's alerts and in `rules`: a name people recognise (the audit keeps the id).
      createdBy: actor.name.slice(0, 80),
      createdAt: this.now(),
      paused: false,
    };
    await this.redis.hset(this.rulesKey, rule.id, JSON.stringify(rule));
    await this.alerts.audit({
      actor: auditActor(actor),
      action: "rule-create",
      subject: rule.id,
      detail: describeRule(rule),
    });
    return makeReply({
      title: "Rule created",
      text: `Rule ${rule.id}: alert when ${describeRule(rule)}. ${
        rule.withinMs !== undefined
          ? "Checked with every capacity forecast (the model each disk's or host's own backtest picks)"
          : "Checked every evaluation"
      }; \`rules\` lists rules.`,
      tone: "ok",
    });
  }

  async list(): Promise<Reply> {
    const rules = await this.all();
    return makeReply({
      title: rules.length ? `${rules.length} alert rule${rules.length === 1 ? "" : "s"}` : "No alert rules",
      text: rules.length
        ? rules
            .map((r) => `\`${r.id}\` ${describeRule(r)}${r.paused ? " · paused" : ""} · by ${r.createdBy}`)
            .join("\n")
        : "Create one with `alert when disk > 90% for 10m` or `alert when disk will be full within 3d`.",
      context: ["rule pause|resume|delete ID"],
    });
  }

  async change(op: "pause" | "resume" | "delete", id: string, actor: UserRef): Promise<Reply> {
    const rule = parseStored(ruleSchema, await this.redis.hget(this.rulesKey, id)) as ChatRule | undefined;
    if (!rule) return makeReply({ title: "No such rule", text: `There is no rule ${id}.`, tone: "error" });
    if (op === "delete") await this.redis.hdel(this.rulesKey, id);
    else await this.redis.hset(this.rulesKey, id, JSON.stringify({ ...rule, paused: op === "pause" }));
    // A paused or deleted rule's alerts resolve: nobody is watching the condition any more.
    if (op !== "resume") await this.resolveAll(rule);
    await this.alerts.audit({
      actor: auditActor(actor),
      action: `rule-${op}`,
      subject: id,
      detail: describeRule(rule),
    });
    const done = { pause: "paused", resume: "resumed", delete: "deleted" }[op];
    return makeReply({
      title: `Rule ${done}`,
      text: `Rule ${id} (${describeRule(rule)}) ${done}.`,
      tone: "ok",
    });
  }

  /** Someone resolved a rule's alert by hand: the condition must clear and hold again to re-fire. */
  async alertResolved(ruleId: string, fingerprint: string): Promise<void> {
    const states = await this.redis.hgetall(this.stateKey(ruleId));
    for (const [instance] of Object.entries(states))
      if (ruleFingerprint(ruleId, instance) === fingerprint)
        await this.redis.hdel(this.stateKey(ruleId), instance);
  }

  /** Evaluates every active rule once, at `at` (epoch ms; default now). */
  async evaluate(at = this.now()): Promise<{ rules: number; firing: number; errors: string[] }> {
    let firing = 0;
    const errors: string[] = [];
    // Forecast rules are evaluated with the capacity forecasts (the predictive-alert job).
    const rules = (await this.all()).filter((r) => !r.paused && r.withinMs === undefined);
    for (const rule of rules) {
      try {
        firing += await this.evaluateRule(rule, at);
      } catch (e) {
        errors.push(`${rule.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { rules: rules.length, firing, errors };
  }

  private async evaluateRule(rule: ChatRule, at: number): Promise<number> {
    const client = this.environments.get(rule.environment);
    if (!client) throw new Error(`environment ${rule.environment} is no longer configured`);
    const q = namedQuery((METRICS[rule.metric] as { query: QueryName }).query);
    const samples = await client.instant(q.build(rule.host ? { matchers: [hostMatcher(rule.host)] } : {}), {
      time: at / 1000,
      noCache: true,
    });
    const values = new Map(
      samples.filter((s) => Number.isFinite(s.value)).map((s) => [s.labels.instance ?? "", s.value] as const),
    );
    const raw = await this.redis.hgetall(this.stateKey(rule.id));
    const states = new Map<string, HostState>();
    for (const [instance, text] of Object.entries(raw)) {
      const s = parseStored(hostStateSchema, text);
      if (s) states.set(instance, s);
    }
    const out: Alert[] = [];
    const multi = this.redis.multi();
    for (const [instance, value] of values) {
      const state = states.get(instance);
      if (!holds(value, rule.op, rule.threshold)) continue;
      const since = state?.since ?? at;
      const fire = at - since >= rule.forMs;
      if (fire) out.push(this.alert(rule, instance, value, since, "firing"));
      if (!state || state.firing !== fire)
        multi.hset(this.stateKey(rule.id), instance, JSON.stringify({ since, firing: fire }));
    }
    // The condition cleared (or the host is gone): pending hosts forget, firing ones resolve.
    for (const [instance, state] of states) {
      const value = values.get(instance);
      if (value !== undefined && holds(value, rule.op, rule.threshold)) continue;
      multi.hdel(this.stateKey(rule.id), instance);
      if (state.firing)
        out.push({ ...this.alert(rule, instance, value, state.since, "resolved"), endsAt: at });
    }
    await multi.exec();
    if (out.length > 0) await this.alerts.ingest(out);
    return out.filter((a) => a.status === "firing").length;
  }

  private alert(
    rule: ChatRule,
    instance: string,
    value: number | undefined,
    since: number,
    status: Alert["status"],
  ): Alert {
    const m = METRICS[rule.metric] as { query: QueryName; label: string };
    const unit = namedQuery(m.query).unit;
    return {
      fingerprint: ruleFingerprint(rule.id, instance),
      status,
      labels: {
        alertname: `${m.label.replace(/(^|\s)\w/g, (c) => c.trim().toUpperCase()).replace(/\s/g, "")}Rule`,
        instance,
        environment: rule.environment,
        severity: "warning",
        metric: rule.metric,
        rule: rule.id,
      },
      annotations: {
        summary: `${m.label} ${rule.op} ${formatValue(rule.threshold, unit)} (rule ${rule.id} by ${rule.createdBy})`,
      },
      startsAt: since,
      source: "rule",
      ruleId: rule.id,
      ...(value !== undefined
        ? {
            value: `${m.label} ${formatValue(value, unit)} vs threshold ${formatValue(rule.threshold, unit)}`,
          }
        : {}),
    };
  }

  private async resolveAll(rule: ChatRule): Promise<void> {
    if (rule.withinMs !== undefined) {
      await this.forecastRuleStopped?.(rule);
      return;
    }
    const states = await this.redis.hgetall(this.stateKey(rule.id));
    const at = this.now();
    const out: Alert[] = [];
    for (const [instance, text] of Object.entries(states)) {
      const s = parseStored(hostStateSchema, text);
      if (s?.firing) out.push({ ...this.alert(rule, instance, undefined, s.since, "resolved"), endsAt: at });
    }
    await this.redis.del(this.stateKey(rule.id));
    if (out.length > 0) await this.alerts.ingest(out);
  }
}

export function ruleFingerprint(ruleId: string, instance: string): string {
  return createHash("sha256").update(`rule\u0000${ruleId}\u0000${instance}`).digest("hex").slice(0, 16);
}
