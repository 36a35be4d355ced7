/**
 * `cloudops ask "QUESTION"`: one answer, printed, then exit. Loads only what the answer uses: the
 * LLM chain when a provider is configured, Redis when the answer reads anomaly results, the chart
 * renderer when the reply carries a chart.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { answeredBy, plainText, type Reply } from "../reply/reply.js";
import { parseVerbArgs } from "./args.js";
import { DeferredCharts } from "./deferred-charts.js";
import { lazyAnomalyStore } from "./lazy-anomaly-store.js";

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseVerbArgs("ask", args, {
    env: { type: "string" },
    at: { type: "string" },
    json: { type: "boolean" },
    chart: { type: "string" },
  });
  const text = positionals.join(" ");
  if (!text.trim()) {
    process.stderr.write('Ask a question: cloudops ask "what\'s the current system health?"\n');
    return 2;
  }
  let at: number | undefined;
  if (values.at !== undefined) {
    at = Date.parse(values.at);
    if (Number.isNaN(at)) {
      process.stderr.write(
        `--at must be a date and time such as 2026-11-25T03:12:00Z (got "${values.at}")\n`,
      );
      return 2;
    }
  }
  const now = at === undefined ? Date.now : () => at as number;

  const [
    { loadConfig, prometheusSettings },
    { Environments },
    { createQuestionFlow },
    { renderText, terminalSafe },
  ] = await Promise.all([
    import("../config/config.js"),
    import("../metrics/environments.js"),
    import("../flows/question-flow.js"),
    import("../reply/render-text.js"),
  ]);
  const config = loadConfig();
  const environments = new Environments(prometheusSettings(config));
  const useLlm = config.llm.providers.some((p) => p !== "builtin");
  // The LLM's render_chart tool shows the model the chart's alt text, so with providers the chart is
  // drawn when made; without, it is drawn only if the final reply keeps it.
  const charts = new DeferredCharts();
  const renderChart = useLlm ? (await import("../charts/line-chart.js")).renderLineChart : charts.render;
  const anomalies = lazyAnomalyStore({
    redisUrl: config.redisUrl,
    topology: config.redisTopology,
    prefix: config.redisPrefix,
  });
  try {
    // The same question flow the bot answers with.
    const { assistant } = createQuestionFlow({
      config,
      environments,
      renderChart,
      anomalies: anomalies.store,
      ...(at === undefined ? {} : { now }),
      logger: async () =>
        (await import("../observability/logger.js")).createLogger(
          config.logLevel === "info" ? "warn" : config.logLevel,
        ),
    });
    const answer = await assistant.answer({
      platform: "cli",
      user: "cli",
      channel: "cli",
      text,
      environment: values.env,
    });
    // An LLM's answer says which model wrote it, as in chat; the built-in engine's needs no footer here.
    const written = answer.model
      ? { ...answer.reply, context: [...answer.reply.context, answeredBy(answer)] }
      : answer.reply;
    const reply = await withDrawnChart(written, charts);
    if (reply.tone === "error") {
      // One clear line for scripts and humans; the exit code says it failed.
      const firstLine = plainText(reply.text).split("\n")[0];
      process.stderr.write(terminalSafe(`${reply.title}: ${firstLine}\n`));
      return 1;
    }
    if (values.chart && reply.chart) writeFileSync(path.resolve(values.chart), reply.chart.png);
    if (values.json) {
      const { chart, ...rest } = reply;
      process.stdout.write(
        `${JSON.stringify({ reply: { ...rest, chart: chart ? { title: chart.title, alt: chart.alt, file: values.chart } : undefined }, provider: answer.provider, intent: answer.intent }, null, 2)}\n`,
      );
    } else {
      process.stdout.write(renderText(reply));
      if (reply.chart && !values.chart) process.stdout.write("  (save the chart with --chart FILE.png)\n");
      else if (reply.chart && values.chart) process.stdout.write(`  Chart saved to ${values.chart}\n`);
    }
    return 0;
  } finally {
    await anomalies.close();
  }
}

/** The reply with its chart drawn; a chart that cannot be drawn is left out and the reply says so. */
async function withDrawnChart(reply: Reply, charts: DeferredCharts): Promise<Reply> {
  if (!reply.chart) return reply;
  try {
    return { ...reply, chart: await charts.draw(reply.chart) };
  } catch (e) {
    const { chart: _dropped, ...rest } = reply;
    return {
      ...rest,
      context: [...rest.context, `Chart not drawn: ${e instanceof Error ? e.message : String(e)}`],
    };
  }
}
