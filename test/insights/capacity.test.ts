import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CapacitySeries,
  capacityQueries,
  capacityRisks,
  capacityStep,
  fetchCapacitySeries,
  fillsWithin,
  forecastCapacity,
  HISTORY_REACH,
} from "../../src/insights/capacity.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { hostMatcher } from "../../src/metrics/promql.js";
import { CAPACITY_FIXTURE, type CapacityPrometheus, startCapacityPrometheus } from "./capacity-fixture.js";

const GiB = 1024 ** 3;
const DAY = 86_400;
const STEP = 900;
const END = 1_800_000_000 - (1_800_000_000 % STEP);

/** A disk on a 15-minute grid over `days`, its used and size bytes as functions of age (seconds before END). */
function disk(used: (age: number) => number, size: (age: number) => number, days = 14): CapacitySeries {
  const n = (days * DAY) / STEP + 1;
  const times = Float64Array.from({ length: n }, (_, i) => END - (n - 1 - i) * STEP);
  return {
    kind: "disk",
    instance: "db-1:9100",
    host: "db-1",
    mountpoint: "/data",
    device: "/dev/sdb1",
    fstype: "ext4",
    times,
    used: times.map((t) => used(END - t)),
    size: times.map((t) => size(END - t)),
    step: STEP,
  };
}

describe("forecastCapacity", () => {
  it("dates a steady fill against the file system's size, with an interval around it", () => {
    const f = forecastCapacity(
      disk(
        (age) => 780 * GiB - (age / DAY) * 20 * GiB,
        () => 1000 * GiB,
      ),
      { horizonSeconds: 30 * DAY },
    );
    expect(f.status).toBe("fills");
    expect(f.capacityBytes).toBe(1000 * GiB);
    expect(f.usedBytes).toBeCloseTo(780 * GiB, -3);
    expect(((f.fill.expected as number) - END) / DAY).toBeCloseTo(11, 1);
    expect(f.fill.earliest as number).toBeLessThanOrEqual(f.fill.expected as number);
    expect(f.fill.latest as number).toBeGreaterThanOrEqual(f.fill.expected as number);
    expect(f.model).toBe("robust-trend");
    expect(f.backtestMaePercent).toBeLessThan(0.1);
    expect((f.growthBytesPerDay as number) / GiB).toBeCloseTo(20, 1);
    expect(f.points.length).toBe((30 * DAY) / STEP);
    expect(f.history.length).toBe((14 * DAY) / STEP + 1);
  });

  it("takes a resized volume's current size as its capacity, not the old size or the peak used", () => {
    const f = forecastCapacity(
      disk(
        (age) => 102 * GiB - (age / DAY) * 3 * GiB,
        (age) => (age > 4 * DAY ? 100 : 200) * GiB,
      ),
      { horizonSeconds: 45 * DAY },
    );
    expect(f.capacityBytes).toBe(200 * GiB);
    expect(f.resized).toMatchObject({ fromBytes: 100 * GiB, toBytes: 200 * GiB, at: END - 4 * DAY });
    expect(f.status).toBe("fills");
    expect(((f.fill.expected as number) - END) / DAY).toBeCloseTo(98 / 3, 0);
  });

  it("calls a flat disk and a shrinking one no risk, and a full one already full", () => {
    const flat = forecastCapacity(
      disk(
        () => 30 * GiB,
        () => 100 * GiB,
      ),
      { horizonSeconds: 30 * DAY },
    );
    expect(flat.status).toBe("no_risk");
    expect(flat.fill).toEqual({ expected: null, earliest: null, latest: null });
    const shrinking = forecastCapacity(
      disk(
        (age) => 260 * GiB + (age / DAY) * 10 * GiB,
        () => 500 * GiB,
      ),
      { horizonSeconds: 30 * DAY },
    );
    expect(shrinking.status).toBe("no_risk");
    expect(shrinking.growthBytesPerDay as number).toBeLessThan(0);
    const full = forecastCapacity(
      disk(
        (age) => Math.min(50 * GiB, 50 * GiB - (age / DAY) * GiB),
        () => 50 * GiB,
      ),
      { horizonSeconds: 30 * DAY },
    );
    expect(full.status).toBe("already_full");
    expect(full.fill.expected).toBe(END);
  });

  it("says how much history there is when it is too little, and never forecasts beyond its reach", () => {
    const young = forecastCapacity(
      disk(
        (age) => (age <= 3 * 3600 ? 5 * GiB : Number.NaN),
        () => 10 * GiB,
      ),
      { horizonSeconds: 30 * DAY },
    );
    expect(young.status).toBe("insufficient_history");
    expect(young.historySeconds).toBe(3 * 3600);
    expect(young.points).toEqual([]);
    expect(young.model).toBeNull();
    const twoDays = forecastCapacity(
      disk(
        (age) => (age <= 2 * DAY ? 50 * GiB - (age / DAY) * GiB : Number.NaN),
        () => 100 * GiB,
      ),
      { horizonSeconds: 30 * DAY },
    );
    expect(twoDays.horizonSeconds).toBe(HISTORY_REACH * 2 * DAY);
    expect(twoDays.status).toBe("no_risk");
  });

  it("sees recurring clean-ups: a sawtooth's fill at the current rate comes after the next clean-up is due", () => {
    const f = forecastCapacity(
      disk(
        (age) => {
          const t = 14 * DAY - age;
          return 20 * GiB + ((t % (3 * DAY)) / DAY) * 15 * GiB;
        },
        () => 100 * GiB,
      ),
      { horizonSeconds: 30 * DAY },
    );
    expect(f.cleanups?.count).toBe(4);
    expect(f.cleanups?.everySeconds).toBe(3 * DAY);
    expect(f.reliesOnCleanup).toBe(true);
    expect(f.cleanups?.nextExpectedAt as number).toBeLessThan(f.fill.expected as number);
  });

  it("memory is exhausted at 95% of MemTotal", () => {
    const s = disk(
      (age) => 14 * GiB - (age / DAY) * 0.5 * GiB,
      () => 16 * GiB,
    );
    const f = forecastCapacity({ ...s, kind: "memory", mountpoint: undefined }, { horizonSeconds: 30 * DAY });
    expect(f.fullAtBytes).toBeCloseTo(0.95 * 16 * GiB, 0);
    expect(((f.fill.expected as number) - END) / DAY).toBeCloseTo((0.95 * 16 - 14) / 0.5, 1);
  });
});

describe("capacity queries", () => {
  it("chooses a round step within 2,000 points and leaves pseudo file systems out", () => {
    expect(capacityStep(14 * DAY)).toBe(900);
    expect(capacityStep(DAY)).toBe(60);
    const q = capacityQueries("disk", [hostMatcher("db-1")]);
    expect(q.used).toContain("node_filesystem_size_bytes{");
    expect(q.used).toContain('fstype!~"tmpfs');
    expect(q.used).toContain('instance=~"db-1(:[0-9]+)?"');
    expect(q.size).toMatch(/^max by \(instance, device, mountpoint, fstype\) \(node_filesystem_size_bytes\{/);
    expect(capacityQueries("memory").used).toContain("node_memory_MemAvailable_bytes");
  });
});

describe("capacity on a real Prometheus", () => {
  let prom: CapacityPrometheus;
  let client: PrometheusClient;
  beforeAll(async () => {
    prom = await startCapacityPrometheus();
    client = new PrometheusClient({
      environment: "test",
      baseUrl: prom.url,
      timeoutMs: 20_000,
      retries: 0,
      cacheTtlMs: 0,
    });
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it("fetches every real file system of the fleet in one pass, bind mounts once, tmpfs never", async () => {
    const f = CAPACITY_FIXTURE;
    const fetched = await fetchCapacitySeries(client, { kind: "disk", now: prom.end });
    const names = fetched.series.map((s) => `${s.host}:${s.mountpoint}`).sort();
    expect(names).toEqual(
      [
        `${f.steadyFill.host}:${f.steadyFill.mountpoint}`,
        `${f.sawtooth.host}:${f.sawtooth.mountpoint}`,
        `${f.resized.host}:${f.resized.mountpoint}`,
        `${f.flat.host}:${f.flat.mountpoint}`,
        `${f.full.host}:${f.full.mountpoint}`,
        `${f.shrinking.host}:${f.shrinking.mountpoint}`,
        `${f.young.host}:${f.young.mountpoint}`,
      ].sort(),
    );
    const data = fetched.series.find((s) => s.mountpoint === f.steadyFill.mountpoint);
    expect(data?.alsoMountedAt).toEqual([f.steadyFill.bindMount]);
    expect(fetched.step).toBe(900);
    // The stale network mount (size 0 now) is counted, not forecast.
    expect(fetched.stale).toBe(1);
    expect(data?.times.length).toBe((14 * DAY) / 900 + 1);
  });

  it("finds what fills, when, and what does not, for disks and memory", async () => {
    const f = CAPACITY_FIXTURE;
    const risks = await capacityRisks(client, {
      withinSeconds: 30 * DAY,
      horizonSeconds: 45 * DAY,
      now: prom.end,
    });
    expect(risks.failures).toEqual([]);
    expect(risks.checked).toEqual({ disk: 7, memory: 3 });
    const get = (host: string, mount?: string) =>
      risks.forecasts.find((x) => x.host === host && (mount === undefined || x.mountpoint === mount));
    const steady = get(f.steadyFill.host, f.steadyFill.mountpoint);
    expect(steady?.status).toBe("fills");
    expect(steady?.capacityBytes).toBe(f.steadyFill.size);
    // Prometheus's grid ends at the fixture's last sample or a step before it: within one step.
    expect(
      Math.abs((steady?.fill.expected as number) - (prom.end + f.steadyFill.fillsInSeconds)),
    ).toBeLessThan(2 * 3600);
    const resized = get(f.resized.host, f.resized.mountpoint);
    expect(resized?.capacityBytes).toBe(f.resized.to);
    expect(resized?.status).toBe("fills");
    expect(Math.abs((resized?.fill.expected as number) - (prom.end + f.resized.fillsInSeconds))).toBeLessThan(
      0.5 * DAY,
    );
    expect(fillsWithin(resized as NonNullable<typeof resized>, prom.end, 30 * DAY)).toBe(false);
    expect(get(f.flat.host, f.flat.mountpoint)?.status).toBe("no_risk");
    expect(get(f.shrinking.host, f.shrinking.mountpoint)?.status).toBe("no_risk");
    expect(get(f.full.host, f.full.mountpoint)?.status).toBe("already_full");
    const young = get(f.young.host, f.young.mountpoint);
    expect(young?.status).toBe("insufficient_history");
    expect(young?.historySeconds).toBeLessThanOrEqual(f.young.historySeconds);
    expect(young?.historySeconds).toBeGreaterThanOrEqual(f.young.historySeconds - 900);
    const leak = risks.forecasts.find((x) => x.kind === "memory" && x.host === f.memoryLeak.host);
    expect(leak?.status).toBe("fills");
    expect(leak?.capacityBytes).toBe(f.memoryLeak.total);
    expect(Math.abs((leak?.fill.expected as number) - (prom.end + f.memoryLeak.fillsInSeconds))).toBeLessThan(
      DAY,
    );
    // Soonest first: the full disk, then the memory leak (~4 d), the sawtooth at its current rate, /data (11 d).
    expect(risks.forecasts[0]?.status).toBe("already_full");
    const atRisk = risks.atRisk.map((x) => `${x.kind}:${x.host}:${x.mountpoint ?? ""}`);
    expect(atRisk).toContain(`disk:${f.steadyFill.host}:${f.steadyFill.mountpoint}`);
    expect(atRisk).not.toContain(`disk:${f.resized.host}:${f.resized.mountpoint}`);
    expect(atRisk.indexOf(`memory:${f.memoryLeak.host}:`)).toBeLessThan(
      atRisk.indexOf(`disk:${f.steadyFill.host}:${f.steadyFill.mountpoint}`),
    );
  });

  it("a deadline passing while forecasting returns what was done and counts the rest", async () => {
    const deadline = new AbortController();
    let answered = 0;
    // Prometheus answers both queries of the one kind, then the deadline passes.
    const slow = {
      range: async (...args: Parameters<PrometheusClient["range"]>) => {
        const r = await client.range(...args);
        if (++answered === 2) deadline.abort();
        return r;
      },
    } as unknown as PrometheusClient;
    const risks = await capacityRisks(slow, {
      withinSeconds: 30 * DAY,
      kinds: ["disk"],
      now: prom.end,
      signal: deadline.signal,
    });
    expect(risks.forecasts).toEqual([]);
    expect(risks.unfinished).toBe(7);
  });

  it("narrows to one host with a matcher, and a down Prometheus is an error, not an empty report", async () => {
    const one = await capacityRisks(client, {
      withinSeconds: 7 * DAY,
      kinds: ["disk"],
      matchers: [hostMatcher(CAPACITY_FIXTURE.resized.host)],
      now: prom.end,
    });
    expect(new Set(one.forecasts.map((x) => x.host))).toEqual(new Set([CAPACITY_FIXTURE.resized.host]));
    expect(one.checked).toEqual({ disk: 2, memory: 0 });
    const down = new PrometheusClient({
      environment: "test",
      baseUrl: "http://127.0.0.1:1",
      timeoutMs: 2000,
      retries: 0,
      cacheTtlMs: 0,
    });
    await expect(capacityRisks(down, { withinSeconds: DAY, now: prom.end })).rejects.toThrow();
  });
});
