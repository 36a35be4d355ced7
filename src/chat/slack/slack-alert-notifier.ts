/** Alert messages in Slack: one message per alert group, changed in place, with its history in the thread. */
import { createHash } from "node:crypto";
import { type App, webApi } from "@slack/bolt";
import type { AlertNotifier } from "../../alerts/alert-delivery.js";
import type { GroupState, MessageRef } from "../../alerts/alert-store.js";
import { type GroupMessageOptions, groupReply } from "../../alerts/group-message.js";
import type { Reply, ReplyChart, RichText } from "../../reply/reply.js";
import { type Block, renderLines, renderReply } from "./block-kit.js";

type WebClient = App["client"];

/**
 * The Web API client alert delivery posts with. It does not retry by itself: a post that failed in a
 * way that leaves it unknown whether Slack kept it (5xx, timeout) must be looked for before it is
 * retried, which the delivery does; a 429 comes back at once with its Retry-After for the delivery
 * to honour for the whole outbox.
 */
export function alertWebClient(token: string, apiUrl?: string): WebClient {
  return new webApi.WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl.endsWith("/") ? apiUrl : `${apiUrl}/` } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
}

/** Seconds Slack asked us to wait (a 429), if that is why a call failed. */
export function slackRetryAfter(e: unknown): number | undefined {
  const r = (e as { retryAfter?: unknown } | undefined)?.retryAfter;
  return typeof r === "number" && Number.isFinite(r) ? r : undefined;
}

/** Whether a failed call certainly did not post (rate limited, or refused with ok: false). */
export function certainlyNotPosted(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return code === "slack_webapi_rate_limited_error" || code === "slack_webapi_platform_error";
}

const METADATA_TYPE = "cloudops_alert";

export class SlackAlertNotifier implements AlertNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly opts: GroupMessageOptions = {},
  ) {}

  /** The message for a group, and a digest of it to tell whether the posted one is current. */
  render(state: GroupState) {
    // Alert messages are short; the first message of the rendering holds everything.
    const reply = groupReply(state, this.opts);
    const [first] = renderReply(reply);
    const blocks: Block[] = [...(first?.blocks ?? [])];
    // A route's mention comes from configuration (trusted), and notifying it is the point of a route
    // that names one: in mrkdwn, first, while the group fires. Only a well-formed mention is used.
    const configured = state.group.target.mention;
    const mention = configured && /^<[!@#][A-Za-z0-9^|_.-]+>$/.test(configured) ? configured : undefined;
    if (mention && !state.alerts.every((a) => a.status === "resolved"))
      blocks.splice(1, 0, { type: "section", text: { type: "mrkdwn", text: mention } });
    const text = `${mention ? `${mention} ` : ""}${first?.text ?? ""}`;
    const digest = createHash("sha256").update(JSON.stringify(blocks)).digest("hex").slice(0, 16);
    return { text, blocks, digest };
  }

  async post(state: GroupState): Promise<MessageRef> {
    const { text, blocks, digest } = this.render(state);
    const res = await this.client.chat.postMessage({
      channel: state.group.target.channel,
      text,
      blocks,
      // Lets a later delivery recognise this message if we die before storing its ts (see find).
      metadata: { event_type: METADATA_TYPE, event_payload: { group: state.group.id } },
    });
    if (!res.ts || !res.channel) throw new Error("Slack accepted the alert message but returned no ts");
    return { platform: "slack", channel: res.channel, ts: res.ts, digest };
  }

  async update(state: GroupState, ref: MessageRef): Promise<MessageRef> {
    const { text, blocks, digest } = this.render(state);
    if (digest === ref.digest) return ref;
    await this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks });
    return { ...ref, digest };
  }

  retryAfter(e: unknown): number | undefined {
    return slackRetryAfter(e);
  }

  certainlyNotPosted(e: unknown): boolean {
    return certainlyNotPosted(e);
  }

  isTransient(e: unknown): boolean {
    // Slack's "ok: false" answers (missing_scope, channel_not_found…) do not pass by trying again.
    return (e as { code?: unknown } | undefined)?.code !== "slack_webapi_platform_error";
  }

  async find(state: GroupState, sinceMs: number): Promise<MessageRef | undefined> {
    let cursor: string | undefined;
    // Bounded: 10 pages of 200 is far more than a channel gets in the seconds a post takes.
    for (let page = 0; page < 10; page++) {
      const res = await this.client.conversations.history({
        channel: state.group.target.channel,
        oldest: String(Math.floor(sinceMs / 1000) - 5),
        include_all_metadata: true,
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      const found = (res.messages ?? []).find(
        (m) =>
          m.metadata?.event_type === METADATA_TYPE &&
          (m.metadata.event_payload as Record<string, unknown> | undefined)?.group === state.group.id,
      );
      // The digest is unknown, so the next delivery brings the message up to date.
      if (found?.ts)
        return { platform: "slack", channel: state.group.target.channel, ts: found.ts, digest: "" };
      cursor = res.response_metadata?.next_cursor;
      if (!res.has_more || !cursor) return undefined;
    }
    return undefined;
  }

  async attachChart(ref: MessageRef, chart: ReplyChart): Promise<void> {
    await this.client.filesUploadV2({
      channel_id: ref.channel,
      thread_ts: ref.ts,
      file: chart.png,
      filename: "alert-chart.png",
      title: chart.title,
      alt_text: chart.alt.slice(0, 1000),
    });
  }

  /** The first look, in the thread: one message (a reply too long for one is cut by the renderer's limits). */
  async reply(ref: MessageRef, reply: Reply): Promise<string> {
    const [first] = renderReply(reply);
    const res = await this.client.chat.postMessage({
      channel: ref.channel,
      thread_ts: ref.ts,
      text: first?.text ?? reply.title,
      ...(first?.blocks ? { blocks: first.blocks } : {}),
    });
    if (!res.ts) throw new Error("Slack accepted the reply but returned no ts");
    return res.ts;
  }

  async editReply(ref: MessageRef, id: string, reply: Reply): Promise<void> {
    const [first] = renderReply(reply);
    await this.client.chat.update({
      channel: ref.channel,
      ts: id,
      text: first?.text ?? reply.title,
      ...(first?.blocks ? { blocks: first.blocks } : {}),
    });
  }

  async thread(ref: MessageRef, lines: RichText[]): Promise<void> {
    for (const m of renderLines(lines))
      await this.client.chat.postMessage({
        channel: ref.channel,
        thread_ts: ref.ts,
        text: m.text,
        blocks: m.blocks,
      });
  }
}
