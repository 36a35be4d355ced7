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
import type { AlertService } from "../../alerts/alert-service.js";
import type { Assistant } from "../../assistant/assistant.js";
import type { Config } from "../../config/config.js";
import type { BotMetrics } from "../../observability/bot-metrics.js";
import type { Logger } from "../../observability/logger.js";
import type { Answer, Reply } from "../../reply/reply.js";
import { ALERT_VERB, ASK_VERB, renderCard } from "./adaptive-card.js";
import type { ConversationReferences } from "./conversation-references.js";

export const TEAMS_MESSAGES_PATH = "/api/messages";

/** The part of botframework-connector's ConnectorClient used here (the adapter keeps one per turn). */
interface ConversationsClient {
  conversations: {
    sendToConversation(conversationId: string, activity: Partial<Activity>): Promise<{ id?: string }>;
    replyToActivity(
      conversationId: string,
      activityId: string,
      activity: Partial<Activity>,
    ): Promise<{ id?: string }>;
  };
}

export interface TeamsPlatformDeps {
  config: Config["teams"];
  assistant: Assistant;
  references: ConversationReferences;
  metrics: BotMetrics;
  logger: Logger;
  /** Public URL for a chart PNG when the bot is reachable from Teams; undefined otherwise. */
  chartUrl?: (png: Buffer) => string | undefined;
  /** The alert pipeline, for the buttons on alert cards. */
  alerts?: AlertService;
  /** The current card of an alert group, shown to whoever pressed one of its buttons. */
  alertCard?: (groupId: string) => Promise<Reply | undefined>;
}

export interface TeamsPlatform {
  handle(req: Request, res: Response): Promise<void>;
  /** Posts a reply into a stored conversation; returns the new activity id. */
  post(conversationId: string, reply: Reply): Promise<string | undefined>;
  /** Replaces a posted activity's card (alerts resolved or acknowledged). */
  update(conversationId: string, activityId: string, reply: Reply): Promise<void>;
  /** Posts a text reply to a posted activity (in a channel, in its thread). */
  replyTo(conversationId: string, activityId: string, text: string): Promise<void>;
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
        if (value?.action?.verb === ALERT_VERB) {
          await alertAction(context, value.action.data);
          return;
        }
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

  const invokeResponse = (context: TurnContext, body: Record<string, unknown>) =>
    context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
  /** A toast for the person who pressed the button; the card stays as it is. */
  const toast = (context: TurnContext, text: string) =>
    invokeResponse(context, {
      statusCode: 200,
      type: "application/vnd.microsoft.activity.message",
      value: text,
    });

  const alertAction = async (context: TurnContext, data: unknown) => {
    const alerts = deps.alerts;
    const d = (data ?? {}) as { action?: unknown; value?: unknown };
    const action = typeof d.action === "string" ? d.action : "";
    const [id = "", arg = ""] = (typeof d.value === "string" ? d.value : "").slice(0, 200).split(" ");
    if (!alerts) return toast(context, "Alerts are not handled by this bot.");
    const from = context.activity.from;
    const user = from?.aadObjectId ?? from?.id ?? "unknown";
    const who = (from?.name ?? user).slice(0, 100);
    if (action === "alert-details") {
      const details = await alerts.details(id);
      if (!details) return toast(context, `There is no alert ${id.slice(0, 20)}.`);
      await context.sendActivity({ attachments: [CardFactory.adaptiveCard(renderCard(details))] });
      return toast(context, "Details posted below.");
    }
    const result = await alerts.press(action, id, arg, user, who);
    if (!result) return toast(context, "Unknown action.");
    if (!result.ok) return toast(context, result.reply.text);
    // The card as it is now, for whoever pressed; the alert pipeline updates it for everyone.
    const reply = await deps.alertCard?.(id);
    if (!reply) return toast(context, result.reply.text);
    return invokeResponse(context, {
      statusCode: 200,
      type: "application/vnd.microsoft.card.adaptive",
      value: renderCard(reply),
    });
  };

  /** Runs `work` in a stored conversation (proactively, outside any turn Teams started). */
  const continueIn = async (conversationId: string, work: (context: TurnContext) => Promise<void>) => {
    const reference = await deps.references.get(conversationId);
    if (!reference) throw new Error(`no Teams conversation reference stored for ${conversationId}`);
    await adapter.continueConversationAsync(
      config.appId ?? "",
      // Validated on save and load; its shape is the one TurnContext.getConversationReference produced.
      reference as unknown as Partial<ConversationReference>,
      work,
    );
  };

  /**
   * Sends a proactive activity: a new top-level message, or a reply to `replyTo` (in a channel, in its
   * thread). TurnContext.sendActivity would make every proactive message a reply to the turn's
   * synthetic activity, so this goes to the connector directly. Returns the new activity's id.
   */
  const sendProactive = async (conversationId: string, activity: Partial<Activity>, replyTo?: string) => {
    let id: string | undefined;
    await continueIn(conversationId, async (context) => {
      const client = context.turnState.get<ConversationsClient>(context.adapter.ConnectorClientKey);
      const outgoing = TurnContext.applyConversationReference(
        { ...activity },
        TurnContext.getConversationReference(context.activity),
      );
      delete outgoing.replyToId;
      const r = replyTo
        ? await client.conversations.replyToActivity(conversationId, replyTo, {
            ...outgoing,
            replyToId: replyTo,
          })
        : await client.conversations.sendToConversation(conversationId, outgoing);
      id = r.id;
    });
    return id;
  };

  return {
    authenticated,
    async handle(req, res) {
      await adapter.process(req, res, logic);
    },
    async post(conversationId, reply) {
      return sendProactive(conversationId, {
        type: ActivityTypes.Message,
        text: reply.title,
        attachments: [CardFactory.adaptiveCard(renderCard(reply))],
      });
    },
    async replyTo(conversationId, activityId, text) {
      await sendProactive(conversationId, { type: ActivityTypes.Message, text }, activityId);
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
