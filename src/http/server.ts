/**
 * The one HTTP server: the ask API, the web console, OpenAPI docs, health, readiness and /metrics.
 * Chat platforms (Slack, Teams) mount their routes on the same Express app.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from "express";
import { ALERTMANAGER_PATH } from "../alerts/alertmanager-route.js";
import type { AnomalyStore } from "../anomaly/anomaly-store.js";
import type { ConsoleChatPlatform } from "../chat/console/console-platform.js";
import { renderConsoleReply } from "../chat/console/console-render.js";
import { mountFavicon } from "../chat/console/favicon.js";
import type { Config } from "../config/config.js";
import type { Environments } from "../metrics/environments.js";
import type { BotMetrics } from "../observability/bot-metrics.js";
import type { Logger } from "../observability/logger.js";
import { AskRequest, MAX_QUESTION_CHARS, openApiDocument } from "./api-schemas.js";
import { callerOf, requireApiToken, requireMetricsToken, securityHeaders } from "./auth.js";
import type { ChartStore } from "./chart-store.js";
import { RateLimiter } from "./rate-limit.js";

export interface ServerDeps {
  config: Config;
  /** The console and ask API's side of the chat core: questions and commands go through the dispatcher. */
  console: ConsoleChatPlatform;
  anomalies: AnomalyStore;
  environments: Environments;
  charts: ChartStore;
  metrics: BotMetrics;
  logger: Logger;
  /** Resolves when Redis answers PING; rejects with a reason otherwise. */
  pingRedis: () => Promise<void>;
  version: string;
  /** GET /api/v1/alerts/{id}: the group with its first look (api-schemas AlertGroupResponse); undefined when there is none. */
  alertGroup?: (id: string) => Promise<object | undefined>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const CONSOLE_DIR = path.resolve(here, "../chat/console/public");

export function createHttpApp(deps: ServerDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");
  const limiter = new RateLimiter(deps.config.apiRateLimitPerMin);
  const openapi = openApiDocument(deps.version);

  app.use((req, res, next) => {
    res.on("finish", () => {
      deps.metrics.httpRequests.inc({ route: routeLabel(req), status: String(res.statusCode) });
    });
    next();
  });
  app.use(securityHeaders());
  // Every API route needs a token, except the Alertmanager webhook, which checks its own.
  app.use(
    "/api/v1",
    requireApiToken(deps.config.auth, (req) => `${req.baseUrl}${req.path}` === ALERTMANAGER_PATH),
  );

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", checks: {} });
  });

  app.get("/readyz", async (_req, res) => {
    const checks: Record<string, string> = {};
    const signal = AbortSignal.timeout(2000);
    await Promise.all([
      ...deps.environments.names().map(async (name) => {
        const client = deps.environments.get(name);
        checks[`prometheus:${name}`] =
          client && (await client.ready(signal)) ? "ok" : `unreachable (${client?.baseUrl})`;
      }),
      deps.pingRedis().then(
        () => {
          checks.redis = "ok";
        },
        (e: unknown) => {
          checks.redis = `unreachable (${e instanceof Error ? e.message : String(e)})`;
        },
      ),
    ]);
    // Without Redis nothing can be kept (an alert taken now could be lost): not ready, so traffic
    // and Alertmanager's retries go to a replica that can. A Prometheus that does not answer leaves
    // the bot able to say so in every answer: still ready ("degraded"), or an orchestrator would take
    // every replica out of service and chat would hear nothing at all.
    const redisOk = checks.redis === "ok";
    const allOk = Object.values(checks).every((v) => v === "ok");
    res
      .status(redisOk ? 200 : 503)
      .json({ status: allOk ? "ok" : redisOk ? "degraded" : "unavailable", checks });
  });

  app.get("/metrics", requireMetricsToken(deps.config.auth.metricsToken), async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.get("/openapi.json", (_req, res) => {
    res.json(openapi);
  });

  const swaggerDir = swaggerUiDir();
  if (swaggerDir) app.use("/docs/assets", express.static(swaggerDir, { index: false, maxAge: "1h" }));
  app.get("/docs/init.js", (_req, res) => {
    res.type("js").send('window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });');
  });
  app.get("/docs", (_req, res) => {
    res.type("html").send(docsPage(Boolean(swaggerDir)));
  });

  app.get("/api/v1/environments", (_req, res) => {
    res.json({ environments: deps.environments.names(), default: deps.environments.defaultName });
  });

  app.get("/api/v1/alerts/:id", async (req, res, next) => {
    const id = String(req.params.id).toLowerCase();
    // Not an id: another route (/api/v1/alerts/history) or the API's 404.
    if (!/^[0-9a-f]{8}$/.test(id)) {
      next();
      return;
    }
    try {
      const group = await deps.alertGroup?.(id);
      if (!group) {
        sendError(res, 404, "no_such_alert", `No alert ${id}: it never existed or has expired`);
        return;
      }
      res.json(group);
    } catch (e) {
      sendError(
        res,
        503,
        "redis_unavailable",
        `Alerts live in Redis, which did not answer: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  });

  app.get("/api/v1/anomalies", async (req, res) => {
    const env = typeof req.query.environment === "string" ? req.query.environment : undefined;
    if (env && !deps.environments.get(env)) {
      sendError(
        res,
        400,
        "unknown_environment",
        `Unknown environment "${env.slice(0, 40)}"; known: ${deps.environments.names().join(", ")}`,
      );
      return;
    }
    const names = env ? [env] : deps.environments.names();
    try {
      const [statuses, latest, findings] = await Promise.all([
        Promise.all(names.map((n) => deps.anomalies.status(n))),
        Promise.all(names.map(async (n) => ({ environment: n, hosts: await deps.anomalies.latest(n) }))),
        deps.anomalies.findings(50, env),
      ]);
      res.json({ status: statuses, latest, findings });
    } catch (e) {
      sendError(
        res,
        503,
        "redis_unavailable",
        `Anomaly results live in Redis, which did not answer: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  });

  app.post("/api/v1/ask", express.json({ limit: "512kb" }), async (req: Request, res: Response) => {
    // Counted per caller: a named token has its own budget wherever it calls from (several proxies or
    // NAT'd clients share an address); without tokens, per address.
    const caller = callerOf(res);
    if (!limiter.allow(caller ? `token:${caller}` : `ip:${req.ip ?? "unknown"}`)) {
      sendError(res, 429, "rate_limited", "Too many questions from this client; wait a minute.");
      return;
    }
    const body = AskRequest.safeParse(req.body);
    if (!body.success) {
      const issue = body.error.issues[0];
      if (issue?.code === "too_big" && issue.path[0] === "text") {
        const length = (req.body as { text: string }).text.length.toLocaleString("en");
        sendError(
          res,
          400,
          "question_too_long",
          `The question is ${length} characters; ${MAX_QUESTION_CHARS.toLocaleString("en")} at most. Shorten it.`,
        );
        return;
      }
      const where = issue?.path.length ? issue.path.join(".") : "body";
      sendError(
        res,
        400,
        "invalid_request",
        `${where}: ${issue?.message ?? "invalid"} (expected {"text": "...", "environment"?: "..."})`,
      );
      return;
    }
    const controller = new AbortController();
    // A client that gives up should not keep Prometheus busy.
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    const outcome = await deps.console.receive({
      ...(caller ? { caller } : {}),
      text: body.data.text,
      ...(body.data.environment ? { environment: body.data.environment } : {}),
      ...(body.data.conversation ? { conversation: body.data.conversation } : {}),
      signal: controller.signal,
    });
    res.json({
      reply: renderConsoleReply(outcome.reply, (png) => `/charts/${deps.charts.put(png)}.png`),
      provider: outcome.answer?.provider ?? "builtin",
      intent: outcome.answer?.intent ?? "command",
    });
  });

  app.get("/charts/:file", async (req, res) => {
    const m = /^([A-Za-z0-9_-]{1,64})\.png$/.exec(req.params.file ?? "");
    const png = m?.[1] ? await deps.charts.get(m[1]).catch(() => undefined) : undefined;
    if (!png) {
      sendError(res, 404, "not_found", "This chart has expired or never existed; ask the question again.");
      return;
    }
    res.type("png").set("cache-control", "private, max-age=1800").send(png);
  });

  // The icon also serves /docs and any browser that asks for /favicon.ico, console or not.
  mountFavicon(app, CONSOLE_DIR);
  if (deps.config.consoleEnabled) {
    app.use("/console", express.static(CONSOLE_DIR, { index: false, maxAge: "5m" }));
    app.get("/", (_req, res) => {
      res.sendFile(path.join(CONSOLE_DIR, "index.html"));
    });
    // The printable report (its data comes from /api/v1/reports/availability with the console's token).
    app.get("/report", (_req, res) => {
      res.sendFile(path.join(CONSOLE_DIR, "report.html"));
    });
  }

  return app;
}

/** Handlers that must come after every platform's routes. */
export function finishHttpApp(app: Express, logger: Logger): void {
  app.use((_req, res) => {
    sendError(res, 404, "not_found", "No such route; see /docs for the API.");
  });
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === "entity.parse.failed") {
      sendError(res, 400, "invalid_json", "The body is not valid JSON.");
      return;
    }
    if (e.type === "entity.too.large") {
      sendError(res, 413, "too_large", "The body is too large (512 KB at most).");
      return;
    }
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
      sendError(res, e.status, "bad_request", e.message ?? "Bad request");
      return;
    }
    logger.error({ err }, "unhandled error in HTTP handler");
    if (!res.headersSent) sendError(res, 500, "internal", "Internal error; the bot's log has the details.");
  };
  app.use(onError);
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

function routeLabel(req: Request): string {
  // Bounded label values: the matched route pattern, never the raw path.
  const route = (req.route as { path?: string } | undefined)?.path;
  if (typeof route === "string") return route;
  if (req.path.startsWith("/console/")) return "/console";
  if (req.path.startsWith("/docs/")) return "/docs";
  return "unmatched";
}

function swaggerUiDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return path.dirname(require.resolve("swagger-ui-dist/package.json"));
  } catch {
    return undefined;
  }
}

function docsPage(haveSwagger: boolean): string {
  if (!haveSwagger) {
    return '<!doctype html><meta charset="utf-8"><title>API docs</title><p>The API is described in <a href="/openapi.json">/openapi.json</a>.</p>';
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Smart CloudOps AI — API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;
}
