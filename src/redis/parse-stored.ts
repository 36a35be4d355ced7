/**
 * Reads a JSON value the bot stored in Redis. Redis data is untrusted (another version, another
 * program, a hand edit): anything that is not valid JSON of the expected shape reads as absent.
 */
import type { z } from "zod";

export function parseStored<T>(schema: z.ZodType<T>, text: string | null | undefined): T | undefined {
  if (!text) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
