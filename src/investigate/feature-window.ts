/**
 * The 18 host features of a whole environment over one window: one range query per feature
 * `by (instance)`, all of them in flight together (up to a limit), so the first look's time is that of
 * the slowest query rather than the sum. The result has the anomaly engine's shape (FeatureWindow),
 * so its baselines and scaling apply as they are.
 */
import type { FeatureWindow } from "../anomaly/feature-fetch.js";
import { FEATURES, featureQuery } from "../anomaly/features.js";
import type { HostSeries } from "../anomaly/host-detector.js";
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
  const { step } = range;
  const start = Math.floor(range.start / step) * step;
  const end = Math.floor(range.end / step) * step;
  const n = Math.max(1, Math.round((end - start) / step) + 1);
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) times[i] = start + i * step;
  const hosts = new Map<string, HostSeries>();
  const hostSeries = (instance: string): HostSeries => {
    let s = hosts.get(instance);
    if (!s) {
      s = FEATURES.map(() => new Float64Array(n).fill(Number.NaN));
      hosts.set(instance, s);
    }
    return s;
  };
  await Promise.all(
    FEATURES.map((spec, f) =>
      run(async () => {
        const result = await client.range(
          featureQuery(spec, rateWindowSeconds),
          { start, end, step },
          { ...(signal ? { signal } : {}), noCache: true },
        );
        for (const series of result) {
          const instance = series.labels.instance;
          if (!instance) continue;
          const column = hostSeries(instance)[f] as Float64Array;
          for (const [t, v] of series.points) {
            const i = Math.round((t - start) / step);
            if (i >= 0 && i < n) column[i] = v;
          }
        }
      }),
    ),
  );
  return { start, end, step, times, hosts, queries: FEATURES.length };
}
