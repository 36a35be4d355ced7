/**
 * Composition root: configuration → clients → engine → HTTP server. `createApp` wires everything and
 * returns handles to start and stop; `main.ts` and the tests both use it, so tests run the real thing.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { Gauge } from "prom-client";
import { alertChart } from "./alerts/alert-chart.js";
import { AlertDelivery, type AlertNotifier } from "./alerts/alert-delivery.js";
import { createAlertPipeline, kickChannel } from "./alerts/alert-pipeline.js";
import { alertmanagerRouter } from "./alerts/alertmanager-route.js";
import { anomalyAlerts } from "./alerts/anomaly-alerts.js";
import { ChatRules } from "./alerts/chat-rules.js";
import { registerAnomalyGauges } from "./anomaly/anomaly-metrics.js";
import { AnomalyService } from "./anomaly/anomaly-service.js";
import { AnomalyStore } from "./anomaly/anomaly-store.js";
import { BuiltinEngine } from "./assistant/engine.js";
import { ConversationMemory } from "./assistant/llm/conversation-memory.js";
import { createAssistant } from "./assistant/llm/create-assistant.js";
import { renderLineChart } from "./charts/line-chart.js";
import { ActionDispatcher } from "./chat/dispatcher.js";
import { alertWebClient, SlackAlertNotifier } from "./chat/slack/slack-alert-notifier.js";
import { createSlackPlatform, type SlackChatPlatform } from "./chat/slack/slack-platform.js";
import { ConversationReferences } from "./chat/teams/conversation-references.js";
import { TeamsAlertNotifier } from "./chat/teams/teams-alert-notifier.js";
import {
  createTeamsPlatform,
  TEAMS_MESSAGES_PATH,
  type TeamsChatPlatform,
} from "./chat/teams/teams-chat-platform.js";
import { type Config, prometheusSettings } from "./config/config.js";
import { ChartStore } from "./http/chart-store.js";
import { createHttpApp, finishHttpApp } from "./http/server.js";
import {
  type AnomalyWorkers,
  scheduleAnomalyJobs,
  startAnomalyWorkers,
  type WorkerDeps,
} from "./jobs/anomaly-jobs.js";
import { type RuleJobs, startRuleJobs } from "./jobs/rule-jobs.js";
import { Environments } from "./metrics/environments.js";
import { type BotMetrics, createBotMetrics } from "./observability/bot-metrics.js";
import type { Logger } from "./observability/logger.js";
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
}

export function createApp(config: Config, logger: Logger, options: AppOptions = {}): App {
  const metrics = createBotMetrics();
  const environments = new Environments(prometheusSettings(config), metrics);
  const prefix = options.redisPrefix ?? config.redisPrefix;
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    // Commands issued while (re)connecting wait rather than fail: state writes must not be lost to a blip.
    enableOfflineQueue: true,
    connectTimeout: 2000,
    // Keep trying in the background so /readyz recovers when Redis comes back.
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
  redis.on("error", (err: Error) => logger.debug({ err: err.message }, "redis connection error"));
  const anomalyStore = new AnomalyStore(redis, `${prefix}:anomaly`);
  registerAnomalyGauges(metrics.registry, anomalyStore, () => environments.names());
  const engine = new BuiltinEngine({
    environments,
    renderChart: renderLineChart,
    deadlineMs: config.answerDeadlineMs,
    grafanaUrl: config.grafanaUrl,
    now: options.now,
    anomalies: anomalyStore,
  });
  // With LLM providers configured, questions go through the chain, which ends with the engine.
  const assistant = createAssistant({
    config,
    engine,
    logger,
    tools: {
      environments,
      anomalies: anomalyStore,
      openAlerts: () => alerts.list(),
      now: options.now ?? Date.now,
    },
    memory: new ConversationMemory(redis, `${prefix}:conversations`),
    onOutcome: (provider, outcome, seconds) => {
      metrics.llmAttempts.inc({ provider, outcome });
      metrics.llmSeconds.observe({ provider, outcome }, seconds);
    },
  });
  redis.connect().catch((err: unknown) => logger.warn({ err: String(err) }, "redis not reachable yet"));
  const pingRedis = async () => {
    if (redis.status !== "ready") throw new Error(`not connected to ${redactUrl(config.redisUrl)}`);
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("PING timed out")), 1500).unref()),
    ]);
  };
  const charts = new ChartStore();
  const http = createHttpApp({
    config,
    engine: assistant,
    anomalies: anomalyStore,
    environments,
    charts,
    metrics,
    logger,
    pingRedis,
    version: VERSION,
  });
  // Alerts are stored whatever is configured; they are posted once a route or default channel says where.
  let alertDelivery: AlertDelivery | undefined;
  const { store: alertStore, service: alerts } = createAlertPipeline({
    config,
    redis,
    prefix,
    logger,
    onQueued: () => void alertDelivery?.kick(),
    onReceived: (alert, change) => metrics.alertsReceived.inc({ source: alert.source, change }),
    ...(options.now ? { now: options.now } : {}),
  });
  new Gauge({
    name: "cloudops_alert_outbox_length",
    help: "Alert groups waiting to be posted or updated (grows while chat platforms fail).",
    registers: [metrics.registry],
    async collect() {
      this.set(await alertStore.outboxLength().catch(() => Number.NaN));
    },
  });
  const rules = new ChatRules(redis, `${prefix}:alerts`, environments, alerts, options.now);
  alerts.onRuleAlertResolved((ruleId, fp) => rules.alertResolved(ruleId, fp));
  // Workers in other processes (anomaly scans, rules) say when they queued alerts.
  const kicks = redis.duplicate();
  kicks.on("error", (err: Error) => logger.debug({ err: err.message }, "redis subscriber error"));
  kicks.on("message", () => void alertDelivery?.kick());
  let slack: SlackChatPlatform | undefined;
  if (config.slack.botToken) {
    slack = createSlackPlatform({
      config: config.slack,
      // The one dispatcher's policy, metrics and audit (the lead shares one instance across platforms).
      dispatcher: new ActionDispatcher({
        assistant,
        metrics,
        environmentNames: () => environments.names(),
        alerts,
        rules,
        access: {
          slack: { channels: config.slack.allowedChannels, users: config.slack.allowedUsers },
          teams: { tenants: config.teams.allowedTenants, users: config.teams.allowedUsers },
          actors: config.alerts.actors,
        },
      }),
      metrics,
      logger,
    });
    if (slack.router) http.use(slack.router);
  }
  const messageOptions = {
    ...(config.grafanaUrl ? { grafanaUrl: config.grafanaUrl } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  let teams: TeamsChatPlatform | undefined;
  if (config.teams.appId || config.teams.emulator) {
    const platform = createTeamsPlatform({
      config: config.teams,
      // The one dispatcher's policy, metrics and audit (the lead shares one instance across platforms).
      dispatcher: new ActionDispatcher({
        assistant,
        metrics,
        environmentNames: () => environments.names(),
        alerts,
        rules,
        access: {
          slack: { channels: config.slack.allowedChannels, users: config.slack.allowedUsers },
          teams: { tenants: config.teams.allowedTenants, users: config.teams.allowedUsers },
          actors: config.alerts.actors,
        },
      }),
      references: new ConversationReferences(redis, `${prefix}:teams:references`),
      metrics,
      logger,
      chartUrl: config.publicUrl ? (png) => `${config.publicUrl}/charts/${charts.put(png)}.png` : undefined,
    });
    teams = platform;
    http.post(TEAMS_MESSAGES_PATH, express.json({ limit: "256kb" }), (req, res, next) => {
      platform.handle(req, res).catch(next);
    });
  }
  const notifiers: Record<string, AlertNotifier> = {};
  if (teams) notifiers.teams = new TeamsAlertNotifier(teams, messageOptions);
  if (slack && config.slack.botToken)
    notifiers.slack = new SlackAlertNotifier(
      alertWebClient(config.slack.botToken, config.slack.apiUrl),
      messageOptions,
    );
  if (Object.keys(notifiers).length > 0)
    alertDelivery = new AlertDelivery(alertStore, notifiers, logger, {
      groupWaitMs: config.alerts.groupWaitMs,
      onDelivery: (platform, outcome) => metrics.alertDeliveries.inc({ platform, outcome }),
      chartFor: alertChart(engine),
      housekeeping: async () => {
        await alerts.expireSilences();
        await alerts.remind(config.alerts.repeatIntervalMs);
      },
      ...(options.now ? { now: options.now } : {}),
    });
  http.use(alertmanagerRouter({ alerts, token: config.alertmanagerWebhookToken }));
  finishHttpApp(http, logger);
  let server: Server | undefined;
  let workers: AnomalyWorkers | undefined;
  let ruleJobs: Promise<RuleJobs | undefined> | undefined;
  return {
    engine,
    environments,
    metrics,
    async listen(port = config.port, host = config.host) {
      await slack?.start();
      if (alertDelivery) {
        alertDelivery.start();
        await kicks
          .subscribe(kickChannel(prefix))
          .catch((e: unknown) =>
            logger.warn({ err: String(e) }, "alert kicks unavailable; the outbox is still read every 15 s"),
          );
      }
      // Not awaited: the bot answers questions while Redis is still coming up.
      ruleJobs = startRuleJobs(rules, logger, {
        connection: { url: config.redisUrl, maxRetriesPerRequest: null },
        prefix: `${prefix}:bull`,
        everyMs: config.alerts.ruleEveryMs,
      }).catch((e: unknown) => {
        logger.error({ err: String(e) }, "alert rule jobs could not start; chat rules are not evaluated");
        return undefined;
      });
      if (config.anomaly.enabled)
        workers = await startAnomalyJobs(config, logger, environments, anomalyStore, prefix, {
          ...(options.now ? { now: options.now } : {}),
          onScanChanges: async (_env, changes) => {
            await alerts.ingest(anomalyAlerts(changes, options.now?.() ?? Date.now()));
          },
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
      await alertDelivery?.stop();
      await slack?.stop();
      await workers?.close();
      // Bounded: with Redis down, the rule queue may never have started.
      await Promise.race([
        ruleJobs?.then((j) => j?.close()),
        new Promise((r) => setTimeout(r, 5000).unref()),
      ]);
      kicks.disconnect();
      redis.disconnect();
    },
  };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

/** Schedules the anomaly jobs and runs their workers in this process (also what `cloudops worker` does). */
export async function startAnomalyJobs(
  config: Config,
  logger: Logger,
  environments: Environments,
  store: AnomalyStore,
  prefix = "cloudops",
  opts: { now?: () => number; onScanChanges?: WorkerDeps["onScanChanges"] } = {},
): Promise<AnomalyWorkers> {
  const connection = { url: config.redisUrl, maxRetriesPerRequest: null };
  const jobOpts = {
    connection,
    prefix: `${prefix}:bull`,
    scanEveryMs: config.anomaly.scanEveryMs,
    trainEveryMs: config.anomaly.trainEveryMs,
    lockDurationMs: config.anomaly.jobLockMs,
  };
  await scheduleAnomalyJobs(environments.names(), jobOpts);
  const service = new AnomalyService(store, {
    trainWindowSeconds: config.anomaly.trainWindowMs / 1000,
    minHistorySeconds: config.anomaly.minHistoryMs / 1000,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return startAnomalyWorkers(
    {
      environments,
      service,
      store,
      logger,
      ...(opts.onScanChanges ? { onScanChanges: opts.onScanChanges } : {}),
    },
    jobOpts,
  );
}
