/**
 * Predictive alerts: every PREDICTIVE_ALERT_EVERY the fleet's file systems and memory are forecast
 * (insights/capacity.ts: each series by the model its own backtest picks) and an alert fires through
 * the same pipeline as Alertmanager's when one is expected full soon — `DiskWillFill` per instance and
 * mount point, `MemoryWillExhaust` per instance — and resolves itself when the forecast clears. Chat
 * rules of the forecast kind (`alert when disk will be full within 3d on db-1`) are evaluated here
 * too, from the same forecasts, and raise `DiskWillFillRule` / `MemoryWillExhaustRule`.
 *
 * Hysteresis, so an alert does not flap when a forecast hovers around its window:
 * - fires as soon as one evaluation expects the series full within the window (or it is full now);
 * - stays firing while the expected fill is within {@link CLEAR_MARGIN} × the window;
 * - resolves after {@link CLEAR_EVALUATIONS} evaluations in a row with no fill expected within that
 *   margin (the forecast reaches that far, so "no fill" is read, not assumed);
 * - an evaluation that cannot judge (too little history, the kind's query failed) changes nothing;
 * - a series that is gone (unmounted, host removed) resolves at once, as chat rules' hosts do.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { LineChartSpec } from "../charts/chart-spec.js";
import {
  type CapacityForecast,
  type CapacityKind,
  type CapacitySeries,
  FULL_AT,
  fetchCapacitySeries,
  forecastCapacity,
} from "../insights/capacity.js";
import type { ModelName } from "../insights/forecast/index.js";
import type { Environments } from "../metrics/environments.js";
import type { LabelMatcher } from "../metrics/promql.js";
import { formatDuration, formatValue } from "../metrics/units.js";
import { parseStored } from "../redis/parse-stored.js";
import type { ReplyChart } from "../reply/reply.js";
import type { Alert } from "./alert.js";
import type { DrawChart, ForecastChartSource } from "./alert-chart.js";
import type { AlertService } from "./alert-service.js";
import { type ChatRule, type ChatRules, ruleFingerprint } from "./chat-rules.js";
import { duration } from "./group-message.js";

/** The alerts' names, per kind. */
export const PREDICTIVE_ALERTNAMES: Record<CapacityKind, string> = {
  disk: "DiskWillFill",
  memory: "MemoryWillExhaust",
};
/** Chat rules' alerts carry the rule suffix, as threshold rules' do (`DiskUsedRule`). */
const RULE_SUFFIX = "Rule";

/** A firing alert stays firing while the expected fill is within this many windows. */
export const CLEAR_MARGIN = 1.5;
/** Evaluations in a row with no fill expected within the margin before an alert resolves. */
export const CLEAR_EVALUATIONS = 2;

/**
 * What one evaluation says of one series: full within the window, within the margin beyond it
 * ("near"), no fill within the margin ("clear"), or nothing can be said ("unknown").
 */
export type Verdict = "fills" | "near" | "clear" | "unknown";

/** The verdict of a forecast made at `now` (epoch seconds) for a window of `withinSeconds`. */
export function verdictOf(f: CapacityForecast, now: number, withinSeconds: number): Verdict {
  if (f.status === "already_full") return "fills";
  if (f.status === "insufficient_history" || f.model === null) return "unknown";
  const expected = f.fill.expected;
  if (expected !== null && expected <= now + withinSeconds) return "fills";
  if (expected !== null && expected <= now + CLEAR_MARGIN * withinSeconds) return "near";
  // No fill within the horizon: "clear" only when the forecast reached past the margin (counted from
  // the last value, which is up to a few steps before `now` on the forecast's grid).
  return f.horizonSeconds >= CLEAR_MARGIN * withinSeconds * 0.999 ? "clear" : "unknown";
}

/** The state kept per firing series (only firing series have one). */
const seriesStateSchema = z.object({
  /** Epoch ms the alert started. */
  since: z.number(),
  /** Kept true: the chat rules' reset (`alertResolved`) reads states of this shape. */
  firing: z.literal(true),
  /** Clear evaluations in a row so far. */
  clear: z.number().int().min(0),
  kind: z.enum(["disk", "memory"]),
  instance: z.string().max(512),
  mountpoint: z.string().max(4096).optional(),
  device: z.string().max(4096).optional(),
});
export type SeriesState = z.infer<typeof seriesStateSchema>;

/** What a series is, for its alert's labels. */
type SeriesId = Pick<SeriesState, "kind" | "instance" | "mountpoint" | "device">;

/** What to do with a series after an evaluation: its new state, and the alert to send. */
export interface Transition {
  state?: SeriesState;
  send?: "firing" | "resolved";
}

/**
 * The hysteresis: a series' next state from its state and this evaluation's verdict. A firing alert
 * is sent again at every evaluation (its source still says so, which keeps it from expiring).
 */
export function nextState(
  prev: SeriesState | undefined,
  verdict: Verdict,
  at: number,
  id: SeriesId,
): Transition {
  if (!prev)
    return verdict === "fills" ? { state: { since: at, firing: true, clear: 0, ...id }, send: "firing" } : {};
  if (verdict === "clear") {
    const clear = prev.clear + 1;
    return clear >= CLEAR_EVALUATIONS ? { send: "resolved" } : { state: { ...prev, clear }, send: "firing" };
  }
  // "unknown" neither resolves nor counts towards it; "fills" and "near" start the count again.
  return { state: { ...prev, ...id, clear: verdict === "unknown" ? prev.clear : 0 }, send: "firing" };
}

/** One thing watched in an environment: a built-in alert of a kind, or a forecast chat rule. */
interface Watch {
  kind: CapacityKind;
  withinMs: number;
  stateKey: string;
  host?: string;
  rule?: ChatRule;
}

export interface PredictiveAlertsDeps {
  redis: Redis;
  /** Key prefix of the built-in alerts' state. */
  prefix: string;
  environments: Environments;
  alerts: AlertService;
  rules: ChatRules;
  /** DiskWillFill's window (0: off). */
  diskWithinMs: number;
  /** MemoryWillExhaust's window (0: off). */
  memoryWithinMs: number;
  /** History read per series, seconds (the capacity default, 14 days, when not given). */
  lookbackSeconds?: number;
  /** Per-attempt Prometheus timeout of the range queries (a background job reads long ranges). */
  timeoutMs?: number;
  now?: () => number;
}

export interface PredictiveEvaluation {
  /** Series read (per kind and environment, counted once). */
  series: number;
  /** Forecasts made (a series is forecast once per window that looks at it). */
  forecast: number;
  /** Series a window looked at that could not fill within it at their fastest past rise (not forecast). */
  screened: number;
  firing: number;
  resolved: number;
  /** What could not be evaluated, and why; the other environments and kinds still were. */
  errors: string[];
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class PredictiveAlerts implements ForecastChartSource {
  constructor(private readonly deps: PredictiveAlertsDeps) {
    deps.rules.onForecastRuleStopped((rule) => this.stopRule(rule));
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private builtinKey(environment: string, kind: CapacityKind): string {
    return `${this.deps.prefix}:predictive:${environment}:${kind}`;
  }

  private withinOf(kind: CapacityKind): number {
    return kind === "disk" ? this.deps.diskWithinMs : this.deps.memoryWithinMs;
  }

  /** What is watched in an environment: the built-in alerts that are on, and its forecast rules. */
  private watches(environment: string, rules: ChatRule[]): Watch[] {
    const out: Watch[] = [];
    for (const kind of ["disk", "memory"] as const) {
      const withinMs = this.withinOf(kind);
      if (withinMs > 0) out.push({ kind, withinMs, stateKey: this.builtinKey(environment, kind) });
    }
    for (const rule of rules)
      if (rule.environment === environment && rule.withinMs !== undefined)
        out.push({
          kind: rule.metric === "disk" ? "disk" : "memory",
          withinMs: rule.withinMs,
          stateKey: this.deps.rules.ruleStateKey(rule.id),
          ...(rule.host ? { host: rule.host } : {}),
          rule,
        });
    return out;
  }

  /** Forecasts every environment's disks and memory once and brings every predictive alert up to date. */
  async evaluate(at = this.now()): Promise<PredictiveEvaluation> {
    const result: PredictiveEvaluation = {
      series: 0,
      forecast: 0,
      screened: 0,
      firing: 0,
      resolved: 0,
      errors: [],
    };
    const rules = (await this.deps.rules.all()).filter((r) => r.withinMs !== undefined && !r.paused);
    for (const environment of this.deps.environments.names()) {
      const watches = this.watches(environment, rules);
      const client = this.deps.environments.get(environment);
      if (watches.length === 0 || !client) continue;
      for (const kind of ["disk", "memory"] as const) {
        const ofKind = watches.filter((w) => w.kind === kind);
        if (ofKind.length === 0) continue;
        let series: CapacitySeries[];
        try {
          series = (
            await fetchCapacitySeries(client, {
              kind,
              now: at / 1000,
              timeoutMs: this.deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
              ...(this.deps.lookbackSeconds ? { lookbackSeconds: this.deps.lookbackSeconds } : {}),
            })
          ).series;
        } catch (e) {
          // Nothing is resolved on a failed query: Prometheus being down says nothing of the disks.
          result.errors.push(`${environment} ${kind}: ${e instanceof Error ? e.message : String(e)}`);
          continue;
        }
        result.series += series.length;
        // A forecast depends on its horizon (the trend's window grows with it): one per series and
        // window, made only for the series a watch looks at and only when a quick screen cannot say.
        const judged = new Map<string, Judged>();
        for (const watch of ofKind) {
          const horizonSeconds = (CLEAR_MARGIN * watch.withinMs) / 1000;
          const mine: Judged[] = [];
          for (const s of series) {
            if (watch.host && !onHost(s, watch.host)) continue;
            const key = `${horizonSeconds}\u0000${seriesKey(seriesIdOf(s))}`;
            let j = judged.get(key);
            if (!j) {
              if (cannotFillWithin(s, horizonSeconds)) {
                j = { id: seriesIdOf(s) };
                result.screened++;
              } else {
                j = { id: seriesIdOf(s), forecast: forecastCapacity(s, { horizonSeconds }) };
                result.forecast++;
                // A fleet's forecasts take a while: let the bot's other work in between series.
                await new Promise((r) => setImmediate(r));
              }
              judged.set(key, j);
            }
            mine.push(j);
          }
          try {
            const r = await this.apply(environment, watch, mine, at);
            result.firing += r.firing;
            result.resolved += r.resolved;
          } catch (e) {
            result.errors.push(
              `${environment} ${watch.rule ? `rule ${watch.rule.id}` : kind}: ${e instanceof Error ? e.message : String(e)}`,
            );
          }
        }
      }
    }
    return result;
  }

  /** One watch's series: next states in Redis, and the alerts that changed or still fire sent on. */
  private async apply(
    environment: string,
    watch: Watch,
    judged: Judged[],
    at: number,
  ): Promise<{ firing: number; resolved: number }> {
    // A rule paused or deleted while its forecasts were made is left alone (its alerts were resolved).
    if (watch.rule && !(await this.ruleActive(watch.rule.id))) return { firing: 0, resolved: 0 };
    const states = new Map<string, SeriesState>();
    for (const [key, text] of Object.entries(await this.deps.redis.hgetall(watch.stateKey))) {
      const s = parseStored(seriesStateSchema, text);
      if (s) states.set(key, s);
    }
    const out: Alert[] = [];
    const multi = this.deps.redis.multi();
    const seen = new Set<string>();
    for (const { id, forecast: f } of judged) {
      const key = seriesKey(id);
      seen.add(key);
      const prev = states.get(key);
      // Screened out (no forecast): it cannot fill within the margin at its fastest past rise.
      const verdict = f ? verdictOf(f, at / 1000, watch.withinMs / 1000) : "clear";
      const t = nextState(prev, verdict, at, id);
      if (t.state) multi.hset(watch.stateKey, key, JSON.stringify(t.state));
      else if (prev) multi.hdel(watch.stateKey, key);
      const since = t.state?.since ?? prev?.since ?? at;
      if (t.send === "firing") out.push(this.alert(environment, watch, id, f, since, "firing"));
      if (t.send === "resolved")
        out.push({ ...this.alert(environment, watch, id, f ?? "screened", since, "resolved"), endsAt: at });
    }
    // A series no longer reported (unmounted, host gone) has nothing left to fill.
    for (const [key, prev] of states) {
      if (seen.has(key)) continue;
      multi.hdel(watch.stateKey, key);
      out.push({ ...this.alert(environment, watch, prev, undefined, prev.since, "resolved"), endsAt: at });
    }
    await multi.exec();
    if (out.length > 0) await this.deps.alerts.ingest(out);
    // Paused or deleted in the meantime: what was just written is resolved again, as the change did.
    if (watch.rule && !(await this.ruleActive(watch.rule.id))) {
      // The alerts just sent are resolved by name: the change's own resolve may have run alongside
      // this evaluation and read the state before it was written back.
      const sent = out.filter((a) => a.status === "firing");
      if (sent.length > 0)
        await this.deps.alerts.ingest(sent.map((a) => ({ ...a, status: "resolved" as const, endsAt: at })));
      await this.stopRule(watch.rule);
      return { firing: 0, resolved: 0 };
    }
    return {
      firing: out.filter((a) => a.status === "firing").length,
      resolved: out.filter((a) => a.status === "resolved").length,
    };
  }

  private async ruleActive(id: string): Promise<boolean> {
    const rule = (await this.deps.rules.all()).find((r) => r.id === id);
    return rule !== undefined && !rule.paused;
  }

  /** A forecast rule paused or deleted: its alerts resolve (nobody watches the forecast any more). */
  async stopRule(rule: ChatRule): Promise<void> {
    const key = this.deps.rules.ruleStateKey(rule.id);
    const at = this.now();
    const watch: Watch = {
      kind: rule.metric === "disk" ? "disk" : "memory",
      withinMs: rule.withinMs ?? 0,
      stateKey: key,
      rule,
    };
    const out: Alert[] = [];
    for (const text of Object.values(await this.deps.redis.hgetall(key))) {
      const s = parseStored(seriesStateSchema, text);
      if (s)
        out.push({ ...this.alert(rule.environment, watch, s, undefined, s.since, "resolved"), endsAt: at });
    }
    await this.deps.redis.del(key);
    if (out.length > 0) await this.deps.alerts.ingest(out);
  }

  private alert(
    environment: string,
    watch: Watch,
    id: SeriesId,
    forecastOrWhy: CapacityForecast | "screened" | undefined,
    since: number,
    status: Alert["status"],
  ): Alert {
    const f = typeof forecastOrWhy === "object" ? forecastOrWhy : undefined;
    const { rule } = watch;
    const labels: Record<string, string> = {
      alertname: `${PREDICTIVE_ALERTNAMES[id.kind]}${rule ? RULE_SUFFIX : ""}`,
      instance: id.instance,
      ...(id.kind === "disk" ? { mountpoint: id.mountpoint ?? "", device: id.device ?? "" } : {}),
      environment,
      severity: "warning",
      ...(rule ? { metric: rule.metric, rule: rule.id } : {}),
    };
    const what = subject(id);
    const window = duration(watch.withinMs);
    const annotations: Record<string, string> = {};
    if (status === "firing" && f) {
      annotations.summary = fillSummary(f, what);
      annotations.description = forecastDescription(f, window);
    } else if (f) {
      annotations.summary = `${capitalise(what)} is no longer expected ${fullWord(id.kind)} within ${window}${
        f.fill.expected !== null
          ? ` (now expected around ${dayTime(f.fill.expected)})`
          : ` (no ${id.kind === "disk" ? "fill" : "exhaustion"} forecast within ${formatDuration(f.horizonSeconds)})`
      }`;
      annotations.description = forecastDescription(f, window);
    } else if (forecastOrWhy === "screened") {
      annotations.summary = `${capitalise(what)} is no longer expected ${fullWord(id.kind)} within ${window}: even at its fastest rise so far it would take more than ${duration(CLEAR_MARGIN * watch.withinMs)}`;
    } else {
      annotations.summary = rule
        ? `${capitalise(what)}: rule ${rule.id} no longer watched`
        : `${capitalise(what)} is no longer reported by Prometheus`;
    }
    if (rule) annotations.rule = `rule ${rule.id} by ${rule.createdBy}`;
    const fingerprint = rule
      ? ruleFingerprint(rule.id, seriesKey(id))
      : createHash("sha256")
          .update(`forecast\u0000${environment}\u0000${seriesKey(id)}`)
          .digest("hex")
          .slice(0, 16);
    return {
      fingerprint,
      status,
      labels,
      annotations,
      startsAt: since,
      source: rule ? "rule" : "forecast",
      ...(rule ? { ruleId: rule.id } : {}),
      ...(f && Number.isFinite(f.usedBytes) ? { value: usageLine(f) } : {}),
    };
  }

  /**
   * The chart under a predictive alert: the series' history, the forecast with its interval, and the
   * full line, drawn from live data by the same forecast the evaluation makes. Undefined for alerts
   * that are not predictive (their chart is the engine's).
   */
  async forecastChart(alert: Alert, draw: DrawChart, signal?: AbortSignal): Promise<ReplyChart | undefined> {
    const kind = kindOfAlertname(alert.labels.alertname ?? "");
    const instance = alert.labels.instance;
    if (!kind || !instance) return undefined;
    const environment = alert.labels.environment ?? this.deps.environments.defaultName;
    const client = this.deps.environments.get(environment);
    if (!client) return undefined;
    let withinMs = this.withinOf(kind);
    if (alert.ruleId) {
      const rule = (await this.deps.rules.all()).find((r) => r.id === alert.ruleId);
      if (rule?.withinMs) withinMs = rule.withinMs;
    }
    if (withinMs <= 0) withinMs = 86_400_000;
    const matchers: LabelMatcher[] = [{ label: "instance", op: "=", value: instance }];
    if (kind === "disk" && alert.labels.mountpoint)
      matchers.push({ label: "mountpoint", op: "=", value: alert.labels.mountpoint });
    const fetched = await fetchCapacitySeries(client, {
      kind,
      matchers,
      now: this.now() / 1000,
      timeoutMs: this.deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(this.deps.lookbackSeconds ? { lookbackSeconds: this.deps.lookbackSeconds } : {}),
      ...(signal ? { signal } : {}),
    });
    const series = fetched.series[0];
    if (!series) return undefined;
    const f = forecastCapacity(series, { horizonSeconds: (CLEAR_MARGIN * withinMs) / 1000 });
    if (f.points.length === 0) return undefined;
    return draw(forecastChartSpec(f, environment), signal);
  }
}

/** The chart of a forecast: recent history, forecast and interval bounds, and the full line. */
export function forecastChartSpec(f: CapacityForecast, environment: string): LineChartSpec {
  const last = f.usedAt;
  // As much history as the forecast reaches ahead, twice (at least a day), so the trend is visible.
  const from = last - Math.max(86_400, 2 * f.horizonSeconds);
  const ms = (t: number) => t * 1000;
  const what = subject(seriesIdOf(f));
  const pct = Math.round(FULL_AT[f.kind] * 100);
  return {
    title: `${capitalise(what)} (${environment}) — forecast ${formatDuration(f.horizonSeconds)} ahead`,
    subject: `${f.kind === "disk" ? "Used bytes of" : "Memory used on"} ${what}`,
    unit: "bytes",
    series: [{ name: "used", points: f.history.filter(([t]) => t >= from).map(([t, v]) => [ms(t), v]) }],
    forecast: {
      points: f.points.map((p): [number, number, number, number] => [ms(p.t), p.forecast, p.lower, p.upper]),
      label: `forecast (${modelName(f.model)})`,
      intervalLabel: `${Math.round(f.level * 100)}% interval`,
    },
    threshold: {
      value: f.fullAtBytes,
      label: `${f.kind === "disk" ? "full" : `${pct}% of memory`} (${formatValue(f.fullAtBytes, "bytes")})`,
    },
  };
}

function kindOfAlertname(name: string): CapacityKind | undefined {
  for (const kind of ["disk", "memory"] as const)
    if (name === PREDICTIVE_ALERTNAMES[kind] || name === `${PREDICTIVE_ALERTNAMES[kind]}${RULE_SUFFIX}`)
      return kind;
  return undefined;
}

/** One series as a watch sees it: its forecast, or none when the screen said it cannot fill. */
interface Judged {
  id: SeriesId;
  forecast?: CapacityForecast;
}

/** Whether a series is of `host` (a host name, with or without the port, as rules name hosts). */
function onHost(s: Pick<CapacitySeries, "instance" | "host">, host: string): boolean {
  return s.instance === host || s.host === host || s.instance.replace(/:\d+$/, "") === host;
}

function seriesIdOf(f: Pick<CapacitySeries, "kind" | "instance" | "mountpoint" | "device">): SeriesId {
  return {
    kind: f.kind,
    instance: f.instance,
    ...(f.kind === "disk" ? { mountpoint: f.mountpoint ?? "", device: f.device ?? "" } : {}),
  };
}

/** How many times its fastest past rise a series' headroom must be for the screen to skip it. */
export const SCREEN_FACTOR = 3;

/**
 * The quick screen before a forecast: a series whose headroom to its full line is more than
 * {@link SCREEN_FACTOR} times the largest rise it ever made within `horizonSeconds` (scaled up when
 * the history is shorter) cannot be expected full within that time by any of the forecaster's models,
 * which extrapolate the history's own changes. Most of a fleet is screened out, so an evaluation
 * costs a forecast only for the few series near their limit (a forecast takes ~0.1 s).
 */
export function cannotFillWithin(s: CapacitySeries, horizonSeconds: number): boolean {
  const { used, size, step } = s;
  let last = -1;
  let first = -1;
  for (let i = 0; i < used.length; i++)
    if (Number.isFinite(used[i] as number)) {
      if (first < 0) first = i;
      last = i;
    }
  let capacity = Number.NaN;
  for (let i = size.length - 1; i >= 0; i--)
    if (Number.isFinite(size[i] as number) && (size[i] as number) > 0) {
      capacity = size[i] as number;
      break;
    }
  if (last < 0 || !Number.isFinite(capacity)) return false;
  const headroom = capacity * FULL_AT[s.kind] - (used[last] as number);
  if (!(headroom > 0)) return false;
  const w = Math.max(1, Math.round(horizonSeconds / step));
  // Largest rise within w steps: each value against the smallest of the w before it (a monotonic deque).
  let maxRise = 0;
  const deque: number[] = [];
  for (let i = first; i <= last; i++) {
    const v = used[i] as number;
    if (!Number.isFinite(v)) continue;
    while (deque.length > 0 && (deque[0] as number) < i - w) deque.shift();
    if (deque.length > 0) maxRise = Math.max(maxRise, v - (used[deque[0] as number] as number));
    while (deque.length > 0 && (used[deque[deque.length - 1] as number] as number) >= v) deque.pop();
    deque.push(i);
  }
  const spanSteps = last - first;
  if (spanSteps < w) maxRise *= w / Math.max(1, spanSteps);
  return headroom > SCREEN_FACTOR * maxRise;
}

/** The state hash's field for a series: kind, instance and mount point (a device moves, a mount stays). */
function seriesKey(id: SeriesId): string {
  return id.kind === "disk"
    ? `disk\u0000${id.instance}\u0000${id.mountpoint ?? ""}`
    : `memory\u0000${id.instance}`;
}

/** "/data on db-1:9100", "memory on db-1:9100". */
function subject(id: SeriesId): string {
  return id.kind === "disk"
    ? `disk ${id.mountpoint || "(no mount point)"} on ${id.instance}`
    : `memory on ${id.instance}`;
}

const fullWord = (kind: CapacityKind) => (kind === "disk" ? "full" : "exhausted");
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Tue 1 Dec 14:00 UTC" of an epoch-seconds time. */
export function dayTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.toISOString().slice(11, 16)} UTC`;
}

const sameDay = (a: number, b: number) =>
  new Date(a * 1000).toISOString().slice(0, 10) === new Date(b * 1000).toISOString().slice(0, 10);

/** A share in %, to two significant digits below 1% (a good backtest is far below it). */
const percent = (p: number) => (p >= 1 ? p.toFixed(1) : p >= 0.001 ? p.toPrecision(2) : "<0.001");

/** What the models are, in words (a model not named here is shown by its own name). */
const MODEL_WORDS: Record<string, string> = {
  "seasonal-naive": "seasonal naive: the same time a day or a week before",
  "robust-trend": "robust linear trend",
  harmonic: "trend with daily and weekly cycles",
  "last-value": "the last value held",
  "exponential-smoothing": "exponential smoothing",
  combination: "combination of seasonal naive, cycles and smoothing",
};

export function modelName(model: ModelName | null): string {
  return model === null ? "no model" : (MODEL_WORDS[model] ?? model);
}

/** The headline: when, with the interval, or that it is full now. */
export function fillSummary(f: CapacityForecast, what: string): string {
  if (f.status === "already_full")
    return `${capitalise(what)} is ${fullWord(f.kind)} now: ${formatValue(f.usedBytes, "bytes")} used of ${formatValue(f.capacityBytes, "bytes")}`;
  const { expected, earliest, latest } = f.fill;
  if (expected === null) return `${capitalise(what)}: no ${fullWord(f.kind)} time forecast`;
  const inText = formatDuration(Math.max(0, expected - f.usedAt));
  const lo = earliest ?? expected;
  const between =
    latest !== null
      ? `between ${dayTime(lo).replace(/ UTC$/, "")} and ${
          sameDay(lo, latest) ? dayTime(latest).slice(-9) : dayTime(latest)
        }`
      : `from ${dayTime(lo)}, the latest beyond the forecast's ${formatDuration(f.horizonSeconds)}`;
  return `${capitalise(what)} expected ${fullWord(f.kind)} around ${dayTime(expected)}, in ${inText} (${Math.round(f.level * 100)}% interval ${between})`;
}

/** How it was forecast: model, history, backtest error, the window, and what may change it. */
export function forecastDescription(f: CapacityForecast, window: string): string {
  const parts = [`Forecast: ${modelName(f.model)}, from ${formatDuration(f.historySeconds)} of history`];
  if (f.backtestMaeBytes !== null && f.backtestMaePercent !== null)
    parts.push(
      `backtest error ±${formatValue(f.backtestMaeBytes, "bytes")} (${percent(f.backtestMaePercent)}% of ${formatValue(f.capacityBytes, "bytes")})`,
    );
  parts.push(`alerts when expected ${fullWord(f.kind)} within ${window}`);
  let text = `${parts.join("; ")}.`;
  if (f.reliesOnCleanup && f.cleanups?.nextExpectedAt)
    text += ` Clean-ups came every ${formatDuration(f.cleanups.everySeconds ?? 0)}; the next, due ${dayTime(f.cleanups.nextExpectedAt)}, would come first.`;
  if (f.resized)
    text += ` Resized from ${formatValue(f.resized.fromBytes, "bytes")} to ${formatValue(f.resized.toBytes, "bytes")} on ${dayTime(f.resized.at)}.`;
  return text;
}

/** "82.0 GiB used of 100 GiB (82%), +25.0 GiB a day". */
export function usageLine(f: CapacityForecast): string {
  const pct =
    Number.isFinite(f.capacityBytes) && f.capacityBytes > 0
      ? (100 * f.usedBytes) / f.capacityBytes
      : Number.NaN;
  const growth =
    f.growthBytesPerDay !== null && Number.isFinite(f.growthBytesPerDay)
      ? `, ${f.growthBytesPerDay >= 0 ? "+" : "−"}${formatValue(Math.abs(f.growthBytesPerDay), "bytes")} a day`
      : "";
  return `${formatValue(f.usedBytes, "bytes")} used of ${formatValue(f.capacityBytes, "bytes")}${
    Number.isFinite(pct) ? ` (${pct.toFixed(0)}%)` : ""
  }${growth}`;
}
