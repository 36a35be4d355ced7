/**
 * The App Home tab, refreshed each time it is opened: what the dispatcher answers to `home` (for an
 * allowed user the health overview, the open alerts and the commands; for anyone else the refusal
 * alone), published as the user's home view.
 */
import type { App } from "@slack/bolt";
import { renderHome } from "../block-kit.js";
import { type SlackContext, slackRequest } from "../slack-context.js";

export function registerAppHome(app: App, ctx: SlackContext): void {
  app.event("app_home_opened", async ({ event, body }) => {
    if (event.tab !== "home") return;
    const request = await slackRequest(
      ctx,
      { user: event.user, channel: event.channel ?? event.user, place: "home", team: body.team_id },
      "message",
      { kind: "home" },
    );
    const outcome = await ctx.dispatch(request);
    await ctx.platform.publishHome(event.user, renderHome([outcome.reply, ...outcome.more])).catch(() => {
      // Logged and counted by the platform; a home view has no one to tell.
    });
  });
}
