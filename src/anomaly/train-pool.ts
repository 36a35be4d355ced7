/**
 * Host models trained on worker threads: training is pure CPU, one host at a time, so a fleet trains
 * as many times faster as there are cores. Falls back to this thread when workers cannot start.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { AlarmBudget } from "./alarm-budget.js";
import { type HostModel, type HostSeries, trainHostModel } from "./host-detector.js";

export interface TrainJob {
  instance: string;
  series: HostSeries;
  times?: Float64Array;
  now: number;
  budget?: AlarmBudget;
}

/** A job as sent to a worker: its series packed into one array (feature after feature). */
export interface PackedJob {
  instance: string;
  values: Float32Array | Float64Array;
  features: number;
  times?: Float64Array;
  now: number;
  budget?: AlarmBudget;
}

export interface TrainRequest {
  id: number;
  jobs: PackedJob[];
}

/**
 * Copies a job's series into one array. Posting the series themselves would copy whole buffers they
 * are views of (a fetched window keeps many hosts in one slab).
 */
function pack(job: TrainJob): PackedJob {
  const n = job.series[0]?.length ?? 0;
  const values = job.series.every((c) => c instanceof Float32Array)
    ? new Float32Array(n * job.series.length)
    : new Float64Array(n * job.series.length);
  job.series.forEach((c, f) => {
    values.set(c, f * n);
  });
  return {
    instance: job.instance,
    values,
    features: job.series.length,
    now: job.now,
    ...(job.times ? { times: job.times } : {}),
    ...(job.budget ? { budget: job.budget } : {}),
  };
}

/** The series of a packed job, as views of its one array. */
export function unpack(job: PackedJob): TrainJob {
  const n = job.features > 0 ? job.values.length / job.features : 0;
  const series = Array.from({ length: job.features }, (_, f) => job.values.subarray(f * n, (f + 1) * n));
  return {
    instance: job.instance,
    series,
    now: job.now,
    ...(job.times ? { times: job.times } : {}),
    ...(job.budget ? { budget: job.budget } : {}),
  };
}

export type TrainResponse = { id: number; models: HostModel[] } | { id: number; error: string };

/** Source files run under tsx (tests, `npm run cloudops`); built files are plain JavaScript. */
const FROM_SOURCE = import.meta.url.endsWith(".ts");
const WORKER_URL = new URL(`./train-worker${FROM_SOURCE ? ".ts" : ".js"}`, import.meta.url);

/**
 * A worker's heap holds one batch of hosts at a time; small limits make it collect often instead of
 * growing (a larger heap gained no speed, and each worker's growth adds to the process's memory).
 */
const LIMITS = { resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 2 } };
function spawnWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, LIMITS);
  // A worker does not inherit the TypeScript loader: register tsx in it before loading the source.
  return new Worker(
    `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
    { eval: true, ...LIMITS },
  );
}

interface Request {
  jobs: TrainJob[];
  resolve: (m: HostModel[]) => void;
  reject: (e: Error) => void;
}

/**
 * Worker threads that each train one request at a time; requests wait in a queue for the next idle
 * worker, so callers keep every worker busy by having more requests in flight than workers (saving
 * one batch while the next trains).
 */
export class TrainPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private readonly queue: Request[] = [];
  /** Set once a worker failed: the rest of the run trains on this thread. */
  private broken = false;
  /** Set by close: later requests are refused rather than starting new workers nobody closes. */
  private closed = false;
  private seq = 0;
  private readonly running = new Map<number, { worker: Worker; request: Request }>();

  constructor(readonly size = Math.max(1, Math.min(availableParallelism(), 8))) {}

  private start(): Worker[] {
    if (this.workers.length > 0 || this.size <= 1 || this.broken) return this.workers;
    try {
      for (let i = 0; i < this.size; i++) {
        const w = spawnWorker();
        w.unref();
        w.on("message", (res: TrainResponse) => {
          const run = this.running.get(res.id);
          if (!run) return;
          this.running.delete(res.id);
          this.idle.push(run.worker);
          if ("error" in res) run.request.reject(new Error(res.error));
          else run.request.resolve(res.models);
          this.dispatch();
        });
        w.on("error", (e: Error) => {
          this.broken = true;
          this.failAll(e);
        });
        w.on("exit", (code: number) => {
          if (this.running.size === 0 && this.queue.length === 0) return;
          this.broken = true;
          this.failAll(new Error(`a training worker exited with code ${code}`));
        });
        this.workers.push(w);
        this.idle.push(w);
      }
    } catch {
      this.broken = true;
      void this.close();
    }
    return this.workers;
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const request = this.queue.shift() as Request;
      const id = ++this.seq;
      this.running.set(id, { worker, request });
      const jobs = request.jobs.map(pack);
      // The packed copies are this request's own: moved to the worker, not copied again.
      worker.postMessage(
        { id, jobs } satisfies TrainRequest,
        jobs.map((j) => j.values.buffer as ArrayBuffer),
      );
    }
  }

  private failAll(e: Error): void {
    for (const run of this.running.values()) run.request.reject(e);
    this.running.clear();
    for (const request of this.queue.splice(0)) request.reject(e);
  }

  /** Trains every job on the next idle worker; the models come back in the jobs' order. */
  async train(jobs: TrainJob[]): Promise<HostModel[]> {
    if (this.closed) throw new Error("training pool closed");
    const inThread = () => jobs.map((j) => trainHostModel(j.instance, j.series, j.now, j.times, j.budget));
    const workers = this.start();
    if (workers.length === 0 || jobs.length === 0) return inThread();
    try {
      return await new Promise<HostModel[]>((resolve, reject) => {
        this.queue.push({ jobs, resolve, reject });
        this.dispatch();
      });
    } catch (e) {
      // A model error is the data's, and would fail here too; a dead worker is not: train here.
      if (!this.broken) throw e;
      await this.close();
      return inThread();
    }
  }

  /** True while work goes to worker threads (false after a fallback to this thread). */
  get usingWorkers(): boolean {
    return this.workers.length > 0 && !this.broken;
  }

  /** How many requests can train at once: callers keep this many (plus one) in flight. */
  get parallelism(): number {
    return this.size > 1 && !this.broken ? this.size : 1;
  }

  async close(): Promise<void> {
    this.closed = true;
    const ws = this.workers;
    this.workers = [];
    this.idle = [];
    this.failAll(new Error("training pool closed"));
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
