/**
 * Posting answers into Slack: a "working…" placeholder when an answer takes more than a second, the
 * answer itself (replacing the placeholder in place), the chart uploaded into the thread, and a clear
 * ephemeral explanation when something fails — never silence.
 */
import type { WebClient } from "@slack/web-api";
import type { Assistant } from "../../assistant/assistant.js";
import type { BotMetrics } from "../../observability/bot-metrics.js";
import type { Logger } from "../../observability/logger.js";
import type { Answer, Inbound, Reply } from "../../reply/reply.js";
import { escapeMrkdwn, renderReply, type SlackMessage } from "./block-kit.js";

export interface Destination {
  channel: string;
  /** Reply inside this thread (mentions answer in a thread). */
  threadTs?: string;
  /** The user to show ephemeral errors to. */
  user: string;
  /** Update this message instead of posting a new one (buttons). */
  updateTs?: string;
  /**
   * When set, answers that are errors or not understood are sent here (privately to the asker)
   * instead of into the channel.
   */
  privately?: (message: SlackMessage) => Promise<void>;
}

export interface ResponderDeps {
  client: WebClient;
  assistant: Assistant;
  logger: Logger;
  metrics: BotMetrics;
  /** Show "working…" when no answer came within this many ms. */
  progressAfterMs?: number;
}

export class SlackResponder {
  constructor(private readonly deps: ResponderDeps) {}

  /** Answers `inbound` at `dest`; resolves when everything is posted (or failed and was explained). */
  async answer(inbound: Inbound, dest: Destination): Promise<Answer | undefined> {
    const started = performance.now();
    let placeholder: Promise<string | undefined> | undefined;
    const timer = dest.updateTs
      ? undefined
      : setTimeout(() => {
          placeholder = this.post(dest, {
            text: `⏳ Working on “${preview(inbound.text)}”…`,
            blocks: [
              {
                type: "context",
                elements: [
                  { type: "mrkdwn", text: `⏳ Working on “${escapeMrkdwn(preview(inbound.text))}”…` },
                ],
              },
            ],
          });
        }, this.deps.progressAfterMs ?? 1000);
    let answer: Answer;
    try {
      answer = await this.deps.assistant.answer(inbound);
    } finally {
      if (timer) clearTimeout(timer);
    }
    this.deps.metrics.questions.inc({ intent: answer.intent, provider: answer.provider, platform: "slack" });
    this.deps.metrics.answerSeconds.observe(
      { provider: answer.provider },
      (performance.now() - started) / 1000,
    );
    const messages = renderReply(answer.reply, { footer: `answered by ${answer.provider}` });
    const placeholderTs = placeholder ? await placeholder : undefined;
    if (dest.privately && isNotAnswered(answer)) {
      if (placeholderTs) await this.remove(dest.channel, placeholderTs);
      try {
        for (const m of messages) await dest.privately(m);
        this.deps.metrics.chatPosts.inc({ platform: "slack", outcome: "ok" });
      } catch (e) {
        this.failed("response_url", dest.channel, e);
        await this.ephemeral(dest, answer.reply, `answered by ${answer.provider}`);
      }
      return answer;
    }
    const targetTs = dest.updateTs ?? placeholderTs;
    let firstTs: string | undefined;
    for (const [i, message] of messages.entries()) {
      const ts =
        i === 0 && targetTs ? await this.update(dest, targetTs, message) : await this.post(dest, message);
      if (i === 0) firstTs = ts;
    }
    if (!firstTs) {
      await this.explain(
        dest,
        "I could not post the answer in this channel (see the bot's log); here it is privately.",
        answer.reply,
      );
      return answer;
    }
    if (answer.reply.chart) await this.uploadChart(dest, answer.reply, dest.threadTs ?? firstTs);
    return answer;
  }

  /** Shows `reply` privately to the user, e.g. help or an error. */
  async ephemeral(dest: Destination, reply: Reply, footer?: string): Promise<void> {
    const [message] = renderReply(reply, { footer });
    if (!message) return;
    try {
      await this.deps.client.chat.postEphemeral({
        channel: dest.channel,
        user: dest.user,
        text: message.text,
        blocks: message.blocks,
        ...(dest.threadTs ? { thread_ts: dest.threadTs } : {}),
      });
      this.deps.metrics.chatPosts.inc({ platform: "slack", outcome: "ok" });
    } catch (e) {
      this.failed("chat.postEphemeral", dest.channel, e);
    }
  }

  private async explain(dest: Destination, why: string, reply: Reply): Promise<void> {
    await this.ephemeral(dest, { ...reply, context: [why, ...reply.context] });
  }

  private async post(dest: Destination, message: SlackMessage): Promise<string | undefined> {
    try {
      const res = await this.deps.client.chat.postMessage({
        channel: dest.channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(dest.threadTs ? { thread_ts: dest.threadTs } : {}),
      });
      this.deps.metrics.chatPosts.inc({ platform: "slack", outcome: "ok" });
      return res.ts;
    } catch (e) {
      this.failed("chat.postMessage", dest.channel, e);
      return undefined;
    }
  }

  private async update(dest: Destination, ts: string, message: SlackMessage): Promise<string | undefined> {
    try {
      await this.deps.client.chat.update({
        channel: dest.channel,
        ts,
        text: message.text,
        blocks: message.blocks,
      });
      this.deps.metrics.chatPosts.inc({ platform: "slack", outcome: "ok" });
      return ts;
    } catch (e) {
      this.failed("chat.update", dest.channel, e);
      // The message to update may be gone; post the answer instead of losing it.
      return this.post(dest, message);
    }
  }

  private async remove(channel: string, ts: string): Promise<void> {
    try {
      await this.deps.client.chat.delete({ channel, ts });
    } catch (e) {
      this.failed("chat.delete", channel, e);
    }
  }

  private async uploadChart(dest: Destination, reply: Reply, threadTs: string): Promise<void> {
    const chart = reply.chart;
    if (!chart) return;
    try {
      await this.deps.client.filesUploadV2({
        channel_id: dest.channel,
        thread_ts: threadTs,
        file: chart.png,
        filename: `${slug(chart.title)}.png`,
        title: chart.title,
        alt_text: chart.alt.slice(0, 1000),
      });
      this.deps.metrics.chatPosts.inc({ platform: "slack", outcome: "ok" });
    } catch (e) {
      this.failed("files.uploadV2", dest.channel, e);
    }
  }

  private failed(method: string, channel: string, e: unknown): void {
    const reason = slackErrorReason(e);
    this.deps.metrics.chatPosts.inc({ platform: "slack", outcome: "failed" });
    this.deps.metrics.errors.inc({ component: "slack", reason: method });
    this.deps.logger.warn({ method, channel, reason }, "Slack call failed");
  }
}

/** Errors and questions not understood: worth telling the asker, not the channel. */
export function isNotAnswered(answer: Answer): boolean {
  return answer.reply.tone === "error" || answer.intent === "unknown";
}

/** The Slack error code (not_in_channel, invalid_auth, ...) or the transport error. */
export function slackErrorReason(e: unknown): string {
  const data = (e as { data?: { error?: string } }).data;
  if (data?.error) return data.error;
  return e instanceof Error ? e.message : String(e);
}

function preview(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 60 ? `${one.slice(0, 60)}…` : one;
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
