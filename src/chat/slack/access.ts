/** Who may talk to the bot where: allow-lists from configuration, with a clear refusal elsewhere. */
import { makeReply, type Reply } from "../../reply/reply.js";

export interface AccessPolicy {
  allowedChannels: readonly string[];
  allowedUsers: readonly string[];
}

export type AccessDecision = { allowed: true } | { allowed: false; reply: Reply };

/** DM channel ids start with D; they are governed by the user list alone. */
export function checkAccess(policy: AccessPolicy, channel: string, user: string): AccessDecision {
  if (policy.allowedUsers.length > 0 && !policy.allowedUsers.includes(user)) {
    return refuse(
      "You are not on this bot's list of users (SLACK_ALLOWED_USERS). Ask the team that runs it to add you.",
    );
  }
  if (
    !channel.startsWith("D") &&
    policy.allowedChannels.length > 0 &&
    !policy.allowedChannels.includes(channel)
  ) {
    return refuse(
      "I don't answer in this channel (it is not in SLACK_ALLOWED_CHANNELS). Ask me in an allowed channel or in a direct message.",
    );
  }
  return { allowed: true };
}

function refuse(text: string): AccessDecision {
  return { allowed: false, reply: makeReply({ title: "🚫 Not here", text, tone: "warning" }) };
}
