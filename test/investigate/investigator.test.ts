/**
 * The first look against a real Prometheus holding a backfilled fleet (incident-fixture.ts): the host
 * with a CPU hog is named first, a quiet fleet gives "nothing unusual found", a reboot and a restart
 * loop are listed under what changed, and a Prometheus that does not answer is said in the headline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnomalyStore } from "../../src/anomaly/anomaly-store.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import type { InvestigationRequest } from "../../src/investigate/investigation.js";
import { investigationChart, investigationReply } from "../../src/investigate/investigation-reply.js";
import { createInvestigator } from "../../src/investigate/investigator.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { plainText } from "../../src/reply/reply.js";
import {
  freePort,
  type PrometheusProcess,
  startBackfilledPrometheus,
} from "../support/prometheus-process.js";
import { dropKeysAndDisconnect, testPrefix, testRedis } from "../support/redis.js";
import { INCIDENT, writeIncidentFleet } from "./incident-fixture.js";

const END = Math.floor(Date.now() / 3_600_000) * 3600 - 86400 + 1800;
let prom: PrometheusProcess;

const client = (url: string) =>
  new PrometheusClient({ environment: "prod", baseUrl: url, timeoutMs: 10_000, retries: 1, cacheTtlMs: 0 });
const investigatorAt = (url: string, atSeconds: number) =>
  createInvestigator({
    environments: { get: (name?: string) => (name === "prod" ? client(url) : undefined) },
    now: () => atSeconds * 1000,
    grafanaUrl: "https://grafana.example.com",
  });
const request = (over: Partial<InvestigationRequest>): InvestigationRequest => ({
  environment: "prod",
  alertName: "HighCPU",
  startsAt: END * 1000 - 20 * 60_000,
  ...over,
});

beforeAll(async () => {
  prom = await startBackfilledPrometheus(await writeIncidentFleet(END));
}, 240_000);
afterAll(async () => {
  await prom?.stop();
});

describe("investigator", () => {
  it("names the host with a CPU hog and its CPU first when the alert names no host", async () => {
    const inv = await investigatorAt(prom.url, END).investigate(request({ job: "node" }));
    expect(inv.failures).toEqual([]);
    expect(inv.suspect).toEqual({ instance: `${INCIDENT.hog.host}:9100`, resource: "cpu" });
    expect(inv.moved[0]?.feature).toBe("cpu_user");
    expect(inv.moved[0]?.value).toBeGreaterThan(60);
    expect(inv.moved[0]?.usual).toBeLessThan(40);
    expect(inv.nothingUnusual).toBe(false);
    // No other host's CPU moved.
    expect(inv.elsewhere).toEqual([]);
    const reply = investigationReply(inv);
    expect(reply.title).toMatch(
      /^🔎 First look: CPU user is \d+\.\d% vs usual \d+\.\d% on web-3 \(since \d\d:\d\d UTC\)$/,
    );
    expect(reply.links.some((l) => l.url.startsWith(`${prom.url}/graph?`))).toBe(true);
    expect(reply.links.some((l) => l.url.startsWith("https://grafana.example.com/d/system-overview"))).toBe(
      true,
    );
    const chart = await investigationChart(inv, renderLineChart);
    expect(chart?.png.subarray(1, 4).toString()).toBe("PNG");
  }, 60_000);

  it("ranks the alerting host's own features when the alert names it", async () => {
    const inv = await investigatorAt(prom.url, END).investigate(request({ instance: "web-3" }));
    expect(inv.suspect?.instance).toBe("web-3:9100");
    expect(inv.moved.map((m) => m.feature).slice(0, 2)).toContain("cpu_user");
    expect(inv.moved.every((m) => Math.abs(m.score) >= 4)).toBe(true);
  }, 60_000);

  it("adds the anomaly engine's latest scan of the host, when recent, with what led it", async () => {
    const redis = testRedis();
    const prefix = testPrefix("inv-anomaly");
    try {
      const store = new AnomalyStore(redis, prefix);
      const deviation = (feature: string, label: string, value: number, baseline: number) => ({
        feature,
        label,
        unit: "percent" as const,
        value,
        baseline,
        z: 9,
        direction: "up" as const,
        score: 0.9,
      });
      await store.recordScan(
        "prod",
        [
          {
            instance: `${INCIDENT.hog.host}:9100`,
            at: END - 60,
            score: 7.3,
            threshold: 5.44,
            anomalous: true,
            deviations: [deviation("cpu_user", "CPU user", 88, 20)],
            flaggedBy: ["temporal"],
          },
          // Scored long ago: not the host's present state.
          {
            instance: "web-1:9100",
            at: END - 3600,
            score: 1.2,
            threshold: 5.44,
            anomalous: false,
            deviations: [],
          },
        ],
        END * 1000,
      );
      const investigator = createInvestigator({
        environments: { get: (name?: string) => (name === "prod" ? client(prom.url) : undefined) },
        now: () => END * 1000,
        anomalyScores: (environment) => store.latest(environment),
      });
      const inv = await investigator.investigate(request({ instance: INCIDENT.hog.host }));
      expect(inv.anomaly).toMatchObject({ at: (END - 60) * 1000, score: 7.3, anomalous: true });
      expect(inv.anomaly?.leading[0]).toEqual({ label: "CPU user", unit: "percent", value: 88, usual: 20 });
      const text = plainText(investigationReply(inv).text);
      expect(text).toContain("Anomaly engine flagged it at");
      expect(text).toContain("about 1 in 20,000,000 scans (score 7.30, threshold 5.44)");
      expect(text).toContain("led by CPU user 88.0% vs usual 20.0%");
      const quiet = await investigator.investigate(request({ instance: "web-1:9100" }));
      expect(quiet.anomaly).toBeUndefined();
    } finally {
      await dropKeysAndDisconnect(redis, prefix);
    }
  }, 60_000);

  it("finds nothing unusual on a quiet fleet", async () => {
    const at = END - INCIDENT.quietSecondsBeforeEnd;
    const inv = await investigatorAt(prom.url, at).investigate(
      request({ instance: "web-1:9100", startsAt: at * 1000 - 5 * 60_000 }),
    );
    expect(inv.failures).toEqual([]);
    expect(inv.moved).toEqual([]);
    expect(inv.changes).toEqual([]);
    expect(inv.nothingUnusual).toBe(true);
    expect(inv.suspect).toBeUndefined();
    const reply = investigationReply(inv);
    expect(reply.title).toBe("🔎 First look: nothing unusual found on web-1");
    expect(reply.tone).toBe("ok");
  }, 60_000);

  it("lists a reboot and a restart loop under what changed", async () => {
    const inv = await investigatorAt(prom.url, END).investigate(
      request({ instance: "web-2:8080", alertName: "AppDown" }),
    );
    const reboot = inv.changes.find((c) => c.kind === "reboot");
    expect(reboot).toMatchObject({
      instance: "web-4:9100",
      at: (END - INCIDENT.reboot.secondsBeforeEnd) * 1000,
    });
    const restart = inv.changes.find((c) => c.kind === "process_restart");
    expect(restart).toMatchObject({ instance: "web-2:8080", count: INCIDENT.restarts.count });
    // The alerting host's changes come first, and a restart loop is what it names.
    expect(inv.changes[0]?.instance).toBe("web-2:8080");
    expect(inv.suspect).toEqual({ instance: "web-2:9100", resource: "restart" });
    expect(inv.nothingUnusual).toBe(false);
    const text = plainText(investigationReply(inv).text);
    expect(text).toContain("web-4 rebooted at");
    expect(text).toContain("app restarted 4 times");
  }, 60_000);

  it("says in the headline that Prometheus did not answer, and still returns the rest", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const inv = await investigatorAt(dead, END).investigate(
      request({
        instance: "web-3:9100",
        groupId: "aaaaaaaa",
        openAlerts: [
          { id: "bbbbbbbb", name: "HighLoad", instance: "web-3:9100", startsAt: END * 1000 - 25 * 60_000 },
          { id: "cccccccc", name: "DiskFull", instance: "web-1:9100", startsAt: END * 1000 - 5 * 3600_000 },
        ],
        history: [
          {
            id: "dddddddd",
            startsAt: END * 1000 - 3 * 86400_000,
            endsAt: END * 1000 - 3 * 86400_000 + 23 * 60_000,
            ackBy: "ana",
          },
        ],
      }),
    );
    expect(inv.failures.length).toBeGreaterThan(0);
    expect(inv.failures.join(" ")).toContain("Prometheus did not answer");
    expect(inv.nothingUnusual).toBe(false);
    expect(inv.relatedAlerts.map((a) => a.id)).toEqual(["bbbbbbbb"]);
    const reply = investigationReply(inv);
    expect(reply.title).toMatch(/^🔎 First look at web-3 incomplete: .*Prometheus did not answer/);
    expect(reply.tone).toBe("warning");
    const text = plainText(reply.text);
    expect(text).toContain("HighLoad on web-3");
    expect(text).toContain("lasted 23 min; acknowledged by ana");
    // Never falsely calm: what could not be read is not called quiet.
    expect(text).not.toContain("no reboot");
    expect(text).not.toContain("Nothing moved");
  }, 60_000);
});
