/** `@cloudops question` in a channel: answered in a thread under the mention. */
import type { App } from "@slack/bolt";
import { checkAccess } from "../access.js";
import type { SlackContext } from "../slack-context.js";

/** Removes `<@U123>` mentions so only the question remains. */
export function stripMentions(text: string): string {
  return text
    .replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function registerMention(app: App, ctx: SlackContext): void {
  app.event("app_mention", async ({ event }) => {
    const user = event.user ?? "unknown";
    const threadTs = event.thread_ts ?? event.ts;
    const dest = { channel: event.channel, threadTs, user };
    const access = checkAccess(ctx.access, event.channel, user);
    if (!access.allowed) {
      await ctx.responder.ephemeral(dest, access.reply);
      return;
    }
    const text = stripMentions(event.text ?? "");
    await ctx.responder.answer(
      { platform: "slack", user, channel: event.channel, text: text || "help" },
      dest,
    );
  });
}
