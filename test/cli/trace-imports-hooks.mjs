// Module hooks (run off the main thread): append each resolved URL to CLOUDOPS_TRACE_IMPORTS, one a
// line, synchronously, so the list is complete when the process exits.
import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.CLOUDOPS_TRACE_IMPORTS)
    appendFileSync(process.env.CLOUDOPS_TRACE_IMPORTS, `${result.url}\n`);
  return result;
}
