/** The per-host detector on synthetic feature histories: bursts found and explained, quiet hosts quiet. */

import { describe, expect, it } from "vitest";
import { FEATURES } from "../../src/anomaly/features.js";
import {
  type HostSeries,
  scoreLatest,
  toScoringModel,
  trainHostModel,
  trainPooledModels,
} from "../../src/anomaly/host-detector.js";
import { HostEnsemble } from "../../src/anomaly/host-ensemble.js";
import { seededRandom } from "../../src/anomaly/random.js";
import { quantileSelect, quantileSorted } from "../../src/anomaly/robust-stats.js";

const F = (name: string) => FEATURES.findIndex((f) => f.name === name);

/** A plausible quiet host: every feature near a level with noise; `n` points at 5 min. */
function quietHost(n: number, seed: number, overrides: Partial<Record<string, number>> = {}): HostSeries {
  const r = seededRandom(seed);
  const noise = () => (r() + r() + r() - 1.5) / 1.5;
  const level: Record<string, [number, number]> = {
    cpu_user: [20, 3],
    cpu_system: [5, 1],
    cpu_iowait: [1, 0.5],
    cpu_steal: [0, 0],
    load1_per_core: [0.4, 0.08],
    load5_per_core: [0.4, 0.05],
    memory_used: [55, 2],
    swap_used: [Number.NaN, 0],
    filesystem_used_max: [40, 0.1],
    disk_read: [200_000, 50_000],
    disk_write: [500_000, 100_000],
    disk_io_time: [3, 1],
    net_rx: [1_000_000, 200_000],
    net_tx: [800_000, 150_000],
    net_errors: [0, 0],
    tcp_established: [120, 10],
    context_switches: [3000, 300],
    procs_blocked: [0, 0],
  };
  return FEATURES.map((f) => {
    const [base, spread] = level[f.name] ?? [0, 0];
    const b = overrides[f.name] ?? base;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number.isNaN(b) ? Number.NaN : Math.max(0, b + spread * noise());
    return out;
  });
}

function times(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 1_700_000_000 + i * 300);
}

describe("host detector", () => {
  it("finds a CPU + iowait burst and explains it by those features", () => {
    const history = quietHost(2016, 1);
    const model = trainHostModel("web-2:9100", history);
    const now = quietHost(5, 2);
    (now[F("cpu_user")] as Float64Array)[4] = 85;
    (now[F("cpu_iowait")] as Float64Array)[4] = 38;
    (now[F("load1_per_core")] as Float64Array)[4] = 2.5;
    const s = scoreLatest(model, now, times(5));
    expect(s?.anomalous).toBe(true);
    expect(s?.flaggedBy).toContain("hour");
    const top = s?.deviations.slice(0, 3).map((d) => d.feature) ?? [];
    expect(top).toEqual(expect.arrayContaining(["cpu_iowait", "cpu_user"]));
    const iowait = s?.deviations.find((d) => d.feature === "cpu_iowait");
    expect(iowait?.value).toBe(38);
    expect(iowait?.baseline).toBeCloseTo(1, 0);
    expect(iowait?.direction).toBe("up");
    // A decoded model (what the scan cache keeps) scores exactly as the trained one.
    const decoded = toScoringModel(model);
    expect(decoded.detector).toBeInstanceOf(HostEnsemble);
    expect(scoreLatest(decoded, now, times(5))).toEqual(s);
  });

  it("raises nothing on quiet hosts, scored point after point", () => {
    for (const seed of [3, 4, 5, 6]) {
      const model = trainHostModel(`h${seed}`, quietHost(2016, seed));
      const fresh = quietHost(60, seed + 100);
      for (let t = 1; t <= 60; t++) {
        const s = scoreLatest(
          model,
          fresh.map((c) => c.slice(0, t)),
          times(t),
        );
        expect(s?.anomalous, `seed ${seed} point ${t}`).toBe(false);
      }
    }
  });

  it("treats a host without swap (missing feature) as normal, not anomalous", () => {
    const model = trainHostModel("noswap", quietHost(1000, 7));
    expect(model.baselines[F("swap_used")]?.present).toBe(false);
    const s = scoreLatest(model, quietHost(3, 8), times(3));
    expect(s?.anomalous).toBe(false);
    expect(s?.deviations.some((d) => d.feature === "swap_used")).toBe(false);
  });

  it("does not alarm on a tiny change of a flat feature (scale floor)", () => {
    const model = trainHostModel("flat", quietHost(1000, 9));
    const now = quietHost(3, 10);
    // procs_blocked is always 0 in training: one blocked process is not an incident.
    (now[F("procs_blocked")] as Float64Array)[2] = 1;
    expect(scoreLatest(model, now, times(3))?.anomalous).toBe(false);
  });

  it("scores the newest point that has data, skipping a trailing gap", () => {
    const model = trainHostModel("gappy", quietHost(500, 11));
    const now = quietHost(4, 12);
    for (const c of now) c[3] = Number.NaN;
    const s = scoreLatest(model, now, times(4));
    expect(s?.at).toBe(times(4)[2]);
    expect(
      scoreLatest(
        model,
        FEATURES.map(() => new Float64Array(3).fill(Number.NaN)),
        times(3),
      ),
    ).toBeUndefined();
  });

  it("does not score a host whose newest point is older than the freshness limit", () => {
    const model = trainHostModel("quiet", quietHost(500, 16));
    const now = quietHost(70, 17);
    // The host stopped reporting 20 minutes before the window's end (points a minute apart).
    for (const c of now) c.fill(Number.NaN, 50);
    const t = Float64Array.from({ length: 70 }, (_, i) => 1_700_000_000 + i * 60);
    expect(scoreLatest(model, now, t, 900)).toBeUndefined();
    expect(scoreLatest(model, now, t)?.at).toBe(t[49]);
  });

  it("pools hosts with short history into one model", () => {
    const hosts = new Map([
      ["new-1", quietHost(20, 13)],
      ["new-2", quietHost(20, 14)],
    ]);
    const models = trainPooledModels(hosts);
    expect(models.map((m) => [m.instance, m.kind])).toEqual([
      ["new-1", "pooled"],
      ["new-2", "pooled"],
    ]);
    const burst = quietHost(2, 15, { cpu_iowait: 40, cpu_user: 90 });
    expect(scoreLatest(models[0] as never, burst, times(2))?.anomalous).toBe(true);
  });
});

describe("daily patterns", () => {
  /** CPU user near 10% at night and 60% by day (UTC 08-20), 7 days at 5 min; other features quiet. */
  function dailyHost(): { series: HostSeries; times: Float64Array } {
    const n = 7 * 288;
    const start = 1_700_006_400; // a UTC midnight
    const t = Float64Array.from({ length: n }, (_, i) => start + i * 300);
    const series = quietHost(n, 21);
    const r = seededRandom(22);
    const cpu = series[F("cpu_user")] as Float64Array;
    for (let i = 0; i < n; i++) {
      const hour = Math.floor(((t[i] as number) % 86400) / 3600);
      cpu[i] = (hour >= 8 && hour < 20 ? 60 : 10) + 4 * (r() - 0.5);
    }
    return { series, times: t };
  }

  it("learns the hour-of-day profile and judges each point against its hour", () => {
    const { series, times: t } = dailyHost();
    const model = trainHostModel("app-1:9100", series, Date.now(), t);
    const cpu = model.baselines[F("cpu_user")];
    expect(cpu?.hourly).toHaveLength(24);
    expect(cpu?.hourly?.[3]).toBeCloseTo(10, 0);
    expect(cpu?.hourly?.[12]).toBeCloseTo(60, 0);
    // Features without a daily pattern keep a plain baseline.
    expect(model.baselines[F("memory_used")]?.hourly).toBeUndefined();

    const at = (hour: number, value: number) => {
      const now = quietHost(5, 23);
      (now[F("cpu_user")] as Float64Array).fill(value);
      const when = Float64Array.from(
        { length: 5 },
        (_, i) => 1_700_006_400 + 8 * 86400 + hour * 3600 + i * 60,
      );
      return scoreLatest(model, now, when);
    };
    // 60% at noon is the usual daytime level; the same 60% at 03:00 is not.
    expect(at(12, 60)?.anomalous).toBe(false);
    const night = at(3, 60);
    expect(night?.anomalous).toBe(true);
    const dev = night?.deviations[0];
    expect(dev?.feature).toBe("cpu_user");
    expect(dev?.baseline).toBeCloseTo(10, 0);
  });

  it("looks for no pattern in less than two days of history", () => {
    const { series, times: t } = dailyHost();
    const day = series.map((f) => f.slice(0, 288));
    const model = trainHostModel("app-1:9100", day, Date.now(), t.slice(0, 288));
    expect(model.baselines[F("cpu_user")]?.hourly).toBeUndefined();
  });
});

describe("quantileSelect", () => {
  it("equals the interpolated quantile of the sorted values, with ties and any length", () => {
    const random = seededRandom(12);
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + Math.floor(random() * 60);
      const values = Float64Array.from({ length: n }, () => Math.round(random() * 8));
      const sorted = Float64Array.from(values).sort();
      for (const q of [0, 0.25, 0.5, 0.75, 0.995, 1]) {
        expect(quantileSelect(Float64Array.from(values), q)).toBeCloseTo(quantileSorted(sorted, q), 12);
      }
    }
  });
});
