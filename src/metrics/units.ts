/** Human formatting of metric values by unit: the number first, with its unit, at a sensible precision. */
import type { Unit } from "./catalogue.js";

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

function scaled(value: number, units: string[], base: number): string {
  let v = Math.abs(value);
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  const sign = value < 0 ? "-" : "";
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${sign}${v.toFixed(digits)} ${units[i]}`;
}

/** Formats a value for display: 87.26 percent → "87.3%", 1536 bytes → "1.5 KiB". */
export function formatValue(value: number, unit: Unit): string {
  if (Number.isNaN(value)) return "no data";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  switch (unit) {
    case "percent":
      return `${value.toFixed(1)}%`;
    case "bytes":
      return scaled(value, BYTE_UNITS, 1024);
    case "bytes_per_second":
      return `${scaled(value, BYTE_UNITS, 1024)}/s`;
    case "ratio":
      return value.toFixed(2);
    case "seconds":
      return formatDuration(value);
    case "count":
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
}

/** 0.25 → "250 ms", 45 → "45 s", 3900 → "1 h 5 min", 200000 → "2 d 7 h". */
export function formatDuration(seconds: number): string {
  if (Math.abs(seconds) < 1) return `${Math.round(Math.abs(seconds) * 1000)} ms`;
  const s = Math.round(Math.abs(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ""}`;
  }
  const h = Math.floor((s % 86400) / 3600);
  return `${Math.floor(s / 86400)} d${h ? ` ${h} h` : ""}`;
}

/** Difference of two values in the unit's terms: percent → "+5.0 pts", bytes → "+1.0 MiB". */
export function formatDelta(delta: number, unit: Unit): string {
  const sign = delta > 0 ? "+" : delta < 0 ? "−" : "±";
  const abs = Math.abs(delta);
  if (unit === "percent") return `${sign}${abs.toFixed(1)} pts`;
  return `${sign}${formatValue(abs, unit)}`;
}

/** "HH:MM UTC" of an epoch-seconds time. */
export function formatClock(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(11, 16)} UTC`;
}
