/** Rightsizing rules and money on small numbers; the price file's parsing and its errors. */
import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, PriceFileError, type Prices, parsePriceFile } from "../../src/insights/prices.js";
import {
  containerCpuFinding,
  containerMemoryFinding,
  DEFAULT_RULES,
  GiB,
  hostCpuFinding,
  hostMemoryFinding,
  hostMonthly,
  isIdle,
  MiB,
  nominalMemoryGiB,
  resizeMonthly,
  rightsizingQueries,
  rightsizingStep,
} from "../../src/insights/rightsizing.js";

const units: Prices = { cpuCoreMonth: 24, gbMonth: 3, origin: "configured" };

describe("host CPU: p95 × 1.15 rounded up to whole cores", () => {
  it("8 cores used 3.2 at p95 → 4 cores (3.68 rounded up)", () => {
    expect(hostCpuFinding(3.2, 8)).toEqual({ used: 3.2, capacity: 8, target: 4, action: "shrink" });
  });
  it("keeps a host whose saving is under one core", () => {
    // 2 cores, p95 0.5 → 1 core: one core and 50% back → shrink; 2 cores, p95 0.9 → 2: keep.
    expect(hostCpuFinding(0.5, 2).action).toBe("shrink");
    expect(hostCpuFinding(0.9, 2)).toMatchObject({ action: "keep", target: 2 });
  });
  it("keeps a host whose saving is under 25% even when it is a whole core", () => {
    // 8 cores, p95 5.2 → 5.98 → 6: two cores but… 25% of 8 is 2 → shrink; p95 5.3 → 7: 12.5% → keep.
    expect(hostCpuFinding(5.2, 8)).toMatchObject({ action: "shrink", target: 6 });
    expect(hostCpuFinding(5.3, 8)).toMatchObject({ action: "keep", target: 8 });
  });
  it("never recommends fewer than one core", () => {
    expect(hostCpuFinding(0, 4)).toMatchObject({ action: "shrink", target: 1 });
  });
  it("grows a host busy above 90% of its cores at p95", () => {
    expect(hostCpuFinding(3.7, 4)).toEqual({ used: 3.7, capacity: 4, target: 5, action: "grow" });
    expect(hostCpuFinding(3.5, 4).action).toBe("keep");
  });
  it("follows configured rules", () => {
    const rules = { ...DEFAULT_RULES, cpuHeadroom: 0.5, minSavingShare: 0.5 };
    // 3.2 × 1.5 = 4.8 → 5 of 8: 37.5% < 50% → keep.
    expect(hostCpuFinding(3.2, 8, rules).action).toBe("keep");
  });
});

describe("host memory: peak × 1.15 rounded up to whole GiB, at least 2 GiB and 25% back", () => {
  it("16 GiB with a 5 GiB peak → 6 GiB", () => {
    expect(hostMemoryFinding(5 * GiB, 16 * GiB)).toEqual({
      used: 5 * GiB,
      capacity: 16 * GiB,
      target: 6 * GiB,
      action: "shrink",
    });
  });
  it("reads MemTotal as the nominal size (the kernel keeps some at boot)", () => {
    expect(nominalMemoryGiB(15.6 * GiB)).toBe(16);
    expect(nominalMemoryGiB(16 * GiB)).toBe(16);
    expect(hostMemoryFinding(5 * GiB, 15.6 * GiB).capacity).toBe(16 * GiB);
  });
  it("keeps 4 GiB with a 2 GiB peak (3 GiB target: 1 GiB back is under 2 GiB)", () => {
    expect(hostMemoryFinding(2 * GiB, 4 * GiB)).toMatchObject({ action: "keep", target: 4 * GiB });
  });
  it("grows memory peaking above 90%", () => {
    expect(hostMemoryFinding(7.5 * GiB, 8 * GiB)).toMatchObject({ action: "grow", target: 9 * GiB });
  });
});

describe("containers: limits from cAdvisor", () => {
  it("a CPU limit of 2 with p95 0.3 → 0.4 core", () => {
    expect(containerCpuFinding(0.3, 2)).toEqual({ used: 0.3, capacity: 2, target: 0.4, action: "shrink" });
  });
  it("no CPU limit: none recommended, the need shown", () => {
    expect(containerCpuFinding(0.3, undefined)).toEqual({ used: 0.3, target: 0.4, action: "unbounded" });
  });
  it("no memory limit: set one at the peak + 15%, in 64 MiB steps", () => {
    // 300 MiB × 1.15 = 345 MiB → 384 MiB.
    expect(containerMemoryFinding(300 * MiB, undefined)).toEqual({
      used: 300 * MiB,
      target: 384 * MiB,
      action: "set_limit",
    });
  });
  it("a 2 GiB limit with a 300 MiB peak → 384 MiB; a 512 MiB one is kept (128 MiB back)", () => {
    expect(containerMemoryFinding(300 * MiB, 2 * GiB)).toMatchObject({ action: "shrink", target: 384 * MiB });
    expect(containerMemoryFinding(300 * MiB, 512 * MiB)).toMatchObject({ action: "keep", target: 512 * MiB });
  });
  it("grows a limit the container presses against", () => {
    expect(containerMemoryFinding(500 * MiB, 512 * MiB)).toMatchObject({ action: "grow", target: 576 * MiB });
    expect(containerCpuFinding(0.95, 1)).toMatchObject({ action: "grow", target: 1.1 });
  });
  it("floors: 0.1 core and 128 MiB", () => {
    expect(containerCpuFinding(0.001, 1).target).toBe(0.1);
    expect(containerMemoryFinding(1 * MiB, GiB).target).toBe(128 * MiB);
  });
});

describe("idle hosts", () => {
  it("idle: p95 CPU under 5% of a core and network under 64 KiB/s (or unmeasured)", () => {
    expect(isIdle(0.02, 10_000)).toBe(true);
    expect(isIdle(0.02, undefined)).toBe(true);
    expect(isIdle(0.02, 200_000)).toBe(false);
    expect(isIdle(0.06, 1000)).toBe(false);
  });
});

describe("money", () => {
  it("a host at unit prices: cores × price + GiB × price", () => {
    expect(hostMonthly({ host: "web-3", instance: "web-3:9100", cores: 8, memoryGiB: 32 }, units)).toEqual({
      monthly: 8 * 24 + 32 * 3,
      from: "units",
    });
  });
  it("8 → 4 cores at $24 a core saves $96 a month", () => {
    expect(resizeMonthly({ cores: 8, memoryGiB: 32 }, { cores: 4, memoryGiB: 32 }, 288, units)).toBeCloseTo(
      96,
    );
  });
  it("with a listed price, the saving is the same share of that price", () => {
    const prices: Prices = { ...units, perHost: new Map([["web-3", 576]]) };
    const price = hostMonthly({ host: "web-3", instance: "web-3:9100", cores: 8, memoryGiB: 32 }, prices);
    expect(price).toEqual({ monthly: 576, from: "file" });
    // Listed at twice its unit value (288): halving the cores saves 2 × 96.
    expect(resizeMonthly({ cores: 8, memoryGiB: 32 }, { cores: 4, memoryGiB: 32 }, 576, prices)).toBeCloseTo(
      192,
    );
  });
  it("a listed instance label matches too", () => {
    const prices: Prices = { ...units, perHost: new Map([["db-1:9100", 50]]) };
    expect(hostMonthly({ host: "db-1", instance: "db-1:9100", cores: 2, memoryGiB: 4 }, prices).monthly).toBe(
      50,
    );
  });
  it("growing costs (negative saving)", () => {
    expect(resizeMonthly({ cores: 4, memoryGiB: 8 }, { cores: 5, memoryGiB: 9 }, 120, units)).toBeCloseTo(
      -27,
    );
  });
  it("defaults are labelled as such", () => {
    expect(DEFAULT_PRICES.origin).toBe("default");
    expect(DEFAULT_PRICES.cpuCoreMonth).toBeGreaterThan(0);
  });
});

describe("queries", () => {
  it("14 days at a 5-minute step; fleet-wide by (instance), never per host", () => {
    expect(rightsizingStep(14 * 86_400)).toBe(300);
    expect(rightsizingStep(30 * 86_400)).toBe(900);
    expect(rightsizingStep(90 * 86_400)).toBe(3600);
    const q = rightsizingQueries(DEFAULT_RULES);
    expect(q.host.cpu_used).toBe(
      'quantile_over_time(0.95, (sum by (instance) (rate(node_cpu_seconds_total{mode!~"idle|iowait|steal"}[5m])))[14d:5m])',
    );
    for (const promql of [...Object.values(q.host), ...Object.values(q.container)]) {
      expect(promql).toMatch(/by \(instance(, name)?\)/);
      expect(promql).not.toMatch(/instance=/);
    }
  });
  it("a host matcher restricts every selector", () => {
    const q = rightsizingQueries(DEFAULT_RULES, [{ label: "instance", op: "=~", value: "web-1(:[0-9]+)?" }]);
    for (const promql of Object.values(q.host)) expect(promql).toContain('instance=~"web-1(:[0-9]+)?"');
  });
});

describe("price file", () => {
  it("reads JSON maps and lists, and CSV with or without a header", () => {
    expect(parsePriceFile('{"web-1": 120.5, "db-1:9100": 300}')).toEqual(
      new Map([
        ["web-1", 120.5],
        ["db-1:9100", 300],
      ]),
    );
    expect(parsePriceFile('[{"host":"web-1","monthly":10}]')).toEqual(new Map([["web-1", 10]]));
    expect(parsePriceFile("host,monthly\n# comment\nweb-1,96.50\n\nweb-2, 40\n")).toEqual(
      new Map([
        ["web-1", 96.5],
        ["web-2", 40],
      ]),
    );
    expect(parsePriceFile("web-1,1\r\nweb-2,2")).toEqual(
      new Map([
        ["web-1", 1],
        ["web-2", 2],
      ]),
    );
  });
  it.each([
    ["", /is empty/],
    ["{not json", /not valid JSON/],
    ['{"web-1": -3}', /must be 0 or more/],
    ['{"web-1": "ten"}', /expected/],
    ["web-1,ten", /line 1: price "ten" is not a number/],
    ["host,price\nweb-1,1\nweb-1,2", /line 3: host "web-1" is listed twice/],
    ["web 1,3", /host "web 1" is not a host name/],
    ["web-1,1,2", /line 1: expected "host,monthly price"/],
    ["web-1,99999999999", /at most/],
    ["host,monthly\n", /lists no host/],
  ])("refuses %j with a message saying where", (text, message) => {
    expect(() => parsePriceFile(text, "COST_PRICE_FILE")).toThrow(PriceFileError);
    expect(() => parsePriceFile(text, "COST_PRICE_FILE")).toThrow(message);
  });
});
