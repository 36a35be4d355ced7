/**
 * Alert messages in Microsoft Teams: one proactive Adaptive Card per alert group in the routed
 * conversation (stored when the bot was installed there), replaced in place as the group changes, with
 * its changes as replies to that card (rendered as literal text by the Teams platform).
 */
import { createHash } from "node:crypto";
import type { AlertNotifier } from "../../alerts/alert-delivery.js";
import type { GroupState, MessageRef } from "../../alerts/alert-store.js";
import { type GroupMessageOptions, groupReply } from "../../alerts/group-message.js";
import type { RichText } from "../../reply/reply.js";
import type { PostedMessage } from "../platform.js";
import { NoConversationReference } from "./proactive-sender.js";
import type { TeamsChatPlatform } from "./teams-chat-platform.js";

const posted = (ref: MessageRef): PostedMessage => ({ platform: "teams", channel: ref.channel, id: ref.ts });

export class TeamsAlertNotifier implements AlertNotifier {
  constructor(
    private readonly teams: Pick<TeamsChatPlatform, "send" | "update" | "thread">,
    private readonly opts: GroupMessageOptions = {},
  ) {}

  private render(state: GroupState) {
    const reply = groupReply(state, this.opts);
    const digest = createHash("sha256").update(JSON.stringify(reply)).digest("hex").slice(0, 16);
    return { reply, digest };
  }

  async post(state: GroupState): Promise<MessageRef> {
    const { reply, digest } = this.render(state);
    const channel = state.group.target.channel;
    const message = await this.teams.send({ channel }, reply);
    return { platform: "teams", channel, ts: message.id, digest };
  }

  async update(state: GroupState, ref: MessageRef): Promise<MessageRef> {
    const { reply, digest } = this.render(state);
    if (digest === ref.digest) return ref;
    await this.teams.update(posted(ref), reply);
    return { ...ref, digest };
  }

  async thread(ref: MessageRef, lines: RichText[]): Promise<void> {
    if (lines.length > 0) await this.teams.thread(posted(ref), lines);
  }

  isTransient(e: unknown): boolean {
    // No stored conversation is not going to change by retrying soon; the rest (429, 5xx) may.
    return !(e instanceof NoConversationReference);
  }
}
