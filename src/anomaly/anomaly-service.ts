/**
 * Train and scan one environment: the work behind the `anomaly-train` and `anomaly-scan` jobs, kept
 * free of queue concerns so it can run from a job, a test or the CLI alike.
 */

import { availableParallelism } from "node:os";
import type { PrometheusClient } from "../metrics/prometheus-client.js";
import { type AlarmBudget, DEFAULT_FALSE_ALARMS_PER_DAY } from "./alarm-budget.js";
import type { AnomalyStore, Finding, LearningStatus } from "./anomaly-store.js";
import type { FeatureWindow } from "./feature-fetch.js";
import { type FeatureSourceLogger, FeatureSources } from "./feature-source.js";
import { longestHistorySeconds, measureHistorySeconds, trainingStepFor } from "./history.js";
import {
  type HostModel,
  type HostScore,
  type HostSeries,
  MIN_HOST_ROWS,
  type ScoringModel,
  scoreLatest,
  toScoringModel,
  trainPooledModels,
} from "./host-detector.js";
import { shardClient, shardOf } from "./shards.js";
import { TrainPool } from "./train-pool.js";

export interface AnomalyServiceOptions {
  /** Training history, seconds; default 7 days. */
  trainWindowSeconds?: number;
  /** Training resolution, seconds; default 5 minutes. */
  trainStepSeconds?: number;
  /**
   * How far back a scan reads, seconds; default 65 minutes: the newest point and the hour before it,
   * which the detector's temporal part compares it with.
   */
  scanWindowSeconds?: number;
  /** Scan resolution, seconds; default 60. */
  scanStepSeconds?: number;
  /** Clock in epoch ms. */
  now?: () => number;
  /** Threads that train host models; default the machine's cores (1 trains on this thread). */
  trainThreads?: number;
  /** History needed before a first model is trained, seconds; default 1 hour. */
  minHistorySeconds?: number;
  /** Findings expected per healthy host per day; default DEFAULT_FALSE_ALARMS_PER_DAY. */
  falseAlarmsPerDay?: number;
  /** How often each host is scored, ms (the scan schedule); default one minute. */
  scanEveryMs?: number;
  /**
   * Decoded models kept between scans, per environment; default {@link MODEL_CACHE_HOSTS}. Shards go
   * to whichever worker is free, so without a bound each worker would end up holding the models of
   * the whole fleet (~50 KB each decoded; 10,000 hosts grew two workers to ~650 MB each in the shards
   * bench); past the bound the least recently used are dropped and decoded again when needed.
   */
  modelCacheHosts?: number;
  /** Told once per environment whether the features come from recording rules or raw queries. */
  logger?: FeatureSourceLogger;
}

export interface TrainResult {
  /** Set when there was too little history to train: nothing was trained. */
  learning?: LearningStatus;
  /** Seconds of history the models were trained on. */
  historySeconds: number;
  hosts: number;
  pooled: number;
  queries: number;
  seconds: number;
}

export interface ScanResult {
  scores: HostScore[];
  /** Anomaly episodes this scan opened (new findings). */
  findings: Finding[];
  /** Episodes this scan ended: the host scores normal again or is gone. */
  ended: Finding[];
  /** Hosts seen by the scan that have no model yet (trained at the next training run). */
  untrained: string[];
  queries: number;
}

/**
 * What a training run reads, decided once per run so every shard of it reads the same span: with
 * `learning` set there is too little history and nothing is read.
 */
export interface TrainingPlan {
  learning?: LearningStatus;
  historySeconds: number;
  /** Range and step of the feature window. */
  range: { start: number; end: number; step: number };
  /** Queries made to measure the history. */
  queries: number;
}

/** One shard of a fleet: its index, the number of shards, and its hosts. */
export interface ShardSpec {
  index: number;
  count: number;
  instances: string[];
}

/** Decoded models a service keeps per environment by default: a fleet up to this size stays cached whole. */
export const MODEL_CACHE_HOSTS = 4000;

/** Hosts whose models are loaded and scored together. */
const MODEL_BATCH = 50;
/** Hosts whose models are trained on one thread and saved together. */
const TRAIN_BATCH = 10;
/**
 * Hosts whose data trains the pooled model: all of a large fleet's history would be hundreds of
 * megabytes for a model that samples 256 rows per tree.
 */
const POOL_SAMPLE_HOSTS = 64;

/**
 * A host whose newest point is older than this is not scored (the scan reads an hour for the
 * temporal part; the freshness rule stays the 15 minutes it was when that was the whole window).
 */
const STALE_POINT_SECONDS = 900;

/** Feature rates use the same 5-minute window in training and scans, so values are comparable. */
const RATE_WINDOW = 300;

export class AnomalyService {
  private readonly opts: Required<Omit<AnomalyServiceOptions, "now" | "logger">> & { now: () => number };
  /** Recorded series where the environment has them, raw queries elsewhere. */
  private readonly features: FeatureSources;
  /** Decoded models per environment, kept between scans until retrained. */
  private readonly models = new Map<string, Map<string, ScoringModel>>();
  /**
   * Per environment, the version (trainedAt) of each host's model that did not decode: not read
   * and decoded again every minute, only once it is retrained.
   */
  private readonly undecodable = new Map<string, Map<string, number>>();

  constructor(
    private readonly store: AnomalyStore,
    options: AnomalyServiceOptions = {},
  ) {
    this.opts = {
      trainWindowSeconds: options.trainWindowSeconds ?? 7 * 86400,
      trainStepSeconds: options.trainStepSeconds ?? 300,
      scanWindowSeconds: options.scanWindowSeconds ?? 3900,
      scanStepSeconds: options.scanStepSeconds ?? 60,
      now: options.now ?? Date.now,
      trainThreads: options.trainThreads ?? availableParallelism(),
      minHistorySeconds: options.minHistorySeconds ?? 3600,
      falseAlarmsPerDay: options.falseAlarmsPerDay ?? DEFAULT_FALSE_ALARMS_PER_DAY,
      scanEveryMs: options.scanEveryMs ?? 60_000,
      modelCacheHosts: options.modelCacheHosts ?? MODEL_CACHE_HOSTS,
    };
    this.features = new FeatureSources({
      now: this.opts.now,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /**
   * Trains every host of the environment on up to the training window of history. With less than the
   * minimum history nothing is trained: the environment is marked as learning, with how much history
   * there is and when the first model is due. A short history is read at a finer step so a first
   * model has enough rows; its answers say the confidence is lower until the full window.
   */
  /** The service's clock, epoch ms. */
  now(): number {
    return this.opts.now();
  }

  /** How far back a scan reads, seconds. */
  get scanWindowSeconds(): number {
    return this.opts.scanWindowSeconds;
  }

  async train(
    environment: string,
    client: PrometheusClient,
    signal?: AbortSignal,
    /** Already made by the caller (a sharded run that found one shard enough). */
    planned?: TrainingPlan,
  ): Promise<TrainResult> {
    const started = performance.now();
    const plan = planned ?? (await this.trainingPlan(environment, client, signal));
    if (plan.learning)
      return {
        learning: plan.learning,
        historySeconds: plan.historySeconds,
        hosts: 0,
        pooled: 0,
        queries: plan.queries,
        seconds: (performance.now() - started) / 1000,
      };
    const window = await this.features.fetch(client, plan.range, { rateWindowSeconds: RATE_WINDOW, signal });
    window.queries += plan.queries;
    return this.trainFrom(environment, window, started, plan.historySeconds);
  }

  /**
   * Measures the environment's history and decides the span and step a training run reads. With
   * less than the minimum history the environment is marked as learning and `learning` is set.
   */
  async trainingPlan(
    environment: string,
    client: PrometheusClient,
    signal?: AbortSignal,
  ): Promise<TrainingPlan> {
    const end = Math.floor(this.opts.now() / 1000);
    const usualStep = this.opts.trainStepSeconds;
    const measured = await measureHistorySeconds(client, end, this.opts.trainWindowSeconds, signal);
    const history = measured.seconds;
    // Only the span that holds data is read, at a finer step while it is short.
    const step = trainingStepFor(history, usualStep);
    const range = { start: end - Math.min(this.opts.trainWindowSeconds, history + step), end, step };
    if (history < this.opts.minHistorySeconds) {
      const learning: LearningStatus = {
        historySeconds: history,
        minHistorySeconds: this.opts.minHistorySeconds,
        firstModelDueAt: (end - history + this.opts.minHistorySeconds) * 1000,
        checkedAt: this.opts.now(),
      };
      await this.store.markLearning(environment, learning);
      return { learning, historySeconds: history, range, queries: measured.queries };
    }
    return { historySeconds: history, range, queries: measured.queries };
  }

  /**
   * Trains and saves the models of one shard's hosts, reading only their series. The run is recorded
   * as trained by {@link finishTraining} once every shard is done.
   */
  async trainShard(
    environment: string,
    client: PrometheusClient,
    plan: TrainingPlan,
    shard: ShardSpec,
    signal?: AbortSignal,
  ): Promise<TrainResult> {
    const started = performance.now();
    if (shard.instances.length === 0)
      return { historySeconds: plan.historySeconds, hosts: 0, pooled: 0, queries: 0, seconds: 0 };
    const window = await this.features.fetch(shardClient(client, shard.instances), plan.range, {
      rateWindowSeconds: RATE_WINDOW,
      signal,
    });
    const r = await this.trainModels(environment, window);
    return {
      historySeconds: plan.historySeconds,
      hosts: r.hosts,
      pooled: r.pooled,
      queries: window.queries,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** Records a sharded training run as complete, with the hosts all its shards trained. */
  async finishTraining(environment: string, hosts: number, historySeconds: number): Promise<void> {
    await this.store.markTrained(environment, hosts, this.opts.now(), {
      historySeconds,
      trainWindowSeconds: this.opts.trainWindowSeconds,
    });
  }

  /**
   * Trains from an already fetched window (the benchmark times fetching and training apart). The
   * window is consumed: each host's series is let go once its model is saved.
   */
  async trainFrom(
    environment: string,
    window: FeatureWindow,
    started = performance.now(),
    /** Already measured by `train`; read off the window otherwise (the benchmark's path). */
    historySeconds = longestHistorySeconds(window),
  ): Promise<TrainResult> {
    const { hosts, pooled } = await this.trainModels(environment, window);
    await this.finishTraining(environment, hosts, historySeconds);
    return {
      historySeconds,
      hosts,
      pooled,
      queries: window.queries,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** Trains and saves the models of the window's hosts (consumed as it goes); records no run. */
  private async trainModels(
    environment: string,
    window: FeatureWindow,
  ): Promise<{ hosts: number; pooled: number }> {
    // Models are trained and saved a batch of hosts at a time (a thousand models would not fit in
    // memory at once), with one batch more in flight than there are threads, so the threads train
    // the next batch while this one is being saved.
    let trained = 0;
    const instances = [...window.hosts.keys()];
    // The fleet's data behind the pooled model of short-history hosts: a sample of hosts, spread
    // over the fleet, is copied out (the window's series share large buffers); the rest is released
    // as training goes.
    const poolSample = new Map<string, HostSeries>();
    const every = Math.max(1, Math.ceil(instances.length / POOL_SAMPLE_HOSTS));
    for (let i = 0; i < instances.length; i += every) {
      const instance = instances[i] as string;
      poolSample.set(
        instance,
        (window.hosts.get(instance) as HostSeries).map((c) => c.slice()),
      );
    }
    const short = new Map<string, HostSeries>();
    const pool = new TrainPool(this.opts.trainThreads);
    try {
      let next = 0;
      // One lane's failure (Redis refusing a save, say) stops the others at their next batch.
      let failed = false;
      const lane = async () => {
        while (!failed && next < instances.length) {
          const batch = instances.slice(next, next + TRAIN_BATCH);
          next += batch.length;
          const models = await pool.train(
            batch.map((instance) => ({
              instance,
              series: window.hosts.get(instance) as HostSeries,
              times: window.times,
              now: this.opts.now(),
              budget: this.budget(),
            })),
          );
          const usable: HostModel[] = [];
          for (const m of models) {
            if (m.rows >= MIN_HOST_ROWS) usable.push(m);
            else short.set(m.instance, window.hosts.get(m.instance) as HostSeries);
          }
          await this.store.saveModels(environment, usable);
          trained += usable.length;
          for (const instance of batch) window.hosts.delete(instance);
        }
      };
      await Promise.all(
        Array.from({ length: pool.parallelism + 1 }, () =>
          lane().catch((e: unknown) => {
            failed = true;
            throw e;
          }),
        ),
      );
    } finally {
      await pool.close();
    }
    // Hosts with short history are scored by one model of the fleet's data.
    const pooled =
      short.size > 0
        ? trainPooledModels(new Map([...poolSample, ...short]), this.opts.now(), this.budget()).filter((m) =>
            short.has(m.instance),
          )
        : [];
    await this.store.saveModels(environment, pooled);
    return { hosts: trained + pooled.length, pooled: pooled.length };
  }

  /** The false-alarm budget the models' thresholds are set from. */
  private budget(): AlarmBudget {
    return {
      falseAlarmsPerDay: this.opts.falseAlarmsPerDay,
      scoresPerDay: 86_400_000 / this.opts.scanEveryMs,
    };
  }

  async scan(environment: string, client: PrometheusClient, signal?: AbortSignal): Promise<ScanResult> {
    const end = Math.floor(this.opts.now() / 1000);
    const window = await this.features.fetch(
      client,
      { start: end - this.opts.scanWindowSeconds, end, step: this.opts.scanStepSeconds },
      { rateWindowSeconds: RATE_WINDOW, signal },
    );
    return this.scanFrom(environment, window);
  }

  /**
   * Scans one shard: reads only its hosts' series up to `at` (epoch seconds, the same for every
   * shard of a scan) and records their scores and episodes. The scan's status is recorded once every
   * shard is in (the store's `markScanned`).
   */
  async scanShard(
    environment: string,
    client: PrometheusClient,
    shard: ShardSpec,
    at = Math.floor(this.opts.now() / 1000),
    signal?: AbortSignal,
  ): Promise<ScanResult> {
    // A shard without hosts reads nothing; it still ends the episodes of its hosts that are gone.
    const range = { start: at - this.opts.scanWindowSeconds, end: at, step: this.opts.scanStepSeconds };
    const window =
      shard.instances.length > 0
        ? await this.features.fetch(shardClient(client, shard.instances), range, {
            rateWindowSeconds: RATE_WINDOW,
            signal,
          })
        : { ...range, times: new Float64Array(0), hosts: new Map(), queries: 0 };
    const owned = (instance: string) => shardOf(instance, shard.count) === shard.index;
    const { scores, untrained } = await this.score(environment, window, owned);
    const { opened, ended } = await this.store.recordShardScan(environment, shard, scores, this.opts.now());
    return { scores, findings: opened, ended, untrained, queries: window.queries };
  }

  /**
   * Models of some hosts, decoded once and kept until retrained: a scan every minute would otherwise
   * read and decode every model of the fleet every minute.
   */
  private async modelsFor(environment: string, instances: string[]): Promise<Map<string, ScoringModel>> {
    let cache = this.models.get(environment);
    if (!cache) {
      cache = new Map();
      this.models.set(environment, cache);
    }
    let failed = this.undecodable.get(environment);
    if (!failed) {
      failed = new Map();
      this.undecodable.set(environment, failed);
    }
    const versions = await this.store.modelVersions(environment, instances);
    const out = new Map<string, ScoringModel>();
    const stale: string[] = [];
    instances.forEach((instance, i) => {
      const cached = cache.get(instance);
      if (cached && versions[i] !== undefined && cached.trainedAt === versions[i]) {
        out.set(instance, cached);
        // Most recently used last: the bound below drops from the front.
        cache.delete(instance);
        cache.set(instance, cached);
      } else if (versions[i] === undefined || failed.get(instance) !== versions[i]) stale.push(instance);
    });
    for (const [instance, stored] of await this.store.loadModels(environment, stale)) {
      // Only the decoded detector is kept: the stored encoding is garbage once decoded. A model that
      // does not decode (corrupted in Redis) leaves its host unscored until the next training.
      let model: ScoringModel;
      try {
        model = toScoringModel(stored);
      } catch {
        failed.set(instance, stored.trainedAt);
        continue;
      }
      failed.delete(instance);
      cache.delete(instance);
      cache.set(instance, model);
      out.set(instance, model);
    }
    for (const instance of cache.keys()) {
      if (cache.size <= this.opts.modelCacheHosts) break;
      cache.delete(instance);
    }
    return out;
  }

  /** Scores an already fetched window against the stored models and records the results. */
  async scanFrom(environment: string, window: FeatureWindow): Promise<ScanResult> {
    const { scores, untrained } = await this.score(environment, window, () => true);
    const { opened, ended } = await this.store.recordScan(environment, scores, this.opts.now());
    return { scores, findings: opened, ended, untrained, queries: window.queries };
  }

  /**
   * Scores the window's hosts against their models. Cached models of hosts gone from the window are
   * dropped, among those `owned` only (a shard's window holds its own hosts alone).
   */
  private async score(
    environment: string,
    window: FeatureWindow,
    owned: (instance: string) => boolean,
  ): Promise<{ scores: HostScore[]; untrained: string[] }> {
    const scores: HostScore[] = [];
    const untrained: string[] = [];
    const instances = [...window.hosts.keys()];
    for (let i = 0; i < instances.length; i += MODEL_BATCH) {
      const batch = instances.slice(i, i + MODEL_BATCH);
      const models = await this.modelsFor(environment, batch);
      for (const instance of batch) {
        const model = models.get(instance);
        const series = window.hosts.get(instance);
        if (!model || !series) {
          untrained.push(instance);
          continue;
        }
        // A model that decoded but cannot score (corrupted beyond what decoding checks) costs its
        // host this scan, not the hosts after it.
        let s: HostScore | undefined;
        try {
          s = scoreLatest(model, series, window.times, STALE_POINT_SECONDS);
        } catch {
          untrained.push(instance);
          continue;
        }
        if (s) scores.push(s);
      }
    }
    // Hosts gone from the window leave the cache; one that comes back is loaded again.
    const cache = this.models.get(environment);
    if (cache)
      for (const instance of cache.keys())
        if (!window.hosts.has(instance) && owned(instance)) cache.delete(instance);
    return { scores, untrained };
  }
}
