/**
 * The built-in engine: answers questions from Prometheus with no LLM. It parses the question,
 * picks the environment and host, runs catalogue queries under one deadline, and builds a Reply.
 * It always answers — an unknown question, a down Prometheus or a slow one each get a clear reply.
 */
import Fuse from "fuse.js";
import type { AnomalyStore } from "../anomaly/anomaly-store.js";
import { DEFAULT_PRICES } from "../insights/prices.js";
import { namedQuery, type QueryName } from "../metrics/catalogue.js";
import type { Environments, Host } from "../metrics/environments.js";
import { type Answer, type Inbound, makeReply, type Reply, type ReplyChart } from "../reply/reply.js";
import { answerAnomalies } from "./answers/anomalies.js";
import { answerCompareChange, answerCompareFleet, answerCompareHosts } from "./answers/compare.js";
import { answerContainers } from "./answers/containers.js";
import type { AnswerContext, ChartRenderer } from "./answers/context.js";
import { answerCapacity, answerForecast } from "./answers/forecast.js";
import { answerHealth } from "./answers/health.js";
import { answerResourceNow } from "./answers/resource-now.js";
import {
  answerResourceCompare,
  answerResourceTrend,
  type ChartedSpec,
  trendChart,
} from "./answers/resource-trend.js";
import { answerRightsizing, type CostSettings } from "./answers/rightsizing.js";
import { answerAnomaliesNotYet, answerError, answerHelp, answerNotUnderstood } from "./answers/static.js";

import { answerTargets, answerTargetsDown } from "./answers/targets.js";
import { answerTopHosts } from "./answers/top-hosts.js";
import { answerUptimeNow, answerUptimeTrend } from "./answers/uptime.js";
import type { ParsedQuestion } from "./intent.js";
import { parseQuestion } from "./parse-question.js";
import { RESOURCES, type Resource } from "./resources.js";

/** The intents the LLM's planning tool may ask the engine for. */
const PLANNING_KINDS = new Set<string>([
  "forecast",
  "capacity",
  "rightsizing",
  "compare_hosts",
  "compare_fleet",
  "compare_change",
  "metric_compare",
  "investigate",
]);

/** Why an engine without an anomaly store cannot answer anomaly questions. */
const NO_STORE = "This client has no access to the anomaly detector's results (they are kept in Redis).";

export interface BuiltinEngineOptions {
  environments: Environments;
  /** Draws the charts answers carry; may be asynchronous (a worker pool) and may refuse when busy. */
  renderChart: ChartRenderer;
  /** Whole-answer deadline in ms; Prometheus calls are cancelled when it passes. */
  deadlineMs: number;
  /**
   * The deadline of planning answers (forecasts, capacity, rightsizing, comparisons), which read
   * weeks of history and fit models: longer than `deadlineMs` (chat shows "working…" meanwhile).
   * `deadlineMs` when not set.
   */
  planningDeadlineMs?: number;
  grafanaUrl?: string;
  /** Clock in epoch ms; injectable so tests can ask "now" of fixed fixture data. */
  now?: () => number;
  /**
   * The first look at a host ("why is web-2 slow?"): what moved, where else, what changed. Without it,
   * such questions get the host's health and say that the first look is not available here.
   */
  investigate?: (request: { environment: string; host: Host }, signal: AbortSignal) => Promise<Reply>;
  /** Where the anomaly detector's results are; without it, anomaly questions say no scan has run. */
  anomalies?: AnomalyStore;
  /** Prices and rules of rightsizing answers; without it, default prices labelled as an estimate. */
  costs?: CostSettings;
}

/**
 * A chart asked for as data (by alert delivery, by the LLM's render_chart tool): a signal the engine
 * answers about, or one catalogue query, on one host or the fleet, over the last `rangeSeconds`.
 */
export type ChartRequest = ({ topic: Resource } | { query: QueryName }) & {
  host?: string;
  rangeSeconds: number;
  environment?: string;
};

export class BuiltinEngine {
  constructor(private readonly opts: BuiltinEngineOptions) {}

  /**
   * The trend chart the answer to "<topic> trend on <host> last <range>" carries, drawn by the same
   * code, without a question to parse. Undefined when there is no data; throws for an environment or
   * host Prometheus does not know (the message says which).
   */
  async chart(
    request: ChartRequest,
    signal?: AbortSignal,
    /** How long it may take; an answer's deadline unless the caller is not someone waiting (alerts). */
    deadlineMs = this.opts.deadlineMs,
  ): Promise<ReplyChart | undefined> {
    const envs = this.opts.environments;
    const envName = request.environment?.trim().toLowerCase() || envs.defaultName;
    const client = envs.get(envName);
    if (!client) throw new Error(`unknown environment "${envName}"; known: ${envs.names().join(", ")}`);
    const deadline = AbortSignal.timeout(deadlineMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let hosts: Host[] = [];
    let host: Host | undefined;
    if (request.host) {
      hosts = await envs.hosts(envName, combined);
      host = resolveHost(request.host, hosts);
      if (!host) throw new Error(`Prometheus (${envName}) has no host called "${request.host.slice(0, 60)}"`);
    }
    const seconds = Math.max(60, Math.round(request.rangeSeconds));
    const label = `last ${spanLabel(seconds)}`;
    return trendChart(this.context(envName, client, hosts, host, combined), chartedSpec(request), {
      fromSecondsAgo: seconds,
      toSecondsAgo: 0,
      label,
    });
  }

  private context(
    envName: string,
    client: NonNullable<ReturnType<Environments["get"]>>,
    hosts: Host[],
    host: Host | undefined,
    signal: AbortSignal,
  ): AnswerContext {
    return {
      environment: envName,
      showEnvironment: !(this.opts.environments.names().length === 1 && envName === "default"),
      client,
      hosts,
      host,
      now: Math.floor((this.opts.now?.() ?? Date.now()) / 1000),
      signal,
      grafanaUrl: this.opts.grafanaUrl,
      renderChart: this.opts.renderChart,
      // One slow range query may take most of a planning answer's time, never all of it.
      longQueryTimeoutMs: Math.max(this.opts.deadlineMs, Math.round(0.6 * this.planningDeadlineMs())),
    };
  }

  private planningDeadlineMs(): number {
    return Math.max(this.opts.deadlineMs, this.opts.planningDeadlineMs ?? this.opts.deadlineMs);
  }

  /**
   * The health overview of an environment (the default one unless named), asked for as data: the App
   * Home's first section. No question is parsed and no LLM is involved.
   */
  async overview(environment?: string, signal?: AbortSignal): Promise<Answer> {
    const envs = this.opts.environments;
    const envName = environment ?? envs.defaultName;
    const client = envs.get(envName);
    if (!client) return this.unknownEnvironment(envName);
    const deadline = AbortSignal.timeout(this.opts.deadlineMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const hosts = await envs.hosts(envName, combined).catch(() => []);
      const reply = await answerHealth(this.context(envName, client, hosts, undefined, combined));
      return { reply, provider: "builtin", intent: "health" };
    } catch (e) {
      return { reply: answerError(e, envName), provider: "builtin", intent: "health" };
    }
  }

  /**
   * A planning question (forecast, capacity, rightsizing, a comparison) answered as the engine would,
   * for the LLM's `planning` tool: the model passes the question in plain words and reads our numbers.
   * Any other kind of question is refused, so the tool cannot become a second way into everything.
   */
  async planning(question: string, environment?: string, signal?: AbortSignal): Promise<Answer> {
    const envs = this.opts.environments;
    const envName = environment?.trim().toLowerCase() || envs.defaultName;
    const hosts = await envs
      .hosts(envName, signal ?? AbortSignal.timeout(this.opts.deadlineMs))
      .catch(() => []);
    const parsed = parseQuestion(question, { environments: envs.names(), hosts: hosts.map((h) => h.name) });
    if (!PLANNING_KINDS.has(parsed.intent.kind))
      throw new Error(
        `"${question.slice(0, 80)}" is not a planning question (forecast, capacity, rightsizing, savings, idle hosts, or a comparison)`,
      );
    const inbound: Inbound = {
      platform: "cli",
      user: "planning-tool",
      channel: "planning-tool",
      text: question,
    };
    return this.answer(environment ? { ...inbound, environment } : inbound, signal);
  }

  async answer(inbound: Inbound, signal?: AbortSignal): Promise<Answer> {
    const envs = this.opts.environments;
    const requestedEnv = inbound.environment?.trim().toLowerCase();
    if (requestedEnv && !envs.get(requestedEnv)) return this.unknownEnvironment(requestedEnv);
    const startedAt = Date.now();
    const deadline = AbortSignal.timeout(this.opts.deadlineMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let envName = requestedEnv ?? envs.defaultName;
    // Host names are only needed when the text may name one; fetching them is cached and cheap.
    let hosts: Host[] = [];
    let hostsError: unknown;
    try {
      hosts = await envs.hosts(envName, combined);
    } catch (e) {
      // The question may still be answerable (help) or will fail with a clear Prometheus error below.
      hostsError = e;
    }
    // Relative moments ("since the deploy at 14:00", "today") are read on the engine's own clock.
    const parsed = parseQuestion(
      inbound.text,
      { environments: envs.names(), hosts: hosts.map((h) => h.name) },
      new Date(this.opts.now?.() ?? Date.now()),
    );
    if (parsed.environment && !requestedEnv && parsed.environment !== envName) {
      envName = parsed.environment;
      try {
        hosts = await envs.hosts(envName, combined);
        hostsError = undefined;
      } catch (e) {
        hosts = [];
        hostsError = e;
      }
    }
    const intentName = parsed.intent.kind;
    // Planning answers read weeks of history: their own, longer deadline, counted from the start.
    const answerSignal = PLANNING_KINDS.has(intentName)
      ? AbortSignal.any([
          ...(signal ? [signal] : []),
          AbortSignal.timeout(Math.max(0, this.planningDeadlineMs() - (Date.now() - startedAt))),
        ])
      : combined;
    try {
      // The host names could not be read: a question about a host says why, not "unknown host".
      if (parsed.host && hostsError !== undefined) throw hostsError;
      const reply = await this.dispatch(parsed, inbound.text, envName, hosts, answerSignal);
      return { reply, provider: "builtin", intent: intentName };
    } catch (e) {
      return { reply: answerError(e, envName), provider: "builtin", intent: intentName };
    }
  }

  private async dispatch(
    parsed: ParsedQuestion,
    text: string,
    envName: string,
    hosts: Host[],
    signal: AbortSignal,
  ): Promise<Reply> {
    const intent = parsed.intent;
    switch (intent.kind) {
      case "help":
        return answerHelp(this.opts.environments.names());
      case "unknown":
        return answerNotUnderstood(text, intent.reason);
      case "anomalies":
        if (!this.opts.anomalies) return answerAnomaliesNotYet(undefined, NO_STORE);
        break;
      default:
        break;
    }
    const client = this.opts.environments.get(envName);
    if (!client) return this.unknownEnvironment(envName).reply;
    let host: Host | undefined;
    if (parsed.host) {
      host = resolveHost(parsed.host, hosts);
      if (!host) return unknownHost(parsed.host, envName, hosts);
    }
    const ctx = this.context(envName, client, hosts, host, signal);
    switch (intent.kind) {
      case "health":
        return answerHealth(ctx);
      // Uptime is a duration since boot: an average of it or its peak would mean nothing.
      case "metric_now":
        return intent.resource === "uptime" ? answerUptimeNow(ctx) : answerResourceNow(ctx, intent.resource);
      case "metric_trend":
        return intent.resource === "uptime"
          ? answerUptimeTrend(ctx, intent.range)
          : answerResourceTrend(ctx, intent.resource, intent.range);
      case "metric_compare":
        return answerResourceCompare(ctx, intent.resource, intent.range, intent.offsetSeconds);
      case "top_hosts":
        return answerTopHosts(ctx, intent.resource, intent.n, intent.range);
      case "targets_down":
        return answerTargetsDown(ctx);
      case "targets":
        return answerTargets(ctx);
      case "containers":
        return answerContainers(ctx, intent);
      case "anomalies":
        return this.opts.anomalies
          ? answerAnomalies(ctx, this.opts.anomalies)
          : answerAnomaliesNotYet(undefined, NO_STORE);
      case "investigate": {
        if (ctx.host && this.opts.investigate)
          return this.opts.investigate({ environment: envName, host: ctx.host }, signal);
        const health = await answerHealth(ctx);
        return {
          ...health,
          context: [
            ...health.context,
            "A first look (what moved, where else, what changed) is not available here.",
          ],
        };
      }
      case "rightsizing":
        return answerRightsizing(ctx, intent, this.opts.costs ?? { prices: DEFAULT_PRICES });
      case "compare_hosts": {
        // Each named host resolved as a single-host question's would be; an unknown one is said so.
        const named = intent.hosts.map((asked) => ({ asked, host: resolveHost(asked, hosts) }));
        const unknown = named.find((n) => !n.host);
        if (unknown) return unknownHost(unknown.asked, envName, hosts);
        return answerCompareHosts(ctx, { ...intent, hosts: named.map((n) => n.host?.name ?? n.asked) });
      }
      case "compare_fleet":
        return answerCompareFleet(ctx, intent);
      case "compare_change":
        return answerCompareChange(ctx, intent);
      case "forecast":
        return answerForecast(ctx, intent);
      case "capacity":
        return answerCapacity(ctx, intent);
    }
  }

  private unknownEnvironment(name: string): Answer {
    const known = this.opts.environments.names();
    return {
      provider: "builtin",
      intent: "unknown_environment",
      reply: makeReply({
        title: `Unknown environment “${name.slice(0, 40)}”`,
        text: `I know these environments: ${known.join(", ")}.`,
        tone: "error",
        suggestions: known.map((k) => `what's the current system health in ${k}?`).slice(0, 3),
      }),
    };
  }
}

/**
 * What a chart request draws: a signal's own spec, or a catalogue query named as the signal whose
 * only query it is (its label and warning level), else by the query's description.
 */
function chartedSpec(request: ChartRequest): ChartedSpec {
  if ("topic" in request) return RESOURCES[request.topic];
  const { query } = request;
  const signal = Object.values(RESOURCES).find((r) => r.queries.length === 1 && r.queries[0]?.name === query);
  if (signal) return signal;
  const q = namedQuery(query);
  return { label: q.description, unit: q.unit, queries: [{ name: query, label: q.description }] };
}

/** "3h", "24h", "7d", "90m": how a range is said in a chart's title, as people type it. */
function spanLabel(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds > 86_400) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${Math.round(seconds / 60)}m`;
}

/** Exact name, exact instance, case-insensitive, then a tight fuzzy match ("web2" → "web-2"). */
export function resolveHost(asked: string, hosts: readonly Host[]): Host | undefined {
  const a = asked.toLowerCase();
  const exact =
    hosts.find((h) => h.name === asked || h.instances.includes(asked)) ??
    hosts.find((h) => h.name.toLowerCase() === a);
  if (exact) return exact;
  const squashed = a.replace(/[-_.]/g, "");
  const loose = hosts.filter((h) => h.name.toLowerCase().replace(/[-_.]/g, "") === squashed);
  if (loose.length === 1) return loose[0];
  const fuse = new Fuse(hosts as Host[], { keys: ["name"], threshold: 0.2, includeScore: true });
  const [best, second] = fuse.search(asked);
  // Only take a fuzzy match when it is clearly the best one; otherwise say we don't know the host.
  if (best && (!second || (second.score ?? 1) - (best.score ?? 0) > 0.05)) return best.item;
  return undefined;
}

function unknownHost(asked: string, env: string, hosts: readonly Host[]): Reply {
  const fuse = new Fuse(hosts as Host[], { keys: ["name"], threshold: 0.6 });
  const close = fuse
    .search(asked)
    .slice(0, 3)
    .map((r) => r.item.name);
  const list = hosts.slice(0, 12).map((h) => h.name);
  return makeReply({
    title: `Unknown host “${asked.slice(0, 60)}”`,
    text: [
      `Prometheus${env === "default" ? "" : ` (${env})`} has no host called “${asked.slice(0, 60)}”.`,
      close.length > 0 ? `Did you mean: ${close.join(", ")}?` : "",
      list.length > 0
        ? `Known hosts: ${list.join(", ")}${hosts.length > 12 ? `, and ${hosts.length - 12} more` : ""}`
        : "No hosts are known yet.",
    ]
      .filter(Boolean)
      .join("\n"),
    tone: "warning",
    suggestions: close.map((h) => `what's the current system health of ${h}?`),
  });
}
