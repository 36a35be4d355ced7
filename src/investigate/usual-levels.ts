/**
 * The usual levels behind a first look, kept for the hour they describe. They are read as hourly
 * points over the previous days and end at the last whole hour before the look's window, so every
 * look within that hour asks Prometheus the same question: the first one reads it, the others (and
 * the looks that arrive while it is being read) share the answer. The read runs under its own
 * deadline, not a caller's: a look that gives up at its deadline leaves the read to finish for the
 * next one, which is what a busy Prometheus needs. Per host, the baselines are fitted once per hour.
 */
import type { FeatureWindow } from "../anomaly/feature-fetch.js";
import { baselinesOf, type FeatureBaseline, liveRows } from "../anomaly/host-detector.js";

/** Fewest hours of history behind a host's baseline; below it the host is not scored. */
export const MIN_BASELINE_HOURS = 12;
/** A shared read gives up after this long (a caller's own deadline is usually shorter). */
const READ_TIMEOUT_MS = 60_000;
/** Environments kept at once (one hour each). */
const MAX_ENTRIES = 16;

export interface HostBaselines {
  baselines?: FeatureBaseline[];
  /** Hours of history behind the baselines. */
  historyHours: number;
}

interface Entry {
  end: number;
  window: Promise<FeatureWindow>;
  hosts: Map<string, HostBaselines>;
}

export class UsualLevels {
  private readonly entries = new Map<string, Entry>();

  /**
   * The window ending at `end` for `key` (environment and Prometheus address), read by `read` once
   * per hour. `signal` ends this caller's wait, never the shared read.
   */
  async window(
    key: string,
    end: number,
    read: (signal: AbortSignal) => Promise<FeatureWindow>,
    signal?: AbortSignal,
  ): Promise<FeatureWindow> {
    let entry = this.entries.get(key);
    if (!entry || entry.end !== end) {
      const window = read(AbortSignal.timeout(READ_TIMEOUT_MS));
      const fresh: Entry = { end, window, hosts: new Map() };
      entry = fresh;
      this.entries.delete(key);
      this.entries.set(key, fresh);
      while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
      // A failed read is not kept: the next look asks again.
      window.catch(() => {
        if (this.entries.get(key) === fresh) this.entries.delete(key);
      });
    }
    return signal ? abortable(entry.window, signal) : entry.window;
  }

  /** A host's baselines from the window `window(key, end)` returned, fitted once per hour. */
  baselines(key: string, end: number, window: FeatureWindow, instance: string): HostBaselines {
    const entry = this.entries.get(key);
    const cached = entry?.end === end ? entry.hosts.get(instance) : undefined;
    if (cached) return cached;
    const fitted = fitHost(window, instance);
    if (entry?.end === end) entry.hosts.set(instance, fitted);
    return fitted;
  }
}

function fitHost(window: FeatureWindow, instance: string): HostBaselines {
  const past = window.hosts.get(instance);
  if (!past) return { historyHours: 0 };
  const live = liveRows(past, window.times);
  const historyHours = ((live.series[0]?.length ?? 0) * window.step) / 3600;
  if (historyHours < MIN_BASELINE_HOURS) return { historyHours };
  return { baselines: baselinesOf(live.series, live.times), historyHours };
}

/** Waits for `p` until `signal` aborts (then rejects with its reason); `p` itself runs on. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
