/**
 * The alert flow's wiring: the pipeline (store, routing, silences, audit) and the chat rules that feed
 * it, then delivery — each group posted once through its platform's notifier, updated in place,
 * with its chart — woken by any process that queued alerts (the worker, the rule jobs).
 */
import type { Redis } from "ioredis";
import { Gauge } from "prom-client";
import { alertChart, type ChartSource, type DrawChart } from "../alerts/alert-chart.js";
import { AlertDelivery, type AlertDeliveryOptions, type AlertNotifier } from "../alerts/alert-delivery.js";
import {
  type AlertPipeline,
  alertMessageOptions,
  createAlertPipeline,
  kickChannel,
} from "../alerts/alert-pipeline.js";
import { ChatRules } from "../alerts/chat-rules.js";
import type { GroupMessageOptions } from "../alerts/group-message.js";
import { PredictiveAlerts } from "../alerts/predictive-alerts.js";
import type { TargetPlatform } from "../alerts/routing.js";
import type { Config } from "../config/config.js";
import type { Environments } from "../metrics/environments.js";
import type { BotMetrics } from "../observability/bot-metrics.js";
import type { Logger } from "../observability/logger.js";

export interface AlertFlow extends AlertPipeline {
  rules: ChatRules;
  /** DiskWillFill, MemoryWillExhaust and the forecast chat rules (run by the predictive job). */
  predictive: PredictiveAlerts;
  /** How alert messages are drawn (Grafana links, the clock). */
  messageOptions: GroupMessageOptions;
  /** Starts posting through `notifiers` (none configured: alerts are kept, not posted). */
  startDelivery(
    notifiers: Partial<Record<TargetPlatform, AlertNotifier>>,
    charts: ChartSource,
    /** Draws predictive alerts' forecast charts; without it they get the engine's 3-hour chart. */
    draw?: DrawChart,
  ): Promise<void>;
  stop(): Promise<void>;
  /** Told when a group's message is posted or updated (the first look starts from it); set before delivery starts. */
  onMessage(handler: NonNullable<AlertDeliveryOptions["onMessage"]>): void;
}

export function createAlertFlow(deps: {
  config: Config;
  redis: Redis;
  prefix: string;
  logger: Logger;
  metrics: BotMetrics;
  environments: Environments;
  now?: () => number;
}): AlertFlow {
  const { config, redis, prefix, logger, metrics, now } = deps;
  const messageOptions = alertMessageOptions(config, now);
  let delivery: AlertDelivery | undefined;
  let onMessage: AlertDeliveryOptions["onMessage"];
  // Alerts are stored whatever is configured; they are posted once a route or default channel says where.
  const pipeline = createAlertPipeline({
    config,
    redis,
    prefix,
    logger,
    onQueued: () => void delivery?.kick(),
    onReceived: (alert, change) => metrics.alertsReceived.inc({ source: alert.source, change }),
    ...(now ? { now } : {}),
  });
  const { store, service } = pipeline;
  new Gauge({
    name: "cloudops_alert_outbox_length",
    help: "Alert groups waiting to be posted or updated (grows while chat platforms fail).",
    registers: [metrics.registry],
    async collect() {
      this.set(await store.outboxLength().catch(() => Number.NaN));
    },
  });
  const rules = new ChatRules(redis, `${prefix}:alerts`, deps.environments, service, now);
  service.onRuleAlertResolved((ruleId, fp) => rules.alertResolved(ruleId, fp));
  const predictive = new PredictiveAlerts({
    redis,
    prefix,
    environments: deps.environments,
    alerts: service,
    rules,
    diskWithinMs: config.alerts.predictiveDiskWithinMs,
    memoryWithinMs: config.alerts.predictiveMemoryWithinMs,
    ...(now ? { now } : {}),
  });
  // Workers in other processes (anomaly scans, rules) say when they queued alerts.
  const kicks = redis.duplicate();
  kicks.on("error", (err: Error) => logger.debug({ err: err.message }, "redis subscriber error"));
  kicks.on("message", () => void delivery?.kick());

  return {
    ...pipeline,
    rules,
    predictive,
    messageOptions,
    async startDelivery(notifiers, charts, draw) {
      if (Object.keys(notifiers).length === 0) return;
      delivery = new AlertDelivery(store, notifiers, logger, {
        groupWaitMs: config.alerts.groupWaitMs,
        onDelivery: (platform, outcome) => metrics.alertDeliveries.inc({ platform, outcome }),
        chartFor: alertChart(charts, draw ? { source: predictive, draw } : undefined),
        housekeeping: () => service.housekeeping(config.alerts.repeatIntervalMs),
        onMessage: (state, ref, first) => onMessage?.(state, ref, first),
        ...(now ? { now } : {}),
      });
      delivery.start();
      await kicks
        .subscribe(kickChannel(prefix))
        .catch((e: unknown) =>
          logger.warn({ err: String(e) }, "alert kicks unavailable; the outbox is still read every 15 s"),
        );
    },
    async stop() {
      await delivery?.stop();
      kicks.disconnect();
    },
    onMessage(handler) {
      onMessage = handler;
    },
  };
}
