/**
 * One Teams turn: a message, an installation, or a card button → an {@link ActionRequest} → the one
 * dispatcher → what its {@link Outcome} says to show, as Teams can show it. Nothing is decided here:
 * access, metrics, audit and the "answered by" line are the dispatcher's.
 *
 * Card buttons (Action.Execute) are answered in the invoke response: the alert's card as it is now
 * (the alert pipeline updates it for everyone), the answer card for a follow-up question, a toast for
 * a refusal or failure; anything else (details, listings) is posted below the card.
 */
import { type Activity, ActivityTypes, TurnContext } from "botbuilder";
import type { Logger } from "../../observability/logger.js";
import { makeReply, type Reply, type UserRef } from "../../reply/reply.js";
import type { ActionDispatcher, Outcome } from "../dispatcher.js";
import type { ActionRequest } from "../platform.js";
import { cardActionRequest, messageRequest, welcomeRequest } from "./activity-request.js";
import { ACTION_VERB, type CardOptions } from "./adaptive-card.js";
import type { ConversationReferences } from "./conversation-references.js";
import { cardMessage, cardResponse, toastResponse } from "./outgoing-activities.js";

export interface TurnDeps {
  dispatcher: Pick<ActionDispatcher, "dispatch">;
  references: ConversationReferences;
  logger: Logger;
  /** How a reply's card is drawn (the platform knows where charts are served). */
  cardOptions: (reply: Reply) => CardOptions;
  /** Told of everyone who speaks to the bot (names for resolveUser). */
  onActor?: (actor: UserRef) => void;
}

const unknownButton = makeReply({
  title: "Unknown button",
  text: "That button is not one this bot made (or its card is from an older version). Ask again to get a fresh card.",
  tone: "error",
});

export function teamsTurns(deps: TurnDeps): (context: TurnContext) => Promise<void> {
  const { dispatcher, logger } = deps;
  const message = (reply: Reply) => cardMessage(reply, deps.cardOptions(reply));
  const card = (reply: Reply) => cardResponse(reply, deps.cardOptions(reply));

  /** Remembering the conversation (for alerts posted there later) must never stop the answer. */
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

  const dispatch = (request: ActionRequest): Promise<Outcome> => {
    deps.onActor?.(request.actor);
    return dispatcher.dispatch(request);
  };

  /** Teams has no message only one person of a channel sees: the outcome goes to the conversation. */
  const show = async (context: TurnContext, outcome: Outcome) => {
    for (const reply of [outcome.reply, ...outcome.more]) await context.sendActivity(message(reply));
  };

  const onMessage = async (context: TurnContext) => {
    const activity = context.activity;
    await remember(activity);
    const text = (TurnContext.removeRecipientMention(activity) ?? activity.text ?? "").trim();
    const request = messageRequest(activity, text);
    if (!request) {
      await context.sendActivity(message(unknownButton));
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
    if (!request) {
      await context.sendActivity(toastResponse(unknownButton));
      return;
    }
    const outcome = await dispatch(request);
    // An action on an alert answers with a short message; the alert pipeline updates the card itself,
    // for everyone, so a card sent back here could never land after (and hide) a newer one.
    if (outcome.answer) {
      // A follow-up question: its answer replaces the card it was asked from.
      await context.sendActivity(card(outcome.reply));
    } else if (!outcome.ok || outcome.quiet) {
      await context.sendActivity(toastResponse(outcome.reply));
    } else {
      // Details, listings: a card of their own below, so the pressed card keeps its buttons.
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
