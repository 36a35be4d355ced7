/**
 * The scan flow's wiring, shared by the bot and `cloudops worker`: the anomaly jobs scheduled in
 * BullMQ, their workers in this process, and what a scan finds handed to the alert pipeline.
 */

import type { AlertService } from "../alerts/alert-service.js";
import { anomalyAlerts } from "../alerts/anomaly-alerts.js";
import { AnomalyService } from "../anomaly/anomaly-service.js";
import type { AnomalyStore } from "../anomaly/anomaly-store.js";
import type { Config } from "../config/config.js";
import { type AnomalyWorkers, scheduleAnomalyJobs, startAnomalyWorkers } from "../jobs/anomaly-jobs.js";
import type { Environments } from "../metrics/environments.js";
import type { Logger } from "../observability/logger.js";
import { createRedis } from "../redis/connect.js";

export interface ScanFlowDeps {
  config: Config;
  logger: Logger;
  environments: Environments;
  store: AnomalyStore;
  /** Key prefix of the queues (tests use their own). */
  prefix: string;
  /** Where findings go: the alert pipeline. */
  alerts: Pick<AlertService, "ingest">;
  now?: () => number;
}

export async function startScanFlow(deps: ScanFlowDeps): Promise<AnomalyWorkers> {
  const { config, now } = deps;
  // The anomaly queues' own connection (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES), closed with them.
  const connection = createRedis(config, { purpose: "queue", lazyConnect: true });
  connection.on("error", (err: Error) =>
    deps.logger.debug({ err: err.message }, "redis (anomaly queues) error"),
  );
  const jobOpts = {
    connection,
    prefix: `${deps.prefix}:bull`,
    scanEveryMs: config.anomaly.scanEveryMs,
    trainEveryMs: config.anomaly.trainEveryMs,
    lockDurationMs: config.anomaly.jobLockMs,
    shards: config.anomaly.shards,
  };
  await scheduleAnomalyJobs(deps.environments.names(), jobOpts).catch((e: unknown) => {
    connection.disconnect();
    throw e;
  });
  const service = new AnomalyService(deps.store, {
    trainWindowSeconds: config.anomaly.trainWindowMs / 1000,
    minHistorySeconds: config.anomaly.minHistoryMs / 1000,
    falseAlarmsPerDay: config.anomaly.falseAlarmsPerDay,
    scanEveryMs: config.anomaly.scanEveryMs,
    logger: deps.logger.child({ component: "anomaly" }),
    ...(now ? { now } : {}),
  });
  const workers = startAnomalyWorkers(
    {
      environments: deps.environments,
      service,
      store: deps.store,
      logger: deps.logger,
      onScanChanges: async (_env, changes) => {
        await deps.alerts.ingest(anomalyAlerts(changes, now?.() ?? Date.now()));
      },
    },
    jobOpts,
  );
  return {
    async close() {
      await workers.close();
      connection.disconnect();
    },
  };
}
