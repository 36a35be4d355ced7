/**
 * Every `cloudops:` button. Link buttons only need their acknowledgement; any other carries its
 * action as data (`encodeAction`), checked on the way back: a forged or stale value is refused and
 * nothing is done. The outcome shows where the dispatcher says: an answer replaces the message the
 * button was on, a change on an alert shows in the alert's message (nothing more to say), the rest
 * only to the person who pressed.
 */
import type { App, BlockButtonAction } from "@slack/bolt";
import { decodeAction } from "../../../reply/action.js";
import { ACTION_PREFIX } from "../block-kit.js";
import { placeKind, type SlackContext, slackRequest } from "../slack-context.js";

export function registerButtons(app: App, ctx: SlackContext): void {
  app.action<BlockButtonAction>(new RegExp(`^${ACTION_PREFIX}:`), async ({ ack, body, action }) => {
    await ack();
    if (action.action_id.startsWith(`${ACTION_PREFIX}:link:`)) return;
    const channel = body.channel?.id ?? (body.container?.channel_id as string | undefined);
    const user = body.user.id;
    // Buttons outside a conversation (a view) have nowhere to answer; the App Home shows none that act.
    if (!channel) return;
    const messageTs = body.message?.ts ?? (body.container?.message_ts as string | undefined);
    const threadTs = (body.message as { thread_ts?: string } | undefined)?.thread_ts;
    const dest = {
      channel,
      user,
      ...(threadTs ? { threadTs } : {}),
      ...(messageTs ? { updateTs: messageTs } : {}),
    };
    const team = body.team?.id;
    const from = { user, channel, place: placeKind(channel), ...(team ? { team } : {}) };
    const decoded = decodeAction(action.value);
    if (!decoded) {
      ctx.logger.warn(
        { user, channel, actionId: action.action_id },
        "refused a button with an unknown value",
      );
      const { action: _none, via: _via, ...who } = await slackRequest(ctx, from, "button", { kind: "help" });
      await ctx.responder.privately(dest, [ctx.unknownAction(who).reply]);
      return;
    }
    await ctx.responder.handle(await slackRequest(ctx, from, "button", decoded), dest);
  });
}
