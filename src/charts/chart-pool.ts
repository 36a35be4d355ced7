/**
 * Charts drawn off the event loop. Drawing a chart (ECharts layout, then resvg) is 30–300 ms of
 * synchronous work; on the thread that answers HTTP it stalls every other request for that long, and
 * 60 charts at once kept `/healthz` waiting 7.7 s — Slack wants its ack within 3 s. The pool draws
 * on worker threads (tinypool), at most `workers` charts at once; at most `queue` more wait their
 * turn, and beyond that a chart is refused at once ({@link ChartsBusyError}) so the answer goes out
 * without it rather than hang. Charts already drawn come from a cache (same spec → same PNG), and a
 * chart asked for again while it is being drawn is drawn once.
 */
import { fileURLToPath } from "node:url";
import type { Tinypool } from "tinypool";
import type { ReplyChart } from "../reply/reply.js";
import { ChartCache, chartKey } from "./chart-cache.js";
import type { LineChartSpec } from "./chart-spec.js";

/** Draws a chart for an answer; `signal` (the answer's deadline) ends the wait for a busy pool. */
export type ChartRenderer = (spec: LineChartSpec, signal?: AbortSignal) => Promise<ReplyChart>;

/** Draws one chart, wherever that happens (a worker thread, this thread, a test's stand-in). */
export type ChartDrawer = (spec: LineChartSpec) => Promise<ReplyChart>;

/** Every worker is drawing and the queue is full: the chart is refused now instead of waiting. */
export class ChartsBusyError extends Error {
  readonly code = "CHARTS_BUSY";
  constructor(drawing: number, waiting: number) {
    super(`charts are busy (${drawing} being drawn, ${waiting} waiting); ask again in a moment`);
    this.name = "ChartsBusyError";
  }
}

/** Enough for several hundred typical charts (30–80 kB each). */
export const DEFAULT_CHART_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Heap a chart worker may use. A chart is bounded (10 series × 5,000 points drawn) and takes well
 * under 100 MB; a worker past this is ended and its chart fails, not the bot.
 */
const WORKER_HEAP_MB = 512;
/** Workers beyond the first end after this long without a chart. */
const WORKER_IDLE_MS = 60_000;

export interface ChartPoolOptions {
  /** Charts drawn at once, each on its own worker thread. 0: on this thread, blocking it (no workers). */
  workers: number;
  /** Charts that may wait for a free worker; more are refused with {@link ChartsBusyError}. */
  queue: number;
  /** Bound of the cache of drawn charts, in bytes (0: no cache). */
  cacheBytes?: number;
  /** Draws one chart; by default a worker thread (this thread with `workers: 0`). Tests pass their own. */
  draw?: ChartDrawer;
}

export interface ChartPoolStats {
  /** Charts being drawn now. */
  drawing: number;
  /** Charts waiting for a worker. */
  waiting: number;
  /** Most charts ever drawn at once; never above the cap. */
  peakDrawing: number;
  /** Charts drawn (not from the cache). */
  drawn: number;
  /** Charts answered from the cache or from a drawing already under way. */
  reused: number;
  /** Charts refused because the queue was full. */
  refused: number;
  /** Worker threads alive now. */
  threads: number;
  /** Bytes the cache holds. */
  cacheBytes: number;
}

interface Job {
  key: string;
  spec: LineChartSpec;
  /** Callers still waiting for this chart; a waiting job nobody wants any more leaves the queue. */
  callers: number;
  state: "waiting" | "drawing";
  done: Promise<ReplyChart>;
  resolve: (chart: ReplyChart) => void;
  reject: (error: unknown) => void;
}

export class ChartPool {
  private readonly cap: number;
  private readonly maxWaiting: number;
  private readonly cache: ChartCache;
  private readonly jobs = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  private readonly draw: ChartDrawer;
  private workers?: WorkerDrawer;
  private drawing = 0;
  private closed = false;
  private counts = { peakDrawing: 0, drawn: 0, reused: 0, refused: 0 };

  constructor(options: ChartPoolOptions) {
    const workers = Math.floor(options.workers);
    this.cap = Math.max(1, workers);
    this.maxWaiting = Math.max(0, Math.floor(options.queue));
    this.cache = new ChartCache(options.cacheBytes ?? DEFAULT_CHART_CACHE_BYTES);
    if (options.draw) this.draw = options.draw;
    else if (workers === 0) this.draw = drawHere;
    else {
      // The threads start with the first chart, so a bot that draws none starts none.
      this.draw = (spec) => {
        this.workers ??= new WorkerDrawer(this.cap);
        return this.workers.draw(spec);
      };
    }
  }

  /**
   * The chart for `spec`: from the cache, from a drawing of the same spec under way, or drawn when a
   * worker is free. Rejects at once with {@link ChartsBusyError} when the queue is full, and with
   * the signal's reason when it aborts first; a chart nobody waits for any more leaves the queue
   * undrawn, one already being drawn is finished and cached.
   */
  readonly render: ChartRenderer = (spec, signal) => {
    if (this.closed) return Promise.reject(new Error("charts are no longer drawn: the bot is shutting down"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = chartKey(spec);
    const cached = this.cache.get(key);
    if (cached) {
      this.counts.reused++;
      return Promise.resolve(cached);
    }
    const under = this.jobs.get(key);
    if (under) {
      this.counts.reused++;
      return this.follow(under, signal);
    }
    // Admission is decided now, synchronously: a burst is split into drawn, waiting and refused in
    // the order it arrived.
    if (this.drawing >= this.cap && this.waiting.length >= this.maxWaiting) {
      this.counts.refused++;
      return Promise.reject(new ChartsBusyError(this.drawing, this.waiting.length));
    }
    let resolve!: (chart: ReplyChart) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<ReplyChart>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A job everyone stopped waiting for rejects with no listener; that is expected, not a crash.
    done.catch(() => {});
    const job: Job = { key, spec, callers: 0, state: "waiting", done, resolve, reject };
    this.jobs.set(key, job);
    if (this.drawing < this.cap) this.start(job);
    else this.waiting.push(job);
    return this.follow(job, signal);
  };

  stats(): ChartPoolStats {
    return {
      ...this.counts,
      drawing: this.drawing,
      waiting: this.waiting.length,
      threads: this.workers?.threads ?? 0,
      cacheBytes: this.cache.bytes,
    };
  }

  /** Refuses new charts, fails the waiting ones and ends the worker threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.waiting.splice(0)) {
      this.jobs.delete(job.key);
      job.reject(new Error("charts are no longer drawn: the bot is shutting down"));
    }
    this.cache.clear();
    await this.workers?.close();
  }

  private follow(job: Job, signal: AbortSignal | undefined): Promise<ReplyChart> {
    job.callers++;
    if (!signal) return job.done;
    return new Promise<ReplyChart>((resolve, reject) => {
      const onAbort = () => {
        job.callers--;
        if (job.callers === 0 && job.state === "waiting") this.dropWaiting(job, signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      job.done.then(
        (chart) => {
          signal.removeEventListener("abort", onAbort);
          resolve(chart);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  private dropWaiting(job: Job, reason: unknown): void {
    const at = this.waiting.indexOf(job);
    if (at >= 0) this.waiting.splice(at, 1);
    this.jobs.delete(job.key);
    job.reject(reason);
  }

  private start(job: Job): void {
    job.state = "drawing";
    this.drawing++;
    this.counts.peakDrawing = Math.max(this.counts.peakDrawing, this.drawing);
    // Called through a promise so a drawer that throws synchronously fails only this chart.
    Promise.resolve()
      .then(() => this.draw(job.spec))
      .then(
        (chart) => {
          this.finish(job);
          this.counts.drawn++;
          if (!this.closed) this.cache.set(job.key, chart);
          job.resolve(chart);
          this.next();
        },
        (error: unknown) => {
          this.finish(job);
          job.reject(error);
          this.next();
        },
      );
  }

  /** The job's worker is free again; a caller that asks once it has its chart sees the pool as it is. */
  private finish(job: Job): void {
    this.drawing--;
    this.jobs.delete(job.key);
  }

  private next(): void {
    while (!this.closed && this.drawing < this.cap) {
      const job = this.waiting.shift();
      if (!job) return;
      this.start(job);
    }
  }
}

/** On this thread: the event loop waits while the chart is drawn (`CHART_WORKERS=0`). */
async function drawHere(spec: LineChartSpec): Promise<ReplyChart> {
  const { renderLineChart } = await import("./line-chart.js");
  return renderLineChart(spec);
}

/** Tinypool threads running chart-worker.ts (or .js, built), one chart per thread at a time. */
class WorkerDrawer {
  // Loaded with the first chart, like the threads: a process that draws no chart never loads it.
  private readonly pool: Promise<Tinypool>;
  private loaded?: Tinypool;

  constructor(threads: number) {
    this.pool = import("tinypool").then(({ Tinypool }) => {
      this.loaded = new Tinypool({
        filename: fileURLToPath(workerFile()),
        minThreads: 1,
        maxThreads: threads,
        idleTimeout: WORKER_IDLE_MS,
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      });
      return this.loaded;
    });
  }

  /** Worker threads alive now (none before the first chart). */
  get threads(): number {
    return this.loaded?.threads.length ?? 0;
  }

  async draw(spec: LineChartSpec): Promise<ReplyChart> {
    const chart = (await (await this.pool).run(spec)) as Omit<ReplyChart, "png"> & { png: Uint8Array };
    // A Buffer crosses the thread boundary as a plain Uint8Array.
    return { ...chart, png: Buffer.from(chart.png.buffer, chart.png.byteOffset, chart.png.byteLength) };
  }

  async close(): Promise<void> {
    await (await this.pool).destroy();
  }
}

/**
 * The worker beside this module: chart-worker.js when built; from source, the bootstrap that loads
 * chart-worker.ts through tsx (worker threads do not inherit the parent's TypeScript loader).
 */
function workerFile(): URL {
  const fromSource = import.meta.url.endsWith(".ts");
  return new URL(fromSource ? "./chart-worker-source.mjs" : "./chart-worker.js", import.meta.url);
}
