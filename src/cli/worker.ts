/**
 * `cloudops worker`: the anomaly scan and training jobs without the bot. Findings become alerts
 * here; the bot posts them (told at once over Redis, or at its next outbox pass). /healthz and
 * /readyz on WORKER_HEALTH_PORT (3001) let Docker and Kubernetes probe it.
 */
import { parseVerbArgs, usageError } from "./args.js";

export async function run(args: string[]): Promise<number> {
  const { positionals } = parseVerbArgs("worker", args, {});
  if (positionals.length > 0) throw usageError("worker", `unexpected argument "${positionals[0]}"`);
  const { loadConfig, prometheusSettings } = await import("../config/config.js");
  const config = loadConfig();
  const [
    { createLogger },
    { createRedis },
    { AnomalyStore },
    { startScanFlow },
    { Environments },
    health,
    redact,
  ] = await Promise.all([
    import("../observability/logger.js"),
    import("../redis/connect.js"),
    import("../anomaly/anomaly-store.js"),
    import("../flows/scan-flow.js"),
    import("../metrics/environments.js"),
    import("../http/worker-health.js"),
    import("../observability/redact-url.js"),
  ]);
  const { createAlertPipeline, kickChannel } = await import("../alerts/alert-pipeline.js");
  const logger = createLogger(config.logLevel);
  const environments = new Environments(prometheusSettings(config));
  const redis = createRedis(config, { purpose: "worker", maxRetriesPerRequest: 3 });
  // ioredis reports a lost connection as an error event and reconnects; /readyz says so meanwhile.
  redis.on("error", (e: Error) => logger.debug({ err: redact.withoutCredentials(e.message) }, "redis error"));
  const prefix = config.redisPrefix;

  // Up before the workers, which wait for Redis: a probe then sees 503 and why, not a closed port.
  let workersProblem: string | undefined = "starting (scheduling the anomaly jobs in Redis)";
  let server: Awaited<ReturnType<typeof health.startWorkerHealth>> | undefined;
  if (config.workerHealthPort > 0) {
    try {
      server = await health.startWorkerHealth(
        {
          pingRedis: async () => {
            if (redis.status !== "ready")
              throw new Error(`not connected to ${redact.withoutCredentials(config.redisUrl)}`);
            await redis.ping();
          },
          workersProblem: () => workersProblem,
        },
        config.host,
        config.workerHealthPort,
      );
    } catch (e) {
      redis.disconnect();
      const code = (e as { code?: string }).code;
      process.stderr.write(
        code === "EADDRINUSE"
          ? `Port ${config.workerHealthPort} is already in use on ${config.host}; set WORKER_HEALTH_PORT to another port (0: no health server).\n`
          : `Could not start the worker's health server: ${e instanceof Error ? e.message : String(e)}\n`,
      );
      return 1;
    }
    logger.info({ port: server.port, host: config.host }, "worker health: /healthz and /readyz listening");
  }

  const alerts = createAlertPipeline({
    config,
    redis,
    prefix,
    logger,
    onQueued: () => void redis.publish(kickChannel(prefix), "1").catch(() => {}),
  });
  let stopping = false;
  const stop = (workers?: { close(): Promise<void> }) => {
    if (stopping) return;
    stopping = true;
    workersProblem = "stopping";
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    Promise.allSettled([workers?.close(), server?.close()]).finally(() => {
      redis.disconnect();
      process.exit(0);
    });
  };
  // A signal while the jobs are still being scheduled (Redis down) stops at once.
  const early = () => stop();
  process.once("SIGINT", early);
  process.once("SIGTERM", early);
  // The same scan flow the bot runs; findings go to the alert pipeline, which tells the bot to post.
  const workers = await startScanFlow({
    config,
    logger,
    environments,
    store: new AnomalyStore(redis, `${prefix}:anomaly`),
    prefix,
    alerts: alerts.service,
  });
  if (stopping) {
    await workers.close();
    return -1;
  }
  process.off("SIGINT", early);
  process.off("SIGTERM", early);
  workersProblem = undefined;
  logger.info({ environments: environments.names() }, "anomaly workers running");
  process.once("SIGINT", () => stop(workers));
  process.once("SIGTERM", () => stop(workers));
  return -1; // keeps running until a signal
}
