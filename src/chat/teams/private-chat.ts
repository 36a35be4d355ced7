/**
 * A person's 1:1 chat with the bot, for what the dispatcher says only they should see when they asked
 * in a channel or a group chat: Teams has no message that only one member of a conversation sees, and
 * a channel may hold people outside TEAMS_ALLOWED_USERS. Bot Framework's "create conversation" opens
 * the chat (Teams hands back the existing one when there is one); the bot need not be installed there.
 */
import type { Activity, ConversationParameters, TurnContext } from "botbuilder";
import { makeReply } from "../../reply/reply.js";
import { tenantOf } from "./activity-request.js";
import { failingThrough, postInto } from "./proactive-sender.js";

/** The line left in the conversation instead of the answer. */
export const SENT_PRIVATELY = makeReply({
  title: "🔒 Answered privately",
  text: "Sent you the answer in a private chat.",
  tone: "info",
});

/** The line left in the conversation when the private chat could not be opened (no answer in it). */
export const NOT_SENT_PRIVATELY = makeReply({
  title: "🔒 Could not open a private chat with you",
  text: "The answer is only for you, so it is not shown here. Message me in a personal chat and ask again.",
  tone: "warning",
});

/**
 * Posts `activities`, in order, into the 1:1 chat between the bot and whoever sent the turn's
 * activity, in their tenant. Rejects when the chat cannot be opened or a post fails.
 */
export async function sendPrivately(
  context: TurnContext,
  appId: string,
  activities: Partial<Activity>[],
): Promise<void> {
  const { from, recipient, serviceUrl, channelId } = context.activity;
  if (!from?.id || !recipient?.id || !serviceUrl)
    throw new Error("the activity does not say who sent it, to which bot, or where to answer");
  const tenantId = tenantOf(context.activity);
  const member = { id: from.id, name: from.name };
  const parameters: ConversationParameters = {
    isGroup: false,
    bot: recipient,
    members: [member],
    ...(tenantId ? { tenantId } : {}),
    // Teams reads the tenant of a new conversation from the channel data.
    channelData: tenantId ? { tenant: { id: tenantId } } : {},
  };
  // The audience this turn's own answers use. botbuilder's typing asks for a string, but its
  // connector factory reads a missing one as the configured default (connectorFactoryImpl.create).
  const audience = context.turnState.get<string | undefined>(context.adapter.OAuthScopeKey) as string;
  await failingThrough(
    (logic) =>
      context.adapter.createConversationAsync(appId, channelId, serviceUrl, audience, parameters, logic),
    async (chat) => {
      if (!chat.activity.conversation?.id)
        throw new Error("Teams opened no private chat (no conversation id)");
      for (const activity of activities) await postInto(chat, activity);
    },
  );
}
