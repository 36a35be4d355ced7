/**
 * The anomaly jobs on BullMQ: `anomaly-scan` (default every minute) and `anomaly-train` (default
 * hourly), one scheduler of each per environment. Any number of worker processes share the queues;
 * a job whose worker died is picked up again once its lock expires.
 */
import { type ConnectionOptions, type Job, Queue, Worker } from "bullmq";
import type { AnomalyService } from "../anomaly/anomaly-service.js";
import type { AnomalyStore, ScanChanges } from "../anomaly/anomaly-store.js";
import type { Environments } from "../metrics/environments.js";
import type { Logger } from "../observability/logger.js";

export const SCAN_QUEUE = "anomaly-scan";
export const TRAIN_QUEUE = "anomaly-train";

export interface AnomalyJobData {
  environment: string;
}

export interface AnomalyJobsOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix; separate deployments (and tests) on one Redis use different ones. */
  prefix?: string;
  scanEveryMs: number;
  trainEveryMs: number;
  /** How long a job is locked to its worker; a killed worker's job is retried after this. */
  lockDurationMs?: number;
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

export function startAnomalyWorkers(deps: WorkerDeps, opts: AnomalyJobsOptions): AnomalyWorkers {
  const log = deps.logger.child({ component: "anomaly-jobs" });
  const clientOf = (job: Job<AnomalyJobData>) => {
    const environment = String(job.data?.environment ?? "");
    const client = deps.environments.get(environment);
    if (!client)
      throw new Error(
        `unknown environment "${environment.slice(0, 40)}" (known: ${deps.environments.names().join(", ")})`,
      );
    return { environment, client };
  };
  const fail = async (environment: string, e: unknown): Promise<never> => {
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
  };
  const train = new Worker<AnomalyJobData>(
    TRAIN_QUEUE,
    async (job) => {
      const { environment, client } = clientOf(job);
      try {
        const r = await deps.service.train(environment, client);
        log.info({ environment, ...r }, "anomaly models trained");
        return r;
      } catch (e) {
        return fail(environment, e);
      }
    },
    { ...common, concurrency: 1 },
  );
  const scan = new Worker<AnomalyJobData>(
    SCAN_QUEUE,
    async (job) => {
      const { environment, client } = clientOf(job);
      try {
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
      } catch (e) {
        return fail(environment, e);
      }
    },
    { ...common, concurrency: 2 },
  );
  for (const w of [train, scan]) {
    w.on("failed", (job, err) =>
      log.warn({ queue: w.name, job: job?.id, reason: err.message }, "anomaly job failed"),
    );
    w.on("error", (err) => log.error({ queue: w.name, err: err.message }, "anomaly worker error"));
  }
  return {
    async close() {
      await Promise.all([train.close(), scan.close()]);
    },
  };
}
