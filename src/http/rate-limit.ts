/** A per-client fixed-window limit, in memory: enough to stop a runaway script hammering Prometheus. */

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** `perMinute` 0 disables the limit. */
  constructor(private readonly perMinute: number) {}

  /** True when the client may proceed. */
  allow(client: string, now = Date.now()): boolean {
    if (this.perMinute <= 0) return true;
    const w = this.windows.get(client);
    if (!w || now - w.start >= 60_000) {
      if (this.windows.size > 10_000) this.prune(now);
      this.windows.set(client, { start: now, count: 1 });
      return true;
    }
    w.count++;
    return w.count <= this.perMinute;
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
  }
}
