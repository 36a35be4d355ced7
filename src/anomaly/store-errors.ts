/**
 * Failures of the store behind anomaly results, as one typed error: an answer that rests on the store
 * can tell "Redis is unreachable" apart from "no scan has run" and say so in its headline.
 */

/** The anomaly store could not be reached (connection refused, timed out, or lost). */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";

  constructor(
    /** Where the store was looked for, without credentials: "Redis at 127.0.0.1:6379". */
    readonly where: string,
    /** The underlying reason, one line: "connection refused", "no answer within 2 s". */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${where} unreachable (${reason})`, options);
  }
}

export function isStoreUnavailable(e: unknown): e is StoreUnavailableError {
  return e instanceof StoreUnavailableError;
}

/** "redis://:secret@cache:6380/2" → "Redis at cache:6380": names the server, never its password. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `Redis at ${u.hostname}:${u.port || "6379"}`;
  } catch {
    return "Redis";
  }
}
