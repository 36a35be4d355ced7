/**
 * Conversation memory for follow-ups ("and on staging?"): the last turns of a thread or channel, in
 * Redis, bounded in count and size, forgotten after an hour of silence.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { parseStored } from "../../redis/parse-stored.js";
import type { Inbound } from "../../reply/reply.js";
import type { ChatMessage } from "./llm-provider.js";

const TURNS = 6;
const TTL_SECONDS = 3600;
const MAX_CHARS = 2000;
const turnSchema = z.object({ question: z.string(), answer: z.string() });

export class ConversationMemory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(inbound: Inbound) {
    return `${this.prefix}:${inbound.platform}:${inbound.channel}`;
  }

  async recall(inbound: Inbound): Promise<ChatMessage[]> {
    const raw = await this.redis.lrange(this.key(inbound), -TURNS, -1);
    return raw
      .map((t) => parseStored(turnSchema, t))
      .filter((t): t is z.infer<typeof turnSchema> => t !== undefined)
      .flatMap((t) => [
        { role: "user" as const, content: t.question },
        { role: "assistant" as const, content: t.answer },
      ]);
  }

  async remember(inbound: Inbound, answer: string): Promise<void> {
    const key = this.key(inbound);
    await this.redis
      .multi()
      .rpush(
        key,
        JSON.stringify({ question: inbound.text.slice(0, MAX_CHARS), answer: answer.slice(0, MAX_CHARS) }),
      )
      .ltrim(key, -TURNS, -1)
      .expire(key, TTL_SECONDS)
      .exec();
  }
}
