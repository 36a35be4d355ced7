/** The App Home tab: a live health overview, the open alerts and the commands, refreshed each time it is opened. */
import type { App } from "@slack/bolt";
import { answerHelp } from "../../../assistant/answers/static.js";
import { type Block, renderReply } from "../block-kit.js";
import type { SlackContext } from "../slack-context.js";
import { slackErrorReason } from "../slack-responder.js";

export function registerAppHome(app: App, ctx: SlackContext): void {
  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    const health = await ctx.assistant.answer({
      platform: "slack",
      user: event.user,
      channel: "app_home",
      text: "what's the current system health?",
    });
    const blocks: Block[] = [
      ...(renderReply(health.reply, {
        actions: false,
        footer: `Updated ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
      })[0]?.blocks ?? []),
      { type: "divider" },
      ...(ctx.alerts
        ? [
            ...((renderReply(await ctx.alerts.list(), { actions: false })[0]?.blocks ?? []) as Block[]),
            { type: "divider" },
          ]
        : []),
      ...(renderReply(answerHelp(ctx.environmentNames()), { actions: false })[0]?.blocks ?? []),
    ];
    try {
      // Home views hold at most 100 blocks.
      await client.views.publish({
        user_id: event.user,
        view: { type: "home", blocks: blocks.slice(0, 100) as never },
      });
    } catch (e) {
      ctx.logger.warn({ reason: slackErrorReason(e), user: event.user }, "views.publish failed");
    }
  });
}
