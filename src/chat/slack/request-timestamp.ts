/**
 * Slack's replay window, in both directions. Bolt's ExpressReceiver refuses a signed request whose
 * `X-Slack-Request-Timestamp` is more than 5 minutes old, but accepts one from the future: a request
 * signed ahead of time (a leaked or captured signature over a future timestamp) would stay valid until
 * that time had passed. This check runs before Bolt reads the body and refuses both.
 */
import type { RequestHandler } from "express";

/** Slack's own window: "more than five minutes from local time" (Verifying requests from Slack). */
export const MAX_SKEW_SECONDS = 5 * 60;

/**
 * Middleware for `POST /slack/events`: 401 unless the request's timestamp is a whole number of seconds
 * within {@link MAX_SKEW_SECONDS} of `now`. The signature itself is Bolt's to check.
 */
export function requestTimestampCheck(
  onRefused: (reason: string) => void,
  now: () => number = Date.now,
): RequestHandler {
  return (req, res, next) => {
    const header = req.headers["x-slack-request-timestamp"];
    const text = Array.isArray(header) ? undefined : header;
    const ts = text !== undefined && /^\d{1,12}$/.test(text) ? Number(text) : Number.NaN;
    const skew = ts - Math.floor(now() / 1000);
    if (Number.isNaN(skew) || Math.abs(skew) > MAX_SKEW_SECONDS) {
      const reason = Number.isNaN(skew)
        ? "no valid timestamp"
        : skew > 0
          ? "timestamp in the future"
          : "stale timestamp";
      onRefused(reason);
      res.status(401).type("text/plain").send(`Slack request refused: ${reason}`);
      return;
    }
    next();
  };
}
