/**
 * One bot over two environments, end to end: two real Prometheus processes (prod quiet, staging with
 * one host busy on the same host names), a routes file sending each environment's alerts to its own
 * channel, the anomaly jobs on, and the fake Slack. Questions through the HTTP API answer from the
 * environment they name (the default one otherwise); a chat rule made "in staging" reads staging
 * only and its alert goes to staging's channel, as do Alertmanager alerts by their environment label;
 * both environments are scanned; a digest names both. Every number checked is read from the
 * Prometheus it belongs to at the bot's instant, not written into the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SCAN_QUEUE } from "../../src/jobs/anomaly-jobs.js";
import { RULES_QUEUE } from "../../src/jobs/rule-jobs.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { outboxDrained } from "../support/alert-outbox.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { fleetHost, writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { FORM, postSigned, SIGNING_SECRET, sign, slashCommand } from "../support/slack-requests.js";
import { until } from "../support/until.js";

const END = Math.floor(Date.UTC(2026, 3, 14, 10, 0, 0) / 1000);
const HOSTS = 3;
/** The same name in both environments: busy in staging, quiet in prod. */
const HOST = fleetHost(0);
const INSTANCE = `${HOST}:9100`;
const CHANNELS = { prod: "C0PROD", staging: "C0STAGING", fallback: "C0OTHER" } as const;
const TOKEN = "multi-env-webhook-token";
/** The bot's CPU busy query (src/metrics/catalogue.ts), asked of each Prometheus directly. */
const CPU_BUSY =
  '100 * (1 - sum by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) / sum by (instance) (rate(node_cpu_seconds_total[5m])))';

let prod: PrometheusProcess;
let staging: PrometheusProcess;
let slack: FakeSlack;
let app: TestApp;
let redis: Redis;
let routesDir: string;

beforeAll(async () => {
  // Same fleet shape and seed; staging's first host has a CPU user + iowait burst over the last 10 min.
  const fleet = { hosts: HOSTS, end: END, days: 2, stepSeconds: 60 };
  [prod, staging] = await Promise.all([
    writeFleet(fleet).then(startBackfilledPrometheus),
    writeFleet({ ...fleet, burst: { host: 0, secondsBeforeEnd: 600 } }).then(startBackfilledPrometheus),
  ]);
  routesDir = mkdtempSync(path.join(tmpdir(), "cloudops-routes-"));
  const routesFile = path.join(routesDir, "alert-routes.yml");
  writeFileSync(
    routesFile,
    [
      "routes:",
      "  - name: staging",
      "    environment: [staging]",
      `    slack_channel: ${CHANNELS.staging}`,
      "  - name: prod",
      "    environment: [prod]",
      `    slack_channel: ${CHANNELS.prod}`,
      "",
    ].join("\n"),
  );
  slack = await startFakeSlack();
  app = await startTestApp(
    {
      PROMETHEUS_ENVIRONMENTS: `prod=${prod.url},staging=${staging.url}`,
      SLACK_BOT_TOKEN: "xoxb-1-multienv",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_ALERT_CHANNEL: CHANNELS.fallback,
      ALERT_ROUTES_FILE: routesFile,
      ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
      ALERT_ACTORS: "*",
      ALERT_RULE_EVERY: "1s",
      ALERT_POSTS_PER_MINUTE: "1000",
      ANOMALY_ENABLED: "true",
      ANOMALY_SCAN_EVERY: "10s",
    },
    undefined,
    () => END * 1000,
  );
  redis = new Redis(inject("redisUrl"));
}, 120_000);

afterAll(async () => {
  await app?.close();
  redis?.disconnect();
  await slack?.close();
  await Promise.all([prod?.stop(), staging?.stop()]);
  if (routesDir) rmSync(routesDir, { recursive: true, force: true });
});

/** CPU busy of `instance` read from `prom` at the bot's instant, to one decimal as the bot shows it. */
async function cpuAt(prom: PrometheusProcess, instance: string): Promise<string> {
  const res = await fetch(
    `${prom.url}/api/v1/query?${new URLSearchParams({ query: CPU_BUSY, time: String(END) })}`,
  );
  const body = (await res.json()) as {
    data: { result: { metric: { instance: string }; value: [number, string] }[] };
  };
  const sample = body.data.result.find((r) => r.metric.instance === instance);
  if (!sample) throw new Error(`no CPU sample for ${instance} in ${prom.url}`);
  return Number(sample.value[1]).toFixed(1);
}

interface AskReply {
  title: string;
  text: string;
  context: string[];
  tone: string;
}

async function ask(text: string): Promise<AskReply> {
  const res = await fetch(`${app.url}/api/v1/ask`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { reply: AskReply }).reply;
}

/** A slash command in `channel` (none of the alert channels, so routes alone place alerts); its answer. */
async function command(text: string, channel = "C0OPS"): Promise<string> {
  const before = slack.callsOf("response_url").length;
  const res = await postSigned(
    `${app.url}/slack/events`,
    sign(slashCommand(text, { channel, responseUrl: slack.responseUrl }), FORM),
  );
  expect(res.status).toBe(200);
  const [reply] = (await slack.waitFor("response_url", before + 1)).slice(before);
  return JSON.stringify(reply?.args);
}

/** Top-level messages posted to `channel` whose blocks mention `needle`. */
const postsIn = (channel: string, needle: string): SlackCall[] =>
  slack
    .callsOf("chat.postMessage")
    .filter(
      (c) =>
        c.args.channel === channel && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(needle),
    );

describe("two environments, one bot", () => {
  it("answers from the environment asked about, and from the default one otherwise", async () => {
    const [prodCpu, stagingCpu] = await Promise.all([cpuAt(prod, INSTANCE), cpuAt(staging, INSTANCE)]);
    // The fixture's point: the same host differs, so an answer from the wrong Prometheus shows.
    expect(Number(stagingCpu)).toBeGreaterThan(Number(prodCpu) + 20);

    const fromStaging = await ask(`cpu on ${HOST} in staging`);
    expect(fromStaging.title).toContain(`CPU ${stagingCpu}% on ${HOST}`);
    expect(fromStaging.context).toContain("Environment: staging");

    const fromDefault = await ask(`cpu on ${HOST}`);
    expect(fromDefault.title).toContain(`CPU ${prodCpu}% on ${HOST}`);
    expect(fromDefault.context).toContain("Environment: prod");

    const fromProd = await ask(`cpu on ${HOST} in prod`);
    expect(fromProd.title).toContain(`CPU ${prodCpu}% on ${HOST}`);
  });

  it("evaluates a rule made in staging against staging only, and routes its alert to staging's channel", async () => {
    const stagingCpu = await cpuAt(staging, INSTANCE);
    const created = await command("alert when cpu > 50% in staging");
    expect(created).toContain("Rule created");
    expect(created).toContain("(staging)");
    // The same rule on prod, where no host is above 50%: it must stay quiet.
    const prodRule = await command("alert when cpu > 50% in prod");
    expect(prodRule).toContain("(prod)");

    await until("the staging rule's alert", () => postsIn(CHANNELS.staging, "CPUBusyRule").length > 0);
    const [post] = postsIn(CHANNELS.staging, "CPUBusyRule");
    const blocks = JSON.stringify(post?.args.blocks);
    expect(blocks).toContain(`CPUBusyRule on ${INSTANCE}`);
    expect(blocks).toContain(`CPU busy ${stagingCpu}% vs threshold 50.0%`);
    // Only staging's busy host: its quiet neighbours (below 50% in both environments) are not named.
    for (let h = 1; h < HOSTS; h++) expect(blocks).not.toContain(fleetHost(h));

    // Several evaluations later, prod's rule has raised nothing, anywhere.
    const jobs = `${app.redisPrefix}:bull:${RULES_QUEUE}:completed`;
    const seen = await redis.zcard(jobs);
    await until("three more rule evaluations", async () => (await redis.zcard(jobs)) >= seen + 3);
    await outboxDrained(app);
    expect(postsIn(CHANNELS.prod, "CPUBusyRule")).toEqual([]);
    expect(postsIn(CHANNELS.fallback, "CPUBusyRule")).toEqual([]);
    expect(postsIn(CHANNELS.staging, "CPUBusyRule")).toHaveLength(1);
  });

  it("routes Alertmanager alerts by their environment label", async () => {
    const alert = (environment: string, i: number) => ({
      status: "firing",
      labels: { alertname: "DiskAlmostFull", environment, instance: `db-${i}:9100`, severity: "warning" },
      annotations: { summary: `disk on db-${i} in ${environment}` },
      startsAt: "2026-04-14T09:50:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "",
      fingerprint: `e0e0${i.toString(16).padStart(12, "0")}`,
    });
    const res = await fetch(`${app.url}/api/v1/alertmanager`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        version: "4",
        groupKey: '{}:{alertname="DiskAlmostFull"}',
        status: "firing",
        receiver: "cloudops",
        groupLabels: { alertname: "DiskAlmostFull" },
        commonLabels: { alertname: "DiskAlmostFull" },
        commonAnnotations: {},
        externalURL: "http://alertmanager:9093",
        alerts: [alert("prod", 1), alert("staging", 2), alert("qa", 3)],
      }),
    });
    expect(res.status).toBe(200);
    await until(
      "a message in each channel",
      () =>
        postsIn(CHANNELS.prod, "DiskAlmostFull").length > 0 &&
        postsIn(CHANNELS.staging, "DiskAlmostFull").length > 0 &&
        postsIn(CHANNELS.fallback, "DiskAlmostFull").length > 0,
    );
    await outboxDrained(app);
    const hostsIn = (channel: string) =>
      postsIn(channel, "DiskAlmostFull").map((c) => /db-\d/.exec(JSON.stringify(c.args.blocks))?.[0]);
    expect(hostsIn(CHANNELS.prod)).toEqual(["db-1"]);
    expect(hostsIn(CHANNELS.staging)).toEqual(["db-2"]);
    // No route for qa: the default channel.
    expect(hostsIn(CHANNELS.fallback)).toEqual(["db-3"]);
  });

  it("scans each environment on its own schedule: staging's busy host is found there, prod is clean", async () => {
    const queue = new Queue(SCAN_QUEUE, {
      connection: { url: inject("redisUrl") },
      prefix: `${app.redisPrefix}:bull`,
    });
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(["scan:prod", "scan:staging"]);
    } finally {
      await queue.close();
    }
    interface Status {
      status: { environment: string; lastScanAt?: number; lastError?: string }[];
      findings: { environment: string; instance: string }[];
    }
    let body: Status = { status: [], findings: [] };
    await until(
      "a scan of each environment and a finding",
      async () => {
        body = (await (await fetch(`${app.url}/api/v1/anomalies`)).json()) as Status;
        const scanned = (env: string) => body.status.find((s) => s.environment === env)?.lastScanAt;
        return scanned("prod") !== undefined && scanned("staging") !== undefined && body.findings.length > 0;
      },
      120_000,
    );
    expect(body.status.map((s) => s.lastError)).toEqual([undefined, undefined]);
    expect(body.findings.map((f) => [f.environment, f.instance])).toEqual([["staging", INSTANCE]]);
    // Its alert carries the environment, so staging's route takes it.
    await until(
      "the anomaly alert in staging's channel",
      () => postsIn(CHANNELS.staging, "HostAnomaly").length > 0,
    );
    await outboxDrained(app);
    expect(postsIn(CHANNELS.prod, "HostAnomaly")).toEqual([]);
  }, 180_000);

  it("posts a digest that names both environments", async () => {
    const shown = () =>
      slack.calls.filter(
        (c) =>
          (c.method === "chat.postMessage" || c.method === "chat.update") &&
          c.args.channel === "C0DIGEST" &&
          String(c.args.text).includes("Daily digest"),
      );
    const res = await postSigned(
      `${app.url}/slack/events`,
      sign(slashCommand("digest now", { channel: "C0DIGEST", responseUrl: slack.responseUrl }), FORM),
    );
    expect(res.status).toBe(200);
    await until("the digest posted", () => shown().length > 0);
    const digest = JSON.stringify(shown().at(-1)?.args);
    expect(digest).toContain("environments prod, staging");
    // Its biggest changes say which environment each is from.
    expect(digest).toMatch(/Fleet (CPU|memory) \((prod|staging)\)/);
  });
});
