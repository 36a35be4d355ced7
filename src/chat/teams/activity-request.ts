/**
 * A Teams activity → an {@link ActionRequest} for the dispatcher. Translation only: who sent it (the
 * Entra object id when Teams gives one, which is what TEAMS_ALLOWED_USERS and ALERT_ACTORS list),
 * from which tenant and conversation, and what they asked for — a typed message read by the one
 * command parser, or a card button whose payload is checked by {@link decodeAction}.
 */
import type { Activity } from "botbuilder";
import { type Action, decodeAction } from "../../reply/action.js";
import type { UserRef } from "../../reply/reply.js";
import { parseCommand } from "../commands.js";
import type { ActionRequest } from "../platform.js";

/** Longest name or id kept from an activity (they end up in audit entries and cards). */
const MAX_NAME = 100;
/** Longest message read as a command or question. */
const MAX_TEXT = 4000;

type Incoming = Partial<Activity>;

/** A field of the activity as a non-empty string, or undefined: the typings describe Teams, not the wire. */
function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function actorOf(activity: Incoming): UserRef {
  const from = activity.from;
  const id = (text(from?.aadObjectId) ?? text(from?.id) ?? "unknown").slice(0, MAX_NAME);
  return { platform: "teams", id, name: (text(from?.name) ?? id).slice(0, MAX_NAME) };
}

/** The Entra tenant the activity came from: the conversation says it, or else the channel data. */
export function tenantOf(activity: Incoming): string | undefined {
  const fromChannelData = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  return text(activity.conversation?.tenantId) ?? text(fromChannelData);
}

export function placeOf(activity: Incoming): ActionRequest["place"] {
  return {
    id: text(activity.conversation?.id)?.slice(0, 400) ?? "unknown",
    kind: activity.conversation?.conversationType === "personal" ? "direct" : "channel",
  };
}

/** Who is asking, from where: what the access policy looks at besides the action. */
export type Who = Omit<ActionRequest, "action" | "via">;

export function whoOf(activity: Incoming): Who {
  const tenant = tenantOf(activity);
  return { actor: actorOf(activity), ...(tenant ? { tenant } : {}), place: placeOf(activity) };
}

function request(activity: Incoming, action: Action, via: ActionRequest["via"]): ActionRequest {
  return { ...whoOf(activity), via, action };
}

/**
 * A message: its text (without the bot's @mention) as a command or question. A message that carries
 * a card payload instead (Action.Submit, as older clients send for a card button) is a button press.
 */
export function messageRequest(activity: Incoming, textWithoutMention: string): ActionRequest | undefined {
  const submitted = (activity.value as { action?: unknown } | undefined)?.action;
  if (submitted !== undefined) {
    const action = decodeAction(submitted);
    return action ? request(activity, action, "button") : undefined;
  }
  return request(activity, parseCommand(textWithoutMention.slice(0, MAX_TEXT)), "message");
}

/**
 * An `adaptiveCard/action` invoke (Action.Execute): the typed action in its data, or undefined when
 * the payload is not one of ours (forged, or from a card of an older version).
 */
export function cardActionRequest(activity: Incoming, verb: string): ActionRequest | undefined {
  const value = activity.value as { action?: { verb?: unknown; data?: { action?: unknown } } } | undefined;
  if (value?.action?.verb !== verb) return undefined;
  const action = decodeAction(value.action.data?.action);
  return action ? request(activity, action, "button") : undefined;
}

/** What a new conversation is greeted with: the help card, through the same policy as everything. */
export function welcomeRequest(activity: Incoming): ActionRequest {
  return request(activity, { kind: "help" }, "message");
}
