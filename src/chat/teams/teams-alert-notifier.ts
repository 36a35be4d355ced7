/**
 * Alert messages in Microsoft Teams: one proactive Adaptive Card per alert group in the routed
 * conversation (stored when the bot was installed there), replaced in place as the group changes, with
 * its changes as replies to that card (rendered as literal text by the Teams platform).
 *
 * Teams offers a bot no search of a conversation's history, so this notifier has no `find`: after a
 * post that ended without a clear answer (a timeout, a 5xx, the connection lost), alert delivery posts
 * again and people may see a second card — a duplicate beats a lost alert. Only where Teams certainly
 * kept nothing ({@link TeamsAlertNotifier.certainlyNotPosted}) is a retry known to post once.
 */
import { createHash } from "node:crypto";
import type { AlertNotifier } from "../../alerts/alert-delivery.js";
import type { GroupState, MessageRef } from "../../alerts/alert-store.js";
import { type GroupMessageOptions, groupReply } from "../../alerts/group-message.js";
import type { Reply, RichText } from "../../reply/reply.js";
import type { PostedMessage } from "../platform.js";
import { NoConversationReference, PostedWithoutId } from "./proactive-sender.js";
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
    try {
      const message = await this.teams.send({ channel }, reply);
      return { platform: "teams", channel, ts: message.id, digest };
    } catch (e) {
      // The card is in the channel but Teams did not say its id. Posting it again would only add a
      // copy; it is delivered, and stored with no id ("") so that its next change posts a new card.
      if (e instanceof PostedWithoutId) return { platform: "teams", channel, ts: "", digest };
      throw e;
    }
  }

  async update(state: GroupState, ref: MessageRef): Promise<MessageRef> {
    const { reply, digest } = this.render(state);
    if (digest === ref.digest) return ref;
    // A card posted without an id cannot be changed: the new state gets a card of its own.
    if (!ref.ts) return this.post(state);
    await this.teams.update(posted(ref), reply);
    return { ...ref, digest };
  }

  async thread(ref: MessageRef, lines: RichText[]): Promise<void> {
    if (lines.length === 0) return;
    try {
      // Under a card without an id, the lines go to the conversation itself.
      await this.teams.thread(posted(ref), lines);
    } catch (e) {
      // Posted, only without an id (nothing refers to thread lines later): do not post them twice.
      if (!(e instanceof PostedWithoutId)) throw e;
    }
  }

  /** The first look, as a reply to the alert's card (to the conversation when the card has no id). */
  async reply(ref: MessageRef, reply: Reply): Promise<string> {
    const message = await this.teams.send(
      { channel: ref.channel, ...(ref.ts ? { threadOf: ref.ts } : {}) },
      reply,
    );
    return message.id;
  }

  async editReply(ref: MessageRef, id: string, reply: Reply): Promise<void> {
    await this.teams.update(
      { platform: "teams", channel: ref.channel, id, ...(ref.ts ? { threadOf: ref.ts } : {}) },
      reply,
    );
  }

  isTransient(e: unknown): boolean {
    // No stored conversation is not going to change by retrying soon; the rest (429, 5xx) may.
    return !(e instanceof NoConversationReference);
  }

  /**
   * Whether Teams certainly kept nothing of a failed post, so that delivery may simply post again:
   * the conversation was never stored (nothing was sent), or the connector refused the call with a
   * 4xx. A timeout, a 5xx or a lost connection may come after Teams posted the card.
   */
  certainlyNotPosted(e: unknown): boolean {
    if (e instanceof NoConversationReference) return true;
    const status = connectorStatus(e);
    return status !== undefined && status >= 400 && status < 500;
  }
}

/** The HTTP status the Bot Framework connector answered a failed call with, when it answered. */
function connectorStatus(e: unknown): number | undefined {
  const status = (e as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === "number" ? status : undefined;
}
