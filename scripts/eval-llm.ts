/**
 * `npm run eval:llm [FILE]`: runs the evaluation cases (default data/llm-eval/cases.json) against every
 * LLM provider configured in the environment (OPENAI_API_KEY, GEMINI_API_KEY, LOCAL_LLM_URL) and prints
 * a table. Tools answer their canned results: no Prometheus is needed.
 */

import { evaluate, loadEvalCases } from "../src/assistant/llm/evaluate.js";
import { createProviders } from "../src/assistant/llm/providers.js";
import { ConfigError, loadConfig, prometheusSettings } from "../src/config/config.js";
import { Environments } from "../src/metrics/environments.js";
import { createLogger } from "../src/observability/logger.js";

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const logger = createLogger("warn");
  const providers = createProviders(config.llm, logger);
  if (providers.length === 0) {
    process.stderr.write(
      "No LLM provider is configured (OPENAI_API_KEY, GEMINI_API_KEY or LOCAL_LLM_URL).\n",
    );
    return 2;
  }
  const cases = loadEvalCases(process.argv[2] ?? "data/llm-eval/cases.json");
  let failed = 0;
  for (const provider of providers) {
    const results = await evaluate(
      provider,
      cases,
      { environments: new Environments(prometheusSettings(config)), now: Date.now },
      logger,
    );
    process.stdout.write(`\n${provider.name} (${provider.model})\n`);
    for (const r of results) {
      if (!r.passed) failed++;
      const why = [...r.missing.map((m) => `missing "${m}"`), ...r.unwanted.map((u) => `says "${u}"`)];
      process.stdout.write(
        `  ${r.passed ? "pass" : "FAIL"}  ${r.id.padEnd(22)} ${r.seconds.toFixed(1)} s${r.answeredBy !== provider.name ? " (no answer)" : ""}${why.length ? `  ${why.join(", ")}` : ""}\n`,
      );
    }
  }
  return failed > 0 ? 1 : 0;
}

main().then((code) => process.exit(code));
