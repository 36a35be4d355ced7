/**
 * POST /api/v1/alertmanager: Alertmanager's webhook receiver. Closed unless configured: it takes
 * alerts with the bearer token ALERTMANAGER_WEBHOOK_TOKEN, or from anyone only when the operator says
 * ALERTMANAGER_WEBHOOK_OPEN=true. The body is bounded (size, alerts per request) and validated before
 * anything is stored; every alert is persisted before the answer, so a 200 means nothing is lost even
 * if the bot stops right after.
 */
import { timingSafeEqual } from "node:crypto";
import express, { type Request, type Response, Router } from "express";
import type { Logger } from "../observability/logger.js";
import { AlertmanagerWebhook, alertsFromWebhook } from "./alert.js";
import type { AlertService } from "./alert-service.js";

export const ALERTMANAGER_PATH = "/api/v1/alertmanager";

/** Default ALERT_MAX_PER_REQUEST. */
export const MAX_ALERTS_PER_REQUEST = 1000;

export interface WebhookIntake {
  /** ALERTMANAGER_WEBHOOK_TOKEN: the bearer token Alertmanager sends. */
  token?: string | undefined;
  /** ALERTMANAGER_WEBHOOK_OPEN: take alerts without a token (only when no token is set). */
  open?: boolean | undefined;
  /** ALERT_MAX_PER_REQUEST: alerts one request may carry; more is answered 413. */
  maxAlerts?: number | undefined;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

const CLOSED =
  "The Alertmanager webhook is closed: set ALERTMANAGER_WEBHOOK_TOKEN on the bot and send it from Alertmanager (webhook_configs → http_config.authorization), or set ALERTMANAGER_WEBHOOK_OPEN=true to take alerts from anyone who can reach the bot.";

/** The start-up warning the webhook's settings call for, if any. */
export function webhookWarning(intake: WebhookIntake): string | undefined {
  if (intake.token) return undefined;
  return intake.open
    ? "ALERTMANAGER_WEBHOOK_OPEN=true: POST /api/v1/alertmanager takes alerts from anyone who can reach the bot; set ALERTMANAGER_WEBHOOK_TOKEN instead."
    : `${CLOSED} Alerts sent to it are refused (503).`;
}

export function alertmanagerRouter(deps: { alerts: AlertService; logger?: Logger } & WebhookIntake): Router {
  const router = Router();
  const warning = webhookWarning(deps);
  if (warning) deps.logger?.warn(warning);
  const maxAlerts = deps.maxAlerts ?? MAX_ALERTS_PER_REQUEST;
  router.post(ALERTMANAGER_PATH, async (req: Request, res: Response, next) => {
    // Refused before the body is read: nothing from a caller without the token is parsed or stored.
    if (deps.token) {
      if (!tokenMatches(req.get("authorization"), deps.token)) {
        res.status(401).json({
          error: {
            code: "unauthorized",
            message: "A valid bearer token is required (ALERTMANAGER_WEBHOOK_TOKEN).",
          },
        });
        return;
      }
    } else if (!deps.open) {
      res.status(503).json({ error: { code: "webhook_closed", message: CLOSED } });
      return;
    }
    next();
  });
  router.post(ALERTMANAGER_PATH, express.json({ limit: "2mb" }), async (req: Request, res: Response) => {
    const raw: unknown = req.body;
    const count =
      raw && typeof raw === "object" && Array.isArray((raw as { alerts?: unknown }).alerts)
        ? (raw as { alerts: unknown[] }).alerts.length
        : 0;
    if (count > maxAlerts) {
      res.status(413).json({
        error: {
          code: "too_many_alerts",
          message: `${count} alerts in one request; at most ${maxAlerts} are taken (ALERT_MAX_PER_REQUEST). Lower Alertmanager's max_alerts for this receiver.`,
        },
      });
      return;
    }
    const body = AlertmanagerWebhook.safeParse(raw);
    if (!body.success) {
      const issue = body.error.issues[0];
      res.status(400).json({
        error: {
          code: "invalid_request",
          message: `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"} (expected an Alertmanager version 4 webhook)`,
        },
      });
      return;
    }
    let changes: Awaited<ReturnType<AlertService["ingest"]>>;
    try {
      changes = await deps.alerts.ingest(alertsFromWebhook(body.data));
    } catch (e) {
      // Alertmanager retries on 5xx: the alerts are not lost.
      res.status(503).json({
        error: {
          code: "redis_unavailable",
          message: `Alerts could not be stored: ${e instanceof Error ? e.message : String(e)}`,
        },
      });
      return;
    }
    res.json({ received: body.data.alerts.length, ...changes });
  });
  return router;
}
