/**
 * `/cloudops <question or subcommand>`: acknowledged at once (Slack allows 3 s), then answered in the
 * channel; help and errors are shown only to the person who asked.
 */
import type { App } from "@slack/bolt";
import { runAlertCommand } from "../../../alerts/alert-commands.js";
import { answerHelp } from "../../../assistant/answers/static.js";
import { makeReply } from "../../../reply/reply.js";
import { checkAccess } from "../access.js";
import { renderReply } from "../block-kit.js";
import type { SlackContext } from "../slack-context.js";

export const SLASH_COMMAND = "/cloudops";

export function registerCommand(app: App, ctx: SlackContext): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    const text = command.text.trim();
    const access = checkAccess(ctx.access, command.channel_id, command.user_id);
    if (!access.allowed) {
      const [m] = renderReply(access.reply);
      await ack({ response_type: "ephemeral", text: m?.text ?? "", blocks: m?.blocks ?? [] });
      return;
    }
    if (text === "" || /^(help|\?)$/i.test(text)) {
      const [m] = renderReply(answerHelp(ctx.environmentNames()), {
        footer: `Use ${SLASH_COMMAND} <question>. Alerts: ${SLASH_COMMAND} alerts · ack ID · silence ID 2h · unsilence ID · resolve ID · audit · alert when disk > 90% for 10m · rules`,
      });
      await ack({ response_type: "ephemeral", text: m?.text ?? "", blocks: m?.blocks ?? [] });
      return;
    }
    if (ctx.alerts) {
      await ack();
      const reply = await runAlertCommand(
        text,
        { id: command.user_id, display: `<@${command.user_id}>` },
        ctx.alerts,
        ctx.rules,
      ).catch((e: unknown) =>
        makeReply({ title: "That failed", text: e instanceof Error ? e.message : String(e), tone: "error" }),
      );
      if (reply) {
        const [m] = renderReply(reply, { actions: false });
        await respond({ response_type: "ephemeral", text: m?.text ?? "", blocks: m?.blocks ?? [] });
        return;
      }
    } else await ack();
    await ctx.responder.answer(
      { platform: "slack", user: command.user_id, channel: command.channel_id, text },
      {
        channel: command.channel_id,
        user: command.user_id,
        // Questions not understood and failures go only to the asker, not as noise into the channel.
        privately: async (m) => {
          await respond({
            response_type: "ephemeral",
            replace_original: false,
            text: m.text,
            blocks: m.blocks,
          });
        },
      },
    );
  });
}
