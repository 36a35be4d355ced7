/** Anomaly state in real Redis: idempotent findings, validated reads. */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AnomalyStore } from "../../src/anomaly/anomaly-store.js";
import { FEATURES } from "../../src/anomaly/features.js";
import {
  type HostScore,
  scoreLatest,
  toScoringModel,
  trainHostModel,
} from "../../src/anomaly/host-detector.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";

let redis: Redis;
const prefix = testPrefix("anomaly-store");

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  await dropKeysAndDisconnect(redis, prefix);
});

const score = (instance: string, anomalous: boolean, at = 1_700_000_000): HostScore => ({
  instance,
  at,
  score: anomalous ? 0.8 : 0.4,
  threshold: 0.62,
  anomalous,
  deviations: [
    {
      feature: "cpu_iowait",
      label: "iowait",
      unit: "percent",
      value: 38,
      baseline: 2,
      z: 20,
      direction: "up",
      score: 0.87,
    },
  ],
});

describe("AnomalyStore", () => {
  it("records a finding once however often the same scan is recorded", async () => {
    const store = new AnomalyStore(redis, prefix);
    const first = await store.recordScan("prod", [score("web-1:9100", false), score("web-2:9100", true)]);
    const again = await store.recordScan("prod", [score("web-1:9100", false), score("web-2:9100", true)]);
    expect(first.opened.map((f) => f.instance)).toEqual(["web-2:9100"]);
    expect(again).toEqual({ opened: [], ended: [] });
    const findings = await store.findings(10, "prod");
    expect(findings).toHaveLength(1);
    expect(findings[0]?.deviations[0]?.label).toBe("iowait");
    expect((await store.latest("prod")).map((s) => s.instance)).toEqual(["web-2:9100", "web-1:9100"]);
    expect((await store.status("prod")).lastScanAt).toBeGreaterThan(0);
  });

  it("keeps one finding per anomaly episode: later points of the same burst add none, a new burst does", async () => {
    const store = new AnomalyStore(redis, prefix);
    const t = 1_700_000_000;
    const opened = await store.recordScan("ep", [score("db-1:9100", true, t)]);
    expect(opened.opened).toHaveLength(1);
    // The burst goes on: the next scans score later points, still anomalous.
    expect(await store.recordScan("ep", [score("db-1:9100", true, t + 60)])).toEqual({
      opened: [],
      ended: [],
    });
    expect(await store.recordScan("ep", [score("db-1:9100", true, t + 120)])).toEqual({
      opened: [],
      ended: [],
    });
    // It ends once, reported with the finding that opened it.
    const ended = await store.recordScan("ep", [score("db-1:9100", false, t + 180)]);
    expect(ended.ended.map((f) => f.id)).toEqual([opened.opened[0]?.id]);
    expect((await store.recordScan("ep", [score("db-1:9100", false, t + 240)])).ended).toEqual([]);
    // A second burst is a second finding.
    expect((await store.recordScan("ep", [score("db-1:9100", true, t + 300)])).opened).toHaveLength(1);
    expect(await store.findings(10, "ep")).toHaveLength(2);
    // A host that is no longer scored at all ends its episode too.
    expect((await store.recordScan("ep", [])).ended.map((f) => f.instance)).toEqual(["db-1:9100"]);
  });

  it("opens an episode once when two replicas record the same scan at the same time", async () => {
    const store = new AnomalyStore(redis, prefix);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.recordScan("race", [score("x:9100", true)])),
    );
    expect(results.flatMap((r) => r.opened)).toHaveLength(1);
  });

  it("ignores corrupted data in Redis instead of crashing", async () => {
    const store = new AnomalyStore(redis, prefix);
    await redis.hset(`${prefix}:bad:latest`, "x", "{not json", "y", JSON.stringify({ instance: 1 }));
    await redis.hset(`${prefix}:bad:models`, "x", '{"instance":"x"}');
    expect(await store.latest("bad")).toEqual([]);
    expect((await store.loadModels("bad")).size).toBe(0);
  });

  it("stores models as JSON plus raw forest bytes and loads them back to identical scores", async () => {
    const store = new AnomalyStore(redis, prefix);
    const n = 400;
    const times = Float64Array.from({ length: n }, (_, i) => 1_700_006_400 + i * 300);
    const series = FEATURES.map((_, f) =>
      f === 7
        ? new Float64Array(n).fill(Number.NaN)
        : Float64Array.from({ length: n }, (_, i) => 10 + ((i * 31 + f) % 13)),
    );
    // With an isolation part the model has a forest (the default ensemble has none).
    const model = trainHostModel("a:9100", series, 1_700_200_000_000, times, undefined, {
      parts: ["hour", "temporal", "isolation"],
    });
    const forest = model.forest;
    if (!forest) throw new Error("the isolation part trains a forest");
    await store.saveModels("models", [model]);
    // 8 bytes a node, stored raw beside the JSON (which carries only the forest's header).
    const bytes = await redis.hgetBuffer(`${prefix}:models:forests`, "a:9100");
    const nodes = forest.header.nodes.reduce((a, b) => a + b, 0);
    expect(bytes?.byteLength).toBe(nodes * 8);
    expect(await redis.hget(`${prefix}:models:models`, "a:9100")).not.toMatch(/blob/);
    const loaded = (await store.loadModels("models", ["a:9100", "missing:9100"])).get("a:9100");
    expect(loaded?.baselines[7]?.median).toBeNaN();
    const probe = series.map((c) => c.slice(-3).map((v, i) => (i === 2 ? v * 5 : v)));
    const at = times.slice(-3);
    expect(loaded && scoreLatest(loaded, probe, at)).toEqual(scoreLatest(model, probe, at));
    // A forest whose bytes were cut short is skipped by the scan, not scored.
    await redis.hset(`${prefix}:models:forests`, "a:9100", (bytes as Buffer).subarray(0, 100));
    const cut = (await store.loadModels("models")).get("a:9100");
    expect(() => cut && toScoringModel(cut)).toThrow(/corrupted/);
  });

  it("reports the last error until the next successful scan", async () => {
    const store = new AnomalyStore(redis, prefix);
    await store.recordError("staging", "Prometheus at http://x refused the connection");
    expect((await store.status("staging")).lastError).toMatch(/refused/);
    await store.recordScan("staging", []);
    expect((await store.status("staging")).lastError).toBeUndefined();
  });
});
