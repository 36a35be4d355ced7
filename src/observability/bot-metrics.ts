/**
 * The bot's own metrics on `/metrics`: process metrics plus what an operator needs to see whether the
 * bot is healthy — questions answered, Prometheus latency, errors.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface BotMetrics {
  registry: Registry;
  questions: Counter<"intent" | "provider" | "platform">;
  answerSeconds: Histogram<"provider">;
  promQuerySeconds: Histogram<"environment" | "kind" | "outcome">;
  promCacheHits: Counter<"environment">;
  errors: Counter<"component" | "reason">;
  httpRequests: Counter<"route" | "status">;
  chatPosts: Counter<"platform" | "outcome">;
  alertsReceived: Counter<"source" | "change">;
  alertDeliveries: Counter<"platform" | "outcome">;
  /** Each LLM provider's attempts: answered, failed (fell through) or skipped (circuit open). */
  llmAttempts: Counter<"provider" | "outcome">;
  llmSeconds: Histogram<"provider" | "outcome">;
  /** First looks at alerts: how long each took, and how many by outcome (ok, nothing_unusual, failed). */
  investigationSeconds: Histogram<"outcome">;
  investigations: Counter<"outcome">;
}

/** Creates a fresh registry (one per app instance, so tests never share global state). */
export function createBotMetrics(): BotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "cloudops_" });
  return {
    registry,
    questions: new Counter({
      name: "cloudops_questions_total",
      help: "Questions answered, by recognised intent, answering provider and platform.",
      labelNames: ["intent", "provider", "platform"],
      registers: [registry],
    }),
    answerSeconds: new Histogram({
      name: "cloudops_answer_duration_seconds",
      help: "Time from question to reply, by provider.",
      labelNames: ["provider"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [registry],
    }),
    promQuerySeconds: new Histogram({
      name: "cloudops_prometheus_query_duration_seconds",
      help: "Prometheus HTTP API round-trip time, by environment, call kind and outcome.",
      labelNames: ["environment", "kind", "outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    promCacheHits: new Counter({
      name: "cloudops_prometheus_cache_hits_total",
      help: "Prometheus queries answered from the short-lived cache or an identical in-flight query.",
      labelNames: ["environment"],
      registers: [registry],
    }),
    alertsReceived: new Counter({
      name: "cloudops_alerts_received_total",
      help: "Alerts received, by source (alertmanager, anomaly, rule) and what they changed (new, resolved, refired, unchanged).",
      labelNames: ["source", "change"],
      registers: [registry],
    }),
    alertDeliveries: new Counter({
      name: "cloudops_alert_deliveries_total",
      help: "Alert group deliveries (message posted or brought up to date), by platform and outcome (ok, failed: retried later).",
      labelNames: ["platform", "outcome"],
      registers: [registry],
    }),
    llmAttempts: new Counter({
      name: "cloudops_llm_attempts_total",
      help: "LLM provider attempts by outcome: answered, failed (the next provider was tried), skipped (circuit open).",
      labelNames: ["provider", "outcome"],
      registers: [registry],
    }),
    llmSeconds: new Histogram({
      name: "cloudops_llm_attempt_duration_seconds",
      help: "Time each LLM provider took, tool calls included, by outcome.",
      labelNames: ["provider", "outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
      registers: [registry],
    }),
    errors: new Counter({
      name: "cloudops_errors_total",
      help: "Errors by component and reason.",
      labelNames: ["component", "reason"],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: "cloudops_http_requests_total",
      help: "HTTP requests served, by route and status code.",
      labelNames: ["route", "status"],
      registers: [registry],
    }),
    chatPosts: new Counter({
      name: "cloudops_chat_posts_total",
      help: "Messages sent to chat platforms, by outcome (ok, failed, rate_limited).",
      labelNames: ["platform", "outcome"],
      registers: [registry],
    }),
    investigationSeconds: new Histogram({
      name: "cloudops_investigation_duration_seconds",
      help: "Time to gather an alert's first look, by outcome (ok, nothing_unusual, failed).",
      labelNames: ["outcome"],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers: [registry],
    }),
    investigations: new Counter({
      name: "cloudops_investigations_total",
      help: "Alert first looks gathered, by outcome (ok, nothing_unusual, failed).",
      labelNames: ["outcome"],
      registers: [registry],
    }),
  };
}
