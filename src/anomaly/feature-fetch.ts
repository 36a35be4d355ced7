/**
 * Fetches the 18 features for every host of an environment: one range query per feature, aligned on
 * a common time grid. Never one query per host.
 */
import type { PrometheusClient } from "../metrics/prometheus-client.js";
import { FEATURES, featureQuery } from "./features.js";
import type { HostSeries } from "./host-detector.js";

export interface FeatureWindow {
  start: number;
  end: number;
  step: number;
  /** Epoch seconds of each grid point. */
  times: Float64Array;
  /** instance → per-feature arrays over `times`, NaN where missing. */
  hosts: Map<string, HostSeries>;
  /** Number of Prometheus queries made (18). */
  queries: number;
}

/** Most range queries in flight at once: kind to Prometheus, still fast. */
const CONCURRENCY = 6;

export async function fetchFeatures(
  client: PrometheusClient,
  range: { start: number; end: number; step: number },
  options: { rateWindowSeconds?: number; signal?: AbortSignal } = {},
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
  const window = options.rateWindowSeconds ?? Math.max(300, 2 * step);
  let next = 0;
  const worker = async () => {
    while (next < FEATURES.length) {
      const f = next++;
      const spec = FEATURES[f];
      if (!spec) return;
      const result = await client.range(
        featureQuery(spec, window),
        { start, end, step },
        { signal: options.signal },
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
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { start, end, step, times, hosts, queries: FEATURES.length };
}
