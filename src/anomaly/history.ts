/**
 * How much history a fetched feature window holds: a fresh Prometheus has minutes, not the week the
 * models are meant to learn from, and the detector says so instead of modelling noise.
 */
import type { PrometheusClient } from "../metrics/prometheus-client.js";
import type { FeatureWindow } from "./feature-fetch.js";

/** Seconds from the first grid point at which any feature of `series` has a value to the window's end. */
function hostHistorySeconds(series: ArrayLike<number>[], times: Float64Array, end: number): number {
  let first = times.length;
  for (const column of series) {
    for (let i = 0; i < Math.min(first, column.length); i++) {
      if (Number.isFinite(column[i] as number)) {
        first = i;
        break;
      }
    }
  }
  return first < times.length ? Math.max(0, end - (times[first] as number)) : 0;
}

/** The longest history of any host in the window, seconds (0 when no host has data). */
export function longestHistorySeconds(window: FeatureWindow): number {
  let longest = 0;
  for (const series of window.hosts.values())
    longest = Math.max(longest, hostHistorySeconds(series, window.times, window.end));
  return longest;
}

/** Rows a short history is sampled into, so a first model has enough of them (at least MIN_HOST_ROWS). */
const TARGET_ROWS = 240;
/** Finer than a typical scrape interval would repeat the same samples. */
const FINEST_STEP_SECONDS = 15;

/**
 * The training step for `historySeconds` of history: the usual step once history is long, finer
 * while it is short (1 h at 15 s gives 240 rows where 5 min would give 12).
 */
export function trainingStepFor(historySeconds: number, usualStepSeconds: number): number {
  const step = Math.floor(historySeconds / TARGET_ROWS);
  return Math.max(FINEST_STEP_SECONDS, Math.min(usualStepSeconds, step));
}

/** A series every node_exporter target has from its first scrape: its count tells when data began. */
const PRESENCE_QUERY = "count(node_load1)";
/** Prometheus's default lookback: a grid point sees samples up to this far before it. */
const LOOKBACK_SECONDS = 300;
/** Steps of the coarse look over the whole window. */
const COARSE_POINTS = 1000;

async function firstPointTime(
  client: PrometheusClient,
  range: { start: number; end: number; step: number },
  signal?: AbortSignal,
): Promise<number | undefined> {
  const series = await client.range(PRESENCE_QUERY, range, { signal, noCache: true });
  let first: number | undefined;
  for (const s of series) for (const [t] of s.points.slice(0, 1)) first = Math.min(first ?? t, t);
  return first;
}

/**
 * Seconds of host history Prometheus holds (the longest of any host), at most `maxSeconds`: one
 * coarse query over the window, and, when the data begins inside it, a fine one around its start,
 * so a fresh stack learns its age to 15 s from two small answers instead of reading a week of 18
 * features.
 */
export async function measureHistorySeconds(
  client: PrometheusClient,
  end: number,
  maxSeconds: number,
  signal?: AbortSignal,
): Promise<{ seconds: number; queries: number }> {
  const coarseStep = Math.max(60, Math.ceil(maxSeconds / COARSE_POINTS));
  // Grids end exactly at `end`: Prometheus evaluates at start + k × step, so a start not a whole
  // number of steps before `end` would leave the newest minutes out, which is all a fresh stack has.
  const aligned = (span: number, step: number) => end - Math.ceil(span / step) * step;
  const coarseStart = aligned(maxSeconds, coarseStep);
  const first = await firstPointTime(client, { start: coarseStart, end, step: coarseStep }, signal);
  if (first === undefined) return { seconds: 0, queries: 1 };
  // Data older than the window: the history is the whole window.
  if (first <= coarseStart) return { seconds: maxSeconds, queries: 1 };
  // The first sample lies in the coarse step before `first` (or up to a lookback earlier): a fine
  // look there dates it to 15 s, so the learning ETA does not move as the history grows.
  const fineStart = aligned(end - first + coarseStep + LOOKBACK_SECONDS, FINEST_STEP_SECONDS);
  const fine = await firstPointTime(
    client,
    { start: fineStart, end: Math.max(fineStart, first), step: FINEST_STEP_SECONDS },
    signal,
  );
  return { seconds: Math.min(maxSeconds, Math.max(0, end - (fine ?? first))), queries: 2 };
}
