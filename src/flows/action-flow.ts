/**
 * The action flow's wiring: one dispatcher for every platform, with the access lists from the
 * configuration (Slack channels and users, Teams tenants and users, ALERT_ACTORS).
 */
import type { AlertService } from "../alerts/alert-service.js";
import type { RuleCommands } from "../alerts/chat-rules.js";
import type { Assistant } from "../assistant/assistant.js";
import type { BuiltinEngine } from "../assistant/engine.js";
import type { AccessLists } from "../chat/access.js";
import { ActionDispatcher, type InvestigationCommands, type ReportCommands } from "../chat/dispatcher.js";
import type { Config } from "../config/config.js";
import type { DigestCommands } from "../insights/digest-commands.js";
import type { BotMetrics } from "../observability/bot-metrics.js";

export function accessLists(config: Config): AccessLists {
  return {
    slack: { channels: config.slack.allowedChannels, users: config.slack.allowedUsers },
    teams: { tenants: config.teams.allowedTenants, users: config.teams.allowedUsers },
    actors: config.alerts.actors,
  };
}

export function createActionFlow(deps: {
  config: Config;
  assistant: Assistant;
  /** The built-in engine: the App Home's overview comes from it directly. */
  engine: BuiltinEngine;
  metrics: BotMetrics;
  environmentNames: () => string[];
  alerts: AlertService;
  rules: RuleCommands;
  digests?: DigestCommands;
  reports?: ReportCommands;
  investigations?: InvestigationCommands;
  now?: () => number;
}): ActionDispatcher {
  return new ActionDispatcher({
    assistant: deps.assistant,
    overview: deps.engine,
    metrics: deps.metrics,
    environmentNames: deps.environmentNames,
    alerts: deps.alerts,
    rules: deps.rules,
    ...(deps.digests ? { digests: deps.digests } : {}),
    ...(deps.reports ? { reports: deps.reports } : {}),
    ...(deps.investigations ? { investigations: deps.investigations } : {}),
    access: accessLists(deps.config),
    ...(deps.now ? { now: deps.now } : {}),
  });
}
