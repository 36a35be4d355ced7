/** Direct messages to the bot: answered in the conversation, no thread needed. */
import type { App } from "@slack/bolt";
import { parseCommand } from "../../commands.js";
import { type SlackContext, slackRequest } from "../slack-context.js";
import { stripMentions } from "./mention.js";

export function registerDirectMessages(app: App, ctx: SlackContext): void {
  app.message(async ({ message, body }) => {
    // Only plain user messages in DMs: edits, joins and bot posts have a subtype.
    if (message.channel_type !== "im" || message.subtype !== undefined) return;
    const request = await slackRequest(
      ctx,
      { user: message.user, channel: message.channel, place: "direct", team: body.team_id },
      "message",
      parseCommand(stripMentions(message.text ?? "")),
    );
    await ctx.responder.handle(request, {
      channel: message.channel,
      user: message.user,
      ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
    });
  });
}
