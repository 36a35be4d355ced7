/** Loads the NAB corpus shipped in data/nab: series as numbers, windows as inclusive row ranges. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface NabSeries {
  name: string;
  timestamps: string[];
  values: Float64Array;
  windows: Array<[number, number]>;
}

export const NAB_DIR = process.env.NAB_DIR ?? path.resolve(import.meta.dirname, "../../data/nab");

export function loadNab(dir = NAB_DIR): NabSeries[] {
  const windows = JSON.parse(readFileSync(path.join(dir, "labels/combined_windows.json"), "utf8")) as Record<
    string,
    [string, string][]
  >;
  const out: NabSeries[] = [];
  for (const name of Object.keys(windows).sort()) {
    const lines = readFileSync(path.join(dir, "data", name), "utf8")
      .trim()
      .split("\n")
      .slice(1);
    const timestamps = lines.map((l) => l.slice(0, l.indexOf(",")));
    const values = Float64Array.from(lines, (l) => Number(l.slice(l.indexOf(",") + 1)));
    const rows: Array<[number, number]> = (windows[name] ?? []).map(([a, b]) => {
      const start = a.slice(0, 19);
      const end = b.slice(0, 19);
      let l = timestamps.findIndex((t) => t >= start);
      if (l < 0) l = timestamps.length - 1;
      let r = l;
      while (r + 1 < timestamps.length && (timestamps[r + 1] as string) <= end) r++;
      return [l, r];
    });
    out.push({ name, timestamps, values, windows: rows });
  }
  return out;
}

export function listCsvFiles(dir = NAB_DIR): string[] {
  return readdirSync(path.join(dir, "data"), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".csv"));
}
