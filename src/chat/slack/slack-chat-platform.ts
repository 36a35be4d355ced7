/**
 * Slack as a {@link ChatPlatform}: sends, updates, deletes and threads neutral replies rendered by
 * the Block Kit renderer, and says who a user id is. Every call is counted (chat posts by outcome)
 * and a failure is logged with Slack's reason, then thrown for the caller to handle.
 */
import type { App } from "@slack/bolt";
import type { Router } from "express";
import type { BotMetrics } from "../../observability/bot-metrics.js";
import type { Logger } from "../../observability/logger.js";
import type { Reply, ReplyChart, RichText, UserRef } from "../../reply/reply.js";
import type { ChatPlatform, PostedMessage } from "../platform.js";
import { renderLines, renderReply, type SlackMessage } from "./block-kit.js";
import { SlackStartError, slackErrorReason } from "./slack-errors.js";

type WebClient = App["client"];

export interface SlackChatPlatformDeps {
  app: App;
  router?: Router;
  socketMode: boolean;
  metrics: BotMetrics;
  logger: Logger;
}

/** How long a user's name is kept (names change rarely; a refused lookup is tried again sooner). */
const NAME_TTL_MS = 10 * 60_000;
const FAILED_NAME_TTL_MS = 60_000;
const NAMES_KEPT = 5000;

export class SlackChatPlatform implements ChatPlatform {
  readonly name = "slack" as const;
  /** Serves POST /slack/events (HTTP mode only). */
  readonly router: Router | undefined;
  readonly app: App;
  private readonly client: WebClient;
  private readonly names = new Map<string, { user: UserRef; until: number }>();
  /** The bot's own user id, once auth.test has answered. */
  botUserId = "";

  constructor(private readonly deps: SlackChatPlatformDeps) {
    this.app = deps.app;
    this.client = deps.app.client;
    this.router = deps.router;
  }

  async start(): Promise<void> {
    try {
      await this.app.init();
    } catch (e) {
      throw new SlackStartError(`Slack rejected the bot token (auth.test: ${slackErrorReason(e)})`);
    }
    const auth = await this.client.auth.test();
    this.botUserId = auth.user_id ?? "";
    if (this.deps.socketMode) await this.app.start();
    this.deps.logger.info({ botUserId: this.botUserId, team: auth.team ?? "" }, "connected to Slack");
  }

  async stop(): Promise<void> {
    if (this.deps.socketMode) await this.app.stop();
  }

  async send(to: { channel: string; threadOf?: string }, reply: Reply): Promise<PostedMessage> {
    let first: PostedMessage | undefined;
    for (const message of renderReply(reply)) {
      const posted = await this.post(to, message);
      first ??= posted;
    }
    if (!first) throw new Error("nothing to post");
    if (reply.chart) await this.uploadChart(to.channel, to.threadOf ?? first.id, reply.chart);
    return first;
  }

  async update(message: PostedMessage, reply: Reply): Promise<void> {
    const [head, ...rest] = renderReply(reply);
    if (head)
      await this.call("chat.update", message.channel, () =>
        this.client.chat.update({
          channel: message.channel,
          ts: message.id,
          text: head.text,
          blocks: head.blocks,
        }),
      );
    const thread = { channel: message.channel, threadOf: message.threadOf ?? message.id };
    // What does not fit in the message goes under it.
    for (const m of rest) await this.post(thread, m);
    if (reply.chart) await this.uploadChart(message.channel, thread.threadOf, reply.chart);
  }

  async delete(message: PostedMessage): Promise<void> {
    await this.call("chat.delete", message.channel, () =>
      this.client.chat.delete({ channel: message.channel, ts: message.id }),
    );
  }

  async thread(message: PostedMessage, lines: RichText[]): Promise<PostedMessage> {
    const threadOf = message.threadOf ?? message.id;
    let first: PostedMessage | undefined;
    for (const m of renderLines(lines)) {
      // Every message is posted; the first one is where the lines begin.
      const posted = await this.post({ channel: message.channel, threadOf }, m);
      first ??= posted;
    }
    if (!first) throw new Error("nothing to post");
    return first;
  }

  /** Shows `reply` to one person in a conversation (Slack's ephemeral messages). */
  async ephemeral(to: { channel: string; user: string; threadOf?: string }, reply: Reply): Promise<void> {
    for (const m of renderReply(reply))
      await this.call("chat.postEphemeral", to.channel, () =>
        this.client.chat.postEphemeral({
          channel: to.channel,
          user: to.user,
          text: m.text,
          blocks: m.blocks,
          ...(to.threadOf ? { thread_ts: to.threadOf } : {}),
        }),
      );
  }

  /** Posts an already rendered message (the "working…" note). */
  async post(to: { channel: string; threadOf?: string }, message: SlackMessage): Promise<PostedMessage> {
    const res = await this.call("chat.postMessage", to.channel, () =>
      this.client.chat.postMessage({
        channel: to.channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(to.threadOf ? { thread_ts: to.threadOf } : {}),
      }),
    );
    if (!res.ts) throw new Error("Slack accepted the message but returned no ts");
    return {
      platform: "slack",
      channel: res.channel ?? to.channel,
      id: res.ts,
      ...(to.threadOf ? { threadOf: to.threadOf } : {}),
    };
  }

  async resolveUser(id: string): Promise<UserRef> {
    const now = Date.now();
    const known = this.names.get(id);
    if (known && known.until > now) return known.user;
    let user: UserRef = { platform: "slack", id, name: id };
    let ttl = FAILED_NAME_TTL_MS;
    try {
      const res = await this.client.users.info({ user: id });
      const name = res.user?.profile?.display_name || res.user?.real_name || res.user?.name;
      if (name) {
        user = { platform: "slack", id, name };
        ttl = NAME_TTL_MS;
      }
    } catch (e) {
      this.deps.logger.debug({ reason: slackErrorReason(e), user: id }, "users.info failed; showing the id");
    }
    if (this.names.size >= NAMES_KEPT) this.names.clear();
    this.names.set(id, { user, until: now + ttl });
    return user;
  }

  /** Publishes a user's App Home view. */
  async publishHome(user: string, blocks: SlackMessage["blocks"]): Promise<void> {
    await this.call("views.publish", user, () =>
      this.client.views.publish({ user_id: user, view: { type: "home", blocks } }),
    );
  }

  private async uploadChart(channel: string, threadTs: string, chart: ReplyChart): Promise<void> {
    await this.call("files.uploadV2", channel, () =>
      this.client.filesUploadV2({
        channel_id: channel,
        thread_ts: threadTs,
        file: chart.png,
        filename: `${slug(chart.title)}.png`,
        title: chart.title,
        alt_text: chart.alt.slice(0, 1000),
      }),
    );
  }

  private async call<T>(method: string, channel: string, fn: () => Promise<T>): Promise<T> {
    const { metrics, logger } = this.deps;
    try {
      const result = await fn();
      metrics.chatPosts.inc({ platform: "slack", outcome: "ok" });
      return result;
    } catch (e) {
      const reason = slackErrorReason(e);
      metrics.chatPosts.inc({ platform: "slack", outcome: "failed" });
      metrics.errors.inc({ component: "slack", reason: method });
      logger.warn({ method, channel, reason }, "Slack call failed");
      throw e;
    }
  }
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 60) || "chart"
  );
}
