/**
 * POST /api/v1/alertmanager: Alertmanager's webhook receiver. Optional bearer token; the body is
 * validated before anything is stored; every alert is persisted before the answer, so a 200 means
 * nothing is lost even if the bot stops right after.
 */
import { timingSafeEqual } from "node:crypto";
import express, { type Request, type Response, Router } from "express";
import { AlertmanagerWebhook, alertsFromWebhook } from "./alert.js";
import type { AlertService } from "./alert-service.js";

export const ALERTMANAGER_PATH = "/api/v1/alertmanager";

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function alertmanagerRouter(deps: { alerts: AlertService; token?: string }): Router {
  const router = Router();
  router.post(ALERTMANAGER_PATH, express.json({ limit: "2mb" }), async (req: Request, res: Response) => {
    if (deps.token && !tokenMatches(req.get("authorization"), deps.token)) {
      res.status(401).json({ error: { code: "unauthorized", message: "A valid bearer token is required." } });
      return;
    }
    const body = AlertmanagerWebhook.safeParse(req.body);
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
