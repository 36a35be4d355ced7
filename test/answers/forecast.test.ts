/**
 * Forecast and capacity answers on a real Prometheus holding the capacity fixture: the date and its
 * interval first, the model and its backtest error, a chart with the cone, "no risk" and "too little
 * history" as answers, and the report sorted by fill time with counts of what was checked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnswerContext, displayHost } from "../../src/assistant/answers/context.js";
import {
  answerCapacity,
  answerForecast,
  formatBetween,
  formatWhen,
} from "../../src/assistant/answers/forecast.js";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { type LineChartSpec, renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import type { Host } from "../../src/metrics/environments.js";
import { Environments } from "../../src/metrics/environments.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { plainText, type Reply } from "../../src/reply/reply.js";
import {
  CAPACITY_FIXTURE,
  type CapacityPrometheus,
  startCapacityPrometheus,
} from "../insights/capacity-fixture.js";

const DAY = 86_400;
const f = CAPACITY_FIXTURE;
let prom: CapacityPrometheus;
let client: PrometheusClient;
const hosts: Host[] = ["cap-1", "cap-2", "cap-3"].map((h) => ({ name: h, instances: [`${h}:9100`] }));
/** Every chart spec an answer asked for, newest last. */
const drawn: LineChartSpec[] = [];

beforeAll(async () => {
  prom = await startCapacityPrometheus();
  client = new PrometheusClient({
    environment: "default",
    baseUrl: prom.url,
    timeoutMs: 20_000,
    retries: 0,
    cacheTtlMs: 0,
  });
});
afterAll(async () => {
  await prom?.stop();
});

function ctx(host?: string, c: PrometheusClient = client): AnswerContext {
  return {
    environment: "default",
    showEnvironment: false,
    client: c,
    hosts,
    host: hosts.find((h) => h.name === host),
    now: prom.end,
    signal: AbortSignal.timeout(60_000),
    renderChart: (spec) => {
      drawn.push(spec);
      return renderLineChart(spec);
    },
  };
}

const text = (r: Reply) => plainText(r.text);

describe("when will disk be full", () => {
  it("on a host: each mount's date and interval, model and backtest error, and a chart with the cone and the size", async () => {
    const r = await answerForecast(ctx("cap-1"), { kind: "forecast", resource: "disk" });
    const when = prom.end + f.steadyFill.fillsInSeconds;
    // /var/log fills sooner at its current rate, but only if its clean-ups stop: /data leads.
    expect(r.title).toMatch(/^🟠 \/data full around /);
    // The expected date is within an hour of the fixture's truth (the grid is 15 minutes).
    const said = r.title.match(/around (\w{3} \d+ \w{3} \d\d:\d\d UTC)/)?.[1];
    expect(
      [formatWhen(when - 900), formatWhen(when), formatWhen(when + 900)].some(
        (w) => w.slice(0, 10) === said?.slice(0, 10),
      ),
    ).toBe(true);
    const t = text(r);
    expect(t).toMatch(
      /\/data: full around .+ \(in 11 d\), (give or take under an hour|between .+) · 780 GiB of 1000 GiB used \(78%\), growing 20\.0 GiB\/day/,
    );
    expect(t).toMatch(/\/var\/log: full around .* unless cleaned up as before \(every ~3 days, next due/);
    expect(r.fields.find((x) => x.label === "/data")?.value).toMatch(
      /^robust linear trend \(Theil–Sen since the last clean-up\) · backtest error \d.* \(0\.\d\d% of size\) · 90% interval$/,
    );
    expect(r.chart?.png.length).toBeGreaterThan(1000);
    const spec = drawn.at(-1) as LineChartSpec;
    expect(spec.threshold?.value).toBe(f.steadyFill.size);
    expect(spec.forecast?.points.length).toBeGreaterThan(100);
    expect(spec.series[0]?.points.length).toBe((14 * DAY) / 900 + 1);
    expect(r.chart?.alt).toContain("dashed forecast");
    expect(r.context.join("\n")).toContain("node_filesystem_size_bytes − node_filesystem_avail_bytes");
  });

  it("a resized volume: against its new size; within 30 days no risk, within 45 days a date", async () => {
    const r30 = await answerForecast(ctx("cap-2"), { kind: "forecast", resource: "disk" });
    expect(r30.title).toBe("🟢 Disk on cap-2: no risk within 30 days");
    expect(text(r30)).toMatch(
      /🟢 \/srv: no risk within 30 days .*· 102 GiB of 200 GiB used \(51%\), growing 3\.0 GiB\/day/,
    );
    expect(text(r30)).toMatch(/🟢 \/: no risk within 30 days · 30\.0 GiB of 100 GiB used \(30%\), flat/);
    const r45 = await answerForecast(ctx("cap-2"), {
      kind: "forecast",
      resource: "disk",
      horizonSeconds: 45 * DAY,
    });
    expect(r45.title).toMatch(/^🟠 \/srv full around /);
  });

  it("a full disk, a young one with its history, a shrinking one", async () => {
    const r = await answerForecast(ctx("cap-3"), { kind: "forecast", resource: "disk" });
    expect(r.title).toBe("🔴 /full is full");
    expect(r.tone).toBe("critical");
    const t = text(r);
    expect(t).toContain("🔴 /full: FULL now · 50.0 GiB of 50.0 GiB used (100%)");
    expect(t).toMatch(/⚪ \/new: too little history to forecast \(3 hours; at least 6 hours needed\)/);
    expect(t).toMatch(
      /🟢 \/archive: no risk within 30 days · 260 GiB of 500 GiB used \(52%\), shrinking 10\.0 GiB\/day/,
    );
  });

  it("for the fleet: the mounts that fill soonest, with their hosts, and what was checked", async () => {
    const r = await answerForecast(ctx(), { kind: "forecast", resource: "disk" });
    expect(r.title).toMatch(/^🔴 \/full on cap-3 is full \(\+\d more within 30 days\)$/);
    const lines = text(r).split("\n");
    expect(lines[0]).toContain("/full on cap-3: FULL now");
    expect(lines.findIndex((l) => l.includes("/data on cap-1"))).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^Checked 7 file systems; 3 with no risk within 30 days$/);
    expect(text(r)).not.toContain("/run");
  });

  it("memory: exhaustion of a leaking host, with its date", async () => {
    const r = await answerForecast(ctx("cap-1"), { kind: "forecast", resource: "memory" });
    expect(r.title).toMatch(/^🔴 Memory exhausted around \w{3} \d+ \w{3} \d\d:\d\d UTC$/);
    expect(text(r)).toMatch(/memory: exhausted \(95% used\) around .* \(in [34]\.\d d\)/);
  });

  it("another signal: its level over the horizon with the interval, and the warning level not reached", async () => {
    const r = await answerForecast(ctx(), { kind: "forecast", resource: "tcp", horizonSeconds: 2 * DAY });
    expect(r.title).toMatch(/^TCP connections over the next 2 days: highest cap-2, up to \d+/);
    const t = text(r);
    expect(t).toMatch(/cap-2: peak ~7\d\d(\.\d\d)? around .* \(90% interval/);
    expect(t).toMatch(/cap-1: peak ~2\d\d/);
    expect(r.fields[0]?.value).toMatch(/backtest error/);
    expect(drawn.at(-1)?.forecast?.points.length).toBeGreaterThan(10);
  });

  it("Prometheus down: an error, not a calm answer", async () => {
    const down = new PrometheusClient({
      environment: "default",
      baseUrl: "http://127.0.0.1:1",
      timeoutMs: 1000,
      retries: 0,
      cacheTtlMs: 0,
    });
    await expect(
      answerForecast(ctx("cap-1", down), { kind: "forecast", resource: "disk" }),
    ).rejects.toThrow();
  });
});

describe("capacity report", () => {
  it("every mount and host at risk within 7 and 30 days, soonest first, with counts", async () => {
    const r = await answerCapacity(ctx(), { kind: "capacity", withinSeconds: 30 * DAY });
    expect(r.title).toMatch(
      /^🔴 Capacity: \d at risk within 7 days, \d at risk|^🔴 Capacity: \d at risk within 7 days, \d within 30 days$/,
    );
    const t = text(r);
    const lines = t.split("\n");
    expect(lines[0]).toBe("Within 7 days:");
    expect(lines[1]).toContain("/full on cap-3: FULL now");
    expect(t).toContain("Within 30 days:");
    expect(lines.findIndex((l) => l.includes("memory on cap-1"))).toBeLessThan(
      lines.findIndex((l) => l.includes("/data on cap-1")),
    );
    expect(t).toContain("Checked 7 file systems and the memory of 3 hosts");
    expect(t).toMatch(/Too little history to forecast \(under 6 hours\): \/new on cap-3/);
    expect(t).not.toContain("/srv on cap-2: full");
    expect(r.chart).toBeDefined();
    expect(r.fields.length).toBeGreaterThan(0);
  });

  it("nothing at risk in a short window on a quiet host says so", async () => {
    const r = await answerCapacity(ctx("cap-2"), { kind: "capacity", withinSeconds: 7 * DAY });
    expect(r.title).toBe("🟢 Capacity on cap-2: nothing fills within 7 days");
    expect(text(r)).toContain("Checked 2 file systems and the memory of 1 host");
  });
});

describe("through the engine, as people ask", () => {
  it("parses fill and capacity questions and answers them from the same forecasts", async () => {
    const engine = new BuiltinEngine({
      // A loaded test machine can take longer than the default 2 s for a fortnight of range data.
      environments: new Environments(
        prometheusSettings(loadConfig({ PROMETHEUS_URL: prom.url, PROMETHEUS_TIMEOUT_MS: "20000" })),
      ),
      renderChart: renderLineChart,
      deadlineMs: 60_000,
      now: () => prom.end * 1000,
    });
    const ask = (q: string) => engine.answer({ platform: "api", user: "t", channel: "t", text: q });
    const disk = await ask("when will disk be full on cap-1?");
    expect(disk.intent).toBe("forecast");
    expect(disk.reply.title).toMatch(/^🟠 \/data full around /);
    const mem = await ask("will memory run out on cap-1?");
    expect(mem.intent).toBe("forecast");
    expect(mem.reply.title).toMatch(/^🔴 Memory exhausted around /);
    const report = await ask("what fills up in the next 7 days?");
    expect(report.intent).toBe("capacity");
    expect(report.reply.title).toMatch(/^🔴 Capacity: \d at risk within 7 days$/);
  });
});

describe("dates", () => {
  it("reads as people write them", () => {
    const t = Date.UTC(2026, 11, 8, 14, 0) / 1000;
    expect(formatWhen(t)).toBe("Tue 8 Dec 14:00 UTC");
    expect(formatBetween(t - 2 * DAY, t + 3 * DAY)).toBe("between 6 and 11 Dec");
    expect(formatBetween(t, t + 30 * DAY)).toBe("between 8 Dec and 7 Jan");
    expect(formatBetween(t, t + 3600)).toBe("between 14:00 and 15:00 UTC on 8 Dec");
    expect(displayHost("cap-1:9100")).toBe("cap-1");
  });
});
