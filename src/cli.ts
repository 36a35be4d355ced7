#!/usr/bin/env node
/**
 * The `cloudops` command: start | worker | ask | detect | stack. Kept to argument handling; each verb calls the module
 * that does the work.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { CsvInputError, detectMatrixCsv, detectSeriesCsv, MAX_CSV_BYTES } from "./anomaly/detect-csv.js";
import { BuiltinEngine } from "./assistant/engine.js";
import { renderLineChart } from "./charts/line-chart.js";
import { ConfigError, loadConfig } from "./config/config.js";
import { Environments } from "./metrics/environments.js";
import { renderText } from "./reply/render-text.js";
import { stackDown, stackStatus, stackUp } from "./stack/stack.js";
import { VERSION } from "./version.js";

const USAGE = `Smart CloudOps AI ${VERSION}

Usage:
  cloudops start                      start the bot: HTTP API, web console, chat adapters
  cloudops worker                     run anomaly scan and training jobs only (any number of processes)
  cloudops ask "QUESTION" [--env E] [--at TIME] [--json] [--chart FILE.png]
                                      answer one question from Prometheus and exit;
                                      --at answers as of a past time (ISO 8601), for post-mortems
  cloudops detect FILE.csv [--out F]  score a timestamp,value series, each row from the rows before it;
                                      writes timestamp,value,anomaly_score (0..1)
  cloudops detect TEST.csv --train TRAIN.csv [--out F]
                                      score numeric rows with an isolation forest fitted on TRAIN
  cloudops stack up|down|status [--home DIR]
                                      run Redis, Prometheus, node_exporter and Alertmanager locally
  cloudops --version | --help

Configuration comes from environment variables; see .env.example.`;

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case "start": {
      const { start } = await import("./main.js");
      await start();
      return -1; // keeps running
    }
    case "ask":
      return ask(rest);
    case "worker":
      await worker();
      return -1;
    case "detect":
      return detect(rest);
    case "stack":
      return stack(rest);
    case "--version":
    case "-v":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return verb === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command "${verb}". Run "cloudops --help" for the commands.\n`);
      return 2;
  }
}

async function ask(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      env: { type: "string" },
      at: { type: "string" },
      json: { type: "boolean" },
      chart: { type: "string" },
    },
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
  const config = loadConfig();
  const environments = new Environments(config);
  const engine = new BuiltinEngine({
    environments,
    renderChart: renderLineChart,
    deadlineMs: config.answerDeadlineMs,
    grafanaUrl: config.grafanaUrl,
    now: at === undefined ? undefined : () => at,
  });
  // With LLM providers configured the question goes through the chain, which ends with the engine.
  const { createAssistant } = await import("./assistant/llm/create-assistant.js");
  const { createLogger } = await import("./observability/logger.js");
  const assistant = createAssistant({
    config,
    engine,
    logger: createLogger(config.logLevel === "info" ? "warn" : config.logLevel),
    tools: { environments, now: at === undefined ? Date.now : () => at as number },
  });
  const answer = await assistant.answer({
    platform: "cli",
    user: "cli",
    channel: "cli",
    text,
    environment: values.env,
  });
  const { reply } = answer;
  if (reply.tone === "error") {
    // One clear line for scripts and humans; the exit code says it failed.
    process.stderr.write(`${reply.title.replace(/^\S+\s/, "")}: ${reply.text.split("\n")[0]}\n`);
    return 1;
  }
  if (values.chart && reply.chart) {
    writeFileSync(path.resolve(values.chart), reply.chart.png);
  }
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
}

async function worker(): Promise<void> {
  const config = loadConfig();
  const { createLogger } = await import("./observability/logger.js");
  const { Redis } = await import("ioredis");
  const { AnomalyStore } = await import("./anomaly/anomaly-store.js");
  const { startAnomalyJobs } = await import("./app.js");
  const logger = createLogger(config.logLevel);
  const environments = new Environments(config);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const { createAlertPipeline, kickChannel } = await import("./alerts/alert-pipeline.js");
  const { anomalyAlerts } = await import("./alerts/anomaly-alerts.js");
  const prefix = config.redisPrefix;
  // Findings become alerts here; the bot posts them (told at once over Redis, or at its next outbox pass).
  const alerts = createAlertPipeline({
    config,
    redis,
    prefix,
    logger,
    onQueued: () => void redis.publish(kickChannel(prefix), "1").catch(() => {}),
  });
  const workers = await startAnomalyJobs(
    config,
    logger,
    environments,
    new AnomalyStore(redis, `${prefix}:anomaly`),
    prefix,
    { onScanChanges: async (_env, changes) => void (await alerts.service.ingest(anomalyAlerts(changes))) },
  );
  logger.info({ environments: environments.names() }, "anomaly workers running");
  const stop = () => {
    workers.close().finally(() => {
      redis.disconnect();
      process.exit(0);
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

async function stack(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { home: { type: "string" } },
  });
  const action = positionals[0];
  const opts = {
    home: path.resolve(values.home ?? process.env.CLOUDOPS_HOME ?? ".cloudops"),
    log: (line: string) => process.stdout.write(`${line}\n`),
  };
  switch (action) {
    case "up":
      await stackUp(opts);
      return 0;
    case "down":
      await stackDown(opts);
      return 0;
    case "status":
      await stackStatus(opts);
      return 0;
    default:
      process.stderr.write("Usage: cloudops stack up|down|status [--home DIR]\n");
      return 2;
  }
}

function readCsv(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new CsvInputError(`${file}: no such file`);
  }
  if (size > MAX_CSV_BYTES) throw new CsvInputError(`${file} is larger than ${MAX_CSV_BYTES / 2 ** 20} MiB`);
  return readFileSync(file, "utf8");
}

function detect(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string" }, train: { type: "string" } },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) {
    process.stderr.write("Usage: cloudops detect FILE.csv [--train TRAIN.csv] [--out F]\n");
    return 2;
  }
  try {
    const csv = values.train
      ? detectMatrixCsv(readCsv(file), file, readCsv(values.train), values.train)
      : detectSeriesCsv(readCsv(file), file);
    if (values.out) writeFileSync(values.out, csv);
    else process.stdout.write(csv);
    return 0;
  } catch (e) {
    if (e instanceof CsvInputError) {
      process.stderr.write(`cloudops detect: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    const err = e as { code?: string; message?: string };
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" || err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`cloudops: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
