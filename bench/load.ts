/**
 * A closed-loop load generator: `concurrency` workers each send a request, wait for the answer, and
 * send the next, for a fixed duration. Bounded in time and count; targets 127.0.0.1 only.
 */
import { performance } from "node:perf_hooks";

export interface LoadResult {
  concurrency: number;
  requests: number;
  errors: number;
  seconds: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

/** Runs `once` in a closed loop; `once` resolves true on success. Latencies in ms. */
export async function runLoad(
  concurrency: number,
  durationMs: number,
  once: () => Promise<boolean>,
  maxRequests = 1_000_000,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && sent < maxRequests) {
        sent++;
        const t0 = performance.now();
        let ok = false;
        try {
          ok = await once();
        } catch {
          ok = false;
        }
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    requests: latencies.length,
    errors,
    seconds,
    throughput: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

export function formatRow(name: string, r: LoadResult): string {
  const f = (n: number) => n.toFixed(2);
  return `| ${name} | ${r.concurrency} | ${r.requests} | ${r.errors} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${r.throughput.toFixed(0)} |`;
}

export const TABLE_HEADER = [
  "| case | clients | requests | errors | p50 ms | p95 ms | p99 ms | answers/s |",
  "|---|---:|---:|---:|---:|---:|---:|---:|",
];
