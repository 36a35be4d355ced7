/**
 * Microsoft Teams: botbuilder's CloudAdapter on `POST /api/messages`, JWT-validated when an app id and
 * password are configured (emulator mode, unauthenticated, only when none are). Messages become
 * questions; answers go back as Adaptive Cards; Action.Execute buttons refresh the card in place.
 */
import {
  type Activity,
  ActivityTypes,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConversationReference,
  TurnContext,
} from "botbuilder";
import type { Request, Response } from "express";
import type { Assistant } from "../../assistant/assistant.js";
import type { Config } from "../../config/config.js";
import type { BotMetrics } from "../../observability/bot-metrics.js";
import type { Logger } from "../../observability/logger.js";
import type { Answer, Reply } from "../../reply/reply.js";
import { ASK_VERB, renderCard } from "./adaptive-card.js";
import type { ConversationReferences } from "./conversation-references.js";

export const TEAMS_MESSAGES_PATH = "/api/messages";

export interface TeamsPlatformDeps {
  config: Config["teams"];
  assistant: Assistant;
  references: ConversationReferences;
  metrics: BotMetrics;
  logger: Logger;
  /** Public URL for a chart PNG when the bot is reachable from Teams; undefined otherwise. */
  chartUrl?: (png: Buffer) => string | undefined;
}

export interface TeamsPlatform {
  handle(req: Request, res: Response): Promise<void>;
  /** Posts a reply into a stored conversation; returns the new activity id. */
  post(conversationId: string, reply: Reply): Promise<string | undefined>;
  /** Replaces a posted activity's card (alerts resolved or acknowledged). */
  update(conversationId: string, activityId: string, reply: Reply): Promise<void>;
  authenticated: boolean;
}

export function createTeamsPlatform(deps: TeamsPlatformDeps): TeamsPlatform {
  const { config, logger } = deps;
  const authenticated = Boolean(config.appId && config.appPassword);
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.appId ?? "",
    MicrosoftAppPassword: config.appPassword ?? "",
    MicrosoftAppType: config.appType ?? (config.tenantId ? "SingleTenant" : "MultiTenant"),
    MicrosoftAppTenantId: config.tenantId ?? "",
  });
  const adapter = new CloudAdapter(auth);
  if (!authenticated) {
    logger.warn(
      "Teams: no TEAMS_APP_ID/TEAMS_APP_PASSWORD, so /api/messages accepts unauthenticated activities (emulator mode)",
    );
  }
  adapter.onTurnError = async (context, error) => {
    deps.metrics.errors.inc({ component: "teams", reason: "turn" });
    logger.error(
      { err: error.message, conversation: context.activity.conversation?.id },
      "Teams turn failed",
    );
    try {
      await context.sendActivity("⚠️ Something went wrong while answering; the bot's log has the details.");
    } catch {
      // The connector itself may be what failed; the error is logged above.
    }
  };

  const card = (answer: Answer) =>
    CardFactory.adaptiveCard(
      renderCard(answer.reply, {
        footer: `answered by ${answer.provider}`,
        chartUrl: answer.reply.chart ? deps.chartUrl?.(answer.reply.chart.png) : undefined,
      }),
    );

  const ask = async (context: TurnContext, text: string): Promise<Answer> => {
    const activity = context.activity;
    const started = performance.now();
    const answer = await deps.assistant.answer({
      platform: "teams",
      user: activity.from?.id ?? "unknown",
      channel: activity.conversation?.id ?? "unknown",
      text,
    });
    deps.metrics.questions.inc({ intent: answer.intent, provider: answer.provider, platform: "teams" });
    deps.metrics.answerSeconds.observe({ provider: answer.provider }, (performance.now() - started) / 1000);
    return answer;
  };

  /** Remembering the conversation must never stop the answer. */
  const remember = async (activity: Partial<Activity>) => {
    try {
      await deps.references.save(TurnContext.getConversationReference(activity));
    } catch (e) {
      logger.warn(
        { err: e instanceof Error ? e.message : String(e) },
        "Teams: could not store the conversation reference",
      );
    }
  };

  const logic = async (context: TurnContext): Promise<void> => {
    const activity = context.activity;
    switch (activity.type) {
      case ActivityTypes.Message: {
        await remember(activity);
        const submitted = (activity.value as { question?: unknown } | undefined)?.question;
        const text =
          typeof submitted === "string"
            ? submitted
            : (TurnContext.removeRecipientMention(activity) ?? activity.text ?? "");
        await context.sendActivity({ type: ActivityTypes.Typing });
        const answer = await ask(context, text.trim() || "help");
        await context.sendActivity({
          type: ActivityTypes.Message,
          text: answer.reply.title,
          attachments: [card(answer)],
        });
        deps.metrics.chatPosts.inc({ platform: "teams", outcome: "ok" });
        return;
      }
      case ActivityTypes.ConversationUpdate:
      case ActivityTypes.InstallationUpdate: {
        const added = activity.membersAdded?.some((m) => m.id === activity.recipient?.id);
        if (activity.type === ActivityTypes.InstallationUpdate || added) {
          await remember(activity);
          logger.info({ conversation: activity.conversation?.id }, "Teams: installed in a conversation");
        }
        if (added) {
          const answer = await ask(context, "help");
          await context.sendActivity({ attachments: [card(answer)] });
        }
        return;
      }
      case ActivityTypes.Invoke: {
        if (activity.name !== "adaptiveCard/action") return;
        const value = activity.value as
          | { action?: { verb?: unknown; data?: { question?: unknown } } }
          | undefined;
        const question = value?.action?.verb === ASK_VERB ? value.action.data?.question : undefined;
        if (typeof question !== "string") {
          await context.sendActivity({
            type: ActivityTypes.InvokeResponse,
            value: {
              status: 200,
              body: {
                statusCode: 400,
                type: "application/vnd.microsoft.error",
                value: { code: "BadRequest", message: "Unknown action" },
              },
            },
          });
          return;
        }
        const answer = await ask(context, question);
        await context.sendActivity({
          type: ActivityTypes.InvokeResponse,
          value: {
            status: 200,
            body: {
              statusCode: 200,
              type: "application/vnd.microsoft.card.adaptive",
              value: card(answer).content,
            },
          },
        });
        return;
      }
      default:
        return;
    }
  };

  const continueIn = async (conversationId: string, work: (context: TurnContext) => Promise<void>) => {
    const reference = await deps.references.get(conversationId);
    if (!reference) throw new Error(`no Teams conversation reference stored for ${conversationId}`);
    await adapter.continueConversationAsync(
      config.appId ?? "", // Validated on save and load; its shape is the one TurnContext.getConversationReference produced.
      reference as unknown as Partial<ConversationReference>,
      work,
    );
  };

  return {
    authenticated,
    async handle(req, res) {
      await adapter.process(req, res, logic);
    },
    async post(conversationId, reply) {
      let id: string | undefined;
      await continueIn(conversationId, async (context) => {
        const r = await context.sendActivity({
          attachments: [CardFactory.adaptiveCard(renderCard(reply))],
          text: reply.title,
        });
        id = r?.id;
      });
      return id;
    },
    async update(conversationId, activityId, reply) {
      await continueIn(conversationId, async (context) => {
        await context.updateActivity({
          id: activityId,
          type: ActivityTypes.Message,
          text: reply.title,
          attachments: [CardFactory.adaptiveCard(renderCard(reply))],
        } as Partial<Activity>);
      });
    },
  };
}
