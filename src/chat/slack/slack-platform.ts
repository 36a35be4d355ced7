/**
 * Slack, assembled: the Bolt app, the {@link SlackChatPlatform} that talks to Slack, and the listeners
 * that turn commands, mentions, direct messages, buttons and the App Home into requests for the one
 * dispatcher. Listeners translate; the dispatcher decides.
 */
import type { Config } from "../../config/config.js";
import type { BotMetrics } from "../../observability/bot-metrics.js";
import type { Logger } from "../../observability/logger.js";
import type { ActionDispatcher } from "../dispatcher.js";
import { createBoltApp } from "./bolt-app.js";
import { registerAppHome } from "./listeners/app-home.js";
import { registerButtons } from "./listeners/buttons.js";
import { registerCommand } from "./listeners/command.js";
import { registerDirectMessages } from "./listeners/direct-message.js";
import { registerMention } from "./listeners/mention.js";
import { SlackChatPlatform } from "./slack-chat-platform.js";
import type { SlackContext } from "./slack-context.js";
import { SlackResponder } from "./slack-responder.js";

export { SLACK_EVENTS_PATH } from "./bolt-app.js";
export { SlackChatPlatform } from "./slack-chat-platform.js";
export { SlackStartError } from "./slack-errors.js";

export interface SlackPlatformDeps {
  config: Config["slack"];
  dispatcher: Pick<ActionDispatcher, "dispatch" | "unknownAction">;
  metrics: BotMetrics;
  logger: Logger;
}

export function createSlackPlatform(deps: SlackPlatformDeps): SlackChatPlatform {
  const { app, router, socketMode } = createBoltApp(deps.config, deps.logger);
  const platform = new SlackChatPlatform({
    app,
    socketMode,
    metrics: deps.metrics,
    logger: deps.logger,
    ...(router ? { router } : {}),
  });
  const dispatch = (request: Parameters<ActionDispatcher["dispatch"]>[0]) =>
    deps.dispatcher.dispatch(request);
  const ctx: SlackContext = {
    platform,
    dispatch,
    unknownAction: (who) => deps.dispatcher.unknownAction(who),
    responder: new SlackResponder({ platform, dispatch, logger: deps.logger }),
    logger: deps.logger,
  };
  registerCommand(app, ctx);
  registerMention(app, ctx);
  registerDirectMessages(app, ctx);
  registerButtons(app, ctx);
  registerAppHome(app, ctx);
  app.error(async (error) => {
    deps.metrics.errors.inc({ component: "slack", reason: "listener" });
    deps.logger.error(
      { err: error.message, code: (error as { code?: string }).code },
      "Slack listener failed",
    );
  });
  return platform;
}
