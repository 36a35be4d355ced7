/** The alt text of a chart: what it shows, its peak, threshold, band and hidden series, in words. */
import { formatReading, isoUtc } from "./axis.js";
import type { LineChartSpec } from "./chart-spec.js";
import type { Prepared, PreparedSeries } from "./prepare.js";

function utcClock(ms: number): string {
  return isoUtc(ms).slice(11, 16);
}

function utcDateClock(ms: number): string {
  return isoUtc(ms).slice(0, 16).replace("T", " ");
}

function listNames(names: string[], max = 5): string {
  if (names.length <= max) {
    return names.length <= 2 ? names.join(" and ") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  }
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}

export function altText(spec: LineChartSpec, data: Prepared): string {
  const subject = spec.subject ?? spec.title;
  const [t0, t1] = data.timeRange ?? [Number.NaN, Number.NaN];
  const oneDay = data.timeRange !== undefined && isoUtc(t0).slice(0, 10) === isoUtc(t1).slice(0, 10);
  const when = oneDay ? utcClock : utcDateClock;
  const range = !data.timeRange
    ? ""
    : t0 === t1
      ? `at ${when(t0)} UTC`
      : `from ${when(t0)} to ${when(t1)} UTC`;
  if (!data.hasData) return `Line chart of ${subject}: no data${range ? ` ${range}` : ""}.`;

  const names = data.shown.map((s) => s.name);
  const forWhom =
    names.length === 1 && ` ${subject} `.includes(` ${names[0]} `) ? "" : ` for ${listNames(names)}`;
  const parts = [`Line chart of ${subject}${forWhom} ${range}`.trimEnd()];
  const top = data.shown.reduce<PreparedSeries | undefined>(
    (best, s) => (s.peak && (!best?.peak || s.peak.value > best.peak.value) ? s : best),
    undefined,
  );
  if (top?.peak)
    parts.push(`${top.name} peaks at ${formatReading(top.peak.value, spec.unit)} at ${when(top.peak.at)}`);
  if (spec.threshold && Number.isFinite(spec.threshold.value)) {
    const t = spec.threshold.value;
    const value = formatReading(t, spec.unit);
    // Callers often put the value in the label already ("warning 80.0%").
    const label = spec.threshold.label.includes(value)
      ? spec.threshold.label
      : `${spec.threshold.label} (${value})`;
    const over = [...data.shown, ...data.hidden].filter((s) => s.peak && s.peak.value > t).map((s) => s.name);
    parts.push(`threshold ${label} ${over.length > 0 ? `exceeded by ${listNames(over)}` : "not exceeded"}`);
  }
  if (spec.band && Number.isFinite(spec.band.low) && Number.isFinite(spec.band.high)) {
    const low = formatReading(Math.min(spec.band.low, spec.band.high), spec.unit);
    const high = formatReading(Math.max(spec.band.low, spec.band.high), spec.unit);
    parts.push(`shaded band ${spec.band.label} from ${low} to ${high}`);
  }
  const cone = (spec.forecast?.points ?? []).filter((p) => p.every((v) => Number.isFinite(v)));
  const end = cone.reduce<(typeof cone)[number] | undefined>(
    (a, p) => (!a || p[0] > a[0] ? p : a),
    undefined,
  );
  if (spec.forecast && end) {
    const [t, m, a, b] = end;
    parts.push(
      `dashed ${spec.forecast.label} to ${utcDateClock(t)} UTC ending at ${formatReading(m, spec.unit)}, shaded ${spec.forecast.intervalLabel} ${formatReading(Math.min(a, b), spec.unit)} to ${formatReading(Math.max(a, b), spec.unit)}`,
    );
  }
  if (data.hidden.length > 0) {
    parts.push(
      `${data.hidden.length} more series with lower peaks not drawn (${listNames(data.hidden.map((s) => s.name))})`,
    );
  }
  return `${parts.join("; ")}.`;
}
