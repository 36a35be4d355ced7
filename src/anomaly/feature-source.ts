/**
 * Where the anomaly engine reads its 18 features from: the recorded series of
 * prometheus/rules/cloudops-features.yml when the environment has them (a plain read), else raw
 * queries that evaluate rate() over the raw counters (a week of a 1,000-host fleet is ~100 s of
 * Prometheus time that way). Checked per environment on the first fetch and again every hour; each
 * environment logs one line saying which it uses, and again only when that changes.
 *
 * The check reads the data, not the rule API: an instant query asks which of the 18 recorded names
 * have series, then a coarse range query dates the first recorded point, so the part of a window
 * before the rules were added is read raw. A feature without recorded series (its expression yields
 * nothing on this fleet, e.g. swap where no host has any, or a rule file older than the code) is read
 * with its raw query, so it is never lost to the rules. Rules may be evaluated by something other than the server the bot queries
 * (Thanos Ruler, Mimir's ruler, vmalert writing to VictoriaMetrics), whose query endpoint may not
 * serve /api/v1/rules or may list rules whose series have no history yet; every PromQL server answers
 * these two queries, and they ask for exactly what the fetch will read.
 */
import type { PrometheusClient } from "../metrics/prometheus-client.js";
import { type FeatureWindow, fetchFeatures } from "./feature-fetch.js";
import {
  FEATURE_RULE_INTERVAL_SECONDS,
  RECORDED_RATE_WINDOW_SECONDS,
  recordName,
} from "./feature-records.js";
import { FEATURES } from "./features.js";

/** What the log needs: pino's `info(object, message)`. */
export interface FeatureSourceLogger {
  info(fields: Record<string, unknown>, message: string): void;
}

export interface FeatureSourceOptions {
  logger?: FeatureSourceLogger;
  /** How long a check holds, ms; default one hour. */
  recheckMs?: number;
  /** Clock in epoch ms (the checks' schedule, not the data's time). */
  now?: () => number;
}

interface Detection {
  /** First time (seconds) the recorded series are known to hold data; undefined: not recorded. */
  since: number | undefined;
  /** Names of the features that have recorded series. */
  features: ReadonlySet<string>;
  /** Earliest time the dating looked at: a `since` equal to it may go further back. */
  horizon: number;
  checkedAt: number;
}

/** Steps of the coarse look that dates the recorded series. */
const COARSE_POINTS = 1000;
/** The dating looks back at least this far, so a scan's check also serves the next training. */
const MIN_HORIZON_SECONDS = 8 * 86400;

export const RECORDED_MODE_MESSAGE = "features: recording rules";
export const RAW_MODE_MESSAGE = "features: raw queries (recording rules not found)";

export class FeatureSources {
  private readonly detections = new Map<string, Detection>();
  private readonly pending = new Map<string, Promise<{ detection: Detection; queries: number }>>();
  private readonly recheckMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: FeatureSourceOptions = {}) {
    this.recheckMs = opts.recheckMs ?? 3_600_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Reads the 18 features over `range` like fetchFeatures, from the recorded series where the
   * environment has them (for the rate window they were recorded with, at steps no finer than their
   * evaluation), from raw queries elsewhere. The detection's queries count in `queries`.
   */
  async fetch(
    client: PrometheusClient,
    range: { start: number; end: number; step: number },
    options: { rateWindowSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<FeatureWindow> {
    const rateWindow = options.rateWindowSeconds ?? Math.max(300, 2 * range.step);
    let recorded: { since: number | undefined; features: ReadonlySet<string> } | undefined;
    let queries = 0;
    if (rateWindow === RECORDED_RATE_WINDOW_SECONDS && range.step >= FEATURE_RULE_INTERVAL_SECONDS) {
      const r = await this.recordedSince(client, range, options.signal);
      recorded = r;
      queries = r.queries;
    }
    const window = await fetchFeatures(client, range, {
      rateWindowSeconds: rateWindow,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(recorded?.since !== undefined
        ? { recordedFrom: recorded.since, recordedFeatures: recorded.features }
        : {}),
    });
    window.queries += queries;
    return window;
  }

  /**
   * From when (seconds) the environment's recorded features can be read, for a window ending at
   * `range.end` (undefined when none has recorded series), and which features have them. A failed
   * check reads raw this time and checks again at the next fetch.
   */
  async recordedSince(
    client: PrometheusClient,
    range: { start: number; end: number },
    signal?: AbortSignal,
  ): Promise<{ since: number | undefined; features: ReadonlySet<string>; queries: number }> {
    const key = `${client.environment}\n${client.baseUrl}`;
    const known = this.detections.get(key);
    const fresh = known !== undefined && this.now() - known.checkedAt < this.recheckMs;
    // The recorded series reach the horizon of the last look: they may go back further than it.
    const deeper = known?.since !== undefined && known.since <= known.horizon && range.start < known.horizon;
    if (fresh && !deeper) return { since: known.since, features: known.features, queries: 0 };
    let check = this.pending.get(key);
    if (!check) {
      check = this.detect(client, range, deeper ? undefined : known, signal)
        .then((r) => {
          this.remember(key, client.environment, known, r.detection);
          return r;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, check);
    }
    try {
      const { detection, queries } = await check;
      return { since: detection.since, features: detection.features, queries };
    } catch (e) {
      if (signal?.aborted) throw e;
      // Unknown this time: raw queries, and the next fetch checks again.
      return { since: undefined, features: new Set(), queries: 1 };
    }
  }

  /** Keeps a check; logs the mode on the first check of an environment and whenever it changes. */
  private remember(key: string, environment: string, known: Detection | undefined, detection: Detection) {
    const changed =
      known === undefined ||
      (known.since === undefined) !== (detection.since === undefined) ||
      known.features.size !== detection.features.size;
    if (changed) {
      const raw = FEATURES.map((f) => f.name).filter((n) => !detection.features.has(n));
      this.opts.logger?.info(
        {
          environment,
          ...(detection.since !== undefined
            ? {
                recordedSince: new Date(detection.since * 1000).toISOString(),
                recorded: detection.features.size,
                ...(raw.length > 0 ? { rawQueries: raw } : {}),
              }
            : {}),
        },
        detection.since !== undefined ? RECORDED_MODE_MESSAGE : RAW_MODE_MESSAGE,
      );
    }
    this.detections.set(key, detection);
  }

  private async detect(
    client: PrometheusClient,
    range: { start: number; end: number },
    /** An earlier check whose start holds while the series are still there. */
    known: Detection | undefined,
    signal?: AbortSignal,
  ): Promise<{ detection: Detection; queries: number }> {
    const names = FEATURES.map(recordName);
    const present = await client.instant(`count by (__name__) ({__name__=~"${names.join("|")}"})`, {
      time: range.end,
      noCache: true,
      ...(signal ? { signal } : {}),
    });
    const answered = new Set(present.filter((s) => s.value > 0).map((s) => s.labels.__name__));
    const features = new Set(FEATURES.filter((f) => answered.has(recordName(f))).map((f) => f.name));
    const first = names.find((n) => answered.has(n));
    let since: number | undefined;
    let horizon = range.end;
    let queries = 1;
    if (first !== undefined && known?.since !== undefined) {
      return { detection: { ...known, features, checkedAt: this.now() }, queries };
    }
    if (first !== undefined) {
      queries++;
      const span = Math.max(MIN_HORIZON_SECONDS, range.end - range.start);
      const step = Math.max(60, Math.ceil(span / COARSE_POINTS));
      horizon = range.end - Math.ceil(span / step) * step;
      const series = await client.range(
        `count(${first})`,
        { start: horizon, end: range.end, step },
        { noCache: true, timeoutMs: 60_000, ...(signal ? { signal } : {}) },
      );
      // The first grid point that sees a recorded sample: every later point does too (the group is
      // evaluated every minute, well inside the lookback), so from there the recorded series are read.
      for (const s of series) for (const [t] of s.points.slice(0, 1)) since = Math.min(since ?? t, t);
      // Present now but not on the coarse grid (the rules started within its last step): from now.
      since ??= range.end;
    }
    return {
      detection: {
        since,
        features: since === undefined ? new Set() : features,
        horizon,
        checkedAt: this.now(),
      },
      queries,
    };
  }
}
