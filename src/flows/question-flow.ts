/**
 * The question flow's wiring, shared by the bot (`cloudops start`) and `cloudops ask`: the built-in
 * engine over the environments, and in front of it the LLM chain when providers are configured.
 * Charts are drawn by a pool of worker threads (CHART_WORKERS, CHART_QUEUE) unless the caller brings
 * its own renderer (`cloudops ask` draws its one chart in-process).
 */
import type { AnomalyStore } from "../anomaly/anomaly-store.js";
import type { ChartRenderer } from "../assistant/answers/context.js";
import type { CostSettings } from "../assistant/answers/rightsizing.js";
import type { Assistant, Narrator } from "../assistant/assistant.js";
import { BuiltinEngine, type BuiltinEngineOptions } from "../assistant/engine.js";
import type { ChainOptions } from "../assistant/llm/llm-chain.js";
import type { ToolContext } from "../assistant/llm/tools.js";
import type { ChartPool } from "../charts/chart-pool.js";
import { type Config, ConfigError } from "../config/config.js";
import { PriceFileError, parsePriceFile } from "../insights/prices.js";
import type { Investigator } from "../investigate/investigation.js";
import type { UsualLevels } from "../investigate/usual-levels.js";
import type { Environments } from "../metrics/environments.js";
import type { Logger } from "../observability/logger.js";

export interface QuestionFlow {
  /** Answers from Prometheus alone; also draws charts asked for as data. */
  engine: BuiltinEngine;
  /** What chat asks: the LLM chain ending with the engine, or the engine alone. */
  assistant: Assistant;
  /** Ends the chart workers, failing charts still waiting; the engine draws no more charts after it. */
  close(): Promise<void>;
  /** Draws a chart from a spec with the engine's renderer (digests use it). */
  renderChart: ChartRenderer;
  /** Rightsizing's prices and rules, as the engine answers with them (digests' savings use them too). */
  costs?: CostSettings;
  /** The LLM chain's account over findings (the first look's), when a provider is configured. */
  narrator?: Narrator;
}

export interface QuestionFlowDeps {
  config: Config;
  environments: Environments;
  /** The logger, or how to make one (the CLI makes one only when an LLM provider needs it). */
  logger: Logger | (() => Promise<Logger>);
  /** Draws charts; default: the worker pool, started with the first chart. */
  renderChart?: BuiltinEngineOptions["renderChart"];
  anomalies?: AnomalyStore;
  now?: () => number;
  /** The open alerts, for the LLM's get_alerts tool. */
  openAlerts?: ToolContext["openAlerts"];
  memory?: ChainOptions["memory"];
  onOutcome?: ChainOptions["onOutcome"];
  /** The first look's hourly cache of usual levels, shared with the alerts' first looks. */
  usualLevels?: UsualLevels;
}

export function createQuestionFlow(deps: QuestionFlowDeps): QuestionFlow {
  const { config } = deps;
  // Loads nothing until a chart is drawn; unused when the caller brings its own renderer.
  const charts = lazyChartPool(config.charts);
  const costs = config.costs ? costSettings(config.costs, config.planningDeadlineMs) : undefined;
  const renderChart = deps.renderChart ?? charts.render;
  const engine = new BuiltinEngine({
    environments: deps.environments,
    renderChart: deps.renderChart ?? charts.render,
    deadlineMs: config.answerDeadlineMs,
    planningDeadlineMs: config.planningDeadlineMs,
    grafanaUrl: config.grafanaUrl,
    now: deps.now,
    ...(deps.anomalies ? { anomalies: deps.anomalies } : {}),
    ...(costs ? { costs } : {}),
    investigate: firstLook(deps, renderChart),
  });
  const close = () => charts.close();
  if (!config.llm.providers.some((p) => p !== "builtin"))
    return { engine, assistant: engine, close, renderChart, ...(costs ? { costs } : {}) };
  // The LLM chain (and the vendor SDKs under it) loads on first use: `cloudops ask` starts fast.
  const chain = (async () => {
    const [{ createAssistant }, logger] = await Promise.all([
      import("../assistant/llm/create-assistant.js"),
      typeof deps.logger === "function" ? deps.logger() : deps.logger,
    ]);
    return createAssistant({
      config,
      engine,
      logger,
      tools: {
        environments: deps.environments,
        now: deps.now ?? Date.now,
        ...(deps.anomalies ? { anomalies: deps.anomalies } : {}),
        ...(deps.openAlerts ? { openAlerts: deps.openAlerts } : {}),
      },
      ...(deps.memory ? { memory: deps.memory } : {}),
      ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
    });
  })();
  return {
    engine,
    assistant: { answer: async (inbound, signal) => (await chain).answer(inbound, signal) },
    narrator: {
      narrate: async (request, signal) => {
        const assistant = await chain;
        return "narrate" in assistant
          ? (assistant as Assistant & Narrator).narrate(request, signal)
          : undefined;
      },
    },
    close,
    renderChart,
    ...(costs ? { costs } : {}),
  };
}

interface LazyChartPool {
  render: ChartRenderer;
  close(): Promise<void>;
}

/** The chart pool, loaded with the first chart: a bot asked for none loads neither it nor tinypool. */
function lazyChartPool(settings: Config["charts"]): LazyChartPool {
  let pool: Promise<ChartPool> | undefined;
  let closed = false;
  return {
    render: async (spec, signal) => {
      if (closed) throw new Error("charts are no longer drawn: the bot is shutting down");
      pool ??= import("../charts/chart-pool.js").then(({ ChartPool }) => new ChartPool(settings));
      return (await pool).render(spec, signal);
    },
    async close() {
      closed = true;
      await (await pool)?.close();
    },
  };
}

/**
 * Rightsizing's prices and rules from the configuration. The price file is parsed here, at start-up
 * (the configuration sits below insights/): a bad one stops the start with one line naming
 * COST_PRICE_FILE and the line or entry at fault.
 */
/**
 * "why is web-2 slow?": the same first look an alert gets, on the host the question names (its
 * node_exporter instance when it has several). Loaded on first use: `cloudops ask` starts fast.
 */
function firstLook(deps: QuestionFlowDeps, renderChart: ChartRenderer): BuiltinEngineOptions["investigate"] {
  let investigator: Promise<Investigator> | undefined;
  return async ({ environment, host }, signal) => {
    investigator ??= import("../investigate/investigator.js").then(({ createInvestigator }) =>
      createInvestigator({
        environments: deps.environments,
        deadlineMs: deps.config.planningDeadlineMs,
        ...(deps.usualLevels ? { usualLevels: deps.usualLevels } : {}),
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.config.grafanaUrl ? { grafanaUrl: deps.config.grafanaUrl } : {}),
      }),
    );
    const [{ investigationChart, investigationReply }, run] = await Promise.all([
      import("../investigate/investigation-reply.js"),
      investigator,
    ]);
    const instance = host.instances.find((i) => i.endsWith(":9100")) ?? host.instances[0] ?? host.name;
    const inv = await run.investigate(
      { environment, instance, alertName: "question", startsAt: deps.now?.() ?? Date.now() },
      signal,
    );
    const reply = investigationReply(inv);
    const chart = await investigationChart(inv, renderChart, signal);
    return chart ? { ...reply, chart } : reply;
  };
}

function costSettings(costs: Config["costs"], planningDeadlineMs: number): CostSettings {
  let perHost: Map<string, number> | undefined;
  if (costs.priceFileText !== undefined) {
    try {
      perHost = parsePriceFile(costs.priceFileText, costs.file);
    } catch (e) {
      if (e instanceof PriceFileError)
        throw new ConfigError("COST_PRICE_FILE", `is not usable: ${e.message}`);
      throw e;
    }
  }
  return {
    prices: {
      cpuCoreMonth: costs.cpuCoreMonth,
      gbMonth: costs.gbMonth,
      currency: costs.currency,
      origin: costs.origin,
      ...(perHost ? { perHost } : {}),
      ...(costs.file ? { file: costs.file } : {}),
    },
    rules: { lookbackSeconds: costs.lookbackSeconds },
    // Weeks of data take longer than a "now" question's queries; the answer's deadline still holds.
    queryTimeoutMs: Math.round(0.6 * planningDeadlineMs),
  };
}
