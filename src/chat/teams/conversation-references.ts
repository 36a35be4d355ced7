/**
 * Teams conversation references in Redis: stored when the bot is installed or first spoken to, so
 * alerts can later be posted proactively into that conversation.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { parseStored } from "../../redis/parse-stored.js";

const referenceSchema = z
  .object({
    serviceUrl: z.string().url(),
    conversation: z.object({ id: z.string().min(1) }).passthrough(),
    channelId: z.string(),
    bot: z.object({ id: z.string() }).passthrough().optional(),
    user: z.object({ id: z.string() }).passthrough().optional(),
  })
  .passthrough();

export type StoredReference = z.infer<typeof referenceSchema>;

export class ConversationReferences {
  constructor(
    private readonly redis: Redis,
    private readonly key = "cloudops:teams:references",
  ) {}

  async save(reference: unknown): Promise<void> {
    const parsed = referenceSchema.safeParse(reference);
    if (!parsed.success) return;
    await this.redis.hset(this.key, parsed.data.conversation.id, JSON.stringify(parsed.data));
  }

  async get(conversationId: string): Promise<StoredReference | undefined> {
    return parseStored(referenceSchema, await this.redis.hget(this.key, conversationId));
  }

  async list(): Promise<StoredReference[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.keys(all)
      .map((id) => {
        try {
          const parsed = referenceSchema.safeParse(JSON.parse(all[id] ?? ""));
          return parsed.success ? parsed.data : undefined;
        } catch {
          return undefined;
        }
      })
      .filter((r): r is StoredReference => r !== undefined);
  }
}
