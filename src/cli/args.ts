/**
 * Argument parsing for the verbs: node:util's parseArgs, with every mistake turned into one
 * UsageError line that names the option and the verb's synopsis instead of Node's raw error.
 */
import { parseArgs } from "node:util";
import { SYNOPSIS, type Verb } from "./usage.js";

/** A mistake in the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type OptionSpec = Record<string, { type: "string" | "boolean" }>;

/** Option values typed by their spec: a string option gives a string, a flag gives a boolean. */
export type OptionValues<O extends OptionSpec> = {
  [K in keyof O]?: O[K]["type"] extends "string" ? string : boolean;
};

export function usageError(verb: Verb, problem: string): UsageError {
  return new UsageError(
    `cloudops ${verb}: ${problem}. Usage: ${SYNOPSIS[verb]} (more: cloudops ${verb} --help)`,
  );
}

/**
 * Parses `args` against `options`. Unknown options, a string option without a value and a value
 * given to a flag are UsageErrors. Arguments after `--` are positionals, whatever they look like.
 */
export function parseVerbArgs<O extends OptionSpec>(
  verb: Verb,
  args: string[],
  options: O,
): { values: OptionValues<O>; positionals: string[] } {
  // Non-strict parsing keeps going past an unknown option, and its tokens say which one it was.
  const { values, positionals, tokens } = parseArgs({
    args,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (!spec) throw usageError(verb, `unknown option "${token.rawName}"`);
    // "--env --json": an option word taken as the value means the value was left out.
    const missing = token.value === undefined || (!token.inlineValue && token.value.startsWith("-"));
    if (spec.type === "string" && missing) throw usageError(verb, `option ${token.rawName} needs a value`);
    if (spec.type === "boolean" && token.inlineValue)
      throw usageError(verb, `option ${token.rawName} takes no value`);
  }
  // Every option token was checked against its spec above, so the values have the spec's types.
  return { values: values as OptionValues<O>, positionals };
}

/** True when `--help` or `-h` comes before any `--` terminator. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}
