/**
 * Proactive messages: posting, replying to, updating and deleting activities in a conversation the bot
 * was installed in or spoken to (its stored reference), outside any turn Teams started — how alert
 * cards reach a channel and change in place.
 */
import { type Activity, type CloudAdapter, type ConversationReference, TurnContext } from "botbuilder";
import type { ConversationReferences } from "./conversation-references.js";

/** No conversation reference is stored for the conversation: the bot was never installed there. */
export class NoConversationReference extends Error {
  constructor(readonly conversationId: string) {
    super(`no Teams conversation reference stored for ${conversationId}`);
    this.name = "NoConversationReference";
  }
}

/** The part of botframework-connector's ConnectorClient used here (the adapter keeps one per turn). */
interface ConversationsClient {
  conversations: {
    sendToConversation(conversationId: string, activity: Partial<Activity>): Promise<{ id?: string }>;
    replyToActivity(
      conversationId: string,
      activityId: string,
      activity: Partial<Activity>,
    ): Promise<{ id?: string }>;
  };
}

export class ProactiveSender {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly references: ConversationReferences,
    private readonly appId: string,
  ) {}

  /**
   * Posts `activity`: a new top-level message, or a reply to `replyTo` (in a channel, in its thread).
   * TurnContext.sendActivity would make every proactive message a reply to the turn's synthetic
   * activity, so this goes to the connector directly. Returns the new activity's id.
   */
  async send(conversationId: string, activity: Partial<Activity>, replyTo?: string): Promise<string> {
    let id: string | undefined;
    await this.continueIn(conversationId, async (context) => {
      const client = context.turnState.get<ConversationsClient>(context.adapter.ConnectorClientKey);
      const outgoing = TurnContext.applyConversationReference(
        { ...activity },
        TurnContext.getConversationReference(context.activity),
      );
      delete outgoing.replyToId;
      const r = replyTo
        ? await client.conversations.replyToActivity(conversationId, replyTo, {
            ...outgoing,
            replyToId: replyTo,
          })
        : await client.conversations.sendToConversation(conversationId, outgoing);
      id = r.id;
    });
    if (!id) throw new Error("Teams accepted the message but returned no activity id");
    return id;
  }

  async update(conversationId: string, activityId: string, activity: Partial<Activity>): Promise<void> {
    await this.continueIn(conversationId, async (context) => {
      await context.updateActivity({ ...activity, id: activityId });
    });
  }

  async delete(conversationId: string, activityId: string): Promise<void> {
    await this.continueIn(conversationId, async (context) => {
      await context.deleteActivity(activityId);
    });
  }

  /** Runs `work` in a stored conversation (proactively, outside any turn Teams started). */
  private async continueIn(
    conversationId: string,
    work: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    const reference = await this.references.get(conversationId);
    if (!reference) throw new NoConversationReference(conversationId);
    // A failure inside the turn must reach the caller (alert delivery retries on it). Left to the
    // adapter, it would go to onTurnError, which logs it, posts "something went wrong" into the
    // channel and returns normally — a lost alert update that looks delivered.
    let failure: { error: unknown } | undefined;
    await this.adapter.continueConversationAsync(
      this.appId,
      // Validated on save and load; its shape is the one TurnContext.getConversationReference produced.
      reference as unknown as Partial<ConversationReference>,
      async (context) => {
        try {
          await work(context);
        } catch (error) {
          failure = { error };
        }
      },
    );
    if (failure) throw failure.error;
  }
}
