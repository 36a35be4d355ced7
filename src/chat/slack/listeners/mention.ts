/** `@cloudops <command or question>` in a channel: answered in a thread under the mention. */
import type { App } from "@slack/bolt";
import { parseCommand } from "../../commands.js";
import { placeKind, type SlackContext, slackRequest } from "../slack-context.js";

/** Removes `<@U123>` mentions (Slack's wire format of what the person typed) so only the request remains. */
export function stripMentions(text: string): string {
  return text
    .replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function registerMention(app: App, ctx: SlackContext): void {
  app.event("app_mention", async ({ event, body }) => {
    if (!event.user) return;
    const request = await slackRequest(
      ctx,
      { user: event.user, channel: event.channel, place: placeKind(event.channel), team: body.team_id },
      "message",
      parseCommand(stripMentions(event.text ?? "")),
    );
    await ctx.responder.handle(request, {
      channel: event.channel,
      user: event.user,
      threadTs: event.thread_ts ?? event.ts,
    });
  });
}
