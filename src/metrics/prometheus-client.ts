/**
 * A small client for Prometheus's HTTP API (and anything that speaks it: Thanos, Mimir,
 * VictoriaMetrics). Every answer is validated before use, every call is bounded in time, and
 * connection errors and 5xx are retried with backoff — never 4xx, which would only fail again.
 */
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { z } from "zod";
import type { BotMetrics } from "../observability/bot-metrics.js";
import { hasCredentials, withoutCredentials } from "../observability/redact-url.js";
import { PrometheusError } from "./prometheus-error.js";

/** One sample vector element: labels and a value at a time (seconds). */
export interface InstantSample {
  labels: Record<string, string>;
  value: number;
  timestamp: number;
}

/** One range series: labels and its points [seconds, value]. */
export interface RangeSeries {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

export interface ScrapeTarget {
  job: string;
  instance: string;
  health: "up" | "down" | "unknown";
  lastError: string;
  scrapeUrl: string;
  lastScrape: string;
}

/**
 * How to authenticate to Prometheus (or the proxy in front of it): sent as the Authorization header
 * of every call, never put in the URL, which is shown in answers and errors.
 */
export type PrometheusAuth =
  | { kind: "bearer"; token: string }
  | { kind: "basic"; user: string; password: string };

export interface PrometheusClientOptions {
  environment: string;
  /** Without credentials: a `user:pass@` URL is refused (see `auth`). */
  baseUrl: string;
  auth?: PrometheusAuth;
  timeoutMs: number;
  retries: number;
  /** Identical queries within this many ms share one answer; 0 disables caching. */
  cacheTtlMs: number;
  metrics?: BotMetrics;
  /** Largest response body accepted, in bytes; bigger ones fail as bad_response. */
  maxResponseBytes?: number;
}

export interface CallOptions {
  /** The caller's overall deadline; aborting it cancels the call and its retries. */
  signal?: AbortSignal;
  /** Per-attempt timeout instead of the client's (background jobs reading long ranges). */
  timeoutMs?: number;
  /** Skip the answer cache (large one-off reads that would only fill it). */
  noCache?: boolean;
}

const sampleValue = z.tuple([z.number(), z.string()]);
const labelSet = z.record(z.string(), z.string());
const vectorResult = z.array(z.object({ metric: labelSet, value: sampleValue }));
const matrixResult = z.array(z.object({ metric: labelSet, values: z.array(sampleValue) }));
const queryData = z.discriminatedUnion("resultType", [
  z.object({ resultType: z.literal("vector"), result: vectorResult }),
  z.object({ resultType: z.literal("matrix"), result: matrixResult }),
  z.object({ resultType: z.literal("scalar"), result: sampleValue }),
  z.object({ resultType: z.literal("string"), result: sampleValue }),
]);
const envelope = z.object({
  status: z.enum(["success", "error"]),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
});
const targetsData = z.object({
  activeTargets: z.array(
    z.object({
      labels: labelSet,
      scrapeUrl: z.string().default(""),
      lastError: z.string().default(""),
      lastScrape: z.string().default(""),
      health: z.string(),
    }),
  ),
});

/** Parses Prometheus's sample strings, including "NaN", "+Inf" and "-Inf". */
export function parseSampleValue(s: string): number {
  if (s === "+Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(s);
}

/**
 * A range matrix checked and converted in one pass. The schema validator copied every point of a
 * large answer (a day of a thousand hosts is 288,000 points) before the conversion copied them again.
 */
function parseMatrix(data: unknown): RangeSeries[] | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const { resultType, result } = data as { resultType?: unknown; result?: unknown };
  if (resultType !== "matrix" || !Array.isArray(result)) return undefined;
  const out: RangeSeries[] = [];
  for (const r of result as unknown[]) {
    if (typeof r !== "object" || r === null) return undefined;
    const { metric, values } = r as { metric?: unknown; values?: unknown };
    if (typeof metric !== "object" || metric === null || Array.isArray(metric) || !Array.isArray(values)) {
      return undefined;
    }
    if (!Object.values(metric).every((v) => typeof v === "string")) return undefined;
    const points: Array<[number, number]> = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const p: unknown = values[i];
      if (!Array.isArray(p) || p.length !== 2) return undefined;
      const [t, v] = p as [unknown, unknown];
      if (typeof t !== "number" || typeof v !== "string") return undefined;
      points[i] = [t, parseSampleValue(v)];
    }
    out.push({ labels: metric as Record<string, string>, points });
  }
  return out;
}

interface CacheEntry {
  expires: number;
  value: Promise<unknown>;
}

const MAX_CACHE_ENTRIES = 2000;

export class PrometheusClient {
  readonly environment: string;
  readonly baseUrl: string;
  private readonly opts: PrometheusClientOptions;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly retryPolicy;
  /** The Authorization header, built once. */
  private readonly authorization: string | undefined;

  constructor(opts: PrometheusClientOptions) {
    // fetch refuses such a URL on every call, and the URL is shown in answers and errors.
    if (hasCredentials(opts.baseUrl)) {
      throw new Error(
        `Prometheus URL of "${opts.environment}" contains credentials (${withoutCredentials(opts.baseUrl)}); pass them as auth`,
      );
    }
    this.opts = opts;
    this.environment = opts.environment;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.authorization = authorizationHeader(opts.auth);
    this.retryPolicy = retry(
      handleWhen(
        (e) => e instanceof PrometheusError && (e.code === "unreachable" || e.code === "server_error"),
      ),
      { maxAttempts: opts.retries, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 400 }) },
    );
  }

  /** Instant query at `time` (seconds; default now). Scalars come back as one unlabelled sample. */
  async instant(query: string, options: CallOptions & { time?: number } = {}): Promise<InstantSample[]> {
    const params: Record<string, string> = { query };
    if (options.time !== undefined) params.time = String(options.time);
    const data = queryData.safeParse(await this.call("query", "/api/v1/query", params, options));
    if (!data.success) throw this.badResponse("a query result of unexpected shape");
    const d = data.data;
    switch (d.resultType) {
      case "vector":
        return d.result.map((r) => ({
          labels: r.metric,
          value: parseSampleValue(r.value[1]),
          timestamp: r.value[0],
        }));
      case "scalar":
        return [{ labels: {}, value: parseSampleValue(d.result[1]), timestamp: d.result[0] }];
      default:
        throw this.badResponse(`a ${d.resultType} where an instant vector was expected`);
    }
  }

  /** Range query; `start`/`end` in seconds, `step` in seconds. */
  async range(
    query: string,
    range: { start: number; end: number; step: number },
    options: CallOptions = {},
  ): Promise<RangeSeries[]> {
    const params = { query, start: String(range.start), end: String(range.end), step: String(range.step) };
    const data = await this.call("query_range", "/api/v1/query_range", params, options);
    const type = (data as { resultType?: unknown } | null)?.resultType;
    if (typeof type === "string" && type !== "matrix" && queryData.safeParse(data).success) {
      throw this.badResponse(`a ${type} where a range matrix was expected`);
    }
    const series = parseMatrix(data);
    if (!series) throw this.badResponse("a range result of unexpected shape");
    return series;
  }

  /** Values of one label, optionally restricted by series selectors. */
  async labelValues(label: string, match: string[] = [], options: CallOptions = {}): Promise<string[]> {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) throw new Error(`invalid label name: ${label}`);
    const params: Record<string, string | string[]> = {};
    if (match.length > 0) params["match[]"] = match;
    const data = z
      .array(z.string())
      .safeParse(await this.call("label_values", `/api/v1/label/${label}/values`, params, options));
    if (!data.success) throw this.badResponse("label values of unexpected shape");
    return data.data;
  }

  /** Series matching selectors, as label sets. */
  async series(
    match: string[],
    range: { start?: number; end?: number } = {},
    options: CallOptions = {},
  ): Promise<Record<string, string>[]> {
    const params: Record<string, string | string[]> = { "match[]": match };
    if (range.start !== undefined) params.start = String(range.start);
    if (range.end !== undefined) params.end = String(range.end);
    const data = z.array(labelSet).safeParse(await this.call("series", "/api/v1/series", params, options));
    if (!data.success) throw this.badResponse("series of unexpected shape");
    return data.data;
  }

  /** Active scrape targets. Thanos and Mimir may not serve this; callers treat bad_query as "unknown". */
  async targets(options: CallOptions = {}): Promise<ScrapeTarget[]> {
    const data = targetsData.safeParse(
      await this.call("targets", "/api/v1/targets", { state: "active" }, options),
    );
    if (!data.success) throw this.badResponse("targets of unexpected shape");
    return data.data.activeTargets.map((t) => ({
      job: t.labels.job ?? "",
      instance: t.labels.instance ?? "",
      health: t.health === "up" || t.health === "down" ? t.health : "unknown",
      lastError: t.lastError,
      scrapeUrl: t.scrapeUrl,
      lastScrape: t.lastScrape,
    }));
  }

  /** True when Prometheus answers its readiness endpoint (or, for servers without one, a trivial query). */
  async ready(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.instant("1", signal ? { signal } : {});
      return true;
    } catch {
      return false;
    }
  }

  /** Runs one API call through the cache, the retry policy and the metrics. */
  private call(
    kind: string,
    path: string,
    params: Record<string, string | string[]>,
    options: CallOptions,
  ): Promise<unknown> {
    const { signal } = options;
    const key = `${path}?${JSON.stringify(params)}`;
    const ttl = options.noCache ? 0 : this.opts.cacheTtlMs;
    if (ttl > 0) {
      const hit = this.cache.get(key);
      if (hit && hit.expires > Date.now()) {
        this.opts.metrics?.promCacheHits.inc({ environment: this.environment });
        return hit.value;
      }
    }
    const started = performance.now();
    const run = this.retryPolicy.execute(() => this.fetchOnce(path, params, signal, options.timeoutMs));
    const observed = run.then(
      (v) => {
        this.observe(kind, "ok", started);
        return v;
      },
      (e: unknown) => {
        this.observe(kind, e instanceof PrometheusError ? e.code : "error", started);
        if (ttl > 0) this.cache.delete(key);
        throw e;
      },
    );
    if (ttl > 0) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.evictExpired();
      this.cache.set(key, { expires: Date.now() + ttl, value: observed });
    }
    return observed;
  }

  private evictExpired(): void {
    const now = Date.now();
    for (const [k, v] of this.cache) if (v.expires <= now) this.cache.delete(k);
    // Still full of live entries: drop the oldest half rather than grow without bound.
    if (this.cache.size >= MAX_CACHE_ENTRIES) {
      let n = this.cache.size / 2;
      for (const k of this.cache.keys()) {
        if (n-- <= 0) break;
        this.cache.delete(k);
      }
    }
  }

  private observe(kind: string, outcome: string, started: number): void {
    this.opts.metrics?.promQuerySeconds.observe(
      { environment: this.environment, kind, outcome },
      (performance.now() - started) / 1000,
    );
  }

  private async fetchOnce(
    path: string,
    params: Record<string, string | string[]>,
    signal: AbortSignal | undefined,
    timeoutMs = this.opts.timeoutMs,
  ): Promise<unknown> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    // GET for the label/targets endpoints (some proxies allow only GET there); POST for queries so
    // long PromQL never hits URL length limits.
    const isQuery = path === "/api/v1/query" || path === "/api/v1/query_range" || path === "/api/v1/series";
    const url = isQuery ? `${this.baseUrl}${path}` : `${this.baseUrl}${path}${body.size ? `?${body}` : ""}`;
    let res: Response;
    try {
      const headers: Record<string, string> = isQuery
        ? { "content-type": "application/x-www-form-urlencoded" }
        : {};
      if (this.authorization) headers.authorization = this.authorization;
      res = await fetch(url, {
        method: isQuery ? "POST" : "GET",
        headers,
        body: isQuery ? body.toString() : undefined,
        signal: combined,
      });
    } catch (e) {
      throw this.transportError(e, timeout, signal);
    }
    let text: string;
    try {
      text = await readBounded(res, this.opts.maxResponseBytes ?? 50 * 1024 * 1024);
    } catch (e) {
      if (e instanceof PrometheusError) throw e;
      if (e instanceof TooLargeError) {
        throw this.badResponse(`an answer larger than ${Math.round(e.limit / 1048576)} MB`);
      }
      throw this.transportError(e, timeout, signal);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (res.status >= 500) throw this.serverError(res.status, text);
      throw this.badResponse(`non-JSON (HTTP ${res.status}: ${snippet(text)})`);
    }
    const env = envelope.safeParse(json);
    if (!env.success) {
      if (res.status >= 500) throw this.serverError(res.status, text);
      throw this.badResponse(`JSON that is not a Prometheus API answer (HTTP ${res.status})`);
    }
    if (env.data.status === "error" || res.status >= 400) {
      const detail = env.data.error ?? `HTTP ${res.status}`;
      if (res.status >= 500) throw this.serverError(res.status, detail);
      throw new PrometheusError(
        "bad_query",
        `Prometheus at ${this.baseUrl} rejected the query: ${detail}`,
        this.environment,
        this.baseUrl,
        res.status,
      );
    }
    return env.data.data;
  }

  private transportError(e: unknown, timeout: AbortSignal, caller: AbortSignal | undefined): PrometheusError {
    if (timeout.aborted || caller?.aborted) {
      const secs = timeout.aborted ? this.opts.timeoutMs / 1000 : undefined;
      const msg =
        secs !== undefined
          ? `Prometheus at ${this.baseUrl} did not answer within ${formatSeconds(secs)}`
          : `Prometheus at ${this.baseUrl} did not answer before the answer deadline`;
      return new PrometheusError("timeout", msg, this.environment, this.baseUrl);
    }
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
    const code = (cause as { code?: unknown }).code;
    const reason =
      code === "ECONNREFUSED"
        ? "refused the connection (is it running?)"
        : code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? "could not be resolved (check PROMETHEUS_URL)"
          : `could not be reached (${typeof code === "string" ? code : cause instanceof Error ? cause.message : "network error"})`;
    return new PrometheusError(
      "unreachable",
      `Prometheus at ${this.baseUrl} ${reason}`,
      this.environment,
      this.baseUrl,
    );
  }

  private serverError(status: number, detail: string): PrometheusError {
    return new PrometheusError(
      "server_error",
      `Prometheus at ${this.baseUrl} failed with HTTP ${status}: ${snippet(detail)}`,
      this.environment,
      this.baseUrl,
      status,
    );
  }

  private badResponse(what: string): PrometheusError {
    return new PrometheusError(
      "bad_response",
      `Prometheus at ${this.baseUrl} answered with ${what}`,
      this.environment,
      this.baseUrl,
    );
  }
}

class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super("response too large");
  }
}

/** Reads a body but stops at `limit` bytes, so a runaway answer cannot exhaust memory. */
async function readBounded(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await res.body?.cancel();
    throw new TooLargeError(limit);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new TooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

function authorizationHeader(auth: PrometheusAuth | undefined): string | undefined {
  if (!auth) return undefined;
  if (auth.kind === "bearer") return `Bearer ${auth.token}`;
  return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, "utf8").toString("base64")}`;
}

/** One line of a body for an error message; a proxy's error page may quote a URL with credentials. */
function snippet(text: string): string {
  const oneLine = withoutCredentials(text.replace(/\s+/g, " ").trim());
  return oneLine.length > 160 ? `${oneLine.slice(0, 160)}…` : oneLine || "(empty body)";
}

function formatSeconds(s: number): string {
  return Number.isInteger(s) ? `${s} s` : `${s.toFixed(1)} s`;
}
