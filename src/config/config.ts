/**
 * The one module that reads the environment. Every setting is validated at start-up; a bad value
 * stops the process with one line naming the variable and what is wrong with it.
 */

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { hasCredentials, withoutCredentials } from "../observability/redact-url.js";
import { parseRoutes, RoutesError } from "./alert-routes.js";
import { isLoopbackHost } from "./loopback.js";
import { type PrometheusAuth, prometheusAuth } from "./prometheus-auth.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const PROVIDERS = ["openai", "gemini", "local", "builtin"] as const;

/** Thrown for an invalid setting; `message` is the single line shown to the operator. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

const httpUrl = z
  .string()
  .trim()
  .url({ message: "must be an http(s) URL" })
  .refine((u) => /^https?:\/\//i.test(u), { message: "must be an http(s) URL" })
  .transform((u) => u.replace(/\/+$/, ""));

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === "" ? undefined : v));

/** What a Prometheus URL with `user:pass@` is told: where the credentials go instead. */
const PROMETHEUS_CREDENTIALS =
  "must not contain a user name or password (user:password@); set PROMETHEUS_BASIC_AUTH_USER and PROMETHEUS_BASIC_AUTH_PASSWORD, or PROMETHEUS_BEARER_TOKEN, instead";

/**
 * An http(s) URL without `user:password@`: fetch refuses such URLs, and URLs are shown in answers,
 * errors and links.
 */
const urlWithoutCredentials = (message: string) => httpUrl.refine((u) => !hasCredentials(u), { message });

const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === "" ? undefined : v))
  .pipe(urlWithoutCredentials("must not contain a user name or password (user:password@)").optional());

/** `host:port,host:port`: Redis Sentinels or Cluster nodes (at least one; IPv6 as `[::1]:26379`). */
const hostPortList = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === "") return undefined;
    const out: HostPort[] = [];
    for (const item of v.split(",").map((x) => x.trim())) {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(item);
      const port = Number(m?.[2]);
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: "custom", message: `must be host:port,host:port (got "${item}")` });
        return z.NEVER;
      }
      out.push({ host: (m[1] as string).replace(/^\[|\]$/g, ""), port });
    }
    return out;
  });

/** A decimal number in (min, max], with a default. */
const positiveNumber = (max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === "" ? String(fallback) : v))
    .pipe(
      z
        .string()
        .regex(/^\d+(\.\d+)?$/, { message: `must be a number above 0, at most ${max} (e.g. 0.2)` })
        .transform(Number)
        .pipe(
          z
            .number()
            .gt(0, { message: "must be above 0" })
            .max(max, { message: `must be at most ${max}` }),
        ),
    );

const intIn = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === "" ? String(fallback) : v))
    .pipe(
      z
        .string()
        .regex(/^\d+$/, { message: `must be a whole number between ${min} and ${max}` })
        .transform(Number)
        .pipe(
          z
            .number()
            .int()
            .min(min, { message: `must be at least ${min}` })
            .max(max, { message: `must be at most ${max}` }),
        ),
    );

/** "30s", "5m", "1h", "7d" → milliseconds, within [min, max]. */
const durationMs = (fallback: string, minMs: number, maxMs: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      const text = v === undefined || v === "" ? fallback : v;
      const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
      const ms = m ? Number(m[1]) * unit[m[2] as keyof typeof unit] : Number.NaN;
      if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
        ctx.addIssue({
          code: "custom",
          message: `must be a duration like 30s, 5m, 1h or 7d, between ${minMs / 1000} s and ${maxMs / 86_400_000} d (got "${text}")`,
        });
        return z.NEVER;
      }
      return ms;
    });

/** Comma-separated Slack/Teams ids (C0123, U0456, a tenant's GUID); empty means "everyone". */
const idList = (example = "C0123ABC") =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      const ids = (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      for (const id of ids) {
        if (!/^[A-Za-z0-9_:.@-]{1,128}$/.test(id)) {
          ctx.addIssue({
            code: "custom",
            message: `has an invalid id "${id}" (expected ids like ${example}, comma-separated)`,
          });
          return z.NEVER;
        }
      }
      return ids;
    });

/** ALERT_ACTORS: "*" (anyone the bot answers), or user ids; empty means nobody may act. */
const actorList = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): string[] | "*" => {
    if (v === "*") return "*";
    const ids = idList("U0123ABC").safeParse(v);
    if (ids.success) return ids.data;
    ctx.addIssue({
      code: "custom",
      message: `${ids.error.issues[0]?.message ?? "is invalid"}; or "*" alone for anyone the bot answers`,
    });
    return z.NEVER;
  });

const ENV_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** `prod=http://a:9090,staging=http://b:9090` → ordered list of environments. */
const environmentsList = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === "") return undefined;
    const out: { name: string; url: string }[] = [];
    for (const part of v.split(",")) {
      const eq = part.indexOf("=");
      const name = part.slice(0, eq).trim().toLowerCase();
      const url = part.slice(eq + 1).trim();
      if (eq <= 0 || !ENV_NAME.test(name)) {
        ctx.addIssue({
          code: "custom",
          message: `entry "${withoutCredentials(part.trim())}" must look like name=http://host:9090 (name: lowercase letters, digits, - or _)`,
        });
        return z.NEVER;
      }
      const parsed = httpUrl.safeParse(url);
      if (!parsed.success) {
        ctx.addIssue({
          code: "custom",
          message: `URL of "${name}" must be an http(s) URL (got "${withoutCredentials(url)}")`,
        });
        return z.NEVER;
      }
      if (hasCredentials(parsed.data)) {
        const own = name.toUpperCase().replace(/-/g, "_");
        ctx.addIssue({
          code: "custom",
          message: `URL of "${name}" must not contain a user name or password (user:password@); set PROMETHEUS_BASIC_AUTH_USER_${own} and PROMETHEUS_BASIC_AUTH_PASSWORD_${own}, or PROMETHEUS_BEARER_TOKEN_${own}, instead`,
        });
        return z.NEVER;
      }
      if (out.some((e) => e.name === name)) {
        ctx.addIssue({ code: "custom", message: `names "${name}" twice` });
        return z.NEVER;
      }
      out.push({ name, url: parsed.data });
    }
    return out;
  });

const providerList = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === "") return undefined;
    const names = v.split(",").map((s) => s.trim().toLowerCase());
    for (const n of names) {
      if (!(PROVIDERS as readonly string[]).includes(n)) {
        ctx.addIssue({
          code: "custom",
          message: `has unknown provider "${n}" (known: ${PROVIDERS.join(", ")})`,
        });
        return z.NEVER;
      }
    }
    return names as (typeof PROVIDERS)[number][];
  });

const bool = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return fallback;
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      ctx.addIssue({ code: "custom", message: `must be true or false (got "${v}")` });
      return z.NEVER;
    });

/** Shortest API or metrics token accepted: long enough that guessing is hopeless. */
const MIN_TOKEN_CHARS = 24;

/** `alice:TOKEN,ci-bot:TOKEN` → named API tokens; the name is who asked, in the audit log and memory. */
const apiTokenList = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    const out: ApiToken[] = [];
    for (const part of (v ?? "").split(",").map((s) => s.trim())) {
      if (part === "") continue;
      const colon = part.indexOf(":");
      const name = colon > 0 ? part.slice(0, colon) : "";
      const token = part.slice(colon + 1);
      // The entry is never echoed: it holds a secret.
      const where = `entry ${out.length + 1}`;
      let problem: string | undefined;
      if (!/^[a-z0-9_-]{1,64}$/.test(name))
        problem = `${where} must look like name:token (name: 1-64 lowercase letters, digits, - or _)`;
      else if (token.length < MIN_TOKEN_CHARS || /\s/.test(token))
        problem = `token of "${name}" must be at least ${MIN_TOKEN_CHARS} characters without spaces`;
      else if (out.some((t) => t.name === name)) problem = `names "${name}" twice`;
      else if (out.some((t) => t.token === token)) problem = `gives "${name}" a token another name has`;
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
      }
      out.push({ name, token });
    }
    return out;
  });

/** The environment schema: names and defaults as DESIGN.md's contract gives them. */
const envSchema = z.object({
  PORT: intIn(1, 65535, 3000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  /** `cloudops worker`'s /healthz and /readyz (0: none). */
  WORKER_HEALTH_PORT: intIn(0, 65535, 3001),
  PROMETHEUS_URL: urlWithoutCredentials(PROMETHEUS_CREDENTIALS).default("http://127.0.0.1:9090"),
  PROMETHEUS_ENVIRONMENTS: environmentsList,
  PROMETHEUS_TIMEOUT_MS: intIn(100, 60_000, 2000),
  PROMETHEUS_RETRIES: intIn(0, 5, 2),
  PROMETHEUS_CACHE_TTL_MS: intIn(0, 300_000, 5000),
  PROMQL_MAX_RANGE: durationMs("7d", 60_000, 366 * 86_400_000),
  PROMQL_MIN_STEP: durationMs("15s", 1000, 3_600_000),
  PROMQL_MAX_SERIES: intIn(1, 10_000_000, 10_000),
  ANSWER_DEADLINE_MS: intIn(500, 60_000, 2800),
  PLANNING_DEADLINE_MS: intIn(500, 120_000, 20_000),
  REDIS_URL: z
    .string()
    .trim()
    .default("redis://127.0.0.1:6379")
    .refine((u) => /^rediss?:\/\//.test(u), { message: "must start with redis:// or rediss://" }),
  REDIS_PREFIX: z
    .string()
    .trim()
    .default("cloudops")
    .refine((p) => /^(?:[A-Za-z0-9_.-]{1,64}|\{[A-Za-z0-9_.-]{1,62}\})$/.test(p), {
      message: "must be 1-64 letters, digits, _ . or - (optionally inside {} as a Cluster hash tag)",
    }),
  /** Sentinels (host:port,…) watching the master group REDIS_SENTINEL_NAME: the bot asks them for the master. */
  REDIS_SENTINELS: hostPortList,
  REDIS_SENTINEL_NAME: z
    .string()
    .trim()
    .default("mymaster")
    .refine((n) => /^[A-Za-z0-9_.-]{1,128}$/.test(n), { message: "must be 1-128 letters, digits, _ . or -" }),
  REDIS_SENTINEL_PASSWORD: optionalString,
  /** Some nodes (host:port,…) of a Redis Cluster; the rest are found from them. */
  REDIS_CLUSTER_NODES: hostPortList,
  GRAFANA_URL: optionalUrl,
  ALERTMANAGER_URL: optionalUrl,
  ALERTMANAGER_WEBHOOK_TOKEN: optionalString,
  ALERTMANAGER_WEBHOOK_TOKEN_FILE: optionalString,
  ALERTMANAGER_WEBHOOK_OPEN: bool(false),
  ALERT_MAX_PER_REQUEST: intIn(1, 10_000, 1000),
  ALERT_MAX_OPEN_GROUPS: intIn(10, 100_000, 1000),
  ALERT_POSTS_PER_MINUTE: intIn(1, 1000, 20),
  ALERT_FIRING_TTL: durationMs("12h", 60_000, 30 * 86_400_000),
  ALERT_ROUTES_FILE: optionalString,
  ALERT_GROUP_BY: z
    .string()
    .trim()
    .default("alertname,environment")
    .refine((v) => v.split(",").every((l) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l.trim())), {
      message: "must be label names separated by commas, e.g. alertname,environment",
    })
    .transform((v) => v.split(",").map((l) => l.trim())),
  ALERT_GROUP_WAIT: durationMs("0s", 0, 3_600_000),
  ALERT_REOPEN_WINDOW: durationMs("30m", 0, 7 * 86_400_000),
  ALERT_REPEAT_INTERVAL: durationMs("4h", 0, 7 * 86_400_000),
  ALERT_ACTORS: actorList,
  ALERT_RULE_EVERY: durationMs("30s", 1000, 3_600_000),
  // Predictive alerts (DiskWillFill, MemoryWillExhaust, "will be full within" chat rules): how often
  // the fleet is forecast, and how soon a forecast fill raises an alert (0 turns that kind off).
  PREDICTIVE_ALERT_EVERY: durationMs("15m", 1000, 86_400_000),
  PREDICTIVE_DISK_WITHIN: durationMs("24h", 0, 30 * 86_400_000),
  PREDICTIVE_MEMORY_WITHIN: durationMs("24h", 0, 30 * 86_400_000),
  // A first look (what moved, where else, what changed) in every new alert group's thread.
  ALERT_FIRST_LOOK: bool(true),
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: optionalUrl,
  SLACK_ALERT_CHANNEL: optionalString,
  SLACK_ALLOWED_CHANNELS: idList("C0123ABC"),
  SLACK_ALLOWED_USERS: idList("U0123ABC"),
  TEAMS_APP_ID: optionalString,
  TEAMS_APP_PASSWORD: optionalString,
  TEAMS_APP_TENANT_ID: optionalString,
  TEAMS_APP_TYPE: z.enum(["MultiTenant", "SingleTenant", "UserAssignedMSI"]).optional(),
  TEAMS_EMULATOR: bool(false),
  TEAMS_ALERT_CONVERSATION: optionalString,
  TEAMS_ALLOWED_TENANTS: idList("11111111-2222-3333-4444-555555555555"),
  TEAMS_ALLOWED_USERS: idList("00000000-0000-0000-0000-000000000001"),
  PUBLIC_URL: optionalUrl,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_MODEL: z.string().trim().min(1).default("gpt-4o-mini"),
  GEMINI_API_KEY: optionalString,
  GEMINI_BASE_URL: optionalUrl,
  GEMINI_MODEL: z.string().trim().min(1).default("gemini-2.0-flash"),
  LOCAL_LLM_URL: optionalUrl,
  LOCAL_LLM_MODEL: z.string().trim().min(1).default("llama3.1"),
  LLM_PROVIDERS: providerList,
  LLM_PROVIDER_TIMEOUT: durationMs("8s", 500, 120_000),
  LLM_DEADLINE: durationMs("15s", 1000, 120_000),
  LLM_REDACT: bool(true),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  CONSOLE_ENABLED: bool(true),
  ANOMALY_ENABLED: bool(true),
  ANOMALY_SCAN_EVERY: durationMs("1m", 10_000, 86_400_000),
  ANOMALY_TRAIN_EVERY: durationMs("1h", 60_000, 7 * 86_400_000),
  ANOMALY_TRAIN_WINDOW: durationMs("7d", 3_600_000, 90 * 86_400_000),
  ANOMALY_MIN_HISTORY: durationMs("1h", 60_000, 7 * 86_400_000),
  ANOMALY_JOB_LOCK: durationMs("30s", 1000, 3_600_000),
  // The detector's DEFAULT_FALSE_ALARMS_PER_DAY (anomaly/alarm-budget.ts; config sits below anomaly).
  ANOMALY_FALSE_ALARMS_PER_DAY: positiveNumber(1440, 0.2),
  // Shards a scan and a training run are split into ("auto": one per ~400 hosts).
  ANOMALY_SHARDS: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === "" ? "auto" : v.toLowerCase()))
    .pipe(
      z.union([
        z.literal("auto"),
        z
          .string()
          .regex(/^\d+$/, { message: 'must be "auto" or a whole number between 1 and 256' })
          .transform(Number)
          .pipe(
            z
              .number()
              .int()
              .min(1, { message: "must be at least 1" })
              .max(256, { message: "must be at most 256" }),
          ),
      ]),
    ),
  // One core stays with the event loop that answers HTTP, Slack and Teams.
  CHART_WORKERS: intIn(0, 64, Math.max(1, availableParallelism() - 1)),
  CHART_QUEUE: intIn(0, 10_000, 100),
  API_RATE_LIMIT_PER_MIN: intIn(0, 1_000_000, 600),
  // Reports: availability objective per target and job, percent (error budget = 100 − this).
  SLO_TARGET: positiveNumber(99.999, 99.9),
  API_TOKENS: apiTokenList,
  METRICS_TOKEN: optionalString.pipe(
    z
      .string()
      .min(MIN_TOKEN_CHARS, { message: `must be at least ${MIN_TOKEN_CHARS} characters` })
      .optional(),
  ),
  AUTH: z.enum(["token", "none"], { message: 'must be "token" or "none"' }).default("token"),
  // Rightsizing and cost (insights/prices.ts, insights/rightsizing.ts): unit prices per month, a
  // per-host price file, the currency shown, and the history recommendations are made from. The
  // defaults are prices.ts's DEFAULT_CPU_CORE_MONTH and DEFAULT_GB_MONTH (config sits below insights).
  COST_CPU_CORE_MONTH: positiveNumber(1_000_000, 23),
  COST_GB_MONTH: positiveNumber(1_000_000, 3.1),
  COST_CURRENCY: z
    .string()
    .trim()
    .default("$")
    .refine((c) => /^[^\s<>&*_`~|]{1,4}$/.test(c), {
      message: 'must be 1-4 characters, e.g. "$", "€" or "EUR"',
    }),
  COST_PRICE_FILE: optionalString,
  RIGHTSIZING_LOOKBACK: durationMs("14d", 86_400_000, 90 * 86_400_000),
});

/** An API token and the name it stands for (API_TOKENS). */
export interface ApiToken {
  name: string;
  token: string;
}

export interface PrometheusEnvironment {
  name: string;
  /** Never with credentials in it: those come in `auth`. */
  url: string;
  /** From PROMETHEUS_BEARER_TOKEN or PROMETHEUS_BASIC_AUTH_* (prometheus-auth.ts). */
  auth?: PrometheusAuth;
}

export interface HostPort {
  host: string;
  port: number;
}

/** One Redis (REDIS_URL), a Sentinel-watched master group, or a Redis Cluster. */
export type RedisTopology =
  | { kind: "single" }
  | { kind: "sentinel"; sentinels: HostPort[]; name: string; sentinelPassword?: string }
  | { kind: "cluster"; nodes: HostPort[] };

/**
 * The key prefix used on `topology`: on a Cluster the whole prefix becomes one hash tag
 * (`cloudops` → `{cloudops}`), unless it already is one. Elsewhere it is kept as given.
 */
export function redisKeyPrefix(prefix: string, topology: RedisTopology): string {
  if (topology.kind !== "cluster" || /^\{[^{}]+\}/.test(prefix)) return prefix;
  return `{${prefix}}`;
}

/** Validated configuration, shaped for use rather than mirroring variable names. */
export interface Config {
  port: number;
  host: string;
  /** Port of `cloudops worker`'s /healthz and /readyz on `host`; 0: the worker serves none. */
  workerHealthPort: number;
  /** Ordered; the first is the default environment. */
  environments: PrometheusEnvironment[];
  prometheus: { timeoutMs: number; retries: number; cacheTtlMs: number };
  /** Bounds of PromQL built from outside input (metrics/promql-guard.ts's `PromqlLimits`). */
  promql: { maxRangeSeconds: number; minStepSeconds: number; maxSeries: number };
  answerDeadlineMs: number;
  /** Deadline of forecasts, capacity, rightsizing and comparisons (weeks of history, model fits). */
  planningDeadlineMs: number;
  /** Single node: the whole address. Sentinel and Cluster: only its user, password and TLS (`rediss://`) apply (Sentinel: and its /db). */
  redisUrl: string;
  /** How the Redis of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES is reached (redis/connect.ts). */
  redisTopology: RedisTopology;
  /**
   * Prefix of every Redis key and queue of this deployment. On a Cluster it is one hash tag
   * (`{cloudops}`): every key lands in one slot, as MULTI, Lua and BullMQ need.
   */
  redisPrefix: string;
  grafanaUrl?: string;
  alertmanagerUrl?: string;
  /** Bearer token Alertmanager must send to POST /api/v1/alertmanager. */
  alertmanagerWebhookToken?: string;
  /** ALERTMANAGER_WEBHOOK_OPEN: the webhook takes alerts from anyone (no token); refused otherwise. */
  alertmanagerWebhookOpen: boolean;
  alerts: {
    /** Contents of ALERT_ROUTES_FILE, read and validated at start-up. */
    routesText?: string;
    groupBy: string[];
    groupWaitMs: number;
    reopenWindowMs: number;
    /** A still-firing, unacknowledged group is recalled in its thread this often (0 = never). */
    repeatIntervalMs: number;
    /** User ids allowed to ack, silence and resolve; "*" = everyone the bot answers; empty = nobody. */
    actors: string[] | "*";
    /** Alerts one webhook request may carry (more: 413). */
    maxPerRequest: number;
    /** Open groups kept; new groups beyond it are folded into one overflow group per channel. */
    maxOpenGroups: number;
    /** New alert messages per channel and minute; more are held in one summary message. */
    postsPerMinute: number;
    /** A firing alert its source stops re-sending expires after this long. */
    firingTtlMs: number;
    /** How often chat rules are evaluated. */
    ruleEveryMs: number;
    /** How often the capacity forecasts behind predictive alerts and forecast rules run. */
    predictiveEveryMs: number;
    /** DiskWillFill fires when a file system is expected full within this long (0 = off). */
    predictiveDiskWithinMs: number;
    /** MemoryWillExhaust fires when a host's memory is expected exhausted within this long (0 = off). */
    predictiveMemoryWithinMs: number;
    /** Whether every new alert group gets a first look in its thread (`investigate ID` works either way). */
    firstLook: boolean;
  };
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    alertChannel?: string;
    /** Channel ids the bot answers in; empty = all. DMs are governed by allowedUsers only. */
    allowedChannels: string[];
    /** User ids the bot answers; empty = all. */
    allowedUsers: string[];
  };
  teams: {
    appId?: string;
    appPassword?: string;
    tenantId?: string;
    appType?: string;
    /** Accept unauthenticated activities (Bot Framework Emulator, tests) when no app id is set. */
    emulator: boolean;
    /** Default Teams conversation id for alerts no route takes. */
    alertConversation?: string;
    /**
     * Entra (Azure AD) tenant ids the bot answers; empty = every tenant. Defaults to the app's own
     * tenant (TEAMS_APP_TENANT_ID) for a SingleTenant app.
     */
    allowedTenants: string[];
    /** Teams user ids (Entra object ids) the bot answers; empty = everyone in an allowed tenant. */
    allowedUsers: string[];
  };
  /** URL at which chat platforms can reach this bot (chart images in Teams cards). */
  publicUrl?: string;
  llm: {
    providers: (typeof PROVIDERS)[number][];
    openai: { apiKey?: string; baseUrl?: string; model: string };
    gemini: { apiKey?: string; baseUrl?: string; model: string };
    local: { url?: string; model: string };
    /** Per provider, for its whole tool loop. */
    providerTimeoutMs: number;
    /** All providers together; the built-in engine answers after it. */
    deadlineMs: number;
    /** Redact tokens, IPs and e-mail addresses from what is sent to providers. */
    redact: boolean;
  };
  logLevel: (typeof LOG_LEVELS)[number];
  consoleEnabled: boolean;
  apiRateLimitPerMin: number;
  /** SLO_TARGET: the availability objective reports measure targets and jobs against, percent. */
  sloTargetPct: number;
  /** Who may call /api/v1/* and the console (src/http/auth.ts applies it). */
  auth: {
    /** API_TOKENS; empty = no token asked, which is allowed on a loopback HOST only. */
    tokens: ApiToken[];
    /** AUTH=none: the operator chose to serve a non-loopback HOST without tokens. */
    none: boolean;
    /** Bearer token GET /metrics requires, when set. */
    metricsToken?: string;
  };
  /** Chart drawing off the event loop (src/charts/chart-pool.ts). */
  charts: {
    /** Worker threads drawing charts at once; 0 draws on the main thread (it waits meanwhile). */
    workers: number;
    /** Charts that may wait for a worker; beyond, answers go out without their chart and say why. */
    queue: number;
  };
  anomaly: {
    enabled: boolean;
    scanEveryMs: number;
    trainEveryMs: number;
    trainWindowMs: number;
    /** History needed before a first model is trained; answers say "learning" until then. */
    minHistoryMs: number;
    /** How long a job stays locked to its worker; a dead worker's job is retried after it. */
    jobLockMs: number;
    /** Findings expected per healthy host per day: the detector's threshold is set from it. */
    falseAlarmsPerDay: number;
    /** Shards (jobs) each scan and training run is split into; "auto" sizes them by the fleet. */
    shards: number | "auto";
  };
  /** What rightsizing answers price savings at (insights/prices.ts's `Prices`) and how far back they read. */
  costs: {
    cpuCoreMonth: number;
    gbMonth: number;
    currency: string;
    /** "default" when neither unit price was set. */
    origin: "default" | "configured";
    /**
     * COST_PRICE_FILE's text, read at start-up; the question flow parses it (insights/prices.ts) and
     * a bad file stops the start with a ConfigError naming COST_PRICE_FILE.
     */
    priceFileText?: string;
    /** The price file's name, without its directory (answers name it). */
    file?: string;
    lookbackSeconds: number;
  };
}

/**
 * Validates `env` and returns the configuration.
 * @throws {ConfigError} naming the first bad variable.
 */
/**
 * The webhook token from a file (what Alertmanager's `credentials_file` reads too, so both sides
 * share one secret that never sits in an environment listing); undefined without a file.
 */
function readWebhookTokenFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  let token: string;
  try {
    token = readFileSync(file, "utf8").trim();
  } catch {
    throw new ConfigError("ALERTMANAGER_WEBHOOK_TOKEN_FILE", `cannot read ${file}`);
  }
  if (token.length < 16 || /\s/.test(token))
    throw new ConfigError(
      "ALERTMANAGER_WEBHOOK_TOKEN_FILE",
      `${file} must hold one token of at least 16 characters, no spaces`,
    );
  return token;
}

/** REDIS_SENTINELS or REDIS_CLUSTER_NODES (not both), checked against REDIS_URL. */
function redisTopologyOf(e: z.infer<typeof envSchema>): RedisTopology {
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES)
    throw new ConfigError(
      "REDIS_CLUSTER_NODES",
      "cannot be set together with REDIS_SENTINELS: unset one of them",
    );
  if (e.REDIS_SENTINEL_PASSWORD && !e.REDIS_SENTINELS)
    throw new ConfigError("REDIS_SENTINEL_PASSWORD", "is set but REDIS_SENTINELS is not");
  if (e.REDIS_SENTINELS)
    return {
      kind: "sentinel",
      sentinels: e.REDIS_SENTINELS,
      name: e.REDIS_SENTINEL_NAME,
      ...(e.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
    };
  if (e.REDIS_CLUSTER_NODES) {
    const db = new URL(e.REDIS_URL).pathname.replace(/^\//, "");
    if (db !== "" && db !== "0")
      throw new ConfigError(
        "REDIS_URL",
        `selects database ${db}, but a Redis Cluster (REDIS_CLUSTER_NODES) has database 0 only`,
      );
    return { kind: "cluster", nodes: e.REDIS_CLUSTER_NODES };
  }
  return { kind: "single" };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (FOO= in an env file) means "not set", as in .env.example.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    const raw = env[variable];
    const shown =
      raw === undefined || /TOKEN|SECRET|PASSWORD|KEY/.test(variable)
        ? ""
        : ` (got "${withoutCredentials(raw)}")`;
    const msg = issue?.message ?? "is invalid";
    throw new ConfigError(variable, msg.includes("(got") ? msg : `${msg}${shown}`);
  }
  const e = parsed.data;
  const redisTopology = redisTopologyOf(e);
  if (e.SLACK_BOT_TOKEN && !e.SLACK_BOT_TOKEN.startsWith("xoxb-")) {
    throw new ConfigError("SLACK_BOT_TOKEN", 'must be a bot token starting with "xoxb-"');
  }
  if (e.SLACK_APP_TOKEN && !e.SLACK_APP_TOKEN.startsWith("xapp-")) {
    throw new ConfigError("SLACK_APP_TOKEN", 'must be an app-level token starting with "xapp-"');
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    throw new ConfigError(
      "SLACK_SIGNING_SECRET",
      "is required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN (Socket Mode) is set",
    );
  }
  if (e.AUTH === "none" && e.API_TOKENS.length > 0) {
    throw new ConfigError("AUTH", "is none but API_TOKENS is set: unset one of them");
  }
  if (e.TEAMS_APP_ID && !e.TEAMS_APP_PASSWORD) {
    throw new ConfigError("TEAMS_APP_PASSWORD", "is required when TEAMS_APP_ID is set");
  }
  // Emulator mode takes activities nobody signed and answers whatever serviceUrl they name.
  if (e.TEAMS_EMULATOR && !isLoopbackHost(e.HOST)) {
    throw new ConfigError(
      "TEAMS_EMULATOR",
      `accepts unsigned activities, so it needs a loopback HOST (127.0.0.1, ::1 or localhost; HOST is "${e.HOST}"); a bot others reach needs TEAMS_APP_ID and TEAMS_APP_PASSWORD instead`,
    );
  }
  const teamsAppType = e.TEAMS_APP_TYPE ?? (e.TEAMS_APP_TENANT_ID ? "SingleTenant" : "MultiTenant");
  if (teamsAppType === "SingleTenant" && !e.TEAMS_APP_TENANT_ID) {
    throw new ConfigError("TEAMS_APP_TENANT_ID", "is required when TEAMS_APP_TYPE is SingleTenant");
  }
  // A single-tenant app serves its own tenant: that is the allow-list unless the operator gives one.
  const teamsTenants =
    e.TEAMS_ALLOWED_TENANTS.length > 0 || teamsAppType !== "SingleTenant" || !e.TEAMS_APP_TENANT_ID
      ? e.TEAMS_ALLOWED_TENANTS
      : [e.TEAMS_APP_TENANT_ID];
  const environments = e.PROMETHEUS_ENVIRONMENTS ?? [{ name: "default", url: e.PROMETHEUS_URL }];
  const auth = prometheusAuth(
    present,
    environments.map((x) => x.name),
    e.PROMETHEUS_ENVIRONMENTS !== undefined,
    (variable, problem) => {
      throw new ConfigError(variable, problem);
    },
  );
  const webhookToken =
    e.ALERTMANAGER_WEBHOOK_TOKEN ?? readWebhookTokenFile(e.ALERTMANAGER_WEBHOOK_TOKEN_FILE);
  let routesText: string | undefined;
  if (e.ALERT_ROUTES_FILE) {
    try {
      routesText = readFileSync(e.ALERT_ROUTES_FILE, "utf8");
      parseRoutes(routesText);
    } catch (err) {
      const why = err instanceof RoutesError ? err.message : `cannot read ${e.ALERT_ROUTES_FILE}`;
      throw new ConfigError("ALERT_ROUTES_FILE", why);
    }
  }
  const providers = e.LLM_PROVIDERS ?? defaultProviders(e);
  if (!providers.includes("builtin")) providers.push("builtin");
  return {
    port: e.PORT,
    host: e.HOST,
    workerHealthPort: e.WORKER_HEALTH_PORT,
    environments: environments.map((x) => {
      const a = auth.get(x.name);
      return a ? { ...x, auth: a } : x;
    }),
    prometheus: {
      timeoutMs: e.PROMETHEUS_TIMEOUT_MS,
      retries: e.PROMETHEUS_RETRIES,
      cacheTtlMs: e.PROMETHEUS_CACHE_TTL_MS,
    },
    promql: {
      maxRangeSeconds: Math.floor(e.PROMQL_MAX_RANGE / 1000),
      minStepSeconds: Math.floor(e.PROMQL_MIN_STEP / 1000),
      maxSeries: e.PROMQL_MAX_SERIES,
    },
    answerDeadlineMs: e.ANSWER_DEADLINE_MS,
    planningDeadlineMs: e.PLANNING_DEADLINE_MS,
    redisUrl: e.REDIS_URL,
    redisTopology,
    redisPrefix: redisKeyPrefix(e.REDIS_PREFIX, redisTopology),
    grafanaUrl: e.GRAFANA_URL,
    alertmanagerUrl: e.ALERTMANAGER_URL,
    alertmanagerWebhookToken: webhookToken,
    alertmanagerWebhookOpen: e.ALERTMANAGER_WEBHOOK_OPEN,
    alerts: {
      ...(routesText !== undefined ? { routesText } : {}),
      groupBy: e.ALERT_GROUP_BY,
      groupWaitMs: e.ALERT_GROUP_WAIT,
      reopenWindowMs: e.ALERT_REOPEN_WINDOW,
      repeatIntervalMs: e.ALERT_REPEAT_INTERVAL,
      actors: e.ALERT_ACTORS,
      maxPerRequest: e.ALERT_MAX_PER_REQUEST,
      maxOpenGroups: e.ALERT_MAX_OPEN_GROUPS,
      postsPerMinute: e.ALERT_POSTS_PER_MINUTE,
      firingTtlMs: e.ALERT_FIRING_TTL,
      ruleEveryMs: e.ALERT_RULE_EVERY,
      predictiveEveryMs: e.PREDICTIVE_ALERT_EVERY,
      predictiveDiskWithinMs: e.PREDICTIVE_DISK_WITHIN,
      predictiveMemoryWithinMs: e.PREDICTIVE_MEMORY_WITHIN,
      firstLook: e.ALERT_FIRST_LOOK,
    },
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      alertChannel: e.SLACK_ALERT_CHANNEL,
      allowedChannels: e.SLACK_ALLOWED_CHANNELS,
      allowedUsers: e.SLACK_ALLOWED_USERS,
    },
    teams: {
      appId: e.TEAMS_APP_ID,
      appPassword: e.TEAMS_APP_PASSWORD,
      tenantId: e.TEAMS_APP_TENANT_ID,
      appType: e.TEAMS_APP_TYPE,
      emulator: e.TEAMS_EMULATOR,
      ...(e.TEAMS_ALERT_CONVERSATION ? { alertConversation: e.TEAMS_ALERT_CONVERSATION } : {}),
      allowedTenants: teamsTenants,
      allowedUsers: e.TEAMS_ALLOWED_USERS,
    },
    publicUrl: e.PUBLIC_URL,
    llm: {
      providers,
      openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL },
      gemini: { apiKey: e.GEMINI_API_KEY, baseUrl: e.GEMINI_BASE_URL, model: e.GEMINI_MODEL },
      local: { url: e.LOCAL_LLM_URL, model: e.LOCAL_LLM_MODEL },
      providerTimeoutMs: e.LLM_PROVIDER_TIMEOUT,
      deadlineMs: e.LLM_DEADLINE,
      redact: e.LLM_REDACT,
    },
    logLevel: e.LOG_LEVEL,
    consoleEnabled: e.CONSOLE_ENABLED,
    apiRateLimitPerMin: e.API_RATE_LIMIT_PER_MIN,
    sloTargetPct: e.SLO_TARGET,
    auth: {
      tokens: e.API_TOKENS,
      none: e.AUTH === "none",
      ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    },
    charts: { workers: e.CHART_WORKERS, queue: e.CHART_QUEUE },
    anomaly: {
      enabled: e.ANOMALY_ENABLED,
      scanEveryMs: e.ANOMALY_SCAN_EVERY,
      trainEveryMs: e.ANOMALY_TRAIN_EVERY,
      trainWindowMs: e.ANOMALY_TRAIN_WINDOW,
      minHistoryMs: e.ANOMALY_MIN_HISTORY,
      jobLockMs: e.ANOMALY_JOB_LOCK,
      falseAlarmsPerDay: e.ANOMALY_FALSE_ALARMS_PER_DAY,
      shards: e.ANOMALY_SHARDS,
    },
    costs: {
      cpuCoreMonth: e.COST_CPU_CORE_MONTH,
      gbMonth: e.COST_GB_MONTH,
      currency: e.COST_CURRENCY,
      origin: present.COST_CPU_CORE_MONTH || present.COST_GB_MONTH ? "configured" : "default",
      ...readPriceFile(e.COST_PRICE_FILE),
      lookbackSeconds: Math.floor(e.RIGHTSIZING_LOOKBACK / 1000),
    },
  };
}

/** COST_PRICE_FILE's text and name; an unreadable file is one error naming the variable. */
function readPriceFile(file: string | undefined): { priceFileText?: string; file?: string } {
  if (!file) return {};
  try {
    return { priceFileText: readFileSync(file, "utf8"), file: file.split(/[\\/]/).pop() ?? file };
  } catch {
    throw new ConfigError("COST_PRICE_FILE", `cannot read ${file}`);
  }
}

/**
 * The Prometheus settings alone (metrics/environments.ts's `EnvironmentSettings`): the endpoints and
 * how to call them, so the metrics layer is handed what it uses rather than the whole configuration.
 */
export function prometheusSettings(config: Pick<Config, "environments" | "prometheus">): {
  environments: PrometheusEnvironment[];
  timeoutMs: number;
  retries: number;
  cacheTtlMs: number;
} {
  return { environments: config.environments, ...config.prometheus };
}

/** Providers in the usual order, keeping only those that are configured. */
function defaultProviders(e: z.infer<typeof envSchema>): (typeof PROVIDERS)[number][] {
  const out: (typeof PROVIDERS)[number][] = [];
  if (e.OPENAI_API_KEY) out.push("openai");
  if (e.GEMINI_API_KEY) out.push("gemini");
  if (e.LOCAL_LLM_URL) out.push("local");
  out.push("builtin");
  return out;
}
