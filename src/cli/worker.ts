/**
 * `cloudops worker`: the anomaly scan and training jobs without the bot. Findings become alerts
 * here; the bot posts them (told at once over Redis, or at its next outbox pass).
 */
import { parseVerbArgs, usageError } from "./args.js";

export async function run(args: string[]): Promise<number> {
  const { positionals } = parseVerbArgs("worker", args, {});
  if (positionals.length > 0) throw usageError("worker", `unexpected argument "${positionals[0]}"`);
  const { loadConfig, prometheusSettings } = await import("../config/config.js");
  const config = loadConfig();
  const [{ createLogger }, { Redis }, { AnomalyStore }, { startScanFlow }, { Environments }] =
    await Promise.all([
      import("../observability/logger.js"),
      import("ioredis"),
      import("../anomaly/anomaly-store.js"),
      import("../flows/scan-flow.js"),
      import("../metrics/environments.js"),
    ]);
  const { createAlertPipeline, kickChannel } = await import("../alerts/alert-pipeline.js");
  const logger = createLogger(config.logLevel);
  const environments = new Environments(prometheusSettings(config));
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const prefix = config.redisPrefix;
  const alerts = createAlertPipeline({
    config,
    redis,
    prefix,
    logger,
    onQueued: () => void redis.publish(kickChannel(prefix), "1").catch(() => {}),
  });
  // The same scan flow the bot runs; findings go to the alert pipeline, which tells the bot to post.
  const workers = await startScanFlow({
    config,
    logger,
    environments,
    store: new AnomalyStore(redis, `${prefix}:anomaly`),
    prefix,
    alerts: alerts.service,
  });
  logger.info({ environments: environments.names() }, "anomaly workers running");
  const stop = () => {
    workers.close().finally(() => {
      redis.disconnect();
      process.exit(0);
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return -1; // keeps running until a signal
}
