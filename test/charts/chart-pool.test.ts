/**
 * The chart pool: charts drawn on worker threads, never more at once than the cap, a bounded queue
 * that refuses the excess at once (saying why), a cache, and threads that end with the pool. Nothing
 * here is timed; performance is in bench/charts-bench.ts.
 */
import { getPriority } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { ChartCache, chartKey } from "../../src/charts/chart-cache.js";
import { type ChartDrawer, ChartPool, ChartsBusyError } from "../../src/charts/chart-pool.js";
import type { LineChartSpec } from "../../src/charts/line-chart.js";
import type { ReplyChart } from "../../src/reply/reply.js";
import { until } from "../support/until.js";

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

/** A typical trend chart (3 hosts × 360 points, a threshold); `n` makes each one different. */
function spec(n: number): LineChartSpec {
  const wave = (name: string, base: number) => ({
    name,
    points: Array.from(
      { length: 360 },
      (_, i) => [1_700_000_000_000 + i * 60_000, base + 10 * Math.sin((i + n) / 20)] as [number, number],
    ),
  });
  return {
    title: `CPU busy % — chart ${n}`,
    unit: "percent",
    series: [wave("web-1", 40), wave("web-2", 60), wave("db-1", 20)],
    threshold: { value: 80, label: "warning 80.0%" },
  };
}

/** A drawer whose charts finish only when the test says so, counting what it was asked to draw. */
function gatedDrawer() {
  const pending: Array<{ spec: LineChartSpec; finish: () => void }> = [];
  let calls = 0;
  const draw: ChartDrawer = (s) => {
    calls++;
    return new Promise<ReplyChart>((resolve) => {
      pending.push({
        spec: s,
        finish: () =>
          resolve({ title: s.title, alt: s.title, png: Buffer.from(s.title), width: 1, height: 1 }),
      });
    });
  };
  return {
    draw,
    calls: () => calls,
    /** Finishes every drawing started so far. */
    finishAll() {
      for (const p of pending.splice(0)) p.finish();
    },
  };
}

/** Counts turns of the event loop (its check phase) until stopped. */
function heartbeat() {
  let turns = 0;
  let running = true;
  const beat = () => {
    turns++;
    if (running) setImmediate(beat);
  };
  setImmediate(beat);
  return {
    turns: () => turns,
    stop() {
      running = false;
    },
  };
}

const pools: ChartPool[] = [];
function pool(options: ConstructorParameters<typeof ChartPool>[0]): ChartPool {
  const p = new ChartPool(options);
  pools.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe("chart pool on worker threads", () => {
  it("draws 60 charts asked at once, all of them, never more at a time than its cap", async () => {
    const charts = pool({ workers: 2, queue: 60 });
    const priority = getPriority();
    const seen = { threads: 0, drawing: 0 };
    const sample = () => {
      const s = charts.stats();
      seen.threads = Math.max(seen.threads, s.threads);
      seen.drawing = Math.max(seen.drawing, s.drawing);
    };
    const beat = heartbeat();
    let turnsAtFirstChart: number | undefined;
    const drawn = await Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        charts.render(spec(n)).then((chart) => {
          turnsAtFirstChart ??= beat.turns();
          sample();
          return chart;
        }),
      ),
    );
    beat.stop();

    expect(drawn).toHaveLength(60);
    for (const [n, chart] of drawn.entries()) {
      expect(chart.title).toBe(`CPU busy % — chart ${n}`);
      expect(Buffer.isBuffer(chart.png)).toBe(true);
      expect(chart.png.subarray(0, 4).equals(PNG_MAGIC)).toBe(true);
      expect(chart.alt).toMatch(/^Line chart of CPU busy % — chart \d+ for web-1, web-2 and db-1/);
    }
    const stats = charts.stats();
    expect(stats).toMatchObject({ drawn: 60, refused: 0, drawing: 0, waiting: 0 });
    expect(stats.peakDrawing).toBe(2);
    expect(seen.drawing).toBeLessThanOrEqual(2);
    expect(seen.threads).toBeGreaterThan(0);
    expect(seen.threads).toBeLessThanOrEqual(2);
    // The drawing happened elsewhere: this thread's event loop kept turning while it went on. Drawn
    // here (the old way), the first chart is done before the loop turns even once (next test).
    expect(turnsAtFirstChart).toBeGreaterThan(0);
    // The workers lower their own priority (Linux nice is per thread), never this thread's.
    expect(getPriority()).toBe(priority);
  });

  it("CHART_WORKERS=0 draws on this thread, where the event loop stands still until the charts are done", async () => {
    const charts = pool({ workers: 0, queue: 60 });
    await charts.render(spec(-1)); // the renderer's modules loaded, as in a bot that has drawn before
    const beat = heartbeat();
    let turnsAtFirstChart: number | undefined;
    await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        charts.render(spec(n)).then(() => {
          turnsAtFirstChart ??= beat.turns();
        }),
      ),
    );
    beat.stop();
    expect(turnsAtFirstChart).toBe(0);
    expect(charts.stats().threads).toBe(0);
  });

  it("closing ends the threads and refuses further charts", async () => {
    const charts = pool({ workers: 1, queue: 5 });
    await charts.render(spec(1));
    expect(charts.stats().threads).toBe(1);
    await charts.close();
    expect(charts.stats().threads).toBe(0);
    await expect(charts.render(spec(2))).rejects.toThrow(/no longer drawn: the bot is shutting down/);
  });
});

describe("chart pool admission", () => {
  it("refuses at once, saying why, when every worker is busy and the queue is full", async () => {
    const gate = gatedDrawer();
    const charts = pool({ workers: 1, queue: 2, draw: gate.draw });
    const asked = Array.from({ length: 6 }, (_, n) =>
      charts.render(spec(n)).then(
        (chart) => ({ chart }),
        (error: unknown) => ({ error }),
      ),
    );
    // The refusals come before anything is drawn: nobody waits on a full queue.
    const early = await Promise.race([Promise.all(asked.slice(3)), new Promise((r) => setImmediate(r))]);
    expect(Array.isArray(early)).toBe(true);
    expect(charts.stats()).toMatchObject({ drawing: 1, waiting: 2, refused: 3 });

    gate.finishAll(); // the first chart; the next waiting one starts
    await until("the second chart to start", () => gate.calls() === 2, 60_000, 1);
    gate.finishAll();
    await until("the third chart to start", () => gate.calls() === 3, 60_000, 1);
    gate.finishAll();
    const outcomes = await Promise.all(asked);
    expect(outcomes.slice(0, 3).map((o) => ("chart" in o ? o.chart.title : "refused"))).toEqual([
      "CPU busy % — chart 0",
      "CPU busy % — chart 1",
      "CPU busy % — chart 2",
    ]);
    for (const o of outcomes.slice(3)) {
      expect("error" in o && o.error).toBeInstanceOf(ChartsBusyError);
      expect("error" in o && (o.error as Error).message).toBe(
        "charts are busy (1 being drawn, 2 waiting); ask again in a moment",
      );
    }
    expect(charts.stats()).toMatchObject({ peakDrawing: 1, drawn: 3, refused: 3, drawing: 0, waiting: 0 });
  });

  it("a chart still waiting when its answer's deadline passes leaves the queue undrawn", async () => {
    const gate = gatedDrawer();
    const charts = pool({ workers: 1, queue: 5, draw: gate.draw });
    const first = charts.render(spec(1));
    const deadline = new AbortController();
    const late = charts.render(spec(2), deadline.signal);
    expect(charts.stats().waiting).toBe(1);
    deadline.abort(new Error("deadline"));
    await expect(late).rejects.toThrow("deadline");
    expect(charts.stats().waiting).toBe(0);
    gate.finishAll();
    await first;
    expect(gate.calls()).toBe(1);
  });

  it("a chart being drawn when its answer's deadline passes is finished and kept for the next ask", async () => {
    const gate = gatedDrawer();
    const charts = pool({ workers: 1, queue: 5, draw: gate.draw });
    const deadline = new AbortController();
    const asked = charts.render(spec(3), deadline.signal);
    await until("the chart to start", () => gate.calls() === 1, 60_000, 1);
    deadline.abort(new Error("deadline"));
    await expect(asked).rejects.toThrow("deadline");
    gate.finishAll();
    await until("the drawing to finish", () => charts.stats().drawn === 1, 60_000, 1);
    await expect(charts.render(spec(3))).resolves.toMatchObject({ title: spec(3).title });
    expect(gate.calls()).toBe(1);
  });

  it("a chart already being drawn is drawn once for every caller, then comes from the cache", async () => {
    const gate = gatedDrawer();
    const charts = pool({ workers: 1, queue: 0, draw: gate.draw });
    const a = charts.render(spec(7));
    // Same spec, same drawing: not refused although the only worker is busy and the queue is 0.
    const b = charts.render(spec(7));
    await until("the chart to start", () => gate.calls() === 1, 60_000, 1);
    gate.finishAll();
    const [ca, cb] = await Promise.all([a, b]);
    expect(cb).toBe(ca);
    const again = await charts.render(spec(7));
    expect(again.png.equals(ca.png)).toBe(true);
    expect(gate.calls()).toBe(1);
    expect(charts.stats()).toMatchObject({ drawn: 1, reused: 2 });
  });

  it("a failed drawing fails its chart only; the next one is drawn", async () => {
    let n = 0;
    const charts = pool({
      workers: 1,
      queue: 5,
      draw: async (s) => {
        if (n++ === 0) throw new Error("resvg failed");
        return { title: s.title, alt: "", png: Buffer.from("x"), width: 1, height: 1 };
      },
    });
    const [bad, good] = await Promise.allSettled([charts.render(spec(1)), charts.render(spec(2))]);
    expect(bad).toMatchObject({ status: "rejected", reason: new Error("resvg failed") });
    expect(good).toMatchObject({ status: "fulfilled" });
    // A failure is not cached: asked again, it is drawn again.
    await expect(charts.render(spec(1))).resolves.toMatchObject({ title: spec(1).title });
  });
});

describe("chart cache", () => {
  const chart = (bytes: number, title = "t"): ReplyChart => ({
    title,
    alt: "",
    png: Buffer.alloc(bytes),
    width: 1,
    height: 1,
  });

  it("keys charts by everything drawn: the same spec the same key, any change another", () => {
    expect(chartKey(spec(1))).toBe(chartKey(spec(1)));
    expect(chartKey(spec(1))).not.toBe(chartKey(spec(2)));
    expect(chartKey({ ...spec(1), width: 400 })).not.toBe(chartKey(spec(1)));
  });

  it("stays within its byte bound, the least recently used leaving first", () => {
    const cache = new ChartCache(3 * 1300);
    cache.set("a", chart(1000));
    cache.set("b", chart(1000));
    cache.set("c", chart(1000));
    expect(cache.get("a")).toBeDefined(); // now b is the least recently used
    cache.set("d", chart(1000));
    expect(cache.get("b")).toBeUndefined();
    expect(["a", "c", "d"].every((k) => cache.get(k))).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(3 * 1300);
    // One chart bigger than the whole cache is not kept, and pushes nothing out.
    cache.set("huge", chart(10_000));
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.size).toBe(3);
  });
});
