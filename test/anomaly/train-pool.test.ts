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
      expect(JSON.parse(JSON.stringify(models))).toEqual(JSON.parse(JSON.stringify(local)));
    } finally {
      await pool.close();
    }
  });
});
