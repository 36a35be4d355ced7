/**
 * The tools read data, never rendered text: get_alerts reads the open alert groups the alert service
 * returns, render_chart asks the engine's chart seam for a catalogue query. promql_query sends
 * Prometheus only what the PromQL guard passed, and counts the series before the data query.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OpenAlertGroup } from "../../src/alerts/alert-list.js";
import type { ChartRequest } from "../../src/assistant/engine.js";
import { runTool, type ToolContext } from "../../src/assistant/llm/tools.js";
import { loadConfig } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
import { checkPromql } from "../../src/metrics/promql-guard.js";
import type { ReplyChart } from "../../src/reply/reply.js";

const T = Date.UTC(2026, 2, 10, 12, 0, 0);

function context(parts: Partial<ToolContext>, prometheusUrl = "http://127.0.0.1:9"): ToolContext {
  const config = loadConfig({ PROMETHEUS_URL: prometheusUrl, PROMETHEUS_CACHE_TTL_MS: "0" });
  return {
    environments: new Environments({ environments: config.environments, ...config.prometheus }),
    now: () => T,
    signal: AbortSignal.timeout(5000),
    ...parts,
  };
}

describe("get_alerts", () => {
  it("returns the open groups as fields, with who acknowledged by name", async () => {
    const groups: OpenAlertGroup[] = [
      {
        id: "3fa2c19b",
        name: "HighCpu",
        instance: "web-1:9100",
        firing: 1,
        since: T - 3_600_000,
        severity: "critical",
        environment: "prod",
        ack: { by: { platform: "slack", id: "U0ANA", name: "Ana" }, at: T - 60_000 },
      },
      {
        id: "00ff00ff",
        name: "DiskFull",
        firing: 3,
        since: T,
        severity: "warning",
        silencedUntil: T + 7_200_000,
      },
    ];
    const r = await runTool("get_alerts", {}, context({ openAlerts: async () => groups }));
    expect(r).toEqual({
      status: "success",
      data: {
        count: 2,
        alerts: [
          {
            id: "3fa2c19b",
            name: "HighCpu",
            instance: "web-1:9100",
            firing: 1,
            since: "2026-03-10T11:00:00.000Z",
            severity: "critical",
            environment: "prod",
            acknowledgedBy: "Ana",
            acknowledgedAt: "2026-03-10T11:59:00.000Z",
          },
          {
            id: "00ff00ff",
            name: "DiskFull",
            firing: 3,
            since: "2026-03-10T12:00:00.000Z",
            severity: "warning",
            silencedUntil: "2026-03-10T14:00:00.000Z",
          },
        ],
      },
    });
  });

  it("says nothing is firing when nothing is, or when alerts are not handled here", async () => {
    expect(await runTool("get_alerts", {}, context({ openAlerts: async () => [] }))).toEqual({
      status: "no_data",
      data: { note: "nothing is firing" },
    });
    expect((await runTool("get_alerts", {}, context({}))).status).toBe("no_data");
  });
});

describe("render_chart", () => {
  const chart: ReplyChart = {
    title: "CPU on web-2 — last 6h",
    alt: "CPU of web-2",
    png: Buffer.from("x"),
    width: 1,
    height: 1,
  };

  it("asks the chart seam for the metric's catalogue query and attaches what it draws", async () => {
    const asked: ChartRequest[] = [];
    const attached: ReplyChart[] = [];
    const ctx = context({
      charts: {
        chart: async (request) => {
          asked.push(request);
          return chart;
        },
      },
      attach: (c) => void attached.push(c),
    });
    const r = await runTool(
      "render_chart",
      { metric: "iowait", host: "web-2", range: "6h", environment: "prod" },
      ctx,
    );
    expect(asked).toEqual([
      { query: "cpu_iowait_percent", host: "web-2", rangeSeconds: 21_600, environment: "prod" },
    ]);
    expect(r).toEqual({ status: "success", data: { attached: chart.title, shows: chart.alt } });
    expect(attached).toEqual([chart]);
  });

  it("says when there is nothing to chart, or no charts here", async () => {
    const none = context({ charts: { chart: async () => undefined } });
    expect((await runTool("render_chart", { metric: "cpu", range: "1h" }, none)).status).toBe("no_data");
    expect((await runTool("render_chart", { metric: "cpu", range: "1h" }, context({}))).status).toBe(
      "no_data",
    );
  });
});

/** A Prometheus that records every query it is asked and answers counts with `seriesCount`. */
interface Recorded {
  path: string;
  query: string;
  step?: string;
}
let prometheus: Server;
let prometheusUrl = "";
const asked: Recorded[] = [];
let seriesCount: number | "fail" = 3;

beforeAll(async () => {
  prometheus = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const params = new URLSearchParams(body || url.search);
      const query = params.get("query") ?? "";
      asked.push({
        path: url.pathname,
        query,
        ...(params.get("step") ? { step: params.get("step") as string } : {}),
      });
      res.setHeader("content-type", "application/json");
      if (query.startsWith("(count(")) {
        if (seriesCount === "fail") {
          res.statusCode = 422;
          res.end(JSON.stringify({ status: "error", errorType: "execution", error: "query timed out" }));
          return;
        }
        res.end(
          JSON.stringify({
            status: "success",
            data: { resultType: "vector", result: [{ metric: {}, value: [1, String(seriesCount)] }] },
          }),
        );
        return;
      }
      const metric = { __name__: "up", instance: "web-1:9100" };
      res.end(
        JSON.stringify(
          url.pathname === "/api/v1/query_range"
            ? {
                status: "success",
                data: {
                  resultType: "matrix",
                  result: [
                    {
                      metric,
                      values: [
                        [1, "1"],
                        [2, "1"],
                      ],
                    },
                  ],
                },
              }
            : { status: "success", data: { resultType: "vector", result: [{ metric, value: [1, "1"] }] } },
        ),
      );
    });
  });
  await new Promise<void>((r) => prometheus.listen(0, "127.0.0.1", r));
  prometheusUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
});
afterAll(async () => {
  prometheus?.closeAllConnections();
  await new Promise((r) => prometheus?.close(r));
});
beforeEach(() => {
  asked.length = 0;
  seriesCount = 3;
});

describe("promql_query", () => {
  const promql = (args: Record<string, unknown>, parts: Partial<ToolContext> = {}) =>
    runTool("promql_query", args, context(parts, prometheusUrl));

  it.each([
    ['max_over_time(rate({__name__=~".+"}[1m])[7d:1s])', /finer than the 15s allowed.*regex on __name__/],
    ['{__name__=~".+"}[52w]', /\[52w\] is longer than the 7d allowed.*regex on __name__/],
  ])("refuses the probe %s before anything reaches Prometheus", async (query, why) => {
    const r = await promql({ query });
    expect(r.status).toBe("error");
    expect(r.error).toMatch(/^refused before reaching Prometheus: /);
    expect(r.error).toMatch(why);
    expect(asked).toEqual([]);
  });

  it.each(["{}", '{job=~".*"}', 'sum(rate({job="node"}[5m]))', "up[1h*2]", 'up{job="node'])(
    "refuses %s with a reason, asking Prometheus nothing",
    async (query) => {
      const r = await promql({ query });
      expect(r).toMatchObject({ status: "error", error: expect.stringMatching(/^refused before reaching/) });
      expect(asked).toEqual([]);
    },
  );

  it("counts the series first, then runs the query", async () => {
    const r = await promql({
      query: 'sum by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) / up',
    });
    expect(r.status).toBe("success");
    expect(asked.map((a) => [a.path, a.query])).toEqual([
      [
        "/api/v1/query",
        '(count(node_cpu_seconds_total{mode="idle"}) or vector(0)) + (count(up) or vector(0))',
      ],
      ["/api/v1/query", 'sum by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) / up'],
    ]);
  });

  it("refuses a query whose selectors match more series than allowed, before the data query", async () => {
    seriesCount = 40_000;
    const r = await promql({ query: "container_memory_working_set_bytes" });
    expect(r).toEqual({
      status: "error",
      error: expect.stringContaining("match 40000 series, more than the 10000 allowed (PROMQL_MAX_SERIES)"),
    });
    expect(asked.map((a) => a.query)).toEqual(["(count(container_memory_working_set_bytes) or vector(0))"]);
  });

  it("honours the operator's series limit, and refuses when the count fails", async () => {
    seriesCount = 3;
    const limits = { maxRangeSeconds: 86400, minStepSeconds: 60, maxSeries: 2 };
    expect((await promql({ query: "up" }, { promql: limits })).error).toContain("more than the 2 allowed");
    seriesCount = "fail";
    expect((await promql({ query: "up" })).error).toMatch(
      /^refused before reaching Prometheus: counting its series failed/,
    );
    expect(asked.map((a) => a.query)).toEqual(["(count(up) or vector(0))", "(count(up) or vector(0))"]);
  });

  it("runs a query without selectors with no count", async () => {
    expect((await promql({ query: "vector(1)" })).status).toBe("success");
    expect(asked.map((a) => a.query)).toEqual(["vector(1)"]);
  });

  it("bounds a range by the operator's limits: range, step, and the finer extremes query", async () => {
    const limits = { maxRangeSeconds: 86400, minStepSeconds: 60, maxSeries: 10_000 };
    const over = await promql({ query: "up", range: "2d" }, { promql: limits });
    expect(over.error).toContain("a range of 2d is longer than the 1d allowed (PROMQL_MAX_RANGE)");
    expect(asked).toEqual([]);

    const r = await promql({ query: "rate(node_load1[5m])", range: "1d" }, { promql: limits });
    expect(r.status).toBe("success");
    const ranges = asked.filter((a) => a.path === "/api/v1/query_range");
    expect(ranges.length).toBeGreaterThanOrEqual(1);
    for (const a of ranges) {
      expect(Number(a.step)).toBeGreaterThanOrEqual(60);
      // Everything sent passed the guard, the extremes query built around the expression included.
      expect(checkPromql(a.query, limits, { rangeSeconds: 86400 }).ok).toBe(true);
    }
  });

  it("refuses a week at the default limits only where the guard would (a 7d range is fine)", async () => {
    const r = await promql({ query: "up", range: "7d" });
    expect(r.status).toBe("success");
    expect((await promql({ query: "up", range: "8d" })).error).toContain("longer than the 7d allowed");
  });
});

describe("query_metric", () => {
  it("keeps to the operator's PROMQL_MAX_RANGE", async () => {
    const limits = { maxRangeSeconds: 3600, minStepSeconds: 15, maxSeries: 10_000 };
    const r = await runTool(
      "query_metric",
      { metric: "cpu", range: "6h" },
      context({ promql: limits }, prometheusUrl),
    );
    expect(r.error).toContain("a range of 6h is longer than the 1h allowed (PROMQL_MAX_RANGE)");
    expect(asked).toEqual([]);
  });
});
