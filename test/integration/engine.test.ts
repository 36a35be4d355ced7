/**
 * The built-in engine against a real Prometheus holding the fixture: every number it answers is the
 * one the fixture was built with.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
import { plainText, type Reply } from "../../src/reply/reply.js";
import { FIXTURE } from "../support/node-fixture.js";

let engine: BuiltinEngine;
let end: number;

beforeAll(() => {
  end = Date.parse(inject("fixtureEnd"));
  const config = loadConfig({
    PROMETHEUS_URL: inject("prometheusUrl"),
    GRAFANA_URL: "http://grafana.example:3000",
  });
  engine = new BuiltinEngine({
    environments: new Environments(prometheusSettings(config)),
    renderChart: renderLineChart,
    deadlineMs: 10_000,
    grafanaUrl: config.grafanaUrl,
    now: () => end,
  });
});

/** The engine's answer, its text as plain characters (these answers carry no mentions or links). */
async function ask(text: string): Promise<Reply & { text: string }> {
  const a = await engine.answer({ platform: "api", user: "t", channel: "t", text });
  const reply = { ...a.reply, text: plainText(a.reply.text) };
  expect(a.provider).toBe("builtin");
  expect(reply.tone, reply.text).not.toBe("error");
  return reply;
}

const field = (r: Reply, label: RegExp) => r.fields.find((f) => label.test(f.label))?.value;

describe("built-in engine on the fixture", () => {
  it("summarises health: every host's CPU, memory, disk and load, the down target, worst first", async () => {
    const r = await ask("what's the current system health?");
    expect(r.title).toBe("🟠 System health: 1 of 3 hosts OK, 1 target down");
    expect(field(r, /web-2/)).toBe("CPU 60.0% · Mem 75.0% · Disk 40.0% · Load/core 1.60");
    expect(field(r, /web-1/)).toBe("CPU 25.0% · Mem 50.0% · Disk 30.0% · Load/core 0.40");
    // db-1's fullest real mount is /data at 85%; the 99%-full tmpfs is ignored.
    expect(field(r, /db-1/)).toBe("CPU 10.0% · Mem 40.0% · Disk 85.0% · Load/core 0.25");
    expect(r.text).toContain("🔴 Down: db-2:9100 (node)");
    expect(r.text).toContain("🟠 web-2: Load 1.60 (≥ 1.50)");
    expect(r.tone).toBe("warning");
  });

  it("gives one host's health when asked about it", async () => {
    const r = await ask("how is web-1");
    expect(r.title).toBe("🟢 web-1: healthy");
    expect(r.fields.map((f) => f.value)).toEqual(["25.0%", "50.0%", "30.0%", "0.40"]);
  });

  it("answers CPU now with the number first, the usual level and the breakdown by mode", async () => {
    const r = await ask("cpu on web-2");
    expect(r.title).toBe("🟢 CPU 60.0% on web-2");
    expect(r.text).toContain("CPU busy: 60.0% on web-2 (now, 5 min average)");
    expect(r.text).toContain("Breakdown: user 45.0% · system 10.0% · iowait 5.0% · steal 0.0%");
    // The 24 h average includes the 30-minute spike to 95%: 60 + 35 × 0.5/24 ≈ 60.7%.
    expect(r.text).toMatch(/Usual level: 60\.[5-9]% \(24 h average\)/);
    expect(r.links.map((l) => l.label)).toEqual(["Grafana panel", "Prometheus graph"]);
    expect(r.links[0]?.url).toMatch(
      /^http:\/\/grafana\.example:3000\/d\/system-overview\?viewPanel=2&from=\d+&to=\d+&var-instance=web-2%3A9100$/,
    );
  });

  it("ranks hosts", async () => {
    const r = await ask("top 2 hosts by cpu");
    expect(r.title).toBe("🟢 Top 2 of 3 hosts by cpu (now)");
    expect(r.text).toBe("1. web-2 60.0%\n2. web-1 25.0%");
    const mem = await ask("top 5 hosts by memory");
    expect(mem.text).toBe("1. web-2 75.0%\n2. web-1 50.0%\n3. db-1 40.0%");
  });

  it("shows a CPU trend with min/avg/max/last, the spike's time, and a chart", async () => {
    const r = await ask("cpu trend last 6h on web-2");
    expect(r.title).toBe("🔴 CPU last 6h on web-2");
    const spikeAt = new Date((Math.floor(end / 1000) - FIXTURE.spike.fromSecondsBeforeEnd) * 1000);
    expect(r.text).toMatch(/peak 95\.0% on web-2 at \d\d:\d\d UTC/);
    const peakClock = /at (\d\d):(\d\d) UTC/.exec(r.text);
    const peakMinutes = Number(peakClock?.[1]) * 60 + Number(peakClock?.[2]);
    const spikeMinutes = spikeAt.getUTCHours() * 60 + spikeAt.getUTCMinutes();
    expect((peakMinutes - spikeMinutes + 1440) % 1440).toBeLessThanOrEqual(35);
    expect(r.text).toMatch(/web-2: now 60\.0% · avg 6\d\.\d% · min 60\.0% · max 95\.0% · → steady/);
    expect(r.chart?.png.subarray(1, 4).toString()).toBe("PNG");
    expect(r.chart?.alt).toMatch(/web-2/);
  });

  it("compares week over week: db-1 at 10% now and 20% the week before", async () => {
    const r = await ask("compare cpu week over week");
    const db = field(r, /db-1/) ?? "";
    const [, now, before] = /avg ([\d.]+)% vs ([\d.]+)%/.exec(db) ?? [];
    expect(Number(now)).toBeCloseTo(10, 0);
    expect(Number(before)).toBeCloseTo(20, 0);
    expect(r.text).toMatch(/Biggest change: db-1/);
  });

  it("answers disk per mount, memory, load and network with units", async () => {
    const disk = await ask("disk on db-1");
    expect(disk.title).toBe("🟠 Disk 85.0% on db-1");
    expect(disk.text).toContain("Mounts: /data 85.0% · / 20.0%");
    const mem = await ask("memory usage");
    expect(mem.title).toBe("🟢 Memory: web-2 highest at 75.0%");
    const load = await ask("load on web-2");
    expect(load.title).toBe("🟠 Load 1.60 on web-2");
    const net = await ask("network on db-1");
    expect(net.title).toBe("🟢 Network Received 4.0 MiB/s · Sent 3.0 MiB/s on db-1");
  });

  it("lists the down target", async () => {
    const r = await ask("which targets are down?");
    expect(r.title).toBe("🔴 1 of 5 targets down");
    expect(r.text).toBe("🔴 db-2:9100 (job node)");
  });

  it("answers about containers from cAdvisor metrics", async () => {
    const running = await ask("running containers");
    expect(running.title).toBe("🐳 3 containers running");
    const restarting = await ask("which containers are restarting?");
    expect(restarting.text).toBe("worker on web-1: 3 restarts");
    const cpu = await ask("top containers by cpu");
    expect(cpu.text).toBe(
      "1. api on web-1 50.0% of a core\n2. worker on web-1 25.0% of a core\n3. redis on web-1 10.0% of a core",
    );
    const mem = await ask("top containers by memory");
    expect(mem.text).toBe("1. api on web-1 512 MiB\n2. worker on web-1 256 MiB\n3. redis on web-1 128 MiB");
  });

  it("says honestly, in an amber headline, that it cannot see anomaly results", async () => {
    const r = await ask("any anomalies?");
    expect(r.title).toMatch(/^🟠 No anomaly results yet/);
    expect(r.tone).toBe("warning");
    expect(r.text).toContain("no access to the anomaly detector's results");
  });
});

describe("trend wording", () => {
  it("says a series that did not move is steady rather than naming a moment of peak", async () => {
    const r = await ask("cpu trend last 1h");
    // In the last hour every fixture host is flat; web-2 is the highest at 60%.
    expect(r.text).toMatch(/^CPU last 1h: highest web-2, steady at 60\.0%$/m);
    expect(r.text).not.toMatch(/peak/);
  });
});
