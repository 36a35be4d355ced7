/**
 * The 18 host features of a whole environment over one window: one range query per feature
 * `by (instance)`, all of them in flight together (up to a limit), so the first look's time is that of
 * the slowest query rather than the sum. The result has the anomaly engine's shape (FeatureWindow),
 * so its baselines and scaling apply as they are.
 */
import { type FeatureWindow, featureGrid } from "../anomaly/feature-fetch.js";
import { FEATURES, featureQuery } from "../anomaly/features.js";
import type { PrometheusClient } from "../metrics/prometheus-client.js";

/** A limit on queries in flight, shared by the windows of one investigation. */
export function limiter(slots: number): <T>(task: () => Promise<T>) => Promise<T> {
  let free = slots;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

export async function fetchWindow(
  client: PrometheusClient,
  range: { start: number; end: number; step: number },
  rateWindowSeconds: number,
  run: <T>(task: () => Promise<T>) => Promise<T>,
  signal?: AbortSignal,
): Promise<FeatureWindow> {
  const grid = featureGrid(range, (n) => FEATURES.map(() => new Float64Array(n).fill(Number.NaN)));
  await Promise.all(
    FEATURES.map((spec, f) =>
      run(async () => {
        const result = await client.range(
          featureQuery(spec, rateWindowSeconds),
          { start: grid.start, end: grid.end, step: grid.step },
          { ...(signal ? { signal } : {}), noCache: true },
        );
        grid.fill(f, result);
      }),
    ),
  );
  const { start, end, step, times, hosts } = grid;
  return { start, end, step, times, hosts, queries: FEATURES.length };
}
