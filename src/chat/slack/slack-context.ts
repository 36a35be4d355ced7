/** What every Slack listener shares: the platform (to reach Slack) and the responder (to dispatch and show). */
import type { Logger } from "../../observability/logger.js";
import type { Action } from "../../reply/action.js";
import type { Outcome } from "../dispatcher.js";
import type { ActionRequest, PlaceKind } from "../platform.js";
import type { SlackChatPlatform } from "./slack-chat-platform.js";
import type { SlackResponder } from "./slack-responder.js";

export interface SlackContext {
  platform: SlackChatPlatform;
  responder: SlackResponder;
  /** The one dispatcher (the App Home shows its outcome itself). */
  dispatch: (request: ActionRequest) => Promise<Outcome>;
  /** What to say about a button whose payload is not one we made (the policy applies first). */
  unknownAction: (who: Omit<ActionRequest, "action" | "via">) => Outcome;
  logger: Logger;
}

/** A request from a Slack user: who (their name looked up once), where, how, and what. */
export async function slackRequest(
  ctx: SlackContext,
  from: { user: string; team?: string; channel: string; place: PlaceKind },
  via: ActionRequest["via"],
  action: Action,
): Promise<ActionRequest> {
  return {
    actor: await ctx.platform.resolveUser(from.user),
    ...(from.team ? { tenant: from.team } : {}),
    place: { id: from.channel, kind: from.place },
    via,
    action,
  };
}

/** Direct-message conversation ids start with D; they are governed by the user list alone. */
export function placeKind(channel: string): PlaceKind {
  return channel.startsWith("D") ? "direct" : "channel";
}
