/**
 * The LLM's tool calls: a model (or a prompt injection steering it) can send any arguments to any
 * tool. `runTool` must answer every call with a result the model reads — never an exception — under
 * the result budget; what reaches Prometheus must be PromQL that parses, with the caller's text kept
 * inside label strings. Prometheus here is a recording fake that answers with data, or with an
 * error, so both paths of every tool run.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parser } from "@prometheus-io/lezer-promql";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RESULT_BUDGET, runTool, TOOLS, type ToolContext } from "../../src/assistant/llm/tools.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
import { checkAsync, hostileJson, hostileText } from "./fuzz.js";

interface Recorded {
  path: string;
  query?: string;
}

let server: Server;
let url = "";
const recorded: Recorded[] = [];
let served = 0;

/** Answers like Prometheus: a vector, a matrix, label values; every third request a bad_data error. */
function startRecordingPrometheus(): Promise<void> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const u = new URL(req.url ?? "/", "http://x");
      const params = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const query = params.get("query") ?? u.searchParams.get("query") ?? undefined;
      recorded.push({ path: u.pathname, ...(query !== undefined ? { query } : {}) });
      res.setHeader("content-type", "application/json");
      if (++served % 3 === 0) {
        res.statusCode = 400;
        res.end(JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error: unexpected" }));
        return;
      }
      const metric = { __name__: "x", instance: "web-1:9100", job: "node" };
      const t = 1_700_000_000;
      let data: unknown;
      if (u.pathname.endsWith("/query_range"))
        data = {
          resultType: "matrix",
          result: [
            {
              metric,
              values: [
                [t, "1"],
                [t + 15, "NaN"],
                [t + 30, "+Inf"],
              ],
            },
          ],
        };
      else if (u.pathname.endsWith("/query"))
        data = { resultType: "vector", result: [{ metric, value: [t, "0"] }] };
      else if (u.pathname.includes("/label/")) data = ["web-1:9100", "db-1:9100"];
      else if (u.pathname.endsWith("/series")) data = [metric];
      else data = {};
      res.end(JSON.stringify({ status: "success", data }));
    });
  });
  return new Promise((r) =>
    server.listen(0, "127.0.0.1", () => {
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      r();
    }),
  );
}

let environments: Environments;

beforeAll(async () => {
  await startRecordingPrometheus();
  environments = new Environments(
    prometheusSettings(
      loadConfig({
        PROMETHEUS_ENVIRONMENTS: `prod=${url},staging=${url}`,
        PROMETHEUS_RETRIES: "0",
        PROMETHEUS_TIMEOUT_MS: "5000",
        PROMETHEUS_CACHE_TTL_MS: "0",
        LOG_LEVEL: "silent",
      }),
    ),
  );
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  recorded.length = 0;
});

function context(): ToolContext {
  return {
    environments,
    now: () => Date.UTC(2026, 2, 10, 12),
    signal: AbortSignal.timeout(30_000),
    grafanaUrl: "http://grafana.example:3000/",
    openAlerts: async () => [],
    charts: { chart: async () => undefined },
  };
}

/** Syntax errors the PromQL grammar finds in `expr` (Prometheus' own grammar, from lezer-promql). */
function promqlErrors(expr: string): number {
  let errors = 0;
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors++;
    },
  });
  return errors;
}

const TOOL_NAMES = TOOLS.map((t) => t.spec.name);
const METRICS = ["cpu", "memory", "disk", "load", "network_rx", "tcp", "uptime", "container_cpu"];

/** A value for one argument: the kind the schema wants, a near miss, or anything at all. */
const argValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(...METRICS, "web-1", "db-1:9100", "[::1]", "prod", "staging", "system"),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom("30m", "6h", "7d", "8d", "9999d", "0m", "1h30m", "-1h", "1e3h", "6H", " 6h"),
  },
  { weight: 2, arbitrary: hostileText(6) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'up{job="node"}',
      "rate(node_cpu_seconds_total[5m])",
      '{__name__=~".+"}',
      '{__name__=~".+"}[52w]',
      'max_over_time(rate({__name__=~".+"}[1m])[7d:1s])',
      'count({__name__!=""})',
      "up offset 52w",
      "vector(1) or on() vector(2)",
      "/api/v1/admin/tsdb/delete_series",
      "sum by (instance)(rate(x[5m]))",
    ),
  },
  { weight: 1, arbitrary: hostileJson(2) },
);
const argKey = fc.constantFrom(
  "metric",
  "host",
  "environment",
  "range",
  "query",
  "dashboard",
  "extra",
  "__proto__",
);
const args = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(argKey, argValue, { maxKeys: 5 }) },
  { weight: 1, arbitrary: hostileJson(3) },
);
const toolName = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...TOOL_NAMES) },
  { weight: 1, arbitrary: fc.oneof(hostileText(3), fc.constantFrom("__proto__", "toString", "constructor")) },
);

describe("runTool with arbitrary arguments", () => {
  it("answers every call with a result under the budget, and throws nothing", async () => {
    await checkAsync(
      fc.asyncProperty(toolName, args, async (name, a) => {
        const r = await runTool(name, a, context());
        expect(["success", "error", "no_data"]).toContain(r.status);
        // The budget plus the envelope withinBudget keeps ("status", "data", "truncated").
        expect(JSON.stringify(r).length).toBeLessThanOrEqual(RESULT_BUDGET + 100);
        if (r.status === "error") expect(r.error?.length ?? 0).toBeLessThanOrEqual(600);
      }),
      250,
    );
  });

  it("builds only PromQL that parses from the named-metric tools, whatever the host or environment", async () => {
    const named = fc.record({
      name: fc.constantFrom("query_metric", "render_chart", "list_targets"),
      metric: fc.constantFrom(...METRICS),
      host: fc.oneof(fc.constant(undefined), fc.stringMatching(/^[A-Za-z0-9_.:[\]-]{1,30}$/), hostileText(3)),
      range: fc.constantFrom(undefined, "30m", "6h", "7d"),
    });
    await checkAsync(
      fc.asyncProperty(named, async ({ name, ...a }) => {
        recorded.length = 0;
        const call = Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined));
        await runTool(name, call, context());
        for (const r of recorded) if (r.query !== undefined) expect(promqlErrors(r.query), r.query).toBe(0);
      }),
      120,
    );
  });

  it("sends Prometheus nothing from promql_query that does not parse as PromQL", async () => {
    // The issue: a parser-based check before anything reaches Prometheus, not a text deny-list.
    await checkAsync(
      fc.asyncProperty(
        fc.oneof(
          argValue.filter((v): v is string => typeof v === "string" && v.length > 0),
          hostileText(8),
        ),
        fc.constantFrom(undefined, "1h", "7d"),
        async (query, range) => {
          recorded.length = 0;
          const r = await runTool(
            "promql_query",
            { query: query.slice(0, 2000), ...(range ? { range } : {}) },
            context(),
          );
          expect(["success", "error", "no_data"]).toContain(r.status);
          for (const rec of recorded)
            if (rec.query !== undefined) expect(promqlErrors(rec.query), `sent: ${rec.query}`).toBe(0);
        },
      ),
      150,
    );
  });
});
