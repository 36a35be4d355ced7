/**
 * Every signal the engine knows, asked of the fixture Prometheus (real node_exporter label sets: eight
 * CPU modes per core, every network device with its own error and drop counters, several disks and
 * mounts): now, over time and ranked, each answer carries the number the fixture was built with; and
 * a host with no series gets a plain "no data" naming the metric family looked for.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { RESOURCE_IDS, RESOURCES, type Resource } from "../../src/assistant/resources.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { namedQuery } from "../../src/metrics/catalogue.js";
import { Environments } from "../../src/metrics/environments.js";
import { formatValue } from "../../src/metrics/units.js";
import { type Answer, plainText } from "../../src/reply/reply.js";
import { FIXTURE, type HostName } from "../support/node-fixture.js";

/** How an on-call engineer names each signal. */
const QUESTION: Record<Resource, string> = {
  cpu: "cpu",
  cpu_user: "user cpu",
  cpu_system: "system cpu",
  iowait: "iowait",
  steal: "cpu steal",
  load: "load",
  load5: "load5",
  memory: "memory",
  swap: "swap",
  disk: "disk",
  disk_read: "disk reads",
  disk_write: "disk writes",
  disk_io: "disk io",
  network: "network",
  network_in: "inbound traffic",
  network_out: "outbound traffic",
  network_errors: "network errors",
  tcp: "tcp connections",
  context_switches: "context switches",
  blocked: "blocked processes",
  uptime: "uptime",
};

/** The value the fixture was built with, in the signal's unit. */
function fixtureValue(signal: Resource, host: HostName): number {
  const h = FIXTURE.hosts[host];
  const x = FIXTURE.extra[host];
  const e = x.netErrors;
  const values: Record<Resource, number> = {
    cpu: h.cpuBusy,
    cpu_user: 100 * h.cpu.user,
    cpu_system: 100 * h.cpu.system,
    iowait: 100 * h.cpu.iowait,
    steal: 100 * h.cpu.steal,
    load: h.loadPerCore,
    load5: h.load[1] / FIXTURE.cores,
    memory: h.memUsed,
    // A host without swap uses none.
    swap: x.swapTotal > 0 ? x.swapUsed : 0,
    disk: host === "db-1" ? FIXTURE.dbData.used : h.root.used,
    disk_read: x.disk.read,
    disk_write: x.disk.write,
    disk_io: 100 * x.disk.busy,
    network: h.rx,
    network_in: h.rx,
    network_out: h.tx,
    network_errors: e.receiveErrs + e.transmitErrs + e.receiveDrop + e.transmitDrop,
    tcp: x.tcpEstablished,
    context_switches: x.contextSwitches,
    blocked: x.procsBlocked,
    uptime: x.uptimeSeconds,
  };
  return values[signal];
}

/** The value as an answer shows it; a rate of a count may come back a hair off an integer. */
function shown(signal: Resource, value: number): RegExp {
  const unit = RESOURCES[signal].unit;
  const texts = new Set([formatValue(value, unit)]);
  if (unit === "count") texts.add(value.toFixed(2));
  return new RegExp(
    `(^|[^0-9.])(${[...texts].map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`,
  );
}

let engine: BuiltinEngine;

beforeAll(() => {
  const end = Date.parse(inject("fixtureEnd"));
  const config = loadConfig({ PROMETHEUS_URL: inject("prometheusUrl") });
  engine = new BuiltinEngine({
    environments: new Environments(prometheusSettings(config)),
    renderChart: renderLineChart,
    deadlineMs: 20_000,
    now: () => end,
  });
});

async function ask(text: string): Promise<Answer> {
  const a = await engine.answer({ platform: "api", user: "t", channel: "t", text });
  expect(a.reply.tone, `${text}: ${a.reply.title}\n${a.reply.text}`).not.toBe("error");
  return a;
}

/** Everything a person reads in a reply. */
const readable = (a: Answer) =>
  [a.reply.title, a.reply.text, ...a.reply.fields.map((f) => `${f.label}: ${f.value}`)].join("\n");

const HOSTS = Object.keys(FIXTURE.hosts) as HostName[];

describe.each(RESOURCE_IDS.map((r) => [r]))("signal %s on the fixture", (signal) => {
  const q = QUESTION[signal];

  it("answers now on one host with the fixture's number", async () => {
    const a = await ask(`${q} on web-2`);
    expect(a.intent).toBe("metric_now");
    expect(a.reply.title).toMatch(shown(signal, fixtureValue(signal, "web-2")));
    expect(a.reply.title).toContain("web-2");
  });

  it("answers now fleet-wide with every host's number", async () => {
    const a = await ask(q);
    expect(a.intent).toBe("metric_now");
    for (const host of HOSTS) {
      const field = a.reply.fields.find((f) => f.label.includes(host));
      expect(field?.value, `${host} in ${readable(a)}`).toMatch(shown(signal, fixtureValue(signal, host)));
    }
  });

  it("answers over time on one host with the fixture's number", async () => {
    const a = await ask(`${q} last 6h on web-2`);
    expect(a.intent).toBe("metric_trend");
    expect(readable(a)).toMatch(shown(signal, fixtureValue(signal, "web-2")));
    expect(a.reply.chart).toBeDefined();
  });

  it("ranks hosts, highest first", async () => {
    const a = await ask(`top 3 hosts by ${q}`);
    expect(a.intent).toBe("top_hosts");
    const highest = Math.max(...HOSTS.map((h) => fixtureValue(signal, h)));
    expect(plainText(a.reply.text).split("\n")[0]).toMatch(shown(signal, highest));
  });

  it("says plainly that a host has no data, naming the metric family", async () => {
    // db-2 is a scrape target that is down: it has `up` and no node_exporter series.
    const a = await ask(`${q} on db-2`);
    expect(a.reply.title).toMatch(/^No .* data for db-2/);
    const family = /node_[A-Za-z_]+/.exec(
      namedQuery(RESOURCES[signal].queries[0]?.name ?? "cpu_busy_percent").source(300),
    );
    expect(family).not.toBeNull();
    expect(a.reply.text).toContain(family?.[0]);
  });
});

describe("uptime", () => {
  it("says how long a host has been up and when it booted", async () => {
    const a = await ask("when did web-2 reboot");
    const end = Date.parse(inject("fixtureEnd")) / 1000;
    const boot = new Date((end - FIXTURE.extra["web-2"].uptimeSeconds) * 1000).toISOString().slice(0, 16);
    expect(a.reply.title).toBe("🟢 web-2 up 3 d");
    expect(a.reply.text).toContain(`last booted ${boot.replace("T", " ")} UTC`);
  });

  it("fleet-wide, leads with the most recent boot", async () => {
    const a = await ask("uptime of the nodes");
    expect(a.reply.title).toMatch(/^🟢 Uptime: web-2 booted most recently, 3 d ago/);
    expect(a.reply.text).toContain("Longest up: db-1, 40 d");
  });

  it("finds no reboot in a window after the last boot, and the boot inside a longer one", async () => {
    const quiet = await ask("did web-2 reboot in the last 24h");
    expect(quiet.reply.title).toBe("🟢 No reboots last 24h on web-2");
    const week = await ask("reboots on web-2 in the last 7 days");
    expect(week.reply.title).toBe("🟠 1 reboot last 7d on web-2");
  });
});
