/**
 * The anomaly jobs on BullMQ: `anomaly-scan` (default every minute) and `anomaly-train` (default
 * hourly), one scheduler of each per environment. Any number of worker processes share the queues;
 * a job whose worker died is picked up again once its lock expires.
 *
 * A fleet larger than one shard (ANOMALY_SHARDS, "auto": ~400 hosts a shard) is split by a stable
 * hash of the instance (anomaly/shards.ts): the scheduled job lists the fleet, adds one child job per
 * shard (`anomaly-scan-shard`, `anomaly-train-shard`, ids `scan-<env>-<slot>-<shard>` so a retried
 * parent does not add them twice) and waits for them; every worker takes shards, and a worker's death
 * costs its shard's retry. Once every shard is in, the parent records the run and hands what all
 * shards opened and ended to the alert pipeline in one call per environment, as an unsharded scan
 * does. One shard (a small fleet) runs in the scheduled job itself, as before.
 */
import { type ConnectionOptions, type Job, Queue, WaitingChildrenError, Worker } from "bullmq";
import type { AnomalyService, TrainingPlan } from "../anomaly/anomaly-service.js";
import type { AnomalyStore, Finding, ScanChanges } from "../anomaly/anomaly-store.js";
import { listFleet, shardCount, splitFleet } from "../anomaly/shards.js";
import type { Environments } from "../metrics/environments.js";
import type { PrometheusClient } from "../metrics/prometheus-client.js";
import type { Logger } from "../observability/logger.js";

export const SCAN_QUEUE = "anomaly-scan";
export const TRAIN_QUEUE = "anomaly-train";
export const SCAN_SHARD_QUEUE = "anomaly-scan-shard";
export const TRAIN_SHARD_QUEUE = "anomaly-train-shard";

export interface AnomalyJobData {
  environment: string;
  /** Where a sharded run is: its shards added and awaited, then merged. */
  step?: "merge";
  /** Scan time (epoch seconds) every shard of a scan reads up to. */
  at?: number;
  shards?: number;
  /** Set when the scan trains its shards first (no model yet). */
  trainFirst?: TrainingPlan;
  /** The training run's plan, shared by its shards. */
  plan?: TrainingPlan;
}

/** One shard's job: its hosts, and what the parent decided for every shard. */
export interface ShardJobData {
  environment: string;
  index: number;
  count: number;
  instances: string[];
  /** Scan shards: the scan's time. */
  at?: number;
  /** Training shards, and scan shards that train first: the run's plan. */
  plan?: TrainingPlan;
}

/** What a scan shard hands its parent. */
export interface ScanShardResult {
  index: number;
  /** Hosts scored (each in exactly one shard). */
  scored: string[];
  untrained: number;
  opened: Finding[];
  ended: Finding[];
  /** Hosts trained first, when the scan trained. */
  trained?: number;
}

/** What a training shard hands its parent. */
export interface TrainShardResult {
  index: number;
  hosts: number;
  pooled: number;
  seconds: number;
}

export interface AnomalyJobsOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix; separate deployments (and tests) on one Redis use different ones. */
  prefix?: string;
  scanEveryMs: number;
  trainEveryMs: number;
  /** How long a job is locked to its worker; a killed worker's job is retried after this. */
  lockDurationMs?: number;
  /** Shards per scan and training run (ANOMALY_SHARDS); default "auto". */
  shards?: number | "auto";
  /** Recorded as the `processedBy` of the jobs this process runs. */
  workerName?: string;
}

const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: "exponential" as const, delay: 2000 },
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 200 },
};

/** Creates or updates the schedulers (idempotent: every process may call it at start). */
export async function scheduleAnomalyJobs(envs: string[], opts: AnomalyJobsOptions): Promise<void> {
  const scan = new Queue<AnomalyJobData>(SCAN_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  const train = new Queue<AnomalyJobData>(TRAIN_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  try {
    for (const environment of envs) {
      await scan.upsertJobScheduler(
        `scan:${environment}`,
        { every: opts.scanEveryMs },
        {
          name: "scan",
          data: { environment },
          opts: JOB_OPTIONS,
        },
      );
      await train.upsertJobScheduler(
        `train:${environment}`,
        { every: opts.trainEveryMs },
        {
          name: "train",
          data: { environment },
          opts: JOB_OPTIONS,
        },
      );
    }
  } finally {
    await Promise.all([scan.close(), train.close()]);
  }
}

export interface AnomalyWorkers {
  close(): Promise<void>;
}

export interface WorkerDeps {
  environments: Environments;
  service: AnomalyService;
  store: AnomalyStore;
  logger: Logger;
  /** Called with the anomaly episodes a scan opened and ended (the alert pipeline subscribes here). */
  onScanChanges?: (environment: string, changes: ScanChanges) => Promise<void> | void;
}

/** A shard's job options: retried like the others; a shard that fails for good leaves its parent to go on. */
const SHARD_JOB_OPTIONS = { ...JOB_OPTIONS, ignoreDependencyOnFailure: true };

/** The slot of a scheduled job (the time in its id), for its shards' ids; BullMQ ids have no ":". */
function slotOf(job: Job): string {
  const id = String(job.id ?? "");
  return /(\d+)$/.exec(id)?.[1] ?? id.replace(/[^A-Za-z0-9_-]/g, "-");
}

const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]/g, "-");

export function startAnomalyWorkers(deps: WorkerDeps, opts: AnomalyJobsOptions): AnomalyWorkers {
  const log = deps.logger.child({ component: "anomaly-jobs" });
  const shardSetting = opts.shards ?? "auto";
  const clientOf = (job: Job<{ environment: string }>) => {
    const environment = String(job.data?.environment ?? "");
    const client = deps.environments.get(environment);
    if (!client)
      throw new Error(
        `unknown environment "${environment.slice(0, 40)}" (known: ${deps.environments.names().join(", ")})`,
      );
    return { environment, client };
  };
  const fail = async (environment: string, e: unknown): Promise<never> => {
    if (e instanceof WaitingChildrenError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    await deps.store.recordError(environment, message).catch(() => {});
    throw new Error(message);
  };
  const common = {
    connection: opts.connection,
    prefix: opts.prefix,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: Math.max(1000, Math.floor((opts.lockDurationMs ?? 30_000) / 2)),
    maxStalledCount: 3,
    ...(opts.workerName ? { name: opts.workerName } : {}),
  };
  const queueOpts = { connection: opts.connection, prefix: opts.prefix };
  const scanShards = new Queue<ShardJobData>(SCAN_SHARD_QUEUE, queueOpts);
  const trainShards = new Queue<ShardJobData>(TRAIN_SHARD_QUEUE, queueOpts);

  /** The fleet split for a run reading [start, end]; undefined when one shard is enough. */
  const shardsFor = async (client: PrometheusClient, range: { start: number; end: number }) => {
    if (shardSetting === 1) return undefined;
    const fleet = await listFleet(client, range);
    const count = shardCount(shardSetting, fleet.length);
    return count > 1 ? { count, shards: splitFleet(fleet, count) } : undefined;
  };
  /** Adds a run's shards as children of `job` (idempotent: their ids are the run's). */
  const addShards = async (
    job: Job,
    queue: Queue<ShardJobData>,
    kind: "scan" | "train",
    environment: string,
    split: { count: number; shards: { index: number; instances: string[] }[] },
    extra: Pick<ShardJobData, "at" | "plan">,
  ) => {
    const slot = slotOf(job);
    await queue.addBulk(
      split.shards.map((s) => ({
        name: `${kind}-shard`,
        data: { environment, index: s.index, count: split.count, instances: s.instances, ...extra },
        opts: {
          ...SHARD_JOB_OPTIONS,
          jobId: `${kind}-${safe(environment)}-${slot}-${s.index}`,
          parent: { id: String(job.id), queue: job.queueQualifiedName },
        },
      })),
    );
  };
  /** Moves the job to wait for its shards; true when it did (the processor then throws). */
  const awaitShards = async (job: Job, token: string | undefined) =>
    token !== undefined && (await job.moveToWaitingChildren(token));
  /** What the shards that failed for good said, as one line. */
  const shardFailures = async (job: Job, count: number): Promise<string | undefined> => {
    const failed = Object.values(await job.getIgnoredChildrenFailures());
    if (failed.length === 0) return undefined;
    return `${failed.length} of ${count} shards failed: ${String(failed[0]).slice(0, 300)}`;
  };

  const train = new Worker<AnomalyJobData>(
    TRAIN_QUEUE,
    async (job, token) => {
      const { environment, client } = clientOf(job);
      try {
        if (job.data.step !== "merge") {
          const plan = await deps.service.trainingPlan(environment, client);
          const split = plan.learning ? undefined : await shardsFor(client, plan.range);
          if (!split) {
            const r = await deps.service.train(environment, client, undefined, plan);
            log.info({ environment, ...r }, "anomaly models trained");
            return r;
          }
          await addShards(job, trainShards, "train", environment, split, { plan });
          await job.updateData({ ...job.data, step: "merge", plan, shards: split.count });
        }
        {
          if (await awaitShards(job, token)) throw new WaitingChildrenError();
          const plan = job.data.plan as TrainingPlan;
          const results = Object.values(await job.getChildrenValues<TrainShardResult>());
          const failures = await shardFailures(job, job.data.shards ?? results.length);
          // No shard trained: the run failed, as an unsharded one would.
          if (failures && results.length === 0) throw new Error(failures);
          const hosts = results.reduce((n, r) => n + r.hosts, 0);
          await deps.service.finishTraining(environment, hosts, plan.historySeconds);
          if (failures) await deps.store.recordError(environment, failures);
          const r = { hosts, pooled: results.reduce((n, x) => n + x.pooled, 0), shards: results.length };
          log.info({ environment, ...r }, "anomaly models trained");
          return r;
        }
      } catch (e) {
        return fail(environment, e);
      }
    },
    { ...common, concurrency: 1 },
  );

  const scanWhole = async (environment: string, client: PrometheusClient) => {
    // A scan before the first training would have nothing to score against: train first.
    if ((await deps.store.modelCount(environment)) === 0) {
      const t = await deps.service.train(environment, client);
      // Too little history for a first model: the store says how much and when it is due.
      if (t.learning) return { hosts: 0, findings: 0, learning: true, historySeconds: t.historySeconds };
    }
    const r = await deps.service.scan(environment, client);
    if (r.findings.length > 0)
      log.warn({ environment, findings: r.findings.map((f) => f.instance) }, "anomalies found");
    if (r.findings.length > 0 || r.ended.length > 0)
      await deps.onScanChanges?.(environment, { opened: r.findings, ended: r.ended });
    return { hosts: r.scores.length, findings: r.findings.length, untrained: r.untrained.length };
  };

  const scan = new Worker<AnomalyJobData>(
    SCAN_QUEUE,
    async (job, token) => {
      const { environment, client } = clientOf(job);
      try {
        if (job.data.step !== "merge") {
          const at = Math.floor(deps.service.now() / 1000);
          const split = await shardsFor(client, { start: at - deps.service.scanWindowSeconds, end: at });
          if (!split) return await scanWhole(environment, client);
          let trainFirst: TrainingPlan | undefined;
          if ((await deps.store.modelCount(environment)) === 0) {
            trainFirst = await deps.service.trainingPlan(environment, client);
            if (trainFirst.learning)
              return { hosts: 0, findings: 0, learning: true, historySeconds: trainFirst.historySeconds };
          }
          await addShards(job, scanShards, "scan", environment, split, {
            at,
            ...(trainFirst ? { plan: trainFirst } : {}),
          });
          await job.updateData({
            ...job.data,
            step: "merge",
            at,
            shards: split.count,
            ...(trainFirst ? { trainFirst } : {}),
          });
        }
        {
          if (await awaitShards(job, token)) throw new WaitingChildrenError();
          const results = Object.values(await job.getChildrenValues<ScanShardResult>());
          const failures = await shardFailures(job, job.data.shards ?? results.length);
          // No shard scanned: the scan failed (its time is not recorded as a scan's).
          if (failures && results.length === 0) throw new Error(failures);
          const opened = results.flatMap((r) => r.opened);
          const ended = results.flatMap((r) => r.ended);
          const hosts = results.reduce((n, r) => n + r.scored.length, 0);
          if (job.data.trainFirst)
            await deps.service.finishTraining(
              environment,
              results.reduce((n, r) => n + (r.trained ?? 0), 0),
              job.data.trainFirst.historySeconds,
            );
          await deps.store.markScanned(environment, hosts, deps.service.now());
          // Some shards failed: the others' results stand, and the status says what is missing.
          if (failures) await deps.store.recordError(environment, failures);
          if (opened.length > 0)
            log.warn({ environment, findings: opened.map((f) => f.instance) }, "anomalies found");
          // Every shard's changes together, once per scan, as an unsharded scan hands them over.
          if (opened.length > 0 || ended.length > 0)
            await deps.onScanChanges?.(environment, { opened, ended });
          return {
            hosts,
            findings: opened.length,
            untrained: results.reduce((n, r) => n + r.untrained, 0),
            shards: results.length,
            ...(failures ? { failures } : {}),
          };
        }
      } catch (e) {
        return fail(environment, e);
      }
    },
    { ...common, concurrency: 2 },
  );

  const shardOf = (job: Job<ShardJobData>) => ({
    index: job.data.index,
    count: job.data.count,
    instances: job.data.instances,
  });
  const scanShard = new Worker<ShardJobData>(
    SCAN_SHARD_QUEUE,
    async (job): Promise<ScanShardResult> => {
      const { environment, client } = clientOf(job);
      const shard = shardOf(job);
      try {
        const trained = job.data.plan
          ? (await deps.service.trainShard(environment, client, job.data.plan, shard)).hosts
          : undefined;
        const r = await deps.service.scanShard(environment, client, shard, job.data.at);
        return {
          index: shard.index,
          scored: r.scores.map((s) => s.instance),
          untrained: r.untrained.length,
          opened: r.findings,
          ended: r.ended,
          ...(trained !== undefined ? { trained } : {}),
        };
      } catch (e) {
        return fail(environment, e);
      }
    },
    { ...common, concurrency: 2 },
  );
  const trainShard = new Worker<ShardJobData>(
    TRAIN_SHARD_QUEUE,
    async (job): Promise<TrainShardResult> => {
      const { environment, client } = clientOf(job);
      const shard = shardOf(job);
      try {
        const r = await deps.service.trainShard(environment, client, job.data.plan as TrainingPlan, shard);
        return { index: shard.index, hosts: r.hosts, pooled: r.pooled, seconds: r.seconds };
      } catch (e) {
        return fail(environment, e);
      }
    },
    { ...common, concurrency: 1 },
  );

  const workers = [train, scan, scanShard, trainShard];
  for (const w of workers) {
    w.on("failed", (job, err) => {
      if (err instanceof WaitingChildrenError) return;
      log.warn({ queue: w.name, job: job?.id, reason: err.message }, "anomaly job failed");
    });
    w.on("error", (err) => log.error({ queue: w.name, err: err.message }, "anomaly worker error"));
  }
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([scanShards.close(), trainShards.close()]);
    },
  };
}
