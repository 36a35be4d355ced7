/**
 * Chart PNGs kept in memory for a while so replies can reference them by URL. Bounded by count and
 * age: an old chart simply expires (the reply still carries its alt text).
 */
import { randomBytes } from "node:crypto";

interface Stored {
  png: Buffer;
  expires: number;
}

export class ChartStore {
  private readonly charts = new Map<string, Stored>();

  constructor(
    private readonly maxCharts = 500,
    private readonly ttlMs = 30 * 60_000,
  ) {}

  /** Stores a PNG and returns its id. */
  put(png: Buffer): string {
    const id = randomBytes(12).toString("base64url");
    if (this.charts.size >= this.maxCharts) {
      // Map keeps insertion order: the first key is the oldest chart.
      const oldest = this.charts.keys().next().value;
      if (oldest !== undefined) this.charts.delete(oldest);
    }
    this.charts.set(id, { png, expires: Date.now() + this.ttlMs });
    return id;
  }

  get(id: string): Buffer | undefined {
    const c = this.charts.get(id);
    if (!c) return undefined;
    if (c.expires < Date.now()) {
      this.charts.delete(id);
      return undefined;
    }
    return c.png;
  }
}
