/**
 * The assistant a bot or the CLI answers with: the LLM chain over the configured providers, ending
 * with the built-in engine; or the engine alone when no provider is configured.
 */
import type { Config } from "../../config/config.js";
import type { Logger } from "../../observability/logger.js";
import type { Assistant } from "../assistant.js";
import type { BuiltinEngine } from "../engine.js";
import { type ChainOptions, LlmChain } from "./llm-chain.js";
import { createProviders } from "./providers.js";
import type { ToolContext } from "./tools.js";

export function createAssistant(deps: {
  config: Config;
  engine: BuiltinEngine;
  logger: Logger;
  /** What the tools read besides Prometheus (anomalies, alerts), and the clock. */
  tools: Omit<ToolContext, "signal" | "attach" | "canned" | "charts" | "planner" | "grafanaUrl">;
  memory?: ChainOptions["memory"];
  onOutcome?: ChainOptions["onOutcome"];
}): Assistant {
  const { config, engine } = deps;
  const providers = createProviders(config.llm, deps.logger);
  if (providers.length === 0) return engine;
  return new LlmChain({
    providers,
    fallback: engine,
    tools: {
      ...deps.tools,
      ...(config.grafanaUrl ? { grafanaUrl: config.grafanaUrl } : {}),
      // The operator's bounds on PromQL the model writes (PROMQL_MAX_RANGE, _MIN_STEP, _MAX_SERIES).
      promql: config.promql,
      // render_chart draws what the engine's trend answer would, from data (no question to parse).
      charts: engine,
      // The planning tool asks the engine's forecasts, rightsizing and comparisons in plain words.
      planner: engine,
    },
    ...(deps.memory ? { memory: deps.memory } : {}),
    logger: deps.logger,
    providerTimeoutMs: config.llm.providerTimeoutMs,
    deadlineMs: config.llm.deadlineMs,
    redact: config.llm.redact,
    ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
  });
}
