/**
 * The HTTP API's request and response schemas. The same zod schemas validate requests and generate
 * /openapi.json, so the documentation cannot drift from the code.
 */

import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { AlertmanagerWebhook } from "../alerts/alert.js";
import { ALERTMANAGER_PATH } from "../alerts/alertmanager-route.js";
import { PART_NAMES } from "../anomaly/host-ensemble.js";
import { MAX_QUESTION_CHARS } from "../assistant/parse-question.js";
import { investigationObject } from "../investigate/investigation-store.js";
import { registerReportPaths } from "./report-schemas.js";

extendZodWithOpenApi(z);

/** Longest question the API takes (the parser's own bound): longer text is refused with 400 before any work. */
export { MAX_QUESTION_CHARS };

export const AskRequest = z
  .object({
    text: z
      .string()
      .max(MAX_QUESTION_CHARS)
      .openapi({
        description: `The question or command, ${MAX_QUESTION_CHARS.toLocaleString("en")} characters at most`,
        example: "what's the current system health?",
      }),
    environment: z.string().max(64).optional().openapi({
      description: "Environment name from PROMETHEUS_ENVIRONMENTS; default: the first one",
      example: "prod",
    }),
    conversation: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .optional()
      .openapi({
        description:
          'An id of your choosing that groups questions into one conversation, so that follow-ups ("and on staging?") are understood by the LLM providers. Without it, each question stands alone. Ids are scoped to the caller\'s token: another token using the same id has a conversation of its own.',
        example: "incident-4711",
      }),
  })
  .strict()
  .openapi("AskRequest");

const ReplyField = z.object({ label: z.string(), value: z.string() }).openapi("ReplyField");
const ReplyLink = z.object({ label: z.string(), url: z.string() }).openapi("ReplyLink");
const ReplyAction = z
  .object({
    label: z.string(),
    action: z.object({ kind: z.string() }).passthrough().openapi({
      description:
        'What the button does: `{"kind":"ask","text":"…"}` asks a follow-up question; alert actions (`alert.ack`, `alert.silence`, …) are taken in Slack or Teams',
    }),
    style: z.enum(["primary", "danger"]).optional(),
  })
  .openapi("ReplyAction");
const ReplyChart = z
  .object({
    title: z.string(),
    alt: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    url: z
      .string()
      .openapi({ description: "PNG served by this server for 30 minutes", example: "/charts/3f2a.png" }),
  })
  .openapi("ReplyChart");

export const ReplyJson = z
  .object({
    title: z.string(),
    text: z.string().openapi({ description: "Literal text; spans between backticks are code" }),
    rich: z
      .array(
        z.union([
          z.object({ text: z.string() }),
          z.object({ code: z.string() }),
          z.object({ mention: z.string() }),
          z.object({ link: ReplyLink }),
        ]),
      )
      .openapi({
        description: "The same text as typed pieces: literal text, code, a person (by name), a link",
      }),
    tone: z.enum(["info", "ok", "warning", "critical", "error"]),
    fields: z.array(ReplyField),
    links: z.array(ReplyLink),
    actions: z.array(ReplyAction),
    context: z.array(z.string()),
    suggestions: z.array(z.string()),
    chart: ReplyChart.optional(),
  })
  .openapi("Reply");

export const AskResponse = z
  .object({
    reply: ReplyJson,
    provider: z.enum(["builtin", "openai", "gemini", "local"]),
    intent: z.string().openapi({ example: "health" }),
  })
  .openapi("AskResponse");

export const ErrorResponse = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .openapi("Error");

export const EnvironmentsResponse = z
  .object({ environments: z.array(z.string()), default: z.string() })
  .openapi("Environments");

const Deviation = z
  .object({
    feature: z.string(),
    label: z.string(),
    unit: z.string(),
    value: z.number(),
    baseline: z.number(),
    z: z.number(),
    direction: z.enum(["up", "down"]),
    score: z.number(),
  })
  .openapi("FeatureDeviation");
const HostScore = z
  .object({
    instance: z.string(),
    at: z.number(),
    score: z.number().openapi({
      description: "Rarity of the point for this host, in decades (4 is about one scan in 10,000).",
    }),
    threshold: z.number().openapi({ description: "Set from ANOMALY_FALSE_ALARMS_PER_DAY at training." }),
    anomalous: z.boolean(),
    deviations: z.array(Deviation).openapi({
      description: "Features ranked by their part in the score (the flagging parts' contributions).",
    }),
    flaggedBy: z
      .array(z.enum(PART_NAMES))
      .optional()
      .openapi({ description: "The detector's parts that flagged the point, most flagging first." }),
  })
  .openapi("HostScore");
export const AnomaliesResponse = z
  .object({
    status: z.array(
      z.object({
        environment: z.string(),
        lastScanAt: z.number().optional(),
        lastTrainAt: z.number().optional(),
        lastError: z.string().optional(),
        lastErrorAt: z.number().optional(),
        hosts: z.number().optional(),
        scoredHosts: z.number().optional(),
        trainedHistorySeconds: z.number().optional(),
        trainWindowSeconds: z.number().optional(),
        learning: z
          .object({
            historySeconds: z.number(),
            minHistorySeconds: z.number(),
            firstModelDueAt: z.number(),
            checkedAt: z.number(),
          })
          .optional()
          .describe("Present while there is too little history for a first model"),
      }),
    ),
    latest: z.array(z.object({ environment: z.string(), hosts: z.array(HostScore) })),
    findings: z.array(HostScore.extend({ id: z.string(), environment: z.string(), detectedAt: z.number() })),
  })
  .openapi("Anomalies");

const HealthResponse = z.object({
  /** "degraded": ready, but a Prometheus does not answer (answers say so). */
  status: z.enum(["ok", "degraded", "unavailable"]),
  checks: z.record(z.string(), z.string()),
});

export const AlertmanagerAccepted = z.object({
  received: z.number().int(),
  new: z.number().int(),
  resolved: z.number().int(),
  refired: z.number().int(),
  unchanged: z.number().int(),
});

/** One alert group with its alerts and its first look (GET /api/v1/alerts/{id}). */
export const AlertGroupResponse = z
  .object({
    id: z.string().describe("The group's id, as shown on its message"),
    name: z.string(),
    status: z.enum(["firing", "resolved"]),
    environment: z.string().optional(),
    createdAt: z.number().describe("Epoch ms the group opened"),
    resolvedAt: z.number().optional(),
    ack: z.object({ by: z.string(), at: z.number() }).optional(),
    silencedUntil: z.number().optional(),
    alerts: z.array(
      z.object({
        fingerprint: z.string(),
        status: z.enum(["firing", "resolved"]),
        labels: z.record(z.string(), z.string()),
        annotations: z.record(z.string(), z.string()),
        startsAt: z.number(),
        endsAt: z.number().optional(),
        source: z.string(),
      }),
    ),
    investigation: investigationObject
      .optional()
      .describe(
        "The first look: what moved on the host against its usual level, where else, what changed, earlier times, what to check; absent until it has run",
      ),
  })
  .openapi("AlertGroup");

/** Builds the OpenAPI 3.1 document of every route. */
export function openApiDocument(version: string): object {
  const registry = new OpenAPIRegistry();
  const json = (schema: z.ZodType, description: string) => ({
    description,
    content: { "application/json": { schema } },
  });
  const bearer = registry.registerComponent("securitySchemes", "apiToken", {
    type: "http",
    scheme: "bearer",
    description:
      "One of API_TOKENS. Not asked when the bot listens on loopback without API_TOKENS (or runs with AUTH=none).",
  });
  const metricsBearer = registry.registerComponent("securitySchemes", "metricsToken", {
    type: "http",
    scheme: "bearer",
    description: "METRICS_TOKEN, when it is set.",
  });
  const needsToken = [{ [bearer.name]: [] }];
  const unauthorized = json(ErrorResponse, "Missing or wrong bearer token (WWW-Authenticate: Bearer)");
  registry.registerPath({
    method: "post",
    path: "/api/v1/ask",
    summary: "Ask a question",
    description: "Answers a question about the monitored systems. The reply is platform-neutral.",
    security: needsToken,
    request: { body: { content: { "application/json": { schema: AskRequest } }, required: true } },
    responses: {
      200: json(AskResponse, "The answer (also for questions that could not be answered: see reply.tone)"),
      400: json(ErrorResponse, "Invalid body, or a question longer than 2,000 characters"),
      401: unauthorized,
      413: json(ErrorResponse, "Body too large"),
      429: json(ErrorResponse, "Too many requests from this client"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/v1/environments",
    summary: "List Prometheus environments",
    security: needsToken,
    responses: { 200: json(EnvironmentsResponse, "Configured environments"), 401: unauthorized },
  });
  registry.registerPath({
    method: "get",
    path: "/api/v1/anomalies",
    summary: "Anomaly detector results",
    description:
      "Scan status per environment, the latest score of every host with per-feature deviations, and recent findings.",
    security: needsToken,
    request: { query: z.object({ environment: z.string().optional() }) },
    responses: {
      200: json(AnomaliesResponse, "Latest results"),
      401: unauthorized,
      400: json(ErrorResponse, "Unknown environment"),
      503: json(ErrorResponse, "Redis unavailable"),
    },
  });
  registry.registerPath({
    method: "post",
    path: ALERTMANAGER_PATH,
    summary: "Alertmanager webhook receiver",
    description:
      "Alertmanager's webhook (version 4). Alerts are stored before the answer, deduplicated by fingerprint, and posted to the alert channel; a resolve updates the same message. Send `Authorization: Bearer <ALERTMANAGER_WEBHOOK_TOKEN>` when that is set.",
    request: { body: { content: { "application/json": { schema: AlertmanagerWebhook } }, required: true } },
    responses: {
      200: json(AlertmanagerAccepted, "Stored; how many alerts were new, resolved, fired again or unchanged"),
      400: json(ErrorResponse, "Not an Alertmanager version 4 webhook"),
      401: json(ErrorResponse, "Missing or wrong bearer token"),
      503: json(ErrorResponse, "Redis unavailable: Alertmanager will retry"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/v1/alerts/{id}",
    summary: "One alert group and its first look",
    description:
      "The group's alerts, acknowledgement and silence, and the investigation posted in its thread (when it has run).",
    security: needsToken,
    request: { params: z.object({ id: z.string().regex(/^[0-9a-f]{8}$/) }) },
    responses: {
      200: json(AlertGroupResponse, "The group"),
      401: unauthorized,
      404: json(ErrorResponse, "No such alert group (or it expired)"),
      503: json(ErrorResponse, "Redis unavailable"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/charts/{id}.png",
    summary: "A chart image referenced by a reply",
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: "PNG image", content: { "image/png": { schema: z.string() } } },
      404: json(ErrorResponse, "Expired or unknown chart"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/healthz",
    summary: "Liveness: the process serves requests",
    responses: { 200: json(HealthResponse, "Alive") },
  });
  registry.registerPath({
    method: "get",
    path: "/readyz",
    summary:
      "Readiness: Redis reachable (503 without it); a Prometheus that does not answer is reported as degraded, still ready",
    responses: {
      200: json(HealthResponse, "Ready (status ok, or degraded with the failing Prometheus named)"),
      503: json(HealthResponse, "Redis is unavailable"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/metrics",
    summary: "The bot's own Prometheus metrics",
    security: [{ [metricsBearer.name]: [] }, {}],
    responses: {
      200: { description: "Prometheus text exposition", content: { "text/plain": { schema: z.string() } } },
      401: json(ErrorResponse, "METRICS_TOKEN is set and was not sent"),
    },
  });
  registerReportPaths(registry, { security: needsToken, error: ErrorResponse });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Smart CloudOps AI",
      version,
      description: "ChatOps bot API: ask questions about Prometheus metrics; health and metrics endpoints.",
    },
  });
}
