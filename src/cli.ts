#!/usr/bin/env node
/**
 * The `cloudops` command: start | worker | ask | detect | forecast | stack. Only a dispatcher: each verb lives in
 * src/cli/VERB.ts and is imported when it runs, so `--version`, `--help` and `VERB --help` answer
 * without loading configuration, Redis, Prometheus, chart or chat code.
 */
import { VERSION } from "./version.js";

/** Runs a verb; a negative result means it keeps running (a server, a worker). */
type VerbModule = { run: (args: string[]) => Promise<number> };

const VERBS: Record<string, () => Promise<VerbModule>> = {
  start: () => import("./cli/start.js"),
  worker: () => import("./cli/worker.js"),
  ask: () => import("./cli/ask.js"),
  detect: () => import("./cli/detect.js"),
  forecast: () => import("./cli/forecast.js"),
  stack: () => import("./cli/stack.js"),
};

async function main(argv: string[]): Promise<number> {
  const [word, ...rest] = argv;
  const load = word !== undefined && Object.hasOwn(VERBS, word) ? VERBS[word] : undefined;
  if (word !== undefined && load) {
    const { wantsHelp } = await import("./cli/args.js");
    if (wantsHelp(rest)) return help(word);
    return (await load()).run(rest);
  }
  switch (word) {
    case "--version":
    case "-v":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case "help":
      return help(rest[0]);
    case undefined:
    case "--help":
    case "-h": {
      const { mainUsage } = await import("./cli/usage.js");
      process.stdout.write(`${mainUsage(VERSION)}\n`);
      return word === undefined ? 2 : 0;
    }
    default:
      process.stderr.write(`Unknown command "${word}". Run "cloudops --help" for the commands.\n`);
      return 2;
  }
}

/** `cloudops VERB --help` and `cloudops help [VERB]`. */
async function help(verb: string | undefined): Promise<number> {
  const { isVerb, mainUsage, verbUsage } = await import("./cli/usage.js");
  if (verb !== undefined && !isVerb(verb)) {
    process.stderr.write(`Unknown command "${verb}". Run "cloudops --help" for the commands.\n`);
    return 2;
  }
  process.stdout.write(`${verb ? verbUsage(verb) : mainUsage(VERSION)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    // Named rather than imported: importing the config module (zod) would slow every command.
    const name = e instanceof Error ? e.name : "";
    if (name === "ConfigError" || name === "UsageError") {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`cloudops: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
