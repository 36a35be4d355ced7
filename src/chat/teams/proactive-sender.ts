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

/**
 * The connector answered a post with success but without the new activity's id: the message is in
 * the conversation, but it cannot be updated, replied to or deleted.
 */
export class PostedWithoutId extends Error {
  constructor(readonly conversationId: string) {
    super(`Teams accepted the message in ${conversationId} but returned no activity id`);
    this.name = "PostedWithoutId";
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
   * Returns the new activity's id; {@link PostedWithoutId} when Teams posted it but gave none.
   */
  async send(conversationId: string, activity: Partial<Activity>, replyTo?: string): Promise<string> {
    let id: string | undefined;
    await this.continueIn(conversationId, async (context) => {
      id = await postInto(context, activity, replyTo);
    });
    if (!id) throw new PostedWithoutId(conversationId);
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
    // A failure inside the turn must reach the caller (alert delivery retries on it).
    await failingThrough(
      (logic) =>
        this.adapter.continueConversationAsync(
          this.appId,
          // Validated on save and load; its shape is the one TurnContext.getConversationReference produced.
          reference as unknown as Partial<ConversationReference>,
          logic,
        ),
      work,
    );
  }
}

/**
 * Runs `work` in a turn the bot starts itself (`start` hands it to the adapter) and rejects with its
 * failure. Left to the adapter, a failure would go to onTurnError, which logs it, posts "something
 * went wrong" into the conversation and returns normally: a lost message that looks delivered.
 */
export async function failingThrough(
  start: (logic: (context: TurnContext) => Promise<void>) => Promise<void>,
  work: (context: TurnContext) => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  await start(async (context) => {
    try {
      await work(context);
    } catch (error) {
      failure = { error };
    }
  });
  if (failure) throw failure.error;
}

/**
 * Posts `activity` into the conversation of `context` through the connector: a new top-level
 * message, or a reply to `replyTo`. TurnContext.sendActivity would make every such message a reply
 * to the turn's own (synthetic) activity. Returns the new activity's id, if Teams gave one.
 */
export async function postInto(
  context: TurnContext,
  activity: Partial<Activity>,
  replyTo?: string,
): Promise<string | undefined> {
  const conversationId = context.activity.conversation?.id;
  if (!conversationId) throw new Error("the turn has no conversation to post into");
  const client = context.turnState.get<ConversationsClient>(context.adapter.ConnectorClientKey);
  const outgoing = TurnContext.applyConversationReference(
    { ...activity },
    TurnContext.getConversationReference(context.activity),
  );
  delete outgoing.replyToId;
  const r = replyTo
    ? await client.conversations.replyToActivity(conversationId, replyTo, { ...outgoing, replyToId: replyTo })
    : await client.conversations.sendToConversation(conversationId, outgoing);
  return r.id || undefined;
}
