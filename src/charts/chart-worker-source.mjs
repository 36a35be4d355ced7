/**
 * The chart worker when the bot runs from its TypeScript source (tsx, vitest). Node 20 does not
 * hand module loaders on to worker threads (`--import` in a worker's execArgv registers no hooks),
 * so this registers tsx in the thread itself, then loads chart-worker.ts. Built, the pool loads
 * dist/charts/chart-worker.js and this file is not used.
 */
import { register } from "tsx/esm/api";

register();
const { default: drawChart } = await import("./chart-worker.ts");

export default drawChart;
