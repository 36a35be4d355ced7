/** Axis scales, tick labels and the readings quoted in alt text, in the units of the metric. */
import type { Unit } from "../metrics/catalogue.js";
import { formatValue } from "../metrics/units.js";

const DAY_MS = 86_400_000;

interface DisplayUnit {
  divisor: number;
  suffix: string;
}

const BYTE_SUFFIXES = [" B", " KiB", " MiB", " GiB", " TiB", " PiB"];

/** The unit axis labels are written in, chosen from the largest magnitude on the axis. */
function displayUnit(unit: Unit, magnitude: number): DisplayUnit {
  switch (unit) {
    case "percent":
      return { divisor: 1, suffix: "%" };
    case "ratio":
      return { divisor: 1, suffix: "" };
    case "count":
      if (magnitude >= 1e10) return { divisor: 1e9, suffix: "G" };
      if (magnitude >= 1e7) return { divisor: 1e6, suffix: "M" };
      if (magnitude >= 1e4) return { divisor: 1e3, suffix: "k" };
      return { divisor: 1, suffix: "" };
    case "bytes":
    case "bytes_per_second": {
      let i = 0;
      while (i < BYTE_SUFFIXES.length - 1 && magnitude >= 1024 ** (i + 1)) i++;
      return { divisor: 1024 ** i, suffix: `${BYTE_SUFFIXES[i]}${unit === "bytes_per_second" ? "/s" : ""}` };
    }
    case "seconds":
      if (magnitude >= 2 * 86_400) return { divisor: 86_400, suffix: " d" };
      if (magnitude >= 2 * 3600) return { divisor: 3600, suffix: " h" };
      if (magnitude >= 120) return { divisor: 60, suffix: " min" };
      if (magnitude >= 1 || magnitude === 0) return { divisor: 1, suffix: " s" };
      if (magnitude >= 1e-3) return { divisor: 1e-3, suffix: " ms" };
      return { divisor: 1e-6, suffix: " µs" };
  }
}

export interface ValueAxis {
  min: number;
  max: number;
  interval: number;
  format: (value: number) => string;
}

/**
 * A y axis with round ticks in the display unit (0, 200, 400 MiB rather than ECharts' decimal
 * 0, 190.7, 381.5 MiB for binary units), starting at zero for non-negative data so a flat line at
 * 80% does not look like a cliff.
 */
export function valueAxis(lo: number, hi: number, unit: Unit, targetTicks: number): ValueAxis {
  let low = Math.min(lo, 0);
  let high = Math.max(hi, 0);
  if (high === low) high = low + (unit === "percent" ? 100 : unit === "ratio" ? 1 : 1);
  const du = displayUnit(unit, Math.max(Math.abs(low), Math.abs(high)));
  low /= du.divisor;
  high /= du.divisor;
  const raw = (high - low) / targetTicks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  let nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  let step = nice * pow;
  if (du.suffix.startsWith(" B") && step < 1) {
    // There are no fractions of a byte.
    nice = 1;
    step = 1;
  }
  const min = Math.floor(low / step + 1e-9) * step;
  const max = Math.ceil(high / step - 1e-9) * step;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (nice === 2.5 ? 1 : 0));
  return {
    min: min * du.divisor,
    max: max * du.divisor,
    interval: step * du.divisor,
    format: (value) => {
      const v = value / du.divisor;
      // Zero is just "0" for counts ("0k" reads oddly), and never "-0" from floating-point noise.
      if (Math.abs(v) < step / 1e6) return unit === "count" ? "0" : `0${du.suffix}`;
      return `${v.toFixed(decimals)}${du.suffix}`;
    },
  };
}

/**
 * A reading for the alt text: {@link formatValue}, except that sub-minute durations keep their
 * precision ("250 ms", "12.5 s"); the shared formatter rounds durations to whole seconds.
 */
export function formatReading(value: number, unit: Unit): string {
  if (unit !== "seconds" || value === 0 || Math.abs(value) >= 60) return formatValue(value, unit);
  const du = displayUnit("seconds", Math.abs(value));
  return `${Number((value / du.divisor).toPrecision(3))}${du.suffix}`;
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Time axis labels in UTC: "HH:mm" up to two days (the date instead at midnight), "MM-dd HH:mm"
 * beyond, and "HH:mm:ss" for windows under ten minutes, where minutes alone would repeat.
 */
export function timeLabel(spanMs: number): (value: number) => string {
  return (value) => {
    const iso = isoUtc(value);
    if (spanMs < 10 * 60_000) return iso.slice(11, 19);
    const hm = iso.slice(11, 16);
    const md = iso.slice(5, 10);
    if (hm === "00:00") return md;
    return spanMs <= 2 * DAY_MS ? hm : `${md} ${hm}`;
  };
}
