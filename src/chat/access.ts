/**
 * Who may use the bot where, and who may act on alerts: one policy for every platform, applied by
 * the dispatcher before anything else happens. Lists come from configuration; an empty list allows
 * everyone, except acting from places without a signed-in person (console, API), which is refused.
 */
import { isActing } from "../reply/action.js";
import { makeReply, type Reply } from "../reply/reply.js";
import type { ActionRequest } from "./platform.js";

export interface AccessLists {
  slack: { channels: readonly string[]; users: readonly string[] };
  teams: { tenants: readonly string[]; users: readonly string[] };
  /** ALERT_ACTORS: user ids allowed to acknowledge, silence, resolve and change rules. */
  actors: readonly string[];
}

const refusal = (text: string): Reply => makeReply({ title: "🚫 Not allowed", text, tone: "warning" });

/** Why the request is refused, or undefined when it may go ahead. */
export function refuse(lists: AccessLists, request: ActionRequest): Reply | undefined {
  const { actor, place } = request;
  if (actor.platform === "slack") {
    const { channels, users } = lists.slack;
    if (users.length > 0 && !users.includes(actor.id))
      return refusal(
        "You are not on this bot's list of users (SLACK_ALLOWED_USERS). Ask the team that runs it to add you.",
      );
    // Direct messages and the App Home are governed by the user list alone.
    if (place.kind === "channel" && channels.length > 0 && !channels.includes(place.id))
      return refusal(
        "I don't answer in this channel (it is not in SLACK_ALLOWED_CHANNELS). Ask me in an allowed channel or in a direct message.",
      );
  } else if (actor.platform === "teams") {
    const { tenants, users } = lists.teams;
    if (tenants.length > 0 && !(request.tenant && tenants.includes(request.tenant)))
      return refusal("This bot does not serve your organisation (TEAMS_ALLOWED_TENANTS).");
    if (users.length > 0 && !users.includes(actor.id))
      return refusal(
        "You are not on this bot's list of users (TEAMS_ALLOWED_USERS). Ask the team that runs it to add you.",
      );
  }
  if (!isActing(request.action)) return undefined;
  if (actor.platform !== "slack" && actor.platform !== "teams")
    return refusal(
      "Acting on alerts needs a signed-in person: acknowledge, silence and resolve from Slack or Teams.",
    );
  if (lists.actors.length > 0 && !lists.actors.includes(actor.id))
    return refusal(
      "You are not on the list of people allowed to act on alerts (ALERT_ACTORS). Ask an admin.",
    );
  return undefined;
}
