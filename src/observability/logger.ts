/**
 * JSON logging with secrets redacted by path, so a token never reaches a log line, and the
 * credentials of any URL removed from the finished line (messages, fields, error stacks alike).
 */
import { type DestinationStream, type Logger, pino } from "pino";
import { withoutCredentials } from "./redact-url.js";

export type { Logger };

const REDACT = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "botToken",
  "*.botToken",
  "signingSecret",
  "*.signingSecret",
  "appToken",
  "*.appToken",
  "appPassword",
  "*.appPassword",
  "apiKey",
  "*.apiKey",
  "*.*.apiKey",
];

/**
 * Creates the process logger. `destination` lets the CLI send logs to stderr and keep stdout for
 * answers (a stream: tests read the lines).
 */
export function createLogger(level: string, destination: 1 | 2 | DestinationStream = 1): Logger {
  const sink =
    typeof destination === "number" ? pino.destination({ dest: destination, sync: false }) : destination;
  return pino(
    { level, redact: { paths: REDACT, censor: "[redacted]" }, base: { service: "cloudops" } },
    withoutUrlCredentials(sink),
  );
}

/**
 * Removes URL credentials from each finished line. Redaction by path cannot do it: a URL can sit in
 * any message, field or error stack (`connect ECONNREFUSED http://user:pass@…`).
 */
function withoutUrlCredentials(sink: DestinationStream & { flush?: (cb?: () => void) => void }) {
  return {
    write: (line: string) => sink.write(withoutCredentials(line)),
    // pino's logger.flush() calls through to the destination when it has one.
    ...(sink.flush ? { flush: (cb?: () => void) => sink.flush?.(cb) } : {}),
  };
}

/** A logger that drops everything, for tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
