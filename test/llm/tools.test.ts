/**
 * The tools read data, never rendered text: get_alerts reads the open alert groups the alert service
 * returns, render_chart asks the engine's chart seam for a catalogue query.
 */
import { describe, expect, it } from "vitest";
import type { OpenAlertGroup } from "../../src/alerts/alert-list.js";
import type { ChartRequest } from "../../src/assistant/engine.js";
import { runTool, type ToolContext } from "../../src/assistant/llm/tools.js";
import { loadConfig } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
import type { ReplyChart } from "../../src/reply/reply.js";

const T = Date.UTC(2026, 2, 10, 12, 0, 0);

function context(parts: Partial<ToolContext>): ToolContext {
  const config = loadConfig({ PROMETHEUS_URL: "http://127.0.0.1:9" });
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
