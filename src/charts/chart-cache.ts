/**
 * Drawn charts by spec: the same question asked again (a button pressed twice, one alert posted to
 * Slack and Teams, a console refresh) gets the same PNG without drawing it again. Least recently used
 * charts leave first, bounded by the bytes of their PNGs.
 */
import { createHash } from "node:crypto";
import type { ReplyChart } from "../reply/reply.js";
import type { LineChartSpec } from "./chart-spec.js";

/**
 * The cache key of a spec: a digest of everything that is drawn. JSON writes NaN and ±Infinity as
 * null, which is also how the chart draws them (a gap), so specs that draw alike share a key.
 */
export function chartKey(spec: LineChartSpec): string {
  return createHash("sha256").update(JSON.stringify(spec)).digest("base64url");
}

/** What one cached chart costs: its PNG plus a little for the strings and the entry. */
function sizeOf(chart: ReplyChart): number {
  return chart.png.byteLength + 2 * (chart.title.length + chart.alt.length) + 256;
}

export class ChartCache {
  /** Map keeps insertion order: the first entry is the least recently used. */
  private readonly entries = new Map<string, ReplyChart>();
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): ReplyChart | undefined {
    const chart = this.entries.get(key);
    if (chart === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, chart);
    return chart;
  }

  set(key: string, chart: ReplyChart): void {
    const size = sizeOf(chart);
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.used -= sizeOf(old);
    }
    // A chart larger than the whole cache would only push everything else out for nothing.
    if (size > this.maxBytes) return;
    this.entries.set(key, chart);
    this.used += size;
    for (const [oldest, chart] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= sizeOf(chart);
    }
  }

  /** Bytes held, as counted against the bound. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}
