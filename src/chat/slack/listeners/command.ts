/**
 * `/cloudops <command or question>`: acknowledged at once (Slack allows 3 s), then dispatched; what is
 * for the asker alone goes back by the command's response_url, the rest into the channel.
 */
import type { App } from "@slack/bolt";
import { parseCommand } from "../../commands.js";
import { placeKind, type SlackContext, slackRequest } from "../slack-context.js";

export const SLASH_COMMAND = "/cloudops";

export function registerCommand(app: App, ctx: SlackContext): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    await ack();
    const channel = command.channel_id;
    const request = await slackRequest(
      ctx,
      { user: command.user_id, channel, place: placeKind(channel), team: command.team_id },
      "command",
      parseCommand(command.text),
    );
    await ctx.responder.handle(request, {
      channel,
      user: command.user_id,
      privately: async (messages) => {
        for (const m of messages)
          await respond({
            response_type: "ephemeral",
            replace_original: false,
            text: m.text,
            blocks: m.blocks,
          });
      },
    });
  });
}
