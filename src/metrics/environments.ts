/**
 * The Prometheus endpoints the bot knows, by environment name (prod, staging, ...), and the hosts
 * each one monitors. Host lists are discovered from Prometheus and cached briefly.
 */
import type { BotMetrics } from "../observability/bot-metrics.js";
import { type PrometheusAuth, PrometheusClient } from "./prometheus-client.js";
import { hostOfInstance } from "./promql.js";

/** One monitored host: its display name and the instance labels it has (one per exporter port). */
export interface Host {
  name: string;
  instances: string[];
}

const HOST_CACHE_MS = 30_000;

/** What the environments need of the configuration: the endpoints, and how to call them. */
export interface EnvironmentSettings {
  /** Ordered; the first is the default environment. */
  environments: readonly { name: string; url: string; auth?: PrometheusAuth | undefined }[];
  timeoutMs: number;
  retries: number;
  cacheTtlMs: number;
}

export class Environments {
  private readonly clients = new Map<string, PrometheusClient>();
  private readonly hostCache = new Map<string, { expires: number; hosts: Promise<Host[]> }>();
  readonly defaultName: string;

  constructor(settings: EnvironmentSettings, metrics?: BotMetrics) {
    for (const env of settings.environments) {
      this.clients.set(
        env.name,
        new PrometheusClient({
          environment: env.name,
          baseUrl: env.url,
          ...(env.auth ? { auth: env.auth } : {}),
          timeoutMs: settings.timeoutMs,
          retries: settings.retries,
          cacheTtlMs: settings.cacheTtlMs,
          metrics,
        }),
      );
    }
    const first = settings.environments[0];
    if (!first) throw new Error("at least one Prometheus environment is required");
    this.defaultName = first.name;
  }

  names(): string[] {
    return [...this.clients.keys()];
  }

  /** The client for `name` (default environment when omitted); undefined for an unknown name. */
  get(name?: string): PrometheusClient | undefined {
    return this.clients.get(name ?? this.defaultName);
  }

  /**
   * Hosts of an environment, from the `instance` label of node_exporter's series (falling back to
   * `up`, so a machine without node_exporter still shows up by name).
   */
  hosts(name: string, signal?: AbortSignal): Promise<Host[]> {
    const cached = this.hostCache.get(name);
    if (cached && cached.expires > Date.now()) return cached.hosts;
    const client = this.get(name);
    if (!client) return Promise.resolve([]);
    const hosts = client
      .labelValues("instance", ["up"], signal ? { signal } : {})
      .then(groupByHost)
      .catch((e: unknown) => {
        this.hostCache.delete(name);
        throw e;
      });
    this.hostCache.set(name, { expires: Date.now() + HOST_CACHE_MS, hosts });
    return hosts;
  }
}

function groupByHost(instances: string[]): Host[] {
  const map = new Map<string, string[]>();
  for (const inst of instances) {
    const host = hostOfInstance(inst);
    const list = map.get(host);
    if (list) list.push(inst);
    else map.set(host, [inst]);
  }
  return [...map.entries()]
    .map(([name, insts]) => ({ name, instances: insts.sort() }))
    .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
}
