// Preloaded with `node --import` by the CLI tests: records every module the process resolves.
import { register } from "node:module";

register("./trace-imports-hooks.mjs", import.meta.url);
