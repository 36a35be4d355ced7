/** Direct messages to the bot: answered in the conversation, no thread needed. */
import type { App } from "@slack/bolt";
import { checkAccess } from "../access.js";
import type { SlackContext } from "../slack-context.js";
import { stripMentions } from "./mention.js";

export function registerDirectMessages(app: App, ctx: SlackContext): void {
  app.message(async ({ message }) => {
    // Only plain user messages in DMs: edits, joins and bot posts have a subtype.
    if (message.channel_type !== "im" || message.subtype !== undefined) return;
    const user = message.user;
    const dest = {
      channel: message.channel,
      user,
      ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
    };
    const access = checkAccess(ctx.access, message.channel, user);
    if (!access.allowed) {
      await ctx.responder.ephemeral(dest, access.reply);
      return;
    }
    const text = stripMentions(message.text ?? "");
    await ctx.responder.answer(
      { platform: "slack", user, channel: message.channel, text: text || "help" },
      dest,
    );
  });
}
