/**
 * Fetches the 18 features for every host of an environment: one range query per feature (and per
 * time chunk of a long training window), aligned on a common time grid. Never one query per host.
 */
import type { PrometheusClient } from "../metrics/prometheus-client.js";
import { recordName } from "./feature-records.js";
import { FEATURES, featureQuery } from "./features.js";
import type { FeatureColumn, HostSeries } from "./host-detector.js";

export interface FeatureWindow {
  start: number;
  end: number;
  step: number;
  /** Epoch seconds of each grid point. */
  times: Float64Array;
  /** instance → per-feature arrays over `times`, NaN where missing. */
  hosts: Map<string, HostSeries>;
  /** Number of Prometheus queries made: 18 per time chunk (plus one for sizing the chunks). */
  queries: number;
}

/**
 * Points (hosts × steps) one answer should hold. Long windows of a large fleet are read in chunks of
 * time so each answer stays near 1.5 MB: parsing larger answers set the memory high-water mark of
 * training a fleet (in the scale bench, fetch peak RSS 487 MB in 8-hour chunks three at a time, 352 MB
 * in 4-hour chunks two at a time, in the same time). A small fleet reads its window in one answer.
 */
const POINTS_PER_ANSWER = 48_000;
/** Points in flight at once: two full answers, or up to six smaller ones (latency-bound servers). */
const POINTS_IN_FLIGHT = 2 * POINTS_PER_ANSWER;
const MIN_CONCURRENCY = 2;
const MAX_CONCURRENCY = 6;
/** Fewest steps per chunk, whatever the fleet's size. */
const MIN_STEPS_PER_QUERY = 48;
/** Prometheus refuses more than 11,000 points per series in one answer. */
const MAX_STEPS_PER_QUERY = 11_000;
/** A background read of a day of a large fleet takes seconds, not the interactive timeout. */
const FETCH_TIMEOUT_MS = 60_000;

/** Bytes of one slab: large enough to be mapped and unmapped as a whole, small enough not to waste. */
const SLAB_BYTES = 8 * 2 ** 20;

/**
 * Hands out NaN-filled float32 blocks of `size` values carved from larger slabs. A fleet's window is
 * tens of thousands of small arrays; allocated one by one they fragment the allocator's heap, which
 * then keeps the memory after the window is dropped. Slabs are returned to the system whole.
 */
class SlabAllocator {
  private slab = new Float32Array(0);
  private used = 0;
  constructor(private readonly size: number) {}

  next(): Float32Array {
    if (this.used + this.size > this.slab.length) {
      this.slab = new Float32Array(Math.max(this.size, Math.floor(SLAB_BYTES / 4 / this.size) * this.size));
      this.slab.fill(Number.NaN);
      this.used = 0;
    }
    const block = this.slab.subarray(this.used, this.used + this.size);
    this.used += this.size;
    return block;
  }
}

/** A window's grid with no values yet, and how to write one feature query's answer into it. */
export interface FeatureGrid {
  start: number;
  end: number;
  step: number;
  /** Grid points. */
  n: number;
  times: Float64Array;
  hosts: Map<string, HostSeries>;
  /** Writes the answer to feature `f`'s query into each instance's column (points off the grid dropped). */
  fill(f: number, result: Array<{ labels: Record<string, string>; points: Array<[number, number]> }>): void;
}

/**
 * The grid of `range` (aligned on its step) with a host's columns made by `newHost(n)` on its first
 * answer: the training fetch carves them from slabs, the first look allocates them plainly.
 */
export function featureGrid(
  range: { start: number; end: number; step: number },
  newHost: (n: number) => HostSeries,
): FeatureGrid {
  const { step } = range;
  const start = Math.floor(range.start / step) * step;
  const end = Math.floor(range.end / step) * step;
  const n = Math.max(1, Math.round((end - start) / step) + 1);
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) times[i] = start + i * step;
  const hosts = new Map<string, HostSeries>();
  return {
    start,
    end,
    step,
    n,
    times,
    hosts,
    fill(f, result) {
      for (const series of result) {
        const instance = series.labels.instance;
        if (!instance) continue;
        let columns = hosts.get(instance);
        if (!columns) {
          columns = newHost(n);
          hosts.set(instance, columns);
        }
        const column = columns[f] as FeatureColumn;
        for (const [t, v] of series.points) {
          const i = Math.round((t - start) / step);
          if (i >= 0 && i < n) column[i] = v;
        }
      }
    },
  };
}

export async function fetchFeatures(
  client: PrometheusClient,
  range: { start: number; end: number; step: number },
  options: {
    rateWindowSeconds?: number;
    signal?: AbortSignal;
    /**
     * Grid points at or after this time (seconds) read the recorded series of
     * prometheus/rules/cloudops-features.yml instead of evaluating the features; the part of the
     * window before it (rules added recently) reads raw queries. The caller checks that the series
     * exist and that the rate window is theirs (see feature-source.ts).
     */
    recordedFrom?: number;
    /** Names of the features read from recorded series (default all); the others read raw queries. */
    recordedFeatures?: ReadonlySet<string>;
  } = {},
): Promise<FeatureWindow> {
  let slabs: SlabAllocator | undefined;
  const grid = featureGrid(range, (n) => {
    slabs ??= new SlabAllocator(n * FEATURES.length);
    const values = slabs.next();
    return FEATURES.map((_, f) => values.subarray(f * n, (f + 1) * n));
  });
  const { step, start, end, n, times, hosts } = grid;
  const window = options.rateWindowSeconds ?? Math.max(300, 2 * step);
  // First grid index read from the recorded series (n: none).
  const split =
    options.recordedFrom === undefined
      ? n
      : Math.min(n, Math.max(0, Math.ceil((options.recordedFrom - start) / step)));
  type Task = { f: number; from: number; to: number };
  const read = async (task: Task) => {
    const spec = FEATURES[task.f];
    if (!spec) return;
    const result = await client.range(
      task.from >= split && (options.recordedFeatures?.has(spec.name) ?? true)
        ? recordName(spec)
        : featureQuery(spec, window),
      { start: start + task.from * step, end: start + task.to * step, step },
      { signal: options.signal, timeoutMs: FETCH_TIMEOUT_MS, noCache: true },
    );
    grid.fill(task.f, result);
  };
  // The newest chunk of the first feature comes first: how many hosts answer sizes the other chunks.
  // It never straddles the start of the recorded series: a chunk reads one kind of query.
  const probeFrom = Math.max(split < n ? split : 0, n - MIN_STEPS_PER_QUERY);
  await read({ f: 0, from: probeFrom, to: n - 1 });
  // No host answered (the first feature is missing everywhere lately): plan for a large fleet, whose
  // answers stay bounded, rather than a small one, whose one answer per feature could be huge.
  const fleet = hosts.size || Number.POSITIVE_INFINITY;
  const chunk = Math.min(
    MAX_STEPS_PER_QUERY,
    Math.max(MIN_STEPS_PER_QUERY, Math.floor(POINTS_PER_ANSWER / fleet)),
  );
  const concurrency = Math.min(
    MAX_CONCURRENCY,
    Math.max(MIN_CONCURRENCY, Math.floor(POINTS_IN_FLIGHT / (fleet * Math.min(chunk, n)))),
  );
  const tasks: Task[] = [];
  for (let f = 0; f < FEATURES.length; f++) {
    const until = f === 0 ? probeFrom : n;
    // Raw queries before the recorded series begin, the recorded series from there on.
    for (const [lo, hi] of [
      [0, Math.min(split, until)],
      [split, until],
    ] as const) {
      for (let from = lo; from < hi; from += chunk)
        tasks.push({ f, from, to: Math.min(hi, from + chunk) - 1 });
    }
  }
  let next = 0;
  const worker = async () => {
    for (let task = tasks[next++]; task; task = tasks[next++]) await read(task);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { start, end, step, times, hosts, queries: tasks.length + 1 };
}
