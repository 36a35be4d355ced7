/** `cloudops stack` with real Debian binaries on free ports: start, reuse, status, stop. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { silentLogger } from "../../src/observability/logger.js";
import { stackDown, stackStatus, stackUp } from "../../src/stack/stack.js";
import { startFakeConnector } from "../fakes/fake-connector.js";
import { freePort } from "../support/prometheus-process.js";
import { dropKeys, testPrefix } from "../support/redis.js";
import { messageActivity } from "../support/teams-activities.js";
import { until } from "../support/until.js";

const home = mkdtempSync(path.join(tmpdir(), "cloudops-stack-"));
const lines: string[] = [];
let opts: Parameters<typeof stackUp>[0];

afterAll(async () => {
  await stackDown(opts).catch(() => {});
  rmSync(home, { recursive: true, force: true });
});

describe("cloudops stack", () => {
  it("starts all four services, reuses them on a second run, reports and stops them", async () => {
    opts = {
      home,
      log: (l) => lines.push(l),
      ports: {
        redis: await freePort(),
        prometheus: await freePort(),
        nodeExporter: await freePort(),
        alertmanager: await freePort(),
      },
      botPort: await freePort(),
    };
    const up = await stackUp(opts);
    expect(up.map((s) => [s.name, s.state])).toEqual([
      ["redis", "started"],
      ["nodeExporter", "started"],
      ["alertmanager", "started"],
      ["prometheus", "started"],
    ]);
    // Prometheus scrapes the stack's node_exporter (its target list fills once the config is loaded).
    const wanted = `http://127.0.0.1:${opts.ports?.nodeExporter}/metrics`;
    let scrapeUrls: string[] = [];
    await until("node_exporter among Prometheus's targets", async () => {
      const targets = (await (
        await fetch(`http://127.0.0.1:${opts.ports?.prometheus}/api/v1/targets`)
      ).json()) as {
        data: { activeTargets: { scrapeUrl: string }[] };
      };
      scrapeUrls = targets.data.activeTargets.map((t) => t.scrapeUrl);
      return scrapeUrls.includes(wanted);
    });
    expect(scrapeUrls).toContain(wanted);

    const again = await stackUp(opts);
    expect(again.every((s) => s.state === "reused")).toBe(true);
    expect(again.map((s) => s.pid)).toEqual(up.map((s) => s.pid));

    const status = await stackStatus(opts);
    expect(status.every((s) => s.state === "running")).toBe(true);

    const down = await stackDown(opts);
    expect(down.every((s) => s.state === "stopped")).toBe(true);
    const after = await stackStatus(opts);
    expect(after.every((s) => s.state === "stopped")).toBe(true);
    expect(lines.some((l) => /prometheus\s+started on 127\.0\.0\.1:\d+/.test(l))).toBe(true);
  });

  it("leaves services it did not start alone", async () => {
    const other = mkdtempSync(path.join(tmpdir(), "cloudops-stack-other-"));
    const ports = {
      redis: await freePort(),
      prometheus: await freePort(),
      nodeExporter: await freePort(),
      alertmanager: await freePort(),
    };
    const first = { home: other, log: () => {}, ports };
    await stackUp(first);
    // A second stack home sees them as external: it reuses them and stops nothing.
    const second = { home: mkdtempSync(path.join(tmpdir(), "cloudops-stack-b-")), log: () => {}, ports };
    expect((await stackUp(second)).every((s) => s.state === "reused")).toBe(true);
    await stackDown(second);
    expect((await stackStatus(second)).every((s) => s.state === "running-external")).toBe(true);
    await stackDown(first);
    rmSync(other, { recursive: true, force: true });
    rmSync(second.home, { recursive: true, force: true });
  });
});

describe("the bot on the stack's Prometheus, scraping this machine", () => {
  it("answers health with this machine's CPU, memory, disk and load, as the same PromQL run by hand", async () => {
    const live = mkdtempSync(path.join(tmpdir(), "cloudops-stack-live-"));
    const ports = {
      redis: await freePort(),
      prometheus: await freePort(),
      nodeExporter: await freePort(),
      alertmanager: await freePort(),
    };
    const stack = { home: live, log: () => {}, ports, scrapeInterval: "1s" };
    const redisPrefix = testPrefix("stack-live");
    await stackUp(stack);
    const promUrl = `http://127.0.0.1:${ports.prometheus}`;
    /** The query evaluated at `time` (seconds), as the bot evaluates its own. */
    const byHand = async (query: string, time: number): Promise<number> => {
      const body = (await (
        await fetch(`${promUrl}/api/v1/query`, {
          method: "POST",
          body: new URLSearchParams({ query, time: String(time) }),
        })
      ).json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? Number.NaN);
    };
    // Busy share of all CPU time, which is right even before Prometheus holds 5 minutes of samples.
    const cpuQuery =
      '100 * (1 - sum(rate(node_cpu_seconds_total{mode="idle"}[5m])) / sum(rate(node_cpu_seconds_total[5m])))';
    const memQuery = "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)";
    const diskQuery =
      '100 * max by (instance) (1 - node_filesystem_avail_bytes{fstype=~"ext4|xfs|btrfs|zfs|ext3|ext2|vfat"} / node_filesystem_size_bytes{fstype=~"ext4|xfs|btrfs|zfs|ext3|ext2|vfat"})';
    const loadQuery = 'node_load1 / on (instance) count by (instance) (node_cpu_seconds_total{mode="idle"})';
    // Both sides are evaluated at one instant: the bot's clock is pinned there and the hand-run
    // queries name it with `time`. The instant is a scrape of node_exporter already stored: scrapes of
    // one target are stored one after the other, so nothing stamped at or before it can still arrive.
    // A CPU rate needs two scrapes by then.
    let at = 0;
    await until(
      "two stored scrapes of node_exporter",
      async () => {
        const lastScrape = await byHand("timestamp(node_load1)", Date.now() / 1000);
        if (Number.isNaN(lastScrape)) return false;
        at = Math.floor(lastScrape);
        return !Number.isNaN(await byHand(cpuQuery, at));
      },
      120_000,
      200,
    );
    const app = createApp(
      loadConfig({
        PROMETHEUS_URL: promUrl,
        REDIS_URL: inject("redisUrl"),
        LOG_LEVEL: "silent",
        ANOMALY_ENABLED: "false",
        PROMETHEUS_CACHE_TTL_MS: "0",
        TEAMS_EMULATOR: "true",
      }),
      silentLogger(),
      { redisPrefix, now: () => at * 1000 },
    );
    try {
      const url = `http://127.0.0.1:${await app.listen(0, "127.0.0.1")}`;
      const res = await fetch(`${url}/api/v1/ask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "what's the current system health?" }),
      });
      expect(res.status).toBe(200);
      const { reply } = (await res.json()) as {
        reply: { text: string; fields: { label: string; value: string }[] };
      };
      // One host (this machine): the summary line carries its four numbers.
      const m = /CPU ([\d.]+)% · Memory ([\d.]+)% · Disk ([\d.]+)% · Load\/core ([\d.]+)/.exec(reply.text);
      expect(m, `health of this machine: ${JSON.stringify(reply)}`).not.toBeNull();
      const [cpu, mem, disk, load] = (m as RegExpExecArray).slice(1).map(Number) as [
        number,
        number,
        number,
        number,
      ];
      const [cpuByHand, memByHand, diskByHand, loadByHand] = await Promise.all(
        [cpuQuery, memQuery, diskQuery, loadQuery].map((q) => byHand(q, at)),
      );
      // The same data at the same instant: the only difference is the answer's rounding (percentages
      // to one decimal, load per core to two).
      const PERCENT = 0.05 + 1e-9;
      const RATIO = 0.005 + 1e-9;
      expect(Math.abs(cpu - (cpuByHand as number))).toBeLessThanOrEqual(PERCENT);
      expect(Math.abs(mem - (memByHand as number))).toBeLessThanOrEqual(PERCENT);
      expect(Math.abs(disk - (diskByHand as number))).toBeLessThanOrEqual(PERCENT);
      expect(Math.abs(load - (loadByHand as number))).toBeLessThanOrEqual(RATIO);

      // The same question from Teams: the Adaptive Card carries this machine's numbers too.
      const connector = await startFakeConnector();
      try {
        await fetch(`${url}/api/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(
            messageActivity("what's the current system health?", { serviceUrl: connector.url }),
          ),
        });
        const [answer] = await connector.waitFor((c) => Array.isArray(c.body.attachments));
        const card = JSON.stringify(answer?.body.attachments);
        const t = /Memory ([\d.]+)% · Disk ([\d.]+)% · Load\/core ([\d.]+)/.exec(card);
        expect(t, `Teams card: ${card.slice(0, 500)}`).not.toBeNull();
        expect(Math.abs(Number(t?.[1]) - (memByHand as number))).toBeLessThanOrEqual(PERCENT);
        expect(Math.abs(Number(t?.[2]) - (diskByHand as number))).toBeLessThanOrEqual(PERCENT);
        expect(Math.abs(Number(t?.[3]) - (loadByHand as number))).toBeLessThanOrEqual(RATIO);
      } finally {
        await connector.close();
      }
    } finally {
      await app.close();
      await dropKeys(redisPrefix);
      await stackDown(stack);
      rmSync(live, { recursive: true, force: true });
    }
  });
});
