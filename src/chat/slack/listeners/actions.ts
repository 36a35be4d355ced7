/**
 * Buttons: "ask" buttons (time ranges, top hosts, refresh, suggestions) answer a follow-up question and
 * update the same message in place; link buttons only need their acknowledgement.
 */
import type { App, BlockButtonAction } from "@slack/bolt";
import { checkAccess } from "../access.js";
import { ACTION_PREFIX } from "../block-kit.js";
import type { SlackContext } from "../slack-context.js";

export function registerActions(app: App, ctx: SlackContext): void {
  app.action<BlockButtonAction>(new RegExp(`^${ACTION_PREFIX}:link:`), async ({ ack }) => {
    await ack();
  });

  app.action<BlockButtonAction>(new RegExp(`^${ACTION_PREFIX}:ask:`), async ({ ack, body, action }) => {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id;
    const user = body.user.id;
    if (!channel) return;
    const messageTs = body.message?.ts ?? body.container?.message_ts;
    const threadTs = (body.message as { thread_ts?: string } | undefined)?.thread_ts;
    const dest = {
      channel,
      user,
      ...(threadTs ? { threadTs } : {}),
      ...(messageTs ? { updateTs: messageTs } : {}),
    };
    const access = checkAccess(ctx.access, channel, user);
    if (!access.allowed) {
      await ctx.responder.ephemeral(dest, access.reply);
      return;
    }
    const text = (action.value ?? "").slice(0, 2000);
    await ctx.responder.answer({ platform: "slack", user, channel, text }, dest);
  });
}
