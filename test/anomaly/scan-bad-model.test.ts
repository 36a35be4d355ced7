/**
 * A scan with a host whose stored model passes the schema but cannot be decoded: that host is left
 * unscored (and its model is not read again until retrained), the others are scored.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AnomalyService } from "../../src/anomaly/anomaly-service.js";
import { AnomalyStore } from "../../src/anomaly/anomaly-store.js";
import { FEATURES } from "../../src/anomaly/features.js";
import { type HostSeries, trainHostModel } from "../../src/anomaly/host-detector.js";
import { seededRandom } from "../../src/anomaly/random.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";

let redis: Redis;
const prefix = testPrefix("scan-bad-model");

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});

afterAll(async () => {
  await dropKeysAndDisconnect(redis, prefix);
});

function noisy(n: number, seed: number): HostSeries {
  const r = seededRandom(seed);
  return FEATURES.map((_, f) => Float64Array.from({ length: n }, () => 10 + f + r()));
}

describe("scan with an undecodable model", () => {
  it("scores the other hosts, leaves that one unscored, and does not read its model again", async () => {
    const store = new AnomalyStore(redis, prefix);
    const start = 1_700_006_400;
    const trainTimes = Float64Array.from({ length: 600 }, (_, i) => start + i * 300);
    const good = trainHostModel("good:9100", noisy(600, 1), 1, trainTimes);
    const bad = trainHostModel("bad:9100", noisy(600, 2), 1, trainTimes);
    const temporal = bad.ensemble.temporal;
    if (!temporal) throw new Error("the default ensemble has a temporal part");
    // Passes the stored schema (version and parts), fails decoding: scales for 3 features of 18.
    bad.ensemble = { ...bad.ensemble, temporal: { ...temporal, centre: [0, 0, 0], scale: [1, 1, 1] } };
    await store.saveModels("env", [good, bad]);

    const end = start + 600 * 300 + 3600;
    const times = Float64Array.from({ length: 66 }, (_, i) => end - 65 * 60 + i * 60);
    const window = () => ({
      start: times[0] as number,
      end,
      step: 60,
      times,
      hosts: new Map([
        ["good:9100", noisy(66, 3)],
        ["bad:9100", noisy(66, 4)],
      ]),
      queries: 0,
    });
    const service = new AnomalyService(store, { now: () => end * 1000 });
    const loaded: string[][] = [];
    const load = store.loadModels.bind(store);
    store.loadModels = async (environment, instances) => {
      loaded.push([...(instances ?? [])]);
      return load(environment, instances);
    };
    const first = await service.scanFrom("env", window());
    expect(first.scores.map((s) => s.instance)).toEqual(["good:9100"]);
    expect(first.untrained).toEqual(["bad:9100"]);
    const second = await service.scanFrom("env", window());
    expect(second.untrained).toEqual(["bad:9100"]);
    // The second scan read neither model: the good one is cached, the bad one is known not to decode.
    expect(loaded).toEqual([["good:9100", "bad:9100"], []]);
  });
});
