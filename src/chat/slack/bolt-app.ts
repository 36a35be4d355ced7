/**
 * The Bolt app: on the shared HTTP server (`POST /slack/events`, every request's timestamp checked
 * first, request-timestamp.ts, then its signature by Bolt) or over Socket Mode when SLACK_APP_TOKEN is set.
 */
import { App, ExpressReceiver } from "@slack/bolt";
import express, { type Router } from "express";
import type { Config } from "../../config/config.js";
import type { Logger } from "../../observability/logger.js";
import { boltLogger } from "./bolt-logger.js";
import { requestTimestampCheck } from "./request-timestamp.js";
import { SlackStartError } from "./slack-errors.js";

export const SLACK_EVENTS_PATH = "/slack/events";

export interface BoltApp {
  app: App;
  /** Serves POST /slack/events (HTTP mode only). */
  router?: Router;
  socketMode: boolean;
}

export function createBoltApp(config: Config["slack"], log: Logger): BoltApp {
  if (!config.botToken) throw new SlackStartError("SLACK_BOT_TOKEN is not set");
  const logger = boltLogger(log);
  const clientOptions = {
    ...(config.apiUrl
      ? { slackApiUrl: config.apiUrl.endsWith("/") ? config.apiUrl : `${config.apiUrl}/` }
      : {}),
    // Retry 5xx and network errors with backoff; a 429 waits for Retry-After first, then retries.
    retryConfig: { retries: 4, factor: 2, minTimeout: 250, maxTimeout: 4000, randomize: true },
    rejectRateLimitedCalls: false,
    timeout: 10_000,
  };
  if (config.appToken) {
    const app = new App({
      token: config.botToken,
      appToken: config.appToken,
      socketMode: true,
      logger,
      clientOptions,
      deferInitialization: true,
      // Bolt's in-memory conversation store is unused here and costs time on every event.
      convoStore: false,
    });
    return { app, socketMode: true };
  }
  if (!config.signingSecret) throw new SlackStartError("SLACK_SIGNING_SECRET is required for HTTP mode");
  const receiver = new ExpressReceiver({
    signingSecret: config.signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    logger,
    // Acknowledge first, work after: Slack wants an answer within 3 s.
    processBeforeResponse: false,
    processEventErrorHandler: async ({ error, response }) => {
      if (response.headersSent) return false;
      // Bolt failed before anything was acknowledged: the signed request's payload is not one Bolt can
      // read (an event that is not an object, a null body). That is the sender's error, not ours.
      const status = (error as { code?: unknown }).code === "slack_bolt_authorization_error" ? 401 : 400;
      log.warn({ status, reason: error.message.slice(0, 200) }, "Slack request Bolt could not process");
      response.writeHead(status);
      response.end();
      return true;
    },
  });
  const app = new App({
    token: config.botToken,
    receiver,
    logger,
    clientOptions,
    deferInitialization: true,
    convoStore: false,
  });
  // Refused before Bolt sees them: requests outside Slack's 5-minute window, past or future.
  const router = express.Router();
  router.post(
    SLACK_EVENTS_PATH,
    requestTimestampCheck((reason) => log.warn({ reason }, "Slack request refused before Bolt")),
  );
  router.use(receiver.router);
  return { app, router, socketMode: false };
}
