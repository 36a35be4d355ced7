/**
 * Time to full on generated disks, in percent of the current size (capacity is the size, never the
 * highest value seen): two weeks of 5-minute history, a 7-day horizon. Fill scenarios have a known
 * fill time (the noise-free continuation reaching 100 %); the others never fill within the horizon,
 * and a predicted fill there is a false "will fill within 7 days".
 */
import { forecast } from "../../src/insights/forecast/forecast.js";
import { median } from "../../src/insights/forecast/stats.js";
import { timeToThreshold } from "../../src/insights/forecast/time-to-threshold.js";
import { predictLinear } from "./baselines.js";

const STEP = 300;
const DAY = 288;
const HISTORY = 14 * DAY;
const HORIZON = 7 * DAY;
const SEEDS = 6;

function random(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Disk {
  /** Noise-free usage at any row, the future included. */
  truth: (i: number) => number;
  noise: number;
}

/** Each scenario builds a disk from uniform draws; `fills` says whether it reaches 100 % within 7 days. */
const SCENARIOS: Array<{ name: string; fills: boolean; make: (u: () => number) => Disk }> = [
  {
    name: "steady fill",
    fills: true,
    make: (u) => {
      const end = 60 + 15 * u();
      const rate = (100 - end) / ((1.5 + 4.5 * u()) * DAY);
      return { truth: (i) => end + rate * (i - HISTORY + 1), noise: 0.2 };
    },
  },
  {
    name: "daily cycle on a fill",
    fills: true,
    make: (u) => {
      const end = 55 + 10 * u();
      const rate = (100 - end) / ((1.5 + 4.5 * u()) * DAY);
      return {
        truth: (i) => end + rate * (i - HISTORY + 1) + 4 * Math.sin((2 * Math.PI * i) / DAY),
        noise: 0.3,
      };
    },
  },
  {
    name: "sawtooth with clean-ups",
    fills: true,
    make: (u) => {
      // Cleaned back to 40 % every 3 days until 2 days ago; nothing says another clean-up comes.
      const lastCleanup = HISTORY - 2 * DAY;
      const rate = 60 / ((2 + 1.5 + 4.5 * u()) * DAY);
      return {
        truth: (i) => {
          const since = i >= lastCleanup ? i - lastCleanup : (i - lastCleanup + 3 * 5 * DAY) % (3 * DAY);
          return 40 + rate * since;
        },
        noise: 0.2,
      };
    },
  },
  {
    name: "step resize (size × 1.5)",
    fills: true,
    make: (u) => {
      // Used bytes grow steadily (from nearly empty); the size grew by half 3 days ago.
      const resize = HISTORY - 3 * DAY;
      const end = 60 + 10 * u();
      const rate = (100 - end) / ((1.5 + 4.5 * u()) * DAY);
      return {
        truth: (i) => {
          const percent = Math.max(end + rate * (i - HISTORY + 1), 2);
          return i < resize ? 1.5 * percent : percent;
        },
        noise: 0.2,
      };
    },
  },
  {
    name: "flat",
    fills: false,
    make: (u) => {
      const level = 40 + 40 * u();
      return { truth: () => level, noise: 0.5 };
    },
  },
  {
    name: "daily cycle, no growth",
    fills: false,
    make: (u) => {
      const level = 50 + 15 * u();
      return { truth: (i) => level + 15 * Math.sin((2 * Math.PI * i) / DAY), noise: 0.5 };
    },
  },
  {
    name: "slow fill (30-60 days)",
    fills: false,
    make: (u) => {
      const end = 50 + 20 * u();
      const rate = (100 - end) / ((30 + 30 * u()) * DAY);
      return { truth: (i) => end + rate * (i - HISTORY + 1), noise: 0.2 };
    },
  },
];

function gaussian(u: () => number): number {
  return Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

/** First row after the history where the noise-free usage reaches 100 %, in hours from the end. */
function truthHours(disk: Disk): number | null {
  for (let k = 1; k <= HORIZON; k++) if (disk.truth(HISTORY - 1 + k) >= 100) return (k * STEP) / 3600;
  return null;
}

export function diskBench(): string {
  const times = Float64Array.from({ length: HISTORY }, (_, i) => i * STEP);
  const lastTime = (HISTORY - 1) * STEP;
  const lines = [
    '| scenario | disks | ours: median / max error (h) | ours: fill predicted | ours: truth within [earliest, latest] | predict_linear 6 h: median / max error (h) | false "fills in 7 days": ours / ours\' upper bound / predict_linear |',
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const scenario of SCENARIOS) {
    const oursErrors: number[] = [];
    const linearErrors: number[] = [];
    let predicted = 0;
    let inside = 0;
    let falseOurs = 0;
    let falseUpper = 0;
    let falseLinear = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const u = random(seed * 31 + scenario.name.length);
      const disk = scenario.make(u);
      const values = Float64Array.from(
        { length: HISTORY },
        (_, i) => disk.truth(i) + disk.noise * gaussian(u),
      );
      const result = forecast(values, times, HORIZON);
      const crossing = timeToThreshold(result, 100);
      const hours = (t: number | null): number | null => (t === null ? null : (t - lastTime) / 3600);
      const linear = predictLinear(values, 6 * 12, HORIZON);
      const linearRow = linear.findIndex((v) => v >= 100);
      const linearHours = linearRow < 0 ? null : ((linearRow + 1) * STEP) / 3600;
      const truth = truthHours(disk);
      if (scenario.fills && truth !== null) {
        const expected = hours(crossing.expected);
        if (expected !== null) {
          predicted++;
          oursErrors.push(Math.abs(expected - truth));
        } else oursErrors.push(Number.POSITIVE_INFINITY);
        const earliest = hours(crossing.earliest) ?? Number.POSITIVE_INFINITY;
        const latest = hours(crossing.latest) ?? Number.POSITIVE_INFINITY;
        if (earliest <= truth && truth <= latest) inside++;
        linearErrors.push(linearHours === null ? Number.POSITIVE_INFINITY : Math.abs(linearHours - truth));
      } else if (!scenario.fills) {
        if (crossing.expected !== null) falseOurs++;
        if (crossing.earliest !== null) falseUpper++;
        if (linearHours !== null) falseLinear++;
      }
    }
    const fmt = (xs: number[]): string =>
      xs.length === 0
        ? "–"
        : `${median(xs.map((x) => (Number.isFinite(x) ? x : 1e9))).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`;
    lines.push(
      scenario.fills
        ? `| ${scenario.name} | ${SEEDS} | ${fmt(oursErrors)} | ${predicted} of ${SEEDS} | ${inside} of ${SEEDS} | ${fmt(linearErrors)} | – |`
        : `| ${scenario.name} | ${SEEDS} | – | – | – | – | ${falseOurs} / ${falseUpper} / ${falseLinear} of ${SEEDS} |`,
    );
  }
  return lines.join("\n");
}
