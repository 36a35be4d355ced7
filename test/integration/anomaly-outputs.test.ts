/**
 * The anomaly engine's outputs, from the bot's own scheduled jobs: findings with explanations on
 * GET /api/v1/anomalies, gauges on /metrics, the engine's "any anomalies?" answer with a chart, and a
 * failing environment's reason in both the API and the metrics, and the finding posted as an alert.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type App, createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { SCAN_QUEUE } from "../../src/jobs/anomaly-jobs.js";
import { silentLogger } from "../../src/observability/logger.js";
import { deadUrl } from "../fakes/broken-prometheus.js";
import { type FakeSlack, startFakeSlack } from "../fakes/fake-slack.js";
import { outboxDrained } from "../support/alert-outbox.js";
import { fleetHost, writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";
import { until } from "../support/until.js";

const END = Math.floor(Date.UTC(2026, 1, 3, 9, 30, 0) / 1000);
const BURST = `${fleetHost(3)}:9100`;
const prefix = testPrefix("anomaly-outputs");
let prom: PrometheusProcess;
let app: App;
let url: string;
let redis: Redis;
let slack: FakeSlack;

beforeAll(async () => {
  prom = await startBackfilledPrometheus(
    await writeFleet({
      hosts: 4,
      end: END,
      days: 2,
      stepSeconds: 60,
      burst: { host: 3, secondsBeforeEnd: 600 },
    }),
  );
  slack = await startFakeSlack();
  const config = loadConfig({
    SLACK_BOT_TOKEN: "xoxb-1-anomaly",
    SLACK_SIGNING_SECRET: "0123456789abcdef0123456789abcdef",
    SLACK_API_URL: slack.apiUrl,
    SLACK_ALERT_CHANNEL: "C0ANOMALY",
    GRAFANA_URL: "https://grafana.example",
    PROMETHEUS_ENVIRONMENTS: `prod=${prom.url},staging=${await deadUrl()}`,
    PROMETHEUS_RETRIES: "0",
    REDIS_URL: inject("redisUrl"),
    LOG_LEVEL: "silent",
    ANOMALY_ENABLED: "true",
    ANOMALY_SCAN_EVERY: "10s",
  });
  app = createApp(config, silentLogger(), { now: () => END * 1000, redisPrefix: prefix });
  url = `http://127.0.0.1:${await app.listen(0, "127.0.0.1")}`;
  redis = new Redis(inject("redisUrl"));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await slack?.close();
  await prom?.stop();
  await dropKeysAndDisconnect(redis, prefix);
});

interface AnomaliesBody {
  status: { environment: string; lastScanAt?: number; lastError?: string }[];
  findings: {
    instance: string;
    environment: string;
    deviations: { feature: string; value: number; baseline: number }[];
  }[];
}

async function anomalies(): Promise<AnomaliesBody> {
  return (await (await fetch(`${url}/api/v1/anomalies`)).json()) as AnomaliesBody;
}

describe("anomaly outputs", () => {
  it("posts the finding as an alert in Slack: what moved against its usual level, and the anomaly panel", async () => {
    const [post] = await slack.waitFor("chat.postMessage", 1, 180_000);
    expect(post?.args.channel).toBe("C0ANOMALY");
    const blocks = JSON.stringify(post?.args.blocks);
    expect(blocks).toContain(`HostAnomaly on ${BURST}`);
    expect(blocks).toMatch(/Unusual: [^"]*CPU user [\d.]+% vs usual [\d.]+% ↑/);
    expect(blocks).toMatch(
      /anomaly score \d+\.\d\d \((about|rarer than) 1 in [\d,]+ scans\) vs threshold \d+\.\d\d; flagged for /,
    );
    expect(blocks).toContain("From the anomaly detector");
    // The panel link covers the hour before the burst up to the bot's now.
    expect(blocks).toContain(
      `https://grafana.example/d/ml-anomaly-detection?viewPanel=2&from=${(END - 3600) * 1000}&to=${END * 1000}&var-instance=${encodeURIComponent(BURST)}&var-environment=prod`,
    );
    // Under it, in its thread, the chart of the feature that moved most on that host.
    const [complete] = await slack.waitFor("files.completeUploadExternal");
    expect(complete?.args.thread_ts).toBe(post?.response?.ts);
    const [upload] = slack.callsOf("upload");
    expect(upload?.bytes?.subarray(1, 4).toString()).toBe("PNG");
    expect(JSON.stringify(complete?.args.files)).toMatch(/node-0004/);
    // Later scans of the same burst are the same episode: no second message.
    // (The bot's clock is fixed, so scans are counted from the job queue, not from their times.)
    const scans = () => redis.zcard(`${prefix}:bull:${SCAN_QUEUE}:completed`);
    const first = await scans();
    await until("another scan", async () => (await scans()) >= first + 1);
    // What that scan raised has been delivered by now.
    await outboxDrained({ redisPrefix: prefix });
    expect(slack.callsOf("chat.postMessage").filter((c) => !c.args.thread_ts)).toHaveLength(1);
  }, 300_000);

  it("lists the finding with its explanation, and the failing environment with its reason", async () => {
    await until("a prod scan and a staging failure", async () => {
      const b = await anomalies();
      const prod = b.status.find((s) => s.environment === "prod");
      const staging = b.status.find((s) => s.environment === "staging");
      return prod?.lastScanAt !== undefined && staging?.lastError !== undefined;
    });
    const body = await anomalies();
    expect(body.findings.map((f) => [f.environment, f.instance])).toEqual([["prod", BURST]]);
    const features = body.findings[0]?.deviations.slice(0, 4).map((d) => d.feature);
    expect(features).toContain("cpu_iowait");
    expect(body.status.find((s) => s.environment === "staging")?.lastError).toMatch(/Prometheus/);
  });

  it("exports the scores, thresholds and the failing scan as gauges", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    // The value of the series `name` carrying all of `labels` (in whatever order they are printed).
    const gauge = (name: string, labels: string) => {
      const wanted = labels.split(",");
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
      return Number(line?.split(" ").pop() ?? Number.NaN);
    };
    const score = gauge("cloudops_anomaly_score", `environment="prod",instance="${BURST}"`);
    const threshold = gauge("cloudops_anomaly_threshold", `environment="prod",instance="${BURST}"`);
    expect(score).toBeGreaterThan(0);
    expect(threshold).toBeGreaterThan(0);
    expect(
      gauge("cloudops_anomaly_feature_score", `environment="prod",instance="${BURST}",feature="cpu_iowait"`),
    ).toBeGreaterThan(0.5);
    expect(score).toBeGreaterThan(threshold);
    expect(gauge("cloudops_anomaly_scan_failing", 'environment="staging"')).toBe(1);
    expect(gauge("cloudops_anomaly_scan_failing", 'environment="prod"')).toBe(0);
  });

  it('answers "any anomalies?" with the host, the features that moved and a chart', async () => {
    const res = await fetch(`${url}/api/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "any anomalies in prod?" }),
    });
    const { reply } = (await res.json()) as { reply: { title: string; text: string; chart?: unknown } };
    expect(reply.title).toMatch(/1 host behaving unusually/);
    expect(reply.text).toContain(fleetHost(3));
    const fields = (reply as unknown as { fields: { label: string; value: string }[] }).fields;
    expect(fields.find((f) => f.label.endsWith("iowait"))?.value).toMatch(/^\d+\.\d% \(usual \d\.\d%\)$/);
    expect(reply.chart).toBeDefined();
  });
});
