/**
 * Builds the alert pipeline's shared parts from the configuration, for the bot and for `cloudops
 * worker` alike, and the Redis channel by which any process tells the posting bot there is work.
 */
import type { Redis } from "ioredis";
import type { Config } from "../config/config.js";
import type { Logger } from "../observability/logger.js";
import { AlertService, type AlertServiceDeps } from "./alert-service.js";
import { AlertStore } from "./alert-store.js";
import { AlertmanagerSilences } from "./alertmanager-silences.js";
import { AuditLog } from "./audit-log.js";
import type { GroupMessageOptions } from "./group-message.js";
import { AlertRouter } from "./routing.js";
import { SilenceStore } from "./silences.js";

export interface AlertPipeline {
  store: AlertStore;
  service: AlertService;
}

/** How alert messages are drawn, the same for the service's replies and every notifier. */
export function alertMessageOptions(config: Config, now?: () => number): GroupMessageOptions {
  return { ...(config.grafanaUrl ? { grafanaUrl: config.grafanaUrl } : {}), ...(now ? { now } : {}) };
}

export function kickChannel(prefix: string): string {
  return `${prefix}:alerts:kick`;
}

export function createAlertPipeline(deps: {
  config: Config;
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** Called after changes were queued. */
  onQueued: () => void;
  onReceived?: AlertServiceDeps["onReceived"];
  now?: () => number;
}): AlertPipeline {
  const { config, redis, prefix } = deps;
  // The routes file was read and validated with the rest of the configuration.
  const router = new AlertRouter({
    ...(config.alerts.routesText ? { routesText: config.alerts.routesText } : {}),
    ...(config.slack.alertChannel ? { defaultSlackChannel: config.slack.alertChannel } : {}),
    ...(config.teams.alertConversation ? { defaultTeamsConversation: config.teams.alertConversation } : {}),
    defaultGroupBy: config.alerts.groupBy,
  });
  const store = new AlertStore(redis, `${prefix}:alerts`, {
    reopenWindowMs: config.alerts.reopenWindowMs,
    firingTtlMs: config.alerts.firingTtlMs,
    maxOpenGroups: config.alerts.maxOpenGroups,
    postsPerMinute: config.alerts.postsPerMinute,
  });
  const service = new AlertService({
    store,
    silences: new SilenceStore(redis, `${prefix}:alerts`),
    audit: new AuditLog(redis, `${prefix}:audit`),
    router,
    logger: deps.logger,
    ...(config.alertmanagerUrl ? { alertmanager: new AlertmanagerSilences(config.alertmanagerUrl) } : {}),
    onQueued: deps.onQueued,
    ...(deps.onReceived ? { onReceived: deps.onReceived } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  return { store, service };
}
