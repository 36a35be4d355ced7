/** JSON logging with secrets redacted by path, so a token never reaches a log line. */
import { type Logger, pino } from "pino";

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

/** Creates the process logger. `destination` lets the CLI send logs to stderr and keep stdout for answers. */
export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino(
    { level, redact: { paths: REDACT, censor: "[redacted]" }, base: { service: "cloudops" } },
    pino.destination({ dest: destination, sync: false }),
  );
}

/** A logger that drops everything, for tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
