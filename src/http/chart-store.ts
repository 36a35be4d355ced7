/**
 * Chart PNGs kept for a while so replies can reference them by URL. Bounded by count and age: an old
 * chart simply expires (the reply still carries its alt text). With Redis behind it, every chart is
 * also written there under the same id, so the replica Teams (or a browser) happens to reach serves
 * a chart another replica drew.
 */
import { randomBytes } from "node:crypto";

interface Stored {
  png: Buffer;
  expires: number;
}

/** What the store needs of Redis (ioredis' Redis or Cluster). */
export interface ChartRedis {
  set(key: string, value: Buffer, px: "PX", ttlMs: number): Promise<unknown>;
  getBuffer(key: string): Promise<Buffer | null>;
}

/** Largest chart shared through Redis (a chart is 20–80 KB; anything far above is not ours). */
const MAX_SHARED_BYTES = 2 * 2 ** 20;

export class ChartStore {
  private readonly charts = new Map<string, Stored>();

  constructor(
    private readonly maxCharts = 500,
    private readonly ttlMs = 30 * 60_000,
    private readonly shared?: { redis: ChartRedis; prefix: string; onError?: (e: unknown) => void },
  ) {}

  /** Stores a PNG and returns its id (written to Redis in the background when shared). */
  put(png: Buffer): string {
    const id = randomBytes(12).toString("base64url");
    if (this.charts.size >= this.maxCharts) {
      // Map keeps insertion order: the first key is the oldest chart.
      const oldest = this.charts.keys().next().value;
      if (oldest !== undefined) this.charts.delete(oldest);
    }
    this.charts.set(id, { png, expires: Date.now() + this.ttlMs });
    if (this.shared && png.byteLength <= MAX_SHARED_BYTES)
      this.shared.redis
        .set(`${this.shared.prefix}:${id}`, png, "PX", this.ttlMs)
        .catch((e: unknown) => this.shared?.onError?.(e));
    return id;
  }

  async get(id: string): Promise<Buffer | undefined> {
    const c = this.charts.get(id);
    if (c && c.expires >= Date.now()) return c.png;
    if (c) this.charts.delete(id);
    if (!this.shared) return undefined;
    const png = await this.shared.redis.getBuffer(`${this.shared.prefix}:${id}`);
    // Only a PNG is served from there, whatever else the key may hold.
    return png && png.subarray(1, 4).toString("latin1") === "PNG" ? png : undefined;
  }
}
