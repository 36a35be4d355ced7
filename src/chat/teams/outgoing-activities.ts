/**
 * The activities the bot sends: a reply as an Adaptive Card message, thread lines as a small card,
 * and the two answers to a card button Teams understands (Universal Actions): a card that replaces
 * the pressed one, or a message toast that leaves it as it is.
 */
import { type Activity, ActivityTypes, CardFactory } from "botbuilder";
import { plainText, type Reply, type RichText } from "../../reply/reply.js";
import { type CardOptions, renderCard, renderLinesCard } from "./adaptive-card.js";
import { cut } from "./text-runs.js";

/**
 * A reply as a card-only message. No `text`: Teams reads an activity's text as Markdown, so the title
 * goes in `summary` (plain, for clients that cannot show cards) and in the card, as literal text.
 */
export function cardMessage(reply: Reply, opts: CardOptions = {}): Partial<Activity> {
  return {
    type: ActivityTypes.Message,
    summary: cut(reply.title, 150),
    attachments: [CardFactory.adaptiveCard(renderCard(reply, opts))],
  };
}

export function linesMessage(lines: RichText[]): Partial<Activity> {
  return {
    type: ActivityTypes.Message,
    summary: cut(lines.map(plainText).join(" · "), 150),
    attachments: [CardFactory.adaptiveCard(renderLinesCard(lines))],
  };
}

/** The answer to an `adaptiveCard/action` invoke. */
export type InvokeBody =
  | { statusCode: 200; type: "application/vnd.microsoft.card.adaptive"; value: unknown }
  | { statusCode: 200; type: "application/vnd.microsoft.activity.message"; value: string };

export function invokeResponse(body: InvokeBody): Partial<Activity> {
  return { type: ActivityTypes.InvokeResponse, value: { status: 200, body } };
}

/** The card that replaces the pressed one, for whoever pressed it. */
export function cardResponse(reply: Reply, opts: CardOptions = {}): Partial<Activity> {
  return invokeResponse({
    statusCode: 200,
    type: "application/vnd.microsoft.card.adaptive",
    value: renderCard(reply, opts),
  });
}

/** A short message shown to whoever pressed the button; the card stays as it is. */
export function toastResponse(reply: Pick<Reply, "title" | "text">): Partial<Activity> {
  const text = plainText(reply.text);
  return invokeResponse({
    statusCode: 200,
    type: "application/vnd.microsoft.activity.message",
    value: cut(text ? `${reply.title}: ${text}` : reply.title, 500),
  });
}
