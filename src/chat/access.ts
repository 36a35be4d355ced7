/**
 * Who may use the bot where, and who may act on alerts: one policy for every platform, applied by
 * the dispatcher before anything else happens. Lists come from configuration; an empty allow-list
 * allows everyone, except acting from places without a signed-in person (console, API), which is
 * refused, and, once any user list is set, reading alerts and the audit log from such places.
 * Acting is the exception: an empty ALERT_ACTORS lets nobody act (a silence can hide every alert);
 * "*" is how an operator says "anyone the allow-lists admit".
 */
import { type Action, isActing } from "../reply/action.js";
import { makeReply, type Reply } from "../reply/reply.js";
import type { ActionRequest } from "./platform.js";

export interface AccessLists {
  slack: { channels: readonly string[]; users: readonly string[] };
  teams: { tenants: readonly string[]; users: readonly string[] };
  /**
   * ALERT_ACTORS: user ids allowed to acknowledge, silence, resolve and change rules; "*" for anyone
   * the allow-lists admit; empty for nobody.
   */
  actors: readonly string[] | "*";
}

/** Requests that show who did what to which alert. */
const READS_ALERTS: ReadonlySet<Action["kind"]> = new Set([
  "alerts.list",
  "alerts.audit",
  "alert.details",
  "rules.list",
  // A digest tells alert counts, times to acknowledge and who is firing.
  "digest.now",
]);

/** Whether the bot serves only listed people somewhere. */
function restricted(lists: AccessLists): boolean {
  return lists.slack.users.length > 0 || lists.teams.users.length > 0 || lists.teams.tenants.length > 0;
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
  const signedIn = request.signedIn ?? (actor.platform === "slack" || actor.platform === "teams");
  // Where the bot serves only listed people, who acknowledged what (the audit log, alert listings)
  // is theirs to read: not for a console or API caller without a token.
  if (!signedIn && READS_ALERTS.has(request.action.kind) && restricted(lists))
    return refusal(
      "Alerts and the audit log are for the people on this bot's allow-lists: ask in Slack or Teams.",
    );
  if (!isActing(request.action)) return undefined;
  if (!signedIn)
    return refusal(
      "Acting on alerts needs a signed-in person: acknowledge, silence and resolve from Slack, Teams, or with an API token (API_TOKENS).",
    );
  if (lists.actors === "*") return undefined;
  if (lists.actors.length === 0)
    return refusal(
      "Nobody may act on alerts here yet: ALERT_ACTORS is empty. Ask an admin to list who may (or set it to * for everyone the bot answers).",
    );
  if (!lists.actors.includes(actor.id))
    return refusal(
      "You are not on the list of people allowed to act on alerts (ALERT_ACTORS). Ask an admin.",
    );
  return undefined;
}

/** The start-up warning ALERT_ACTORS calls for, if any. */
export function actorsWarning(actors: AccessLists["actors"]): string | undefined {
  return actors !== "*" && actors.length === 0
    ? "ALERT_ACTORS is empty: nobody may acknowledge, silence or resolve alerts. List user ids, or set ALERT_ACTORS=* for everyone the bot answers."
    : undefined;
}
