/**
 * A simulated Prometheus for the shards bench: an HTTP server that speaks the real API at its wire
 * (POST /api/v1/query_range and /api/v1/series with form bodies, /api/v1/query) for HOSTS generated
 * hosts, so 10,000 hosts need no backfill. Each of the 18 feature queries (with or without a shard's
 * `instance=~"…"` filter) answers a matrix of generated points: daily seasonality and seeded noise,
 * and a CPU user + iowait burst on the first host over the last 10 minutes before END. `count(node_load1)`
 * dates the history (HISTORY seconds before END); anything else answers empty. Runs as a child
 * process (its CPU is the outside world's, not the workers') and prints its URL and request counts.
 *
 * Usage: fake-prometheus HOSTS END HISTORY_SECONDS
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { FEATURES, featureQuery } from "../../src/anomaly/features.js";
import { noise } from "../../test/support/fleet-fixture.js";

const [hostsArg, endArg, historyArg] = process.argv.slice(2);
if (!hostsArg || !endArg || !historyArg) throw new Error("usage: fake-prometheus HOSTS END HISTORY_SECONDS");
const HOSTS = Number(hostsArg);
const END = Number(endArg);
const FIRST = END - Number(historyArg);
const BURST_FROM = END - 600;

export const benchHost = (i: number) => `host-${String(i + 1).padStart(5, "0")}.bench:9100`;
const instances = Array.from({ length: HOSTS }, (_, i) => benchHost(i));
const indexOf = new Map(instances.map((name, i) => [name, i]));

/** Feature queries as the service sends them (5-minute rate window), without any instance filter. */
const byQuery = new Map(FEATURES.map((f, i) => [featureQuery(f, 300), i]));
/** Typical level of each feature (its unit's scale) and how much it moves. */
const LEVELS = FEATURES.map((f) => {
  switch (f.unit) {
    case "percent":
      return [20, 5];
    case "bytes_per_second":
      return [2e6, 5e5];
    case "ratio":
      return [0.5, 0.1];
    default:
      return [200, 40];
  }
});

function value(host: number, feature: number, t: number): number {
  const [level, spread] = LEVELS[feature] as [number, number];
  const day = Math.sin((2 * Math.PI * (t % 86400)) / 86400);
  let v =
    level * (1 + 0.02 * (host % 7)) + 0.5 * spread * day + spread * noise(host, feature, Math.floor(t / 60));
  const name = FEATURES[feature]?.name;
  if (host === 0 && t > BURST_FROM && (name === "cpu_user" || name === "cpu_iowait")) v += 40;
  return Math.max(0, v);
}

/** The instances of a shard's filter (`instance=~"a|b"`, PromQL string and RE2 escapes undone), and the query without it. */
function splitFilter(query: string): { query: string; only?: string[] } {
  const m = /instance=~"((?:[^"\\]|\\.)*)"/.exec(query);
  if (!m) return { query };
  const regex = (m[1] as string).replace(/\\(.)/g, "$1");
  const only = regex.split("|").map((s) => s.replace(/\\(.)/g, "$1"));
  const bare = query
    .replace(/instance=~"(?:[^"\\]|\\.)*",?/g, "")
    .replace(/\{\}/g, "")
    .replace(/,\}/g, "}");
  return { query: bare, only };
}

const counts = { query_range: 0, series: 0, query: 0, bytes: 0 };

function matrix(feature: number, hosts: number[], start: number, end: number, step: number): string {
  const parts: string[] = [];
  const from = Math.max(start, Math.ceil((FIRST - start) / step) * step + start);
  for (const h of hosts) {
    const points: string[] = [];
    for (let t = from; t <= end; t += step) points.push(`[${t},"${value(h, feature, t).toFixed(4)}"]`);
    if (points.length > 0)
      parts.push(`{"metric":{"instance":"${instances[h]}"},"values":[${points.join(",")}]}`);
  }
  return `{"status":"success","data":{"resultType":"matrix","result":[${parts.join(",")}]}}`;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://fake");
    const form = new URLSearchParams(req.method === "POST" ? Buffer.concat(chunks).toString() : url.search);
    let body: string;
    if (url.pathname === "/api/v1/query_range") {
      counts.query_range++;
      const start = Number(form.get("start"));
      const end = Number(form.get("end"));
      const step = Number(form.get("step"));
      const { query, only } = splitFilter(form.get("query") ?? "");
      const feature = byQuery.get(query);
      if (query === "count(node_load1)") {
        const points: string[] = [];
        for (let t = start; t <= end; t += step) if (t >= FIRST) points.push(`[${t},"${HOSTS}"]`);
        body = `{"status":"success","data":{"resultType":"matrix","result":[${points.length > 0 ? `{"metric":{},"values":[${points.join(",")}]}` : ""}]}}`;
      } else if (feature !== undefined) {
        const hosts = only
          ? only.map((i) => indexOf.get(i)).filter((i): i is number => i !== undefined)
          : instances.map((_, i) => i);
        body = matrix(feature, hosts, start, end, step);
      } else {
        body = '{"status":"success","data":{"resultType":"matrix","result":[]}}';
      }
    } else if (url.pathname === "/api/v1/series") {
      counts.series++;
      body = JSON.stringify({
        status: "success",
        data: instances.map((instance) => ({ __name__: "node_load1", instance, job: "node" })),
      });
    } else if (url.pathname === "/api/v1/query") {
      counts.query++;
      body = '{"status":"success","data":{"resultType":"vector","result":[]}}';
    } else if (url.pathname === "/counts") {
      body = JSON.stringify(counts);
    } else {
      res.writeHead(404).end();
      return;
    }
    counts.bytes += Buffer.byteLength(body);
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
});
// Clients keep connections open between reads that are seconds apart.
server.keepAliveTimeout = 120_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
