/**
 * The live tier for capacity forecasts: the disk and memory queries on this machine's real
 * node_exporter through the stack's Prometheus. The stack is minutes old, so every series is too
 * young to forecast and must say how much history it has; the root file system and memory must be
 * found with their real sizes.
 */
import { statfsSync } from "node:fs";
import { totalmem } from "node:os";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { capacityRisks, fetchCapacitySeries } from "../../src/insights/capacity.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { until } from "../support/until.js";

const live = inject("liveStack");
let client: PrometheusClient;

beforeAll(async () => {
  client = new PrometheusClient({
    environment: "live",
    baseUrl: live.prometheusUrl,
    timeoutMs: 20_000,
    retries: 0,
    cacheTtlMs: 0,
  });
  await until(
    "node_exporter's file systems scraped three times",
    async () =>
      (
        await client.instant(
          `count_over_time(node_filesystem_size_bytes{instance="${live.nodeInstance}"}[5m]) >= 3`,
        )
      ).length > 0,
    60_000,
  );
});

describe("live: capacity forecasts on this machine's real exporter", () => {
  it("finds the real file systems with their sizes (no tmpfs) and memory with MemTotal", async () => {
    const now = Math.ceil(Date.now() / 1000);
    const disks = await fetchCapacitySeries(client, { kind: "disk", now, lookbackSeconds: 3600 });
    const mine = disks.series.filter((s) => s.instance === live.nodeInstance);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((s) => !/tmpfs|overlay|squashfs/.test(s.fstype ?? ""))).toBe(true);
    const root = mine.find((s) => s.mountpoint === "/");
    if (root) {
      const fs = statfsSync("/");
      const size = [...root.size].filter(Number.isFinite).at(-1) as number;
      expect(size).toBe(fs.blocks * fs.bsize);
    }
    const memory = await fetchCapacitySeries(client, { kind: "memory", now, lookbackSeconds: 3600 });
    const mem = memory.series.find((s) => s.instance === live.nodeInstance);
    const total = [...(mem?.size ?? [])].filter(Number.isFinite).at(-1) as number;
    // MemTotal leaves out what the kernel reserved at boot: a little under the machine's RAM.
    expect(total).toBeLessThanOrEqual(totalmem() * 1.001);
    expect(total).toBeGreaterThan(totalmem() * 0.9);
  });

  it("a stack minutes old: every series is too young to forecast and says how much history it has", async () => {
    const now = Math.ceil(Date.now() / 1000);
    const risks = await capacityRisks(client, { withinSeconds: 7 * 86_400, now });
    expect(risks.failures).toEqual([]);
    const mine = risks.forecasts.filter((f) => f.instance === live.nodeInstance);
    expect(mine.some((f) => f.kind === "disk")).toBe(true);
    expect(mine.some((f) => f.kind === "memory")).toBe(true);
    for (const f of mine) {
      expect(["insufficient_history", "already_full"]).toContain(f.status);
      expect(f.historySeconds).toBeLessThan(Date.now() / 1000 - live.startedAt / 1000 + 120);
      expect(f.usedBytes).toBeGreaterThan(0);
      expect(f.usedBytes).toBeLessThanOrEqual(f.capacityBytes);
    }
  });
});
