/**
 * The query catalogue against the label sets a real node_exporter emits (the fixture: eight CPU
 * modes per core, lo/eth0/docker0/veth devices each with four error and drop counters, sda plus a
 * device-mapper volume, several mounts and file-system types): every host query runs and gives one
 * series per host, with and without a host filter.
 */
import { describe, expect, inject, it } from "vitest";
import { RESOURCE_IDS, RESOURCES } from "../../src/assistant/resources.js";
import { allQueries, namedQuery } from "../../src/metrics/catalogue.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { hostMatcher } from "../../src/metrics/promql.js";
import { FIXTURE } from "../support/node-fixture.js";

const HOSTS = Object.keys(FIXTURE.hosts);
/** Queries about containers or scrape targets, not node_exporter hosts. */
const NOT_HOST = /^(containers_|targets_)/;

describe("query catalogue, statically", () => {
  it("never sums rate() over several metric names in one vector", () => {
    for (const q of allQueries()) expect(q.build({}), q.name).not.toMatch(/rate\(\{__name__/);
  });

  it("leaves out virtual network devices and stacked or virtual disks", () => {
    for (const q of allQueries()) {
      const expr = q.build({});
      if (expr.includes("node_network_")) expect(expr, q.name).toContain('device!~"lo|veth.*|docker.*');
      if (expr.includes("node_disk_")) expect(expr, q.name).toContain('device!~"dm-.*|loop.*|ram.*');
    }
  });

  it("gives every signal a query, a unit and a panel, and levels only in order", () => {
    for (const id of RESOURCE_IDS) {
      const spec = RESOURCES[id];
      expect(spec.resource).toBe(id);
      expect(spec.queries.length).toBeGreaterThan(0);
      for (const q of spec.queries) expect(namedQuery(q.name).unit).toBe(spec.unit);
      expect(spec.grafanaPanel).toBeGreaterThan(0);
      if (spec.warning !== undefined && spec.critical !== undefined)
        expect(spec.warning).toBeLessThan(spec.critical);
    }
  });
});

describe("query catalogue on real exporter label sets", () => {
  const client = () =>
    new PrometheusClient({
      environment: "default",
      baseUrl: inject("prometheusUrl"),
      timeoutMs: 10_000,
      retries: 1,
      cacheTtlMs: 0,
    });
  const at = () => Date.parse(inject("fixtureEnd")) / 1000;
  const hostQueries = allQueries().filter((q) => !NOT_HOST.test(q.name));

  it.each(hostQueries.map((q) => [q.name]))("%s runs and answers for every host", async (name) => {
    const q = namedQuery(name as Parameters<typeof namedQuery>[0]);
    const fleet = await client().instant(q.build({}), { time: at() });
    const hosts = new Set(fleet.map((s) => (s.labels.instance ?? "").replace(/:\d+$/, "")));
    expect([...hosts].sort()).toEqual([...HOSTS].sort());
    for (const s of fleet) expect(Number.isFinite(s.value), `${name} ${JSON.stringify(s.labels)}`).toBe(true);
    // One series per host (or per host and the query's own `by` labels): no device or counter leaks.
    const keys = fleet.map((s) => q.by.map((l) => s.labels[l] ?? "").join("|"));
    expect(new Set(keys).size).toBe(keys.length);
    const one = await client().instant(q.build({ matchers: [hostMatcher("web-2")] }), { time: at() });
    expect(one.length).toBeGreaterThan(0);
    for (const s of one) expect(s.labels.instance).toBe("web-2:9100");
  });

  it("sums a host's network errors and drops over every counter of its real interfaces", async () => {
    const [s] = await client().instant(
      namedQuery("network_errors_per_second").build({ matchers: [hostMatcher("web-2")] }),
      {
        time: at(),
      },
    );
    const e = FIXTURE.extra["web-2"].netErrors;
    expect(s?.value).toBeCloseTo(e.receiveErrs + e.transmitErrs + e.receiveDrop + e.transmitDrop, 6);
  });

  it("reads swap as 0% on a host without swap rather than leaving it out", async () => {
    const [s] = await client().instant(
      namedQuery("swap_used_percent").build({ matchers: [hostMatcher("db-1")] }),
      {
        time: at(),
      },
    );
    expect(FIXTURE.extra["db-1"].swapTotal).toBe(0);
    expect(s?.value).toBe(0);
  });
});
