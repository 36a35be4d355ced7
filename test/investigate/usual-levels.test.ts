/**
 * The usual levels are read once an hour and shared: a second look within the hour asks Prometheus
 * only for the last hour and the changes, and a look that gives up at its own deadline leaves the read
 * to finish for the next one. A load or context-switch rise is named for what caused it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FEATURES } from "../../src/anomaly/features.js";
import type { MovedFeature } from "../../src/investigate/investigation.js";
import { causeFirst, createInvestigator } from "../../src/investigate/investigator.js";
import { UsualLevels } from "../../src/investigate/usual-levels.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { INCIDENT, writeIncidentFleet } from "./incident-fixture.js";

const END = Math.floor(Date.now() / 3_600_000) * 3600 - 86400 + 1800;
let prom: PrometheusProcess;

beforeAll(async () => {
  prom = await startBackfilledPrometheus(await writeIncidentFleet(END));
}, 240_000);
afterAll(async () => {
  await prom?.stop();
});

function counted() {
  const client = new PrometheusClient({
    environment: "prod",
    baseUrl: prom.url,
    timeoutMs: 10_000,
    retries: 1,
    cacheTtlMs: 0,
  });
  const range = vi.spyOn(client, "range");
  /** Range queries over the usual levels' hourly grid. */
  const hourly = () => range.mock.calls.filter(([, r]) => r.step === 3600).length;
  return { client, hourly };
}

describe("usual levels", () => {
  it("are read once for every look within the hour", async () => {
    const { client, hourly } = counted();
    const levels = new UsualLevels();
    const investigator = (minute: number) =>
      createInvestigator({
        environments: { get: () => client },
        now: () => (END + minute * 60) * 1000,
        usualLevels: levels,
      });
    const req = { environment: "prod", instance: INCIDENT.hog.host, alertName: "HighCPU", startsAt: 0 };
    // Two looks at once, then one a few minutes later: the hour's levels are read once.
    const [a, b] = await Promise.all([investigator(0).investigate(req), investigator(1).investigate(req)]);
    const reads = hourly();
    expect(reads).toBe(FEATURES.length);
    const c = await investigator(5).investigate(req);
    expect(hourly()).toBe(reads);
    for (const inv of [a, b, c]) {
      expect(inv.failures).toEqual([]);
      expect(inv.suspect).toEqual({ instance: `${INCIDENT.hog.host}:9100`, resource: "cpu" });
    }
    // The next hour reads its own.
    await investigator(70).investigate(req);
    expect(hourly()).toBe(2 * reads);
  }, 120_000);

  it("keep being read for the next look when a look gives up at its deadline", async () => {
    const { client, hourly } = counted();
    const levels = new UsualLevels();
    const investigator = createInvestigator({
      environments: { get: () => client },
      now: () => END * 1000,
      usualLevels: levels,
    });
    const req = { environment: "prod", instance: INCIDENT.hog.host, alertName: "HighCPU", startsAt: 0 };
    const gaveUp = await investigator.investigate(req, AbortSignal.abort());
    expect(gaveUp.failures.length).toBeGreaterThan(0);
    const next = await investigator.investigate(req);
    expect(next.failures).toEqual([]);
    expect(next.moved.length).toBeGreaterThan(0);
    // The first look's read was not cut off and is what the second one used: one query per feature.
    expect(hourly()).toBe(FEATURES.length);
  }, 120_000);
});

const moved = (feature: string, score: number): MovedFeature => ({
  feature,
  label: feature,
  value: 1,
  usual: 0,
  unit: "ratio",
  score,
});

describe("the cause of a load rise", () => {
  it("is the disk when iowait rose with it, the CPU when CPU time did", () => {
    const storm = causeFirst([moved("load5_per_core", 30), moved("cpu_iowait", 12), moved("cpu_user", 5)]);
    expect(storm[0]?.feature).toBe("cpu_iowait");
    expect(storm).toHaveLength(3);
    const hog = causeFirst([moved("context_switches", 20), moved("net_rx", 15), moved("cpu_user", 9)]);
    expect(hog[0]?.feature).toBe("cpu_user");
  });

  it("leaves a load rise alone when nothing that causes load moved, and never promotes a fall", () => {
    const alone = [moved("load1_per_core", 8), moved("memory_used", 6)];
    expect(causeFirst(alone)[0]?.feature).toBe("load1_per_core");
    const fell = [moved("load1_per_core", 8), moved("cpu_iowait", -6)];
    expect(causeFirst(fell)[0]?.feature).toBe("load1_per_core");
    const notASymptom = [moved("memory_used", 9), moved("cpu_iowait", 6)];
    expect(causeFirst(notASymptom)[0]?.feature).toBe("memory_used");
  });
});
