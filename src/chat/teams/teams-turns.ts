/**
 * One Teams turn: a message, an installation, or a card button → an {@link ActionRequest} → the one
 * dispatcher → what its {@link Outcome} says to show, as Teams can show it. Nothing is decided here:
 * access, metrics, audit and the "answered by" line are the dispatcher's.
 *
 * What the dispatcher gives the asker alone (listings, audit, details, rules, refusals) is never
 * posted into a channel or group chat, which may hold people the bot does not serve: it goes to the
 * person's 1:1 chat with the bot, and the conversation gets a neutral line (private-chat.ts).
 *
 * Card buttons (Action.Execute) are answered in the invoke response, which only the presser sees: the
 * answer card for a follow-up question (it replaces the pressed card), a toast for an action on an
 * alert (the alert pipeline updates its card for everyone), a refusal or a failure; anything else is
 * posted below the card, or privately as above.
 */
import { type Activity, ActivityTypes, TurnContext } from "botbuilder";
import type { Logger } from "../../observability/logger.js";
import type { Reply, UserRef } from "../../reply/reply.js";
import type { ActionDispatcher, Outcome } from "../dispatcher.js";
import type { ActionRequest } from "../platform.js";
import { cardActionRequest, messageRequest, placeOf, welcomeRequest, whoOf } from "./activity-request.js";
import { ACTION_VERB, type CardOptions } from "./adaptive-card.js";
import type { ConversationReferences } from "./conversation-references.js";
import { cardMessage, cardResponse, toastResponse } from "./outgoing-activities.js";
import { NOT_SENT_PRIVATELY, SENT_PRIVATELY, sendPrivately } from "./private-chat.js";

export interface TurnDeps {
  dispatcher: Pick<ActionDispatcher, "dispatch" | "admits" | "unknownAction">;
  references: ConversationReferences;
  logger: Logger;
  /** The bot's app id (empty in emulator mode), for the conversations it opens itself. */
  appId: string;
  /** How a reply's card is drawn (the platform knows where charts are served). */
  cardOptions: (reply: Reply) => CardOptions;
  /** Told of everyone who speaks to the bot (names for resolveUser). */
  onActor?: (actor: UserRef) => void;
}

export function teamsTurns(deps: TurnDeps): (context: TurnContext) => Promise<void> {
  const { dispatcher, logger } = deps;
  const message = (reply: Reply) => cardMessage(reply, deps.cardOptions(reply));
  const card = (reply: Reply) => cardResponse(reply, deps.cardOptions(reply));

  /**
   * Remembers the conversation (for alerts posted there later), only for someone the bot serves: a
   * tenant or person outside the allow-lists adds nothing to Redis. Never stops the answer.
   */
  const remember = async (activity: Partial<Activity>) => {
    if (!dispatcher.admits(whoOf(activity))) return;
    try {
      await deps.references.save(TurnContext.getConversationReference(activity));
    } catch (e) {
      logger.warn(
        { err: e instanceof Error ? e.message : String(e) },
        "Teams: could not store the conversation reference",
      );
    }
  };

  const dispatch = (request: ActionRequest): Promise<Outcome> => {
    deps.onActor?.(request.actor);
    return dispatcher.dispatch(request);
  };

  /** Whether only the person who sent the turn's activity can read what is posted in its conversation. */
  const personal = (context: TurnContext) => placeOf(context.activity).kind === "direct";

  /** Sends `replies` to the person's 1:1 chat; returns the line to leave where they asked. */
  const privately = async (context: TurnContext, replies: Reply[]): Promise<Reply> => {
    try {
      await sendPrivately(context, deps.appId, replies.map(message));
      return SENT_PRIVATELY;
    } catch (e) {
      logger.warn(
        { err: e instanceof Error ? e.message : String(e), conversation: context.activity.conversation?.id },
        "Teams: could not open a private chat for an answer meant for one person",
      );
      return NOT_SENT_PRIVATELY;
    }
  };

  /** Shows an outcome in reply to a message: in the conversation, or privately when it is the asker's alone. */
  const show = async (context: TurnContext, outcome: Outcome) => {
    const replies = [outcome.reply, ...outcome.more];
    // A refusal or a failure shows no data and goes where it was asked: opening a private chat for
    // it would reach into a tenant or for a person the bot does not serve.
    if (outcome.audience === "actor" && outcome.ok && !personal(context)) {
      await context.sendActivity(message(await privately(context, replies)));
      return;
    }
    for (const reply of replies) await context.sendActivity(message(reply));
  };

  const onMessage = async (context: TurnContext) => {
    const activity = context.activity;
    await remember(activity);
    const text = (TurnContext.removeRecipientMention(activity) ?? activity.text ?? "").trim();
    const request = messageRequest(activity, text);
    if (!request) {
      // A card payload (Action.Submit) that is not one of ours: refused first, as everywhere.
      await show(context, dispatcher.unknownAction(whoOf(activity)));
      return;
    }
    await context.sendActivity({ type: ActivityTypes.Typing });
    await show(context, await dispatch(request));
  };

  const onInstalled = async (context: TurnContext) => {
    const activity = context.activity;
    const added = activity.membersAdded?.some((m) => m.id === activity.recipient?.id);
    if (activity.type === ActivityTypes.InstallationUpdate || added) {
      await remember(activity);
      logger.info({ conversation: activity.conversation?.id }, "Teams: installed in a conversation");
    }
    if (added) await show(context, await dispatch(welcomeRequest(activity)));
  };

  const onCardAction = async (context: TurnContext) => {
    const request = cardActionRequest(context.activity, ACTION_VERB);
    const outcome = request ? await dispatch(request) : dispatcher.unknownAction(whoOf(context.activity));
    if (outcome.answer) {
      // A follow-up question: its answer replaces the card it was asked from.
      await context.sendActivity(card(outcome.reply));
    } else if (!outcome.ok || outcome.quiet) {
      // A refusal, a failure, or an action on an alert (its card is updated for everyone).
      await context.sendActivity(toastResponse(outcome.reply));
    } else if (outcome.audience === "actor" && !personal(context)) {
      // Details, listings for the presser alone: the toast is theirs, the cards go to their 1:1 chat.
      await context.sendActivity(toastResponse(await privately(context, [outcome.reply, ...outcome.more])));
    } else {
      // A card of its own below, so the pressed card keeps its buttons.
      await show(context, outcome);
      await context.sendActivity(toastResponse({ title: outcome.reply.title, text: "posted below" }));
    }
  };

  return async (context) => {
    switch (context.activity.type) {
      case ActivityTypes.Message:
        return onMessage(context);
      case ActivityTypes.ConversationUpdate:
      case ActivityTypes.InstallationUpdate:
        return onInstalled(context);
      case ActivityTypes.Invoke:
        if (context.activity.name === "adaptiveCard/action") return onCardAction(context);
        return;
      default:
        return;
    }
  };
}
