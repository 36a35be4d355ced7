/**
 * The Slack app: Bolt on the shared HTTP server (`POST /slack/events`, signature-verified by Bolt) or
 * over Socket Mode when SLACK_APP_TOKEN is set. Listeners translate Slack events into questions; the
 * assistant decides the answers.
 */
import { App, ExpressReceiver } from "@slack/bolt";
import type { Router } from "express";
import type { RuleCommands } from "../../alerts/alert-commands.js";
import type { AlertService } from "../../alerts/alert-service.js";
import type { Assistant } from "../../assistant/assistant.js";
import type { Config } from "../../config/config.js";
import type { BotMetrics } from "../../observability/bot-metrics.js";
import type { Logger } from "../../observability/logger.js";
import { boltLogger } from "./bolt-logger.js";
import { registerActions } from "./listeners/actions.js";
import { registerAlertActions } from "./listeners/alert-actions.js";
import { registerAppHome } from "./listeners/app-home.js";
import { registerCommand } from "./listeners/command.js";
import { registerDirectMessages } from "./listeners/direct-message.js";
import { registerMention } from "./listeners/mention.js";
import type { SlackContext } from "./slack-context.js";
import { SlackResponder, slackErrorReason } from "./slack-responder.js";

export const SLACK_EVENTS_PATH = "/slack/events";

export interface SlackPlatformDeps {
  config: Config["slack"];
  assistant: Assistant;
  metrics: BotMetrics;
  logger: Logger;
  environmentNames: () => string[];
  alerts?: AlertService;
  rules?: RuleCommands;
}

export interface SlackPlatform {
  /** Express router serving POST /slack/events (HTTP mode only). */
  router?: Router;
  /** Verifies the token (auth.test) and, in Socket Mode, connects. Rejects with a clear reason. */
  start(): Promise<{ botUserId: string; team: string }>;
  stop(): Promise<void>;
  app: App;
}

/** Thrown when Slack cannot be used with the configured credentials. */
export class SlackStartError extends Error {
  override name = "SlackStartError";
}

export function createSlackPlatform(deps: SlackPlatformDeps): SlackPlatform {
  const { config } = deps;
  if (!config.botToken) throw new SlackStartError("SLACK_BOT_TOKEN is not set");
  const logger = boltLogger(deps.logger);
  const clientOptions = {
    ...(config.apiUrl
      ? { slackApiUrl: config.apiUrl.endsWith("/") ? config.apiUrl : `${config.apiUrl}/` }
      : {}),
    // Retry 5xx and network errors with backoff; a 429 waits for Retry-After first, then retries.
    retryConfig: { retries: 4, factor: 2, minTimeout: 250, maxTimeout: 4000, randomize: true },
    rejectRateLimitedCalls: false,
    timeout: 10_000,
  };
  const socketMode = Boolean(config.appToken);
  let receiver: ExpressReceiver | undefined;
  let app: App;
  if (socketMode) {
    app = new App({
      token: config.botToken,
      appToken: config.appToken,
      socketMode: true,
      logger,
      clientOptions,
      deferInitialization: true,
      // Bolt's in-memory conversation store is unused here and costs time on every event.
      convoStore: false,
    });
  } else {
    if (!config.signingSecret) throw new SlackStartError("SLACK_SIGNING_SECRET is required for HTTP mode");
    receiver = new ExpressReceiver({
      signingSecret: config.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      logger,
      // Acknowledge first, work after: Slack wants an answer within 3 s.
      processBeforeResponse: false,
    });
    app = new App({
      token: config.botToken,
      receiver,
      logger,
      clientOptions,
      deferInitialization: true,
      convoStore: false,
    });
  }
  const ctx: SlackContext = {
    assistant: deps.assistant,
    responder: new SlackResponder({
      client: app.client,
      assistant: deps.assistant,
      logger: deps.logger,
      metrics: deps.metrics,
    }),
    access: { allowedChannels: config.allowedChannels, allowedUsers: config.allowedUsers },
    logger: deps.logger,
    environmentNames: deps.environmentNames,
    ...(deps.alerts ? { alerts: deps.alerts } : {}),
    ...(deps.rules ? { rules: deps.rules } : {}),
  };
  registerCommand(app, ctx);
  registerMention(app, ctx);
  registerDirectMessages(app, ctx);
  registerActions(app, ctx);
  registerAlertActions(app, ctx);
  registerAppHome(app, ctx);
  app.error(async (error) => {
    deps.metrics.errors.inc({ component: "slack", reason: "listener" });
    deps.logger.error(
      { err: error.message, code: (error as { code?: string }).code },
      "Slack listener failed",
    );
  });

  return {
    router: receiver?.router,
    app,
    async start() {
      try {
        await app.init();
      } catch (e) {
        throw new SlackStartError(`Slack rejected the bot token (auth.test: ${slackErrorReason(e)})`);
      }
      const auth = await app.client.auth.test();
      ctx.botUserId = auth.user_id;
      if (socketMode) await app.start();
      return { botUserId: auth.user_id ?? "", team: auth.team ?? "" };
    },
    async stop() {
      if (socketMode) await app.stop();
    },
  };
}
