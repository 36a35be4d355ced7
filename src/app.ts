/**
 * Composition root: configuration → clients → the four flows (question, action, alert, scan) → one
 * HTTP server. Each flow is wired in src/flows/ and shared with the CLI (`ask` builds the question
 * flow, `worker` the scan flow); this file only composes them. `main.ts` and the tests both use it,
 * so tests run the real thing.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import { alertmanagerRouter } from "./alerts/alertmanager-route.js";
import { auditActor } from "./alerts/audit-log.js";
import { registerAnomalyGauges } from "./anomaly/anomaly-metrics.js";
import { AnomalyStore } from "./anomaly/anomaly-store.js";
import type { BuiltinEngine } from "./assistant/engine.js";
import { ConversationMemory } from "./assistant/llm/conversation-memory.js";
import { actorsWarning } from "./chat/access.js";
import { ConsoleChatPlatform } from "./chat/console/console-platform.js";
import { type Config, prometheusSettings, redisKeyPrefix } from "./config/config.js";
import { createActionFlow } from "./flows/action-flow.js";
import { type AlertFlow, createAlertFlow } from "./flows/alert-flow.js";
import { createChatFlow } from "./flows/chat-flow.js";
import { createQuestionFlow } from "./flows/question-flow.js";
import { startScanFlow } from "./flows/scan-flow.js";
import { recordBind } from "./http/auth.js";
import { ChartStore } from "./http/chart-store.js";
import { reportRouter } from "./http/report-routes.js";
import { createHttpApp, finishHttpApp } from "./http/server.js";
import { alertsProvider, anomaliesProvider, changesProvider } from "./insights/digest.js";
import { Digests } from "./insights/digest-commands.js";
import { capacityProvider, savingsProvider } from "./insights/digest-sections.js";
import { DigestStore } from "./insights/digest-store.js";
import { DEFAULT_PRICES } from "./insights/prices.js";
import { Reports } from "./insights/report.js";
import { ALERT_RETENTION_MS, AlertHistoryReader } from "./insights/report-alerts.js";
import type { Investigation, InvestigationRequest, Investigator } from "./investigate/investigation.js";
import {
  investigationChart,
  investigationFacts,
  investigationReply,
} from "./investigate/investigation-reply.js";
import { InvestigationStore } from "./investigate/investigation-store.js";
import { createInvestigator } from "./investigate/investigator.js";
import { UsualLevels } from "./investigate/usual-levels.js";
import type { AnomalyWorkers } from "./jobs/anomaly-jobs.js";
import { type DigestJobs, type DigestJobsOptions, startDigestJobs } from "./jobs/digest-jobs.js";
import {
  type InvestigationJobs,
  InvestigationRunner,
  startInvestigationJobs,
} from "./jobs/investigation-jobs.js";
import { type PredictiveJobs, startPredictiveJobs } from "./jobs/predictive-jobs.js";
import { type RuleJobs, startRuleJobs } from "./jobs/rule-jobs.js";
import { Environments } from "./metrics/environments.js";
import { type BotMetrics, createBotMetrics } from "./observability/bot-metrics.js";
import type { Logger } from "./observability/logger.js";
import { withoutCredentials } from "./observability/redact-url.js";
import { createRedis, type RedisSettings } from "./redis/connect.js";
import { VERSION } from "./version.js";

export interface App {
  engine: BuiltinEngine;
  environments: Environments;
  metrics: BotMetrics;
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Clock for the engine, epoch ms. */
  now?: () => number;
  /** Key prefix of the bot's Redis data and queues (tests use their own). */
  redisPrefix?: string;
  /** Tests only: when digests fire instead of their cron pattern (a few seconds' `every`). */
  digestRepeat?: DigestJobsOptions["repeatFor"];
  /** Replaces the first look's investigator (tests). */
  investigator?: Investigator;
}

export function createApp(config: Config, logger: Logger, options: AppOptions = {}): App {
  const { now } = options;
  const metrics = createBotMetrics();
  const environments = new Environments(prometheusSettings(config), metrics);
  const prefix = redisKeyPrefix(options.redisPrefix ?? config.redisPrefix, config.redisTopology);
  const redis = connectRedis(config, logger);
  // BullMQ's queues and workers share one connection (workers add their blocking ones); closed last.
  const queueRedis = createRedis(config, { purpose: "queue", lazyConnect: true });
  queueRedis.on("error", (err: Error) =>
    logger.debug({ err: err.message }, "redis (queues) connection error"),
  );
  const anomalyStore = new AnomalyStore(redis, `${prefix}:anomaly`);
  registerAnomalyGauges(metrics.registry, anomalyStore, () => environments.names());

  const alerts = createAlertFlow({ config, redis, prefix, logger, metrics, environments, now });
  // One hourly cache of usual levels for the first looks of alerts and of questions.
  const usualLevels = new UsualLevels();
  const questions = createQuestionFlow({
    config,
    usualLevels,
    environments,
    logger,
    anomalies: anomalyStore,
    now,
    openAlerts: () => alerts.service.list(),
    memory: new ConversationMemory(redis, `${prefix}:conversations`),
    onOutcome: (provider, outcome, seconds) => {
      metrics.llmAttempts.inc({ provider, outcome });
      metrics.llmSeconds.observe({ provider, outcome }, seconds);
    },
  });
  // Channels' digests: stored per conversation, scheduled on BullMQ once listening, posted by chat.
  let digestJobs: Promise<DigestJobs | undefined> | undefined;
  const digests = new Digests({
    store: new DigestStore(redis, `${prefix}:digests`),
    scheduler: async () => digestJobs,
    providers: [
      alertsProvider({ redis, alertsPrefix: `${prefix}:alerts`, store: alerts.store }),
      anomaliesProvider(anomalyStore),
      changesProvider(environments),
      capacityProvider(environments),
      savingsProvider(environments, () => ({
        prices: questions.costs?.prices ?? DEFAULT_PRICES,
        ...(questions.costs?.rules?.lookbackSeconds
          ? { lookbackSeconds: questions.costs.rules.lookbackSeconds }
          : {}),
      })),
    ],
    environments: () => environments.names(),
    renderChart: questions.renderChart,
    post: async (place, reply) => {
      const platform = chat.platforms.find((p) => p.name === place.platform);
      if (!platform) throw new Error(`${place.platform} is not configured: the digest cannot be posted`);
      await platform.send({ channel: place.channel }, reply);
    },
    audit: (entry) => alerts.service.audit(entry),
    auditActor,
    ...(now ? { now } : {}),
  });
  // Reports: availability against SLO_TARGET and alert history, for the API, the console page and `report`.
  const reportHistory = new AlertHistoryReader(redis, `${prefix}:alerts`, alerts.store);
  const reports = new Reports({
    environments,
    sloPct: config.sloTargetPct,
    history: reportHistory,
    now: now ?? Date.now,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
  });
  // The first look at an alert: a job when its message is posted, `investigate ID` and its button.
  const investigationStore = new InvestigationStore(redis, `${prefix}:alerts`);
  const investigations = new InvestigationRunner({
    investigator:
      options.investigator ??
      createInvestigator({
        environments,
        usualLevels,
        anomalyScores: (environment) => anomalyStore.latest(environment),
        ...(now ? { now } : {}),
        ...(config.grafanaUrl ? { grafanaUrl: config.grafanaUrl } : {}),
      }),
    alerts: alerts.store,
    store: investigationStore,
    notifiers: () => chat.notifiers,
    // With an LLM configured, its account of the findings goes on top of them (checked to cite them).
    present: async (inv: Investigation, signal?: AbortSignal) => {
      const [chart, narration] = await Promise.all([
        investigationChart(inv, questions.renderChart, signal),
        questions.narrator?.narrate(investigationFacts(inv), signal).catch((e: unknown) => {
          logger.warn({ err: String(e) }, "first look: no LLM account");
          return undefined;
        }),
      ]);
      return { ...investigationReply(inv, narration), ...(chart ? { chart } : {}) };
    },
    openAlerts: () => alerts.service.list(),
    history: (req) => earlierTimes(reportHistory, req),
    defaultEnvironment: () => environments.defaultName,
    metrics,
    logger,
    ...(now ? { now } : {}),
  });
  const dispatcher = createActionFlow({
    config,
    assistant: questions.assistant,
    engine: questions.engine,
    metrics,
    environmentNames: () => environments.names(),
    alerts: alerts.service,
    rules: alerts.rules,
    digests,
    reports,
    investigations: {
      investigate: async (id, signal) => (await investigations.run(id, "asked", signal))?.reply,
    },
    ...(now ? { now } : {}),
  });

  // Shared through Redis: a chart link may reach another replica than the one that drew it.
  const charts = new ChartStore(500, 30 * 60_000, {
    redis,
    prefix: `${prefix}:charts`,
    onError: (e) => logger.warn({ err: String(e) }, "chart not shared with the other replicas"),
  });
  const http = createHttpApp({
    config,
    console: new ConsoleChatPlatform(dispatcher),
    anomalies: anomalyStore,
    environments,
    charts,
    metrics,
    logger,
    pingRedis: () => pingRedis(redis, config.redisUrl),
    version: VERSION,
    alertGroup: (id) => alertGroupJson(alerts.store, investigationStore, id),
  });
  const chat = createChatFlow({
    config,
    dispatcher,
    http,
    redis,
    prefix,
    metrics,
    logger,
    messageOptions: alerts.messageOptions,
    ...(config.publicUrl
      ? { chartUrl: (png: Buffer) => `${config.publicUrl}/charts/${charts.put(png)}.png` }
      : {}),
  });
  http.use(reportRouter({ reports, history: reportHistory, redis, auditKey: `${prefix}:audit`, logger }));
  http.use(
    alertmanagerRouter({
      alerts: alerts.service,
      token: config.alertmanagerWebhookToken,
      open: config.alertmanagerWebhookOpen,
      maxAlerts: config.alerts.maxPerRequest,
      logger,
    }),
  );
  const actors = actorsWarning(config.alerts.actors);
  if (actors) logger.warn(actors);
  finishHttpApp(http, logger);

  let server: Server | undefined;
  let workers: AnomalyWorkers | undefined;
  let ruleJobs: Promise<RuleJobs | undefined> | undefined;
  let predictiveJobs: Promise<PredictiveJobs | undefined> | undefined;
  let investigationJobs: Promise<InvestigationJobs | undefined> | undefined;
  return {
    engine: questions.engine,
    environments,
    metrics,
    async listen(port = config.port, host = config.host) {
      // Before anything starts: a non-loopback bind without API_TOKENS (or AUTH=none) is refused.
      const bind = recordBind(http, config.auth, host);
      if (bind.warning) logger.warn({ host, auth: "none" }, bind.warning);
      await chat.start();
      // Before delivery starts: a group posted from now on gets its first look.
      investigationJobs = startInvestigationJobs(investigations, logger, {
        connection: queueRedis,
        prefix: `${prefix}:bull`,
      }).catch((e: unknown) => {
        logger.error({ err: String(e) }, "investigation jobs could not start; alerts get no first look");
        return undefined;
      });
      alerts.onMessage((state, ref, first) => {
        if (!config.alerts.firstLook) return;
        void investigationJobs
          ?.then((jobs) => jobs?.messagePosted(state, ref, first))
          .catch((e: unknown) =>
            logger.warn({ group: state.group.id, err: String(e) }, "first look not queued"),
          );
      });
      await alerts.startDelivery(chat.notifiers, questions.engine, questions.renderChart);
      // Not awaited: the bot answers questions while Redis is still coming up.
      ruleJobs = startRuleJobs(alerts.rules, logger, {
        connection: queueRedis,
        prefix: `${prefix}:bull`,
        everyMs: config.alerts.ruleEveryMs,
      }).catch((e: unknown) => {
        logger.error({ err: String(e) }, "alert rule jobs could not start; chat rules are not evaluated");
        return undefined;
      });
      predictiveJobs = startPredictiveJobs(alerts.predictive, logger, {
        connection: queueRedis,
        prefix: `${prefix}:bull`,
        everyMs: config.alerts.predictiveEveryMs,
      }).catch((e: unknown) => {
        logger.error({ err: String(e) }, "predictive alert jobs could not start; disks are not forecast");
        return undefined;
      });
      digestJobs = startDigestJobs(digests, logger, {
        connection: queueRedis,
        prefix: `${prefix}:bull`,
        ...(options.digestRepeat ? { repeatFor: options.digestRepeat } : {}),
      }).catch((e: unknown) => {
        logger.error({ err: String(e) }, "digest jobs could not start; digests are not posted");
        return undefined;
      });
      if (config.anomaly.enabled)
        workers = await startScanFlow({
          config,
          logger,
          environments,
          store: anomalyStore,
          prefix,
          alerts: alerts.service,
          ...(now ? { now } : {}),
        });
      server = http.listen(port, host);
      await once(server, "listening");
      server.keepAliveTimeout = 65_000;
      return (server.address() as AddressInfo).port;
    },
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server?.close(() => resolve()));
      }
      // Before chat stops: a digest being posted finishes. Bounded, as the rule jobs below.
      await Promise.race([
        digestJobs?.then((j) => j?.close()),
        new Promise((r) => setTimeout(r, 5000).unref()),
      ]);
      await alerts.stop();
      // Before chat stops: a first look being posted finishes (bounded, as the digests above).
      await Promise.race([
        investigationJobs?.then((j) => j?.close()),
        new Promise((r) => setTimeout(r, 5000).unref()),
      ]);
      await chat.stop();
      // The chart worker threads: a chart still waiting fails, and no thread outlives the app.
      await questions.close();
      await workers?.close();
      // Bounded: with Redis down, the rule queue may never have started.
      await Promise.race([
        Promise.all([ruleJobs?.then((j) => j?.close()), predictiveJobs?.then((j) => j?.close())]),
        new Promise((r) => setTimeout(r, 5000).unref()),
      ]);
      redis.disconnect();
      queueRedis.disconnect();
    },
  };
}

function connectRedis(settings: RedisSettings, logger: Logger): Redis {
  const redis = createRedis(settings, {
    purpose: "app",
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    // Commands issued while (re)connecting wait rather than fail: state writes must not be lost to a blip.
    enableOfflineQueue: true,
    connectTimeout: 2000,
    // Keep trying in the background so /readyz recovers when Redis comes back.
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
  redis.on("error", (err: Error) => logger.debug({ err: err.message }, "redis connection error"));
  redis.connect().catch((err: unknown) => logger.warn({ err: String(err) }, "redis not reachable yet"));
  return redis;
}

/**
 * Earlier times the same alert fired on the same host (or job), newest first, from the alerts the
 * store still holds (a week of resolved ones): when each started and ended and who acknowledged it.
 */
async function earlierTimes(
  reader: AlertHistoryReader,
  req: InvestigationRequest,
): Promise<NonNullable<InvestigationRequest["history"]>> {
  const target = req.instance ?? req.job;
  if (!target) return [];
  const { rows } = await reader.history(req.startsAt - ALERT_RETENTION_MS, req.startsAt, {
    now: req.startsAt,
  });
  return rows
    .filter(
      (r) => r.alertname === req.alertName && r.target === target && Date.parse(r.startsAt) < req.startsAt,
    )
    .reverse()
    .slice(0, 10)
    .map((r) => ({
      id: r.fingerprint,
      startsAt: Date.parse(r.startsAt),
      ...(r.endsAt ? { endsAt: Date.parse(r.endsAt) } : {}),
      ...(r.acknowledgedBy ? { ackBy: r.acknowledgedBy } : {}),
    }));
}

/** GET /api/v1/alerts/{id}: the group, its alerts and its first look (api-schemas AlertGroupResponse). */
async function alertGroupJson(
  store: AlertFlow["store"],
  investigations: InvestigationStore,
  id: string,
): Promise<object | undefined> {
  const state = await store.groupState(id);
  if (!state || state.group.kind === "summary") return undefined;
  const { group } = state;
  const firing = state.alerts.filter((a) => a.status === "firing");
  const first = (firing.length > 0 ? firing : state.alerts)[0];
  const environment = group.labels.environment || first?.labels.environment;
  const stored = await investigations.get(id);
  return {
    id: group.id,
    name: group.labels.alertname || first?.labels.alertname || "alert",
    status: firing.length > 0 ? "firing" : "resolved",
    ...(environment ? { environment } : {}),
    createdAt: group.createdAt,
    ...(group.resolvedAt !== undefined ? { resolvedAt: group.resolvedAt } : {}),
    ...(group.ack ? { ack: { by: group.ack.by.name, at: group.ack.at } } : {}),
    ...(group.silence ? { silencedUntil: group.silence.until } : {}),
    alerts: state.alerts.map((a) => ({
      fingerprint: a.fingerprint,
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      ...(a.endsAt !== undefined ? { endsAt: a.endsAt } : {}),
      source: a.source,
    })),
    ...(stored ? { investigation: stored.investigation } : {}),
  };
}

async function pingRedis(redis: Redis, url: string): Promise<void> {
  if (redis.status !== "ready") throw new Error(`not connected to ${withoutCredentials(url)}`);
  await Promise.race([
    redis.ping(),
    new Promise((_, reject) => setTimeout(() => reject(new Error("PING timed out")), 1500).unref()),
  ]);
}
