/** Alert messages in Slack: one message per alert group, changed in place, with its history in the thread. */
import { createHash } from "node:crypto";
import type { App } from "@slack/bolt";
import { type Block, renderReply } from "../chat/slack/block-kit.js";
import type { AlertNotifier } from "./alert-delivery.js";
import type { GroupState, MessageRef } from "./alert-store.js";
import { type GroupMessageOptions, groupReply } from "./group-message.js";

type WebClient = App["client"];

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
    // The renderer escapes all text; the user mentions the pipeline wrote ("Acknowledged by <@U…>") must notify.
    const blocks = JSON.parse(
      JSON.stringify(first?.blocks ?? []).replace(/&lt;@([UW][A-Z0-9]{2,20})&gt;/g, "<@$1>"),
    ) as Block[];
    const mention = state.group.target.mention;
    // A user-group mention is the point of a route that names one: first, where it notifies.
    if (
      mention &&
      /^<[!@#][A-Za-z0-9^|_.-]+>$/.test(mention) &&
      !state.alerts.every((a) => a.status === "resolved")
    )
      blocks.splice(1, 0, { type: "section", text: { type: "mrkdwn", text: mention } });
    const text = `${mention ? `${mention} ` : ""}${first?.text ?? reply.title}`;
    const digest = createHash("sha256").update(JSON.stringify(blocks)).digest("hex").slice(0, 16);
    return { text, blocks, digest };
  }

  async post(state: GroupState): Promise<MessageRef> {
    const { text, blocks, digest } = this.render(state);
    const res = await this.client.chat.postMessage({ channel: state.group.target.channel, text, blocks });
    if (!res.ts || !res.channel) throw new Error("Slack accepted the alert message but returned no ts");
    return { platform: "slack", channel: res.channel, ts: res.ts, digest };
  }

  async update(state: GroupState, ref: MessageRef): Promise<MessageRef> {
    const { text, blocks, digest } = this.render(state);
    if (digest === ref.digest) return ref;
    await this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks });
    return { ...ref, digest };
  }

  async thread(ref: MessageRef, lines: string[]): Promise<void> {
    await this.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: lines.join("\n") });
  }
}
