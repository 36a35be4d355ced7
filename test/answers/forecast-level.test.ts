/**
 * A level forecast (cpu, load…) for a host already past the warning level says so first, and keeps
 * a share's interval within 0–100%. Against a fake Prometheus HTTP API that answers query_range with
 * two days of CPU near 40% and the last two hours at 90%.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnswerContext } from "../../src/assistant/answers/context.js";
import { answerForecast } from "../../src/assistant/answers/forecast.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { plainText } from "../../src/reply/reply.js";

const NOW = 1_764_500_000;
let server: Server;
let client: PrometheusClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const step = Number(url.searchParams.get("step") ?? 900);
    const end = Number(url.searchParams.get("end") ?? NOW);
    const values: Array<[number, string]> = [];
    for (let t = end - 2 * 86_400; t <= end; t += step) {
      const hot = t > end - 2 * 3600;
      const level = hot ? 90 : 40 + 5 * Math.sin((2 * Math.PI * t) / 86_400) + ((t / step) % 3);
      values.push([t, level.toFixed(2)]);
    }
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        status: "success",
        data: { resultType: "matrix", result: [{ metric: { instance: "hot-1:9100" }, values }] },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  client = new PrometheusClient({
    environment: "default",
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    timeoutMs: 5000,
    retries: 0,
    cacheTtlMs: 0,
  });
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe("level forecast", () => {
  it("names the host already above the warning level and keeps the interval within 0-100%", async () => {
    const ctx: AnswerContext = {
      environment: "default",
      showEnvironment: false,
      client,
      hosts: [{ name: "hot-1", instances: ["hot-1:9100"] }],
      now: NOW,
      signal: AbortSignal.timeout(30_000),
      renderChart: renderLineChart,
    };
    const r = await answerForecast(ctx, { kind: "forecast", resource: "cpu", horizonSeconds: 86_400 });
    expect(r.title).toMatch(/hot-1 already at 90\.0%, above the warning level/);
    expect(r.tone).toBe("warning");
    const text = plainText(r.text);
    expect(text).not.toMatch(/Not expected to reach the warning level/);
    for (const m of text.matchAll(/interval ([\d.]+)%–([\d.]+)%/g)) {
      expect(Number(m[1])).toBeGreaterThanOrEqual(0);
      expect(Number(m[2])).toBeLessThanOrEqual(100);
    }
  });
});
