/**
 * Shows a dispatched request's {@link Outcome} in Slack, where the dispatcher said it belongs: to the
 * whole conversation (posted, or in place of the message a button was pressed on) or only to the
 * person who asked (the slash command's response_url, else an ephemeral message). A "working…" note
 * is posted when an answer is slow and replaced by it. Nothing is decided here; failures are
 * explained to the asker, never silent.
 */
import type { Logger } from "../../observability/logger.js";
import type { Reply } from "../../reply/reply.js";
import type { Outcome } from "../dispatcher.js";
import type { ActionRequest } from "../platform.js";
import { renderNote, renderReply, type SlackMessage } from "./block-kit.js";
import type { SlackChatPlatform } from "./slack-chat-platform.js";

export interface Destination {
  channel: string;
  /** The person who asked (for messages only they see). */
  user: string;
  /** Answer inside this thread (mentions are answered in a thread). */
  threadTs?: string;
  /** Replace this message with the answer instead of posting one (ask buttons). */
  updateTs?: string;
  /** Shows messages to the asker alone (a slash command's response_url). */
  privately?: (messages: SlackMessage[]) => Promise<void>;
}

export interface ResponderDeps {
  platform: SlackChatPlatform;
  dispatch: (request: ActionRequest) => Promise<Outcome>;
  logger: Logger;
  /** Post "working…" when no outcome came within this many ms. */
  progressAfterMs?: number;
}

export class SlackResponder {
  constructor(private readonly deps: ResponderDeps) {}

  /** Dispatches `request` and shows its outcome at `dest`; resolves when all is shown or explained. */
  async handle(request: ActionRequest, dest: Destination): Promise<Outcome> {
    const { platform } = this.deps;
    const thread = dest.threadTs ? { threadOf: dest.threadTs } : {};
    let note: Promise<string | undefined> | undefined;
    const timer = dest.updateTs
      ? undefined
      : setTimeout(() => {
          note = platform
            .post({ channel: dest.channel, ...thread }, renderNote(working(request)))
            .then((m) => m.id)
            .catch(() => undefined);
        }, this.deps.progressAfterMs ?? 1000);
    let outcome: Outcome;
    try {
      outcome = await this.deps.dispatch(request);
    } finally {
      if (timer) clearTimeout(timer);
    }
    const noteTs = note ? await note : undefined;
    if (outcome.quiet || outcome.audience === "actor") {
      if (noteTs)
        await platform.delete({ platform: "slack", channel: dest.channel, id: noteTs }).catch(() => {});
      if (!outcome.quiet) await this.privately(dest, [outcome.reply, ...outcome.more]);
      return outcome;
    }
    const target = dest.updateTs ?? noteTs;
    try {
      if (target)
        await platform
          .update({ platform: "slack", channel: dest.channel, id: target, ...thread }, outcome.reply)
          // The message to replace may be gone: the answer is posted instead of lost.
          .catch(() => platform.send({ channel: dest.channel, ...thread }, outcome.reply));
      else await platform.send({ channel: dest.channel, ...thread }, outcome.reply);
      for (const more of outcome.more) await platform.send({ channel: dest.channel, ...thread }, more);
    } catch {
      await this.ephemeral(dest, {
        ...outcome.reply,
        context: [
          "I could not post the answer in this channel (see the bot's log); here it is privately.",
          ...outcome.reply.context,
        ],
      });
    }
    return outcome;
  }

  /** Shows replies to the asker alone: by response_url when there is one, else ephemerally. */
  async privately(dest: Destination, replies: Reply[]): Promise<void> {
    if (dest.privately) {
      try {
        await dest.privately(replies.flatMap((r) => renderReply(r)));
        return;
      } catch (e) {
        this.deps.logger.warn(
          { err: String(e), channel: dest.channel },
          "response_url failed; posting ephemerally",
        );
      }
    }
    for (const reply of replies) await this.ephemeral(dest, reply);
  }

  private async ephemeral(dest: Destination, reply: Reply): Promise<void> {
    await this.deps.platform
      .ephemeral(
        { channel: dest.channel, user: dest.user, ...(dest.threadTs ? { threadOf: dest.threadTs } : {}) },
        reply,
      )
      // Already logged and counted by the platform; there is no one left to tell.
      .catch(() => {});
  }
}

/** The "working…" note: what was asked, as plain text. */
function working(request: ActionRequest): string {
  if (request.action.kind !== "ask") return "⏳ Working on it…";
  const one = request.action.text.replace(/\s+/g, " ").trim();
  return `⏳ Working on “${one.length > 60 ? `${one.slice(0, 60)}…` : one}”…`;
}
