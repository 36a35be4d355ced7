/**
 * Buttons on alert messages: Acknowledge, Silence 1h/4h/24h, Unsilence, Resolve, Show details. The
 * alert pipeline updates the message itself (for everyone) and notes the action in its thread; the
 * person who pressed only hears back when something is wrong, or for details.
 */
import type { App, BlockButtonAction } from "@slack/bolt";
import { checkAccess } from "../access.js";
import { ACTION_PREFIX } from "../block-kit.js";
import type { SlackContext } from "../slack-context.js";

export function registerAlertActions(app: App, ctx: SlackContext): void {
  app.action<BlockButtonAction>(new RegExp(`^${ACTION_PREFIX}:alert-`), async ({ ack, body, action }) => {
    await ack();
    const alerts = ctx.alerts;
    const channel = body.channel?.id ?? body.container?.channel_id;
    const user = body.user.id;
    if (!alerts || !channel) return;
    const dest = { channel, user };
    const access = checkAccess(ctx.access, channel, user);
    if (!access.allowed) {
      await ctx.responder.ephemeral(dest, access.reply);
      return;
    }
    const kind = action.action_id.split(":")[1];
    const [id = "", arg = ""] = (action.value ?? "").split(" ");
    const who = `<@${user}>`;
    const result = await alerts.press(kind ?? "", id, arg, user, who);
    if (result) {
      if (!result.ok) await ctx.responder.ephemeral(dest, result.reply);
      return;
    }
    if (kind === "alert-details") {
      const details = await alerts.details(id);
      if (details) await ctx.responder.ephemeral(dest, details);
    }
  });
}
