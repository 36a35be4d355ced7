/**
 * The parts of predictive alerts that need no Prometheus: reading forecast rules from chat, the
 * verdict of one forecast, the hysteresis that keeps an alert from flapping, and the alert's text.
 */
import { describe, expect, it } from "vitest";
import { type ChatRule, describeRule, parseRule } from "../../src/alerts/chat-rules.js";
import {
  CLEAR_EVALUATIONS,
  cannotFillWithin,
  fillSummary,
  forecastChartSpec,
  nextState,
  type SeriesState,
  type Verdict,
  verdictOf,
} from "../../src/alerts/predictive-alerts.js";
import type { CapacityForecast, CapacitySeries } from "../../src/insights/capacity.js";

const HOUR = 3600;
const DAY = 86_400;
const GiB = 1024 ** 3;
const NOW = Date.UTC(2026, 2, 10, 6, 0, 0) / 1000;

function forecast(over: Partial<CapacityForecast> = {}): CapacityForecast {
  return {
    kind: "disk",
    instance: "db-1:9100",
    host: "db-1",
    mountpoint: "/data",
    device: "/dev/sdb1",
    fstype: "ext4",
    status: "no_risk",
    capacityBytes: 100 * GiB,
    fullAtBytes: 100 * GiB,
    usedBytes: 80 * GiB,
    usedAt: NOW,
    historySeconds: 3 * DAY,
    horizonSeconds: 36 * HOUR,
    level: 0.9,
    model: "robust-trend",
    backtestMaeBytes: 0.5 * GiB,
    backtestMaePercent: 0.5,
    fill: { expected: null, earliest: null, latest: null },
    growthBytesPerDay: 1 * GiB,
    reliesOnCleanup: false,
    history: [
      [NOW - HOUR, 79 * GiB],
      [NOW, 80 * GiB],
    ],
    points: [
      { t: NOW + HOUR, forecast: 81 * GiB, lower: 80 * GiB, upper: 82 * GiB },
      { t: NOW + 2 * HOUR, forecast: 82 * GiB, lower: 80 * GiB, upper: 84 * GiB },
    ],
    ...over,
  };
}

const fills = (inHours: number) =>
  forecast({
    status: "fills",
    fill: {
      expected: NOW + inHours * HOUR,
      earliest: NOW + (inHours - 2) * HOUR,
      latest: NOW + (inHours + 3) * HOUR,
    },
  });

describe("forecast rules from chat", () => {
  const envs = ["prod", "staging"];
  it("reads disk and memory forecasts with a window, a host and an environment", () => {
    expect(parseRule("disk will be full within 3d", envs, "prod")).toEqual({
      metric: "disk",
      op: ">=",
      threshold: 100,
      forMs: 0,
      withinMs: 3 * DAY * 1000,
      environment: "prod",
    });
    expect(parseRule("memory will run out within 12h on web-1 in staging", envs, "prod")).toEqual({
      metric: "memory",
      op: ">=",
      threshold: 95,
      forMs: 0,
      withinMs: 12 * HOUR * 1000,
      environment: "staging",
      host: "web-1",
    });
    expect(parseRule("mem will be exhausted in 2 weeks on staging", envs, "prod")).toMatchObject({
      metric: "memory",
      withinMs: 14 * DAY * 1000,
      environment: "staging",
    });
    expect(parseRule("disk will fill up within 36 hours", envs, "prod")).toMatchObject({
      withinMs: 36 * HOUR * 1000,
    });
    expect(parseRule("Disk full within 1d on db-1", envs, "prod")).toMatchObject({
      metric: "disk",
      host: "db-1",
    });
  });

  it("refuses windows it cannot forecast, unknown environments and other text, listing the forms", () => {
    expect(parseRule("disk will be full within 60d", envs, "prod")).toMatch(/between 1 hour and 30 days/);
    expect(parseRule("disk will be full within 0h", envs, "prod")).toMatch(/between 1 hour and 30 days/);
    expect(parseRule("disk will be full within 3d in qa", envs, "prod")).toMatch(/no environment "qa"/);
    expect(parseRule("cpu will be full within 3d", envs, "prod")).toMatch(/disk will be full within 3d/);
    // The threshold forms still read as before.
    expect(parseRule("disk > 90% for 10m on prod", envs, "prod")).toEqual({
      metric: "disk",
      op: ">",
      threshold: 90,
      forMs: 600_000,
      environment: "prod",
    });
  });

  it("describes forecast rules in the rule list", () => {
    const base: ChatRule = {
      id: "0123abcd",
      metric: "disk",
      op: ">=",
      threshold: 100,
      forMs: 0,
      environment: "prod",
      createdBy: "Ana",
      createdAt: 0,
      paused: false,
      withinMs: 3 * DAY * 1000,
    };
    expect(describeRule(base)).toBe("disk expected full within 3 days on every host (prod)");
    expect(
      describeRule({ ...base, metric: "memory", threshold: 95, withinMs: 12 * HOUR * 1000, host: "web-1" }),
    ).toBe("memory expected to run out (95% used) within 12 h on web-1 (prod)");
  });
});

describe("the verdict of one forecast", () => {
  const within = 24 * HOUR;
  it("fills when full now or expected full within the window", () => {
    expect(verdictOf(forecast({ status: "already_full" }), NOW, within)).toBe("fills");
    expect(verdictOf(fills(20), NOW, within)).toBe("fills");
    expect(verdictOf(fills(24), NOW, within)).toBe("fills");
  });
  it("is near within the margin, clear beyond it only when the forecast reached that far", () => {
    expect(verdictOf(fills(30), NOW, within)).toBe("near");
    expect(verdictOf(fills(40), NOW, within)).toBe("clear");
    expect(verdictOf(forecast(), NOW, within)).toBe("clear");
    // The last value sits on the forecast's grid, minutes before now: still clear.
    expect(verdictOf(forecast({ usedAt: NOW - 600 }), NOW, within)).toBe("clear");
    // Six hours of history reach a day ahead: no fill within a day says nothing about 36 h.
    expect(verdictOf(forecast({ horizonSeconds: 24 * HOUR }), NOW, within)).toBe("unknown");
  });
  it("cannot judge too little history", () => {
    expect(
      verdictOf(forecast({ status: "insufficient_history", model: null, horizonSeconds: 0 }), NOW, within),
    ).toBe("unknown");
  });
});

describe("hysteresis", () => {
  const id = { kind: "disk" as const, instance: "db-1:9100", mountpoint: "/data", device: "/dev/sdb1" };
  /** Runs verdicts through nextState; returns what was sent at each step ("-" for nothing). */
  function run(verdicts: Verdict[]): string[] {
    let state: SeriesState | undefined;
    return verdicts.map((v, i) => {
      const t = nextState(state, v, 1000 * i, id);
      state = t.state;
      return t.send ?? "-";
    });
  }

  it("fires at once and is sent again while it holds", () => {
    expect(run(["clear", "near", "fills", "fills", "near"])).toEqual([
      "-",
      "-",
      "firing",
      "firing",
      "firing",
    ]);
  });

  it(`resolves after ${CLEAR_EVALUATIONS} clear evaluations in a row, not one`, () => {
    expect(run(["fills", "clear", "clear", "clear"])).toEqual(["firing", "firing", "resolved", "-"]);
    // A forecast that flips between near and clear never resolves; one back within the window restarts the count.
    expect(run(["fills", "clear", "near", "clear", "fills", "clear", "clear"])).toEqual([
      "firing",
      "firing",
      "firing",
      "firing",
      "firing",
      "firing",
      "resolved",
    ]);
  });

  it("neither resolves nor resets on an evaluation that cannot judge", () => {
    expect(run(["fills", "clear", "unknown", "clear"])).toEqual(["firing", "firing", "firing", "resolved"]);
    expect(run(["fills", "unknown", "unknown", "unknown"])).toEqual(["firing", "firing", "firing", "firing"]);
  });

  it("keeps when the alert started", () => {
    const first = nextState(undefined, "fills", 5000, id);
    const later = nextState(first.state, "near", 9000, id);
    expect(later.state?.since).toBe(5000);
  });
});

describe("what the alert says and draws", () => {
  it("gives the date, the interval (one day written once) and how long until", () => {
    expect(fillSummary(fills(10), "disk /data on db-1:9100")).toBe(
      "Disk /data on db-1:9100 expected full around Tue 10 Mar 16:00 UTC, in 10 h (90% interval between Tue 10 Mar 14:00 and 19:00 UTC)",
    );
    expect(fillSummary(fills(16), "disk /data on db-1:9100")).toContain(
      "between Tue 10 Mar 20:00 and Wed 11 Mar 01:00 UTC",
    );
    expect(
      fillSummary(forecast({ status: "already_full", usedBytes: 100 * GiB }), "disk /data on db-1:9100"),
    ).toBe("Disk /data on db-1:9100 is full now: 100 GiB used of 100 GiB");
  });

  it("draws the history, the forecast cone and the full line", () => {
    const spec = forecastChartSpec(fills(10), "prod");
    expect(spec.unit).toBe("bytes");
    expect(spec.series.map((s) => s.name)).toEqual(["used"]);
    expect(spec.forecast?.points).toEqual([
      [(NOW + HOUR) * 1000, 81 * GiB, 80 * GiB, 82 * GiB],
      [(NOW + 2 * HOUR) * 1000, 82 * GiB, 80 * GiB, 84 * GiB],
    ]);
    expect(spec.forecast?.intervalLabel).toBe("90% interval");
    expect(spec.threshold).toEqual({ value: 100 * GiB, label: "full (100 GiB)" });
    expect(spec.title).toBe("Disk /data on db-1:9100 (prod) — forecast 1 d 12 h ahead");
  });
});

describe("the screen before a forecast", () => {
  const step = 900;
  /** A disk of 100 GiB over `days` at 15 minutes, used bytes from `used(hoursAgo)`. */
  function disk(days: number, used: (hoursAgo: number) => number): CapacitySeries {
    const n = Math.round((days * DAY) / step) + 1;
    const times = Float64Array.from({ length: n }, (_, i) => NOW - (n - 1 - i) * step);
    return {
      kind: "disk",
      instance: "db-1:9100",
      host: "db-1",
      mountpoint: "/data",
      device: "/dev/sdb1",
      times,
      used: Float64Array.from(times, (t) => used((NOW - t) / HOUR)),
      size: new Float64Array(n).fill(100 * GiB),
      step,
    };
  }
  const horizon = 36 * HOUR;

  it("skips a series far from full that never rose fast", () => {
    // 40 GiB, at most +0.5 GiB a day: 60 GiB of headroom against a 0.75 GiB rise in 36 h.
    expect(
      cannotFillWithin(
        disk(14, (h) => 40 * GiB - (h / 24) * 0.5 * GiB),
        horizon,
      ),
    ).toBe(true);
    // Flat memory at half with a daily swing of ±1 GiB on 16: 7.2 GiB of headroom against 2 GiB.
    const memory = disk(14, (h) => 8 * GiB + GiB * Math.sin((2 * Math.PI * h) / 24));
    expect(cannotFillWithin({ ...memory, kind: "memory", size: memory.size.fill(16 * GiB) }, horizon)).toBe(
      true,
    );
  });

  it("forecasts a series whose past rises come near its headroom", () => {
    // +25 GiB a day at 60 GiB: a 37.5 GiB rise in 36 h against 40 of headroom.
    expect(
      cannotFillWithin(
        disk(3, (h) => 60 * GiB - (h / 24) * 25 * GiB),
        horizon,
      ),
    ).toBe(false);
    // A sawtooth of daily clean-ups at 50%: rises of 30 GiB between them, 50 GiB of headroom.
    expect(
      cannotFillWithin(
        disk(14, (h) => 20 * GiB + ((24 - (h % 24)) / 24) * 30 * GiB),
        horizon,
      ),
    ).toBe(false);
    // Clean-ups every 3 days: 15 GiB at most in 36 h, 3x that is below the headroom: screened.
    expect(
      cannotFillWithin(
        disk(14, (h) => 20 * GiB + ((72 - (h % 72)) / 72) * 30 * GiB),
        horizon,
      ),
    ).toBe(true);
    // A burst of +20 GiB an hour ago, flat before: the rise within the window counts.
    expect(
      cannotFillWithin(
        disk(14, (h) => (h < 1 ? 60 : 40) * GiB),
        horizon,
      ),
    ).toBe(false);
  });

  it("scales the rise up when the history is shorter than the window, and never skips a full one", () => {
    // 6 hours of history rising 1 GiB: 6 GiB in 36 h at that pace; 3x that is 18 < 20 of headroom.
    expect(
      cannotFillWithin(
        disk(0.25, (h) => 80 * GiB - (h / 6) * GiB),
        horizon,
      ),
    ).toBe(true);
    expect(
      cannotFillWithin(
        disk(0.25, (h) => 90 * GiB - (h / 6) * GiB),
        horizon,
      ),
    ).toBe(false);
    expect(
      cannotFillWithin(
        disk(14, () => 100 * GiB),
        horizon,
      ),
    ).toBe(false);
  });
});
