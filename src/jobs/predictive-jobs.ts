/**
 * The predictive alerts on BullMQ: one scheduler, `predictive-alerts`, every PREDICTIVE_ALERT_EVERY,
 * forecasting every environment's disks and memory and bringing DiskWillFill, MemoryWillExhaust and
 * the forecast chat rules up to date. Bot replicas share the queue, so each evaluation runs once
 * however many processes are up.
 */
import { type ConnectionOptions, Queue, Worker } from "bullmq";
import type { PredictiveAlerts } from "../alerts/predictive-alerts.js";
import type { Logger } from "../observability/logger.js";

export const PREDICTIVE_QUEUE = "predictive-alerts";

export interface PredictiveJobs {
  close(): Promise<void>;
}

export async function startPredictiveJobs(
  predictive: PredictiveAlerts,
  logger: Logger,
  opts: { connection: ConnectionOptions; prefix: string; everyMs: number },
): Promise<PredictiveJobs> {
  const log = logger.child({ component: "predictive-jobs" });
  const queue = new Queue(PREDICTIVE_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  await queue.upsertJobScheduler(
    "predictive",
    { every: opts.everyMs },
    { name: "forecast", data: {}, opts: { removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } },
  );
  const worker = new Worker(
    PREDICTIVE_QUEUE,
    async () => {
      const started = Date.now();
      const r = await predictive.evaluate();
      if (r.errors.length > 0)
        log.warn({ errors: r.errors.slice(0, 10) }, "some capacity forecasts could not be made");
      log.debug({ ...r, errors: r.errors.length, ms: Date.now() - started }, "predictive alerts evaluated");
      return {
        series: r.series,
        forecast: r.forecast,
        screened: r.screened,
        firing: r.firing,
        resolved: r.resolved,
        errors: r.errors.length,
      };
    },
    // Two range queries per kind and a forecast per series: longer than a rule's instant queries. The
    // lock is renewed while the worker lives (the forecasts yield between series); a dead replica's
    // turn passes after it.
    { connection: opts.connection, prefix: opts.prefix, concurrency: 1, lockDuration: 120_000 },
  );
  worker.on("failed", (job, err) => log.warn({ job: job?.id, reason: err.message }, "predictive job failed"));
  worker.on("error", (err) => log.error({ err: err.message }, "predictive worker error"));
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
