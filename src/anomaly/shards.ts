/**
 * Shards of an environment's fleet: anomaly scans and training run as one job per shard, so any
 * number of workers share a large fleet and a worker's death costs one shard's retry, not the scan.
 *
 * A host belongs to shard `fnv1a(instance) mod count`: stable across processes and runs, and
 * computable for a host no longer reporting, so the shard that owns a vanished host is the one that
 * ends its open episode (no shard ever ends an episode of a host it was not given).
 *
 * A shard reads its own hosts only: every selector of the feature queries gets an `instance=~"a|b|…"`
 * matcher. Prometheus then reads only the shard's series (a literal alternation is matched as a set
 * in the index), so the evaluation cost is split between shards instead of repeated by each; the
 * queries are sent as POST bodies, so a regex of 500 instances (~10 KB) is no URL problem.
 * Fetching once per scan and handing each shard its part was the alternative; it keeps the whole
 * fleet's window in one process and makes the fetching job the one whose death costs the scan,
 * and it cannot serve training (a week of 10,000 hosts is ~1.5 GB of float32). Measured with
 * `npm run bench -- shards` (BENCHMARKS.md): a 10,000-host scan window is the same ~290 MB either
 * way (476 queries instead of 36), and on a real Prometheus of 2,000 hosts the five shards' reads took
 * 8.8 s against 9.1 s for the whole fleet at once.
 */
import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import type { PrometheusClient } from "../metrics/prometheus-client.js";
import { escapeRegexValue } from "../metrics/promql.js";

/** Hosts per shard that "auto" aims for: a shard's week of history stays near the scale bench's fleet. */
export const HOSTS_PER_SHARD = 400;
/** Most shards "auto" makes (and ANOMALY_SHARDS accepts). */
export const MAX_SHARDS = 256;

/** 32-bit FNV-1a of the instance label's UTF-8 bytes. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The shard (0 … count − 1) a host belongs to. */
export function shardOf(instance: string, count: number): number {
  return count <= 1 ? 0 : fnv1a(instance) % count;
}

/** The number of shards for a fleet: the configured number, or one per ~HOSTS_PER_SHARD hosts. */
export function shardCount(setting: number | "auto", fleetSize: number): number {
  if (setting !== "auto") return Math.max(1, Math.min(MAX_SHARDS, Math.floor(setting)));
  return Math.max(1, Math.min(MAX_SHARDS, Math.ceil(fleetSize / HOSTS_PER_SHARD)));
}

/**
 * The fleet split into `count` shards. A shard without hosts is kept: it still owns the hosts that
 * hash to it, and ends their episodes once they are gone.
 */
export function splitFleet(
  instances: Iterable<string>,
  count: number,
): { index: number; instances: string[] }[] {
  const shards = Array.from({ length: count }, () => [] as string[]);
  for (const instance of new Set(instances)) shards[shardOf(instance, count)]?.push(instance);
  return shards.map((list, index) => ({ index, instances: list.sort() }));
}

/**
 * Metrics whose series name the fleet's hosts (one series per host each, so the answer is small):
 * a host that reports neither is not in any shard.
 */
const FLEET_SELECTORS = ["node_load1", "node_memory_MemTotal_bytes"];

/**
 * The hosts with data between `start` and `end` (seconds), read from the series index (no samples
 * are read). Prometheus answers at block granularity, so a host gone a little earlier may be listed:
 * its shard reads no data for it and scores nothing.
 */
export async function listFleet(
  client: PrometheusClient,
  range: { start: number; end: number },
  signal?: AbortSignal,
): Promise<string[]> {
  const series = await client.series(FLEET_SELECTORS, range, { signal, timeoutMs: 60_000 });
  const out = new Set<string>();
  for (const labels of series) if (labels.instance) out.add(labels.instance);
  return [...out].sort();
}

/** `query` with `instance=~"<one of instances>"` added to every vector selector. */
export function withInstanceFilter(query: string, instances: readonly string[]): string {
  const matcher = `instance=~"${instances.map(escapeRegexValue).join("|")}"`;
  const edits: { at: number; text: string }[] = [];
  const cursor = parser.parse(query).cursor();
  do {
    if (cursor.name !== "VectorSelector") continue;
    const node: SyntaxNode = cursor.node;
    const matchers = node.getChild("LabelMatchers");
    if (matchers) {
      const inside = query.slice(matchers.from + 1, matchers.to - 1).trim();
      edits.push({ at: matchers.from + 1, text: inside === "" ? matcher : `${matcher},` });
    } else {
      edits.push({ at: node.to, text: `{${matcher}}` });
    }
  } while (cursor.next());
  let out = query;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.at);
  return out;
}

/**
 * The client, reading only the given hosts: range queries go out with the instance filter; the rest
 * (its environment, URL, retries and authentication) is the client's own.
 */
export function shardClient(client: PrometheusClient, instances: readonly string[]): PrometheusClient {
  const filtered = Object.create(client) as PrometheusClient;
  filtered.range = (query, range, options) =>
    client.range(withInstanceFilter(query, instances), range, options);
  return filtered;
}
