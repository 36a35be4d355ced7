/**
 * Alert messages in Microsoft Teams: one proactive Adaptive Card per alert group in the routed
 * conversation (stored when the bot was installed there), replaced in place with updateActivity as
 * the group changes, with its changes as replies to that card.
 */
import { createHash } from "node:crypto";
import type { TeamsPlatform } from "../chat/teams/teams-platform.js";
import type { AlertNotifier } from "./alert-delivery.js";
import type { GroupState, MessageRef } from "./alert-store.js";
import { type GroupMessageOptions, groupReply } from "./group-message.js";

export class TeamsAlertNotifier implements AlertNotifier {
  constructor(
    private readonly teams: TeamsPlatform,
    private readonly opts: GroupMessageOptions = {},
  ) {}

  private render(state: GroupState) {
    const reply = groupReply(state, this.opts);
    const digest = createHash("sha256").update(JSON.stringify(reply)).digest("hex").slice(0, 16);
    return { reply, digest };
  }

  async post(state: GroupState): Promise<MessageRef> {
    const { reply, digest } = this.render(state);
    const id = await this.teams.post(state.group.target.channel, reply);
    if (!id) throw new Error("Teams accepted the alert card but returned no activity id");
    return { platform: "teams", channel: state.group.target.channel, ts: id, digest };
  }

  async update(state: GroupState, ref: MessageRef): Promise<MessageRef> {
    const { reply, digest } = this.render(state);
    if (digest === ref.digest) return ref;
    await this.teams.update(ref.channel, ref.ts, reply);
    return { ...ref, digest };
  }

  async thread(ref: MessageRef, lines: string[]): Promise<void> {
    await this.teams.replyTo(ref.channel, ref.ts, lines.join("\n\n"));
  }

  isTransient(e: unknown): boolean {
    // No stored conversation is not going to change by retrying soon; the rest (429, 5xx) may.
    return !(e instanceof Error && /no Teams conversation reference/.test(e.message));
  }
}
