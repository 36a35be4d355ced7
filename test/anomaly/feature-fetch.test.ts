/**
 * How the feature fetch splits a window into range queries, against a server speaking Prometheus's
 * range API for a fleet of any size: never per host, answers bounded for a large fleet, one answer per
 * feature for a small one.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fetchFeatures } from "../../src/anomaly/feature-fetch.js";
import { FEATURES } from "../../src/anomaly/features.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";

interface FleetServer {
  url: string;
  /** Points (series × steps) of each answer, in order. */
  answers: number[];
  inFlight: { now: number; max: number };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/**
 * Answers every range query with `hosts` series, value = host index, over the asked range; queries
 * matching `missing` get no series.
 */
async function fleetServer(hosts: number, missing?: RegExp): Promise<FleetServer> {
  const state: FleetServer = { url: "", answers: [], inFlight: { now: 0, max: 0 } };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const q = new URLSearchParams(body);
      const start = Number(q.get("start"));
      const end = Number(q.get("end"));
      const step = Number(q.get("step"));
      const steps = Math.round((end - start) / step) + 1;
      state.answers.push(hosts * steps);
      state.inFlight.now++;
      state.inFlight.max = Math.max(state.inFlight.max, state.inFlight.now);
      const result = Array.from({ length: missing?.test(q.get("query") ?? "") ? 0 : hosts }, (_, h) => ({
        metric: { instance: `h${h}:9100` },
        values: Array.from({ length: steps }, (_, i) => [start + i * step, String(h)]),
      }));
      // Answer later, so concurrent queries overlap at the server.
      setTimeout(() => {
        state.inFlight.now--;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ status: "success", data: { resultType: "matrix", result } }));
      }, 5);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

const client = (url: string) =>
  new PrometheusClient({ environment: "test", baseUrl: url, timeoutMs: 10_000, retries: 0, cacheTtlMs: 0 });
const END = 1_768_435_200;
const WEEK = { start: END - 7 * 86400, end: END, step: 300 };

describe("fetchFeatures", () => {
  it("reads a large fleet's day in bounded answers, two at a time, and fills every point", async () => {
    const prom = await fleetServer(1000);
    const w = await fetchFeatures(client(prom.url), { start: END - 86400, end: END, step: 300 });
    // 289 steps: the first feature's newest 48, then 48-step chunks (1,000 hosts × 48 = 48,000 points).
    expect(w.queries).toBe(1 + Math.ceil((289 - 48) / 48) + (FEATURES.length - 1) * Math.ceil(289 / 48));
    expect(prom.answers).toHaveLength(w.queries);
    expect(Math.max(...prom.answers)).toBeLessThanOrEqual(48_000);
    expect(prom.inFlight.max).toBe(2);
    expect(w.hosts.size).toBe(1000);
    const host = w.hosts.get("h7:9100");
    for (const column of host ?? []) {
      expect(column).toHaveLength(289);
      expect(column.every((v) => v === 7)).toBe(true);
    }
  });

  it("reads a small fleet's week in one answer per feature, and a scan window in 18", async () => {
    const prom = await fleetServer(4);
    const week = await fetchFeatures(client(prom.url), WEEK);
    expect(week.queries).toBe(FEATURES.length + 1);
    expect(prom.inFlight.max).toBeGreaterThan(2);
    const scan = await fetchFeatures(client(prom.url), { start: END - 900, end: END, step: 60 });
    expect(scan.queries).toBe(FEATURES.length);
    expect([...scan.hosts.keys()].sort()).toEqual(["h0:9100", "h1:9100", "h2:9100", "h3:9100"]);
  });

  it("plans bounded chunks when no host answers the first feature (the fleet's size is unknown)", async () => {
    const prom = await fleetServer(4, /mode="user"/);
    const w = await fetchFeatures(client(prom.url), { start: END - 86400, end: END, step: 300 });
    expect(w.queries).toBe(1 + Math.ceil((289 - 48) / 48) + (FEATURES.length - 1) * Math.ceil(289 / 48));
    expect(prom.inFlight.max).toBe(2);
    expect(w.hosts.size).toBe(4);
    expect(w.hosts.get("h2:9100")?.[0]?.every((v) => Number.isNaN(v))).toBe(true);
    expect(w.hosts.get("h2:9100")?.[1]?.every((v) => v === 2)).toBe(true);
  });
});
