/**
 * Writes OpenMetrics text for promtool backfills: series grouped by metric family, each series'
 * samples in time order, timestamps in seconds, ending with `# EOF`.
 */
import { createWriteStream } from "node:fs";

export type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  /** Value at each time, or undefined for no sample. */
  value: (t: number, i: number) => number | undefined;
}

export class OpenMetricsWriter {
  private readonly families = new Map<string, Series[]>();

  add(name: string, labels: Labels, value: Series["value"]): void {
    const list = this.families.get(name) ?? [];
    list.push({ labels, value });
    this.families.set(name, list);
  }

  /**
   * A counter from a rate function: value(t) = ∫ rate, sampled at `times` (ascending); with `since`,
   * only samples from that time on are written (a series that appeared then).
   */
  addCounter(
    name: string,
    labels: Labels,
    times: readonly number[],
    rate: (t: number) => number,
    start = 0,
    since = Number.NEGATIVE_INFINITY,
  ): void {
    const values = new Float64Array(times.length);
    let v = start;
    for (let i = 0; i < times.length; i++) {
      if (i > 0) {
        const a = times[i - 1] as number;
        const b = times[i] as number;
        v += rate((a + b) / 2) * (b - a);
      }
      values[i] = v;
    }
    this.add(name, labels, (t, i) => (t >= since ? values[i] : undefined));
  }

  /**
   * Writes samples with `times[from..to)` to `file`. Values are looked up by their index in `times`,
   * so one series definition can be written in several chunks.
   */
  async write(file: string, times: readonly number[], from = 0, to = times.length): Promise<number> {
    const out = createWriteStream(file);
    let samples = 0;
    let buffer = "";
    const flush = async () => {
      if (!out.write(buffer)) await new Promise<void>((r) => out.once("drain", () => r()));
      buffer = "";
    };
    for (const [name, list] of this.families) {
      buffer += `# TYPE ${name} gauge\n`;
      for (const s of list) {
        const labels = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
          .join(",");
        for (let i = from; i < to; i++) {
          const t = times[i] as number;
          const v = s.value(t, i);
          if (v === undefined || Number.isNaN(v)) continue;
          buffer += `${name}{${labels}} ${v} ${t}\n`;
          samples++;
          if (buffer.length > 1 << 20) await flush();
        }
      }
    }
    buffer += "# EOF\n";
    await flush();
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return samples;
  }
}

/**
 * Writes one file per `seconds`-long slice of time (aligned to the epoch). promtool 2.42 re-reads its
 * whole input for every 2-hour block it creates, so block- or day-sized files make a long backfill
 * many times faster than one file.
 */
export async function writeByWindow(
  writer: OpenMetricsWriter,
  dir: string,
  times: readonly number[],
  seconds: number,
): Promise<string[]> {
  const files: string[] = [];
  let from = 0;
  while (from < times.length) {
    const slice = Math.floor((times[from] as number) / seconds);
    let to = from;
    while (to < times.length && Math.floor((times[to] as number) / seconds) === slice) to++;
    const file = `${dir}/slice-${slice * seconds}.om`;
    await writer.write(file, times, from, to);
    files.push(file);
    from = to;
  }
  return files;
}

/** One file per UTC day (see writeByWindow). */
export function writeByDay(
  writer: OpenMetricsWriter,
  dir: string,
  times: readonly number[],
): Promise<string[]> {
  return writeByWindow(writer, dir, times, 86400);
}
