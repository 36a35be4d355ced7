/**
 * The chat platforms the configuration asks for, each on the one HTTP server and the one
 * dispatcher, with its alert notifier. A new platform is one folder under chat/ and a few lines here.
 */
import express, { type Express } from "express";
import type { Redis } from "ioredis";
import type { AlertNotifier } from "../alerts/alert-delivery.js";
import type { GroupMessageOptions } from "../alerts/group-message.js";
import type { TargetPlatform } from "../alerts/routing.js";
import type { ActionDispatcher } from "../chat/dispatcher.js";
import type { ChatPlatform } from "../chat/platform.js";
import { alertWebClient, SlackAlertNotifier } from "../chat/slack/slack-alert-notifier.js";
import { createSlackPlatform } from "../chat/slack/slack-platform.js";
import { ConversationReferences } from "../chat/teams/conversation-references.js";
import { TeamsAlertNotifier } from "../chat/teams/teams-alert-notifier.js";
import { createTeamsPlatform, TEAMS_MESSAGES_PATH } from "../chat/teams/teams-chat-platform.js";
import type { Config } from "../config/config.js";
import type { BotMetrics } from "../observability/bot-metrics.js";
import type { Logger } from "../observability/logger.js";

export interface ChatFlow {
  platforms: ChatPlatform[];
  notifiers: Partial<Record<TargetPlatform, AlertNotifier>>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createChatFlow(deps: {
  config: Config;
  dispatcher: ActionDispatcher;
  http: Express;
  redis: Redis;
  prefix: string;
  metrics: BotMetrics;
  logger: Logger;
  messageOptions: GroupMessageOptions;
  /** A public URL for a chart PNG, when the bot has one (Teams fetches images itself). */
  chartUrl?: (png: Buffer) => string;
}): ChatFlow {
  const { config, dispatcher, http, metrics, logger } = deps;
  const platforms: ChatPlatform[] = [];
  const notifiers: Partial<Record<TargetPlatform, AlertNotifier>> = {};
  if (config.slack.botToken) {
    const slack = createSlackPlatform({ config: config.slack, dispatcher, metrics, logger });
    if (slack.router) http.use(slack.router);
    platforms.push(slack);
    notifiers.slack = new SlackAlertNotifier(
      alertWebClient(config.slack.botToken, config.slack.apiUrl),
      deps.messageOptions,
    );
  }
  if (config.teams.appId || config.teams.emulator) {
    const teams = createTeamsPlatform({
      config: config.teams,
      dispatcher,
      references: new ConversationReferences(deps.redis, `${deps.prefix}:teams:references`),
      metrics,
      logger,
      ...(deps.chartUrl ? { chartUrl: deps.chartUrl } : {}),
    });
    http.post(TEAMS_MESSAGES_PATH, express.json({ limit: "256kb" }), (req, res, next) => {
      teams.handle(req, res).catch(next);
    });
    platforms.push(teams);
    notifiers.teams = new TeamsAlertNotifier(teams, deps.messageOptions);
  }
  return {
    platforms,
    notifiers,
    async start() {
      for (const p of platforms) await p.start();
    },
    async stop() {
      for (const p of platforms) await p.stop();
    },
  };
}
