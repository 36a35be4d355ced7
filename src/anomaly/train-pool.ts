/**
 * Host models trained on worker threads: training is pure CPU, one host at a time, so a fleet trains
 * as many times faster as there are cores. Falls back to this thread when workers cannot start.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type HostModel, type HostSeries, trainHostModel } from "./host-detector.js";

export interface TrainJob {
  instance: string;
  series: HostSeries;
  times?: Float64Array;
  now: number;
}

export interface TrainRequest {
  id: number;
  jobs: TrainJob[];
}

export type TrainResponse = { id: number; models: HostModel[] } | { id: number; error: string };

/** Source files run under tsx (tests, `npm run cloudops`); built files are plain JavaScript. */
const FROM_SOURCE = import.meta.url.endsWith(".ts");
const WORKER_URL = new URL(`./train-worker${FROM_SOURCE ? ".ts" : ".js"}`, import.meta.url);

function spawnWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL);
  // A worker does not inherit the TypeScript loader: register tsx in it before loading the source.
  return new Worker(
    `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
    { eval: true },
  );
}

export class TrainPool {
  private workers: Worker[] = [];
  /** Set once a worker failed: the rest of the run trains on this thread. */
  private broken = false;
  private seq = 0;
  private readonly pending = new Map<
    number,
    { resolve: (m: HostModel[]) => void; reject: (e: Error) => void }
  >();

  constructor(readonly size = Math.max(1, Math.min(availableParallelism(), 8))) {}

  private start(): Worker[] {
    if (this.workers.length > 0 || this.size <= 1 || this.broken) return this.workers;
    try {
      for (let i = 0; i < this.size; i++) {
        const w = spawnWorker();
        w.unref();
        w.on("message", (res: TrainResponse) => {
          const p = this.pending.get(res.id);
          if (!p) return;
          this.pending.delete(res.id);
          if ("error" in res) p.reject(new Error(res.error));
          else p.resolve(res.models);
        });
        w.on("error", (e: Error) => {
          this.broken = true;
          this.failAll(e);
        });
        w.on("exit", (code: number) => {
          if (this.pending.size === 0) return;
          this.broken = true;
          this.failAll(new Error(`a training worker exited with code ${code}`));
        });
        this.workers.push(w);
      }
    } catch {
      this.broken = true;
      void this.close();
    }
    return this.workers;
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Trains every job, spread over the workers; the models come back in the jobs' order. */
  async train(jobs: TrainJob[]): Promise<HostModel[]> {
    const inThread = () => jobs.map((j) => trainHostModel(j.instance, j.series, j.now, j.times));
    const workers = this.start();
    if (workers.length === 0 || jobs.length === 0) return inThread();
    try {
      return await this.onWorkers(workers, jobs);
    } catch (e) {
      // A model error is the data's, and would fail here too; a dead worker is not: train here.
      if (!this.broken) throw e;
      await this.close();
      return inThread();
    }
  }

  private async onWorkers(workers: Worker[], jobs: TrainJob[]): Promise<HostModel[]> {
    const per = Math.ceil(jobs.length / workers.length);
    const parts = workers.map((w, i) => {
      const slice = jobs.slice(i * per, (i + 1) * per);
      if (slice.length === 0) return Promise.resolve([] as HostModel[]);
      const id = ++this.seq;
      return new Promise<HostModel[]>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        w.postMessage({ id, jobs: slice } satisfies TrainRequest);
      });
    });
    return (await Promise.all(parts)).flat();
  }

  /** True while work goes to worker threads (false after a fallback to this thread). */
  get usingWorkers(): boolean {
    return this.workers.length > 0 && !this.broken;
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    this.failAll(new Error("training pool closed"));
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
