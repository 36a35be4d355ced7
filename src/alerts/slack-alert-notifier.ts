/** Alert messages in Slack: one message per alert, changed in place, with its history in the thread. */
import type { App } from "@slack/bolt";
import { renderReply } from "../chat/slack/block-kit.js";
import { type Alert, alertReply } from "./alert.js";
import type { AlertNotifier } from "./alert-delivery.js";
import type { MessageRef } from "./alert-store.js";

type WebClient = App["client"];

export class SlackAlertNotifier implements AlertNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
  ) {}

  private message(alert: Alert) {
    // Alert messages are short; the first message of the rendering holds everything.
    const [first] = renderReply(alertReply(alert), { actions: false });
    return { text: first?.text ?? alertReply(alert).title, blocks: first?.blocks ?? [] };
  }

  async post(alert: Alert): Promise<MessageRef> {
    const res = await this.client.chat.postMessage({ channel: this.channel, ...this.message(alert) });
    if (!res.ts || !res.channel) throw new Error("Slack accepted the alert message but returned no ts");
    return { platform: "slack", channel: res.channel, ts: res.ts, shows: alert.status };
  }

  async update(alert: Alert, ref: MessageRef): Promise<MessageRef> {
    await this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...this.message(alert) });
    const when = new Date(alert.endsAt ?? Date.now()).toISOString().slice(11, 16);
    await this.client.chat.postMessage({
      channel: ref.channel,
      thread_ts: ref.ts,
      text: alert.status === "resolved" ? `✅ Resolved at ${when} UTC` : "🔁 Firing again",
    });
    return { ...ref, shows: alert.status };
  }
}
