/** Training on worker threads gives the same models, in the same order, as training in-thread. */
import { describe, expect, it } from "vitest";
import { FEATURES } from "../../src/anomaly/features.js";
import { trainHostModel } from "../../src/anomaly/host-detector.js";
import { TrainPool } from "../../src/anomaly/train-pool.js";

describe("TrainPool", () => {
  it("trains on two workers and returns each host's model in order, identical to in-thread training", async () => {
    const n = 600;
    const times = Float64Array.from({ length: n }, (_, i) => 1_700_006_400 + i * 300);
    const jobs = Array.from({ length: 5 }, (_, h) => ({
      instance: `host-${h}:9100`,
      series: FEATURES.map((_, f) =>
        Float64Array.from({ length: n }, (_, i) => 10 + f + h + ((i * 7919 + f * 31) % 97) / 30),
      ),
      times,
      now: 1_700_200_000_000,
    }));
    const pool = new TrainPool(2);
    try {
      const models = await pool.train(jobs);
      expect(pool.usingWorkers).toBe(true);
      expect(models.map((m) => m.instance)).toEqual(jobs.map((j) => j.instance));
      const local = jobs.map((j) => trainHostModel(j.instance, j.series, j.now, j.times));
      expect(models).toEqual(local);

      // More requests than workers queue for the next idle one; float32 series (as fetched, views
      // of one shared buffer) train as in-thread.
      const shared = new Float32Array(jobs.length * FEATURES.length * n);
      const f32 = jobs.map((j, h) => ({
        ...j,
        series: j.series.map((c, f) => {
          const view = shared.subarray((h * FEATURES.length + f) * n, (h * FEATURES.length + f + 1) * n);
          view.set(c);
          return view;
        }),
      }));
      const batches = await Promise.all(f32.map((j) => pool.train([j])));
      expect(batches.map((b) => b.map((m) => m.instance))).toEqual(f32.map((j) => [j.instance]));
      const localF32 = f32.map((j) => trainHostModel(j.instance, j.series, j.now, j.times));
      expect(batches.flat()).toEqual(localF32);
    } finally {
      await pool.close();
    }
  });

  it("refuses work once closed instead of starting workers nobody would close", async () => {
    const pool = new TrainPool(2);
    await pool.close();
    const series = FEATURES.map(() => Float64Array.from({ length: 200 }, (_, i) => i % 7));
    await expect(pool.train([{ instance: "a:9100", series, now: 0 }])).rejects.toThrow(
      /training pool closed/,
    );
    expect(pool.usingWorkers).toBe(false);
  });
});
