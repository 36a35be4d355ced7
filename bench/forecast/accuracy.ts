/**
 * Rolling-origin accuracy on NAB (5-minute series) and SMD (one row a minute): at several origins
 * over each series' second half, our forecaster, seasonal naive and `predict_linear` over the last
 * 6 h forecast 1 h, 6 h and 24 h ahead; MASE is the error over the in-sample seasonal-naive error.
 */
import { forecast } from "../../src/insights/forecast/forecast.js";
import { calendarForStep } from "../../src/insights/forecast/model.js";
import { median } from "../../src/insights/forecast/stats.js";
import { loadNab } from "../nab/nab-data.js";
import { loadSmd, SMD_COLUMNS } from "../smd/smd-data.js";
import { meanAbsoluteError, predictLinear, seasonalNaive, seasonalNaiveScale } from "./baselines.js";

export const HORIZON_HOURS = [1, 6, 24] as const;
const ORIGINS = 4;
const SMD_COLUMNS_PER_MACHINE = 10;

export interface BenchSeries {
  name: string;
  values: Float64Array;
  times: Float64Array;
  step: number;
}

export function nabSeries(): BenchSeries[] {
  const out: BenchSeries[] = [];
  for (const s of loadNab()) {
    const times = Float64Array.from(s.timestamps, (t) => Date.parse(`${t.replace(" ", "T")}Z`) / 1000);
    const steps = new Float64Array(times.length - 1);
    for (let i = 1; i < times.length; i++) steps[i - 1] = (times[i] as number) - (times[i - 1] as number);
    // Only series whose step is 5 minutes: times strictly increasing as the forecaster requires.
    if (median(steps) !== 300 || steps.some((d) => d <= 0)) continue;
    out.push({ name: `nab/${s.name}`, values: s.values, times, step: 300 });
  }
  return out;
}

/** Each machine's train and test halves end to end (they are consecutive), the columns that vary most. */
export function smdSeries(): BenchSeries[] {
  const out: BenchSeries[] = [];
  for (const m of loadSmd()) {
    const rows = m.trainRows + m.testRows;
    const column = (c: number): Float64Array => {
      const v = new Float64Array(rows);
      for (let r = 0; r < m.trainRows; r++) v[r] = m.train[r * SMD_COLUMNS + c] as number;
      for (let r = 0; r < m.testRows; r++) v[m.trainRows + r] = m.test[r * SMD_COLUMNS + c] as number;
      return v;
    };
    const spread = (v: Float64Array): number => {
      let mean = 0;
      for (const x of v) mean += x / v.length;
      let sq = 0;
      for (const x of v) sq += (x - mean) ** 2 / v.length;
      return Math.sqrt(sq);
    };
    const ranked = Array.from({ length: SMD_COLUMNS }, (_, c) => ({ c, s: spread(column(c)) }))
      .filter((x) => x.s > 0)
      .sort((a, b) => b.s - a.s)
      .slice(0, SMD_COLUMNS_PER_MACHINE);
    const times = Float64Array.from({ length: rows }, (_, i) => i * 60);
    for (const { c } of ranked) out.push({ name: `smd/${m.name}/${c}`, values: column(c), times, step: 60 });
  }
  return out;
}

export interface SeriesScore {
  name: string;
  hours: number;
  ours: number;
  naive: number;
  linear: number;
  models: string[];
  /** Actual values inside our 90% interval, and how many were checked. */
  covered: number;
  checked: number;
}

export function scoreSeries(s: BenchSeries): SeriesScore[] {
  const calendar = calendarForStep(s.step);
  const n = s.values.length;
  const out: SeriesScore[] = [];
  for (const hours of HORIZON_HOURS) {
    const h = Math.round((hours * 3600) / s.step);
    const sixHours = Math.round((6 * 3600) / s.step);
    const first = Math.floor(n / 2);
    const last = n - h;
    if (last <= first) continue;
    const sums = { ours: 0, naive: 0, linear: 0 };
    const models: string[] = [];
    let used = 0;
    let covered = 0;
    let checked = 0;
    for (let j = 0; j < ORIGINS; j++) {
      const origin = first + Math.floor(((last - first) * j) / Math.max(ORIGINS - 1, 1));
      const history = s.values.subarray(0, origin);
      const actual = s.values.subarray(origin, origin + h);
      const scale = seasonalNaiveScale(history, calendar);
      // A history that never moved gives no scale: MASE is undefined there.
      if (!(scale > 0)) continue;
      const ours = forecast(history, s.times.subarray(0, origin), h);
      models.push(ours.model);
      ours.points.forEach((p, k) => {
        const a = actual[k] as number;
        if (!Number.isFinite(a)) return;
        checked++;
        if (a >= p.lower && a <= p.upper) covered++;
      });
      sums.ours +=
        meanAbsoluteError(
          actual,
          Float64Array.from(ours.points, (p) => p.forecast),
        ) / scale;
      sums.naive += meanAbsoluteError(actual, seasonalNaive(history, calendar, h)) / scale;
      sums.linear += meanAbsoluteError(actual, predictLinear(history, sixHours, h)) / scale;
      used++;
    }
    if (used === 0) continue;
    out.push({
      name: s.name,
      hours,
      ours: sums.ours / used,
      naive: sums.naive / used,
      linear: sums.linear / used,
      models,
      covered,
      checked,
    });
  }
  return out;
}

export function accuracyTable(title: string, scores: SeriesScore[]): string {
  const lines = [
    `### ${title}`,
    "",
    "| horizon | series | ours mean / median MASE | seasonal naive | predict_linear 6 h | ours beats both | models chosen | actuals inside our 90% interval |",
    "|---|---:|---:|---:|---:|---:|---|---:|",
  ];
  for (const hours of HORIZON_HOURS) {
    const at = scores.filter((s) => s.hours === hours);
    if (at.length === 0) continue;
    const mean = (f: (s: SeriesScore) => number): string =>
      (at.reduce((sum, s) => sum + f(s), 0) / at.length).toFixed(3);
    const med = (f: (s: SeriesScore) => number): string => median(at.map(f)).toFixed(3);
    const beats = at.filter((s) => s.ours < s.naive && s.ours < s.linear).length;
    const chosen = at.flatMap((s) => s.models);
    const counts = new Map<string, number>();
    for (const m of chosen) counts.set(m, (counts.get(m) ?? 0) + 1);
    const modelsText = [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([m, c]) => `${m} ${c}`)
      .join(", ");
    lines.push(
      `| ${hours} h | ${at.length} | ${mean((s) => s.ours)} / ${med((s) => s.ours)} | ${mean((s) => s.naive)} / ${med((s) => s.naive)} | ${mean((s) => s.linear)} / ${med((s) => s.linear)} | ${beats} of ${at.length} | ${modelsText} | ${(
        (100 * at.reduce((c, s) => c + s.covered, 0)) /
          Math.max(
            1,
            at.reduce((c, s) => c + s.checked, 0),
          )
      ).toFixed(1)}% |`,
    );
  }
  return lines.join("\n");
}
