/** `cloudops stack up|down|status`: the local services, without Docker. */
import path from "node:path";
import { parseVerbArgs, usageError } from "./args.js";

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseVerbArgs("stack", args, { home: { type: "string" } });
  const [action, ...extra] = positionals;
  if (action === undefined) throw usageError("stack", "say up, down or status");
  if (!["up", "down", "status"].includes(action) || extra.length > 0)
    throw usageError("stack", `unexpected argument "${extra[0] ?? action}"`);
  const { stackDown, stackStatus, stackUp } = await import("../stack/stack.js");
  const opts = {
    home: path.resolve(values.home ?? process.env.CLOUDOPS_HOME ?? ".cloudops"),
    log: (line: string) => process.stdout.write(`${line}\n`),
  };
  if (action === "up") await stackUp(opts);
  else if (action === "down") await stackDown(opts);
  else await stackStatus(opts);
  return 0;
}
