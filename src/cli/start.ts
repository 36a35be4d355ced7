/** `cloudops start`: the bot, as src/main.ts composes it. */
import { parseVerbArgs, usageError } from "./args.js";

export async function run(args: string[]): Promise<number> {
  const { positionals } = parseVerbArgs("start", args, {});
  if (positionals.length > 0) throw usageError("start", `unexpected argument "${positionals[0]}"`);
  const { start } = await import("../main.js");
  await start();
  return -1; // keeps running until a signal
}
