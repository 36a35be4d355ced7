/**
 * The live tier: everything we ship, run against this machine's real exporters through the stack
 * `cloudops stack up` starts (Debian's Prometheus with our rules, node_exporter, Alertmanager).
 * Every query must succeed and, where this host has the thing measured, return its data: the answer
 * catalogue, the 18 anomaly features, the LLM tools, the recording and alerting rules, every Grafana
 * panel. The anomaly service trains on the history the stack has and scores this host; a real
 * alerting rule fires, Alertmanager sends it to the bot, one Slack message is posted and then
 * updated in place when the rule resolves.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FEATURES, featureQuery } from "../../src/anomaly/features.js";
import { runTool, TOOLS } from "../../src/assistant/llm/tools.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { allQueries } from "../../src/metrics/catalogue.js";
import { Environments } from "../../src/metrics/environments.js";
import { WEBHOOK_TOKEN_FILE } from "../../src/stack/stack.js";
import { type FakeSlack, startFakeSlack } from "../fakes/fake-slack.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { LIVE_TEST_ALERT } from "../support/live-stack-setup.js";
import { until } from "../support/until.js";

const live = inject("liveStack");
const repo = path.resolve(import.meta.dirname, "../..");

interface PromAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** An instant query on the live Prometheus, as its HTTP API answers it (errors included). */
async function query(expr: string, time?: number): Promise<PromAnswer> {
  const body = new URLSearchParams({ query: expr });
  if (time !== undefined) body.set("time", String(time));
  const res = await fetch(`${live.prometheusUrl}/api/v1/query`, { method: "POST", body });
  return (await res.json()) as PromAnswer;
}

const mine = (a: PromAnswer) => (a.data?.result ?? []).filter((r) => r.metric.instance === live.nodeInstance);

/** Whether this machine has swap: without it, swap queries rightly return nothing. */
let hasSwap = false;
/** One instant for every query of a test, so all of them see the same data. */
let at = 0;

beforeAll(async () => {
  // Rates need two scrapes of every counter; the stack scrapes every second.
  await until(
    "node_exporter scraped twice",
    async () => {
      at = Math.floor(Date.now() / 1000);
      return mine(await query('rate(node_cpu_seconds_total{mode="idle"}[5m])', at)).length > 0;
    },
    60_000,
  );
  const swap = mine(await query("node_memory_SwapTotal_bytes"));
  hasSwap = Number(swap[0]?.value[1] ?? 0) > 0;
});

/** Every panel target of the shipped dashboards, with Grafana's variables filled in for this host. */
function grafanaTargets(): { where: string; expr: string }[] {
  const dir = path.join(repo, "grafana/dashboards");
  const out: { where: string; expr: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const dashboard = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels)
      for (const t of panel.targets ?? [])
        out.push({
          where: `${file} / ${panel.title}`,
          expr: t.expr
            .replaceAll("$instance", live.nodeInstance.replaceAll(".", "\\\\."))
            .replaceAll("$__rate_interval", "1m")
            .replaceAll("$__interval", "15s")
            .replaceAll("$__range", "1h"),
        });
  }
  return out;
}

/** Queries that may return nothing on this machine, each with the reason checked. */
function mayBeEmpty(name: string): string | undefined {
  if (name.startsWith("containers_")) return "cAdvisor is not part of the stack (its fixture covers these)";
  if (name === "targets_down") return "every target of the stack is up";
  if (/swap/.test(name) && !hasSwap) return "this machine has no swap (SwapTotal is 0)";
  return undefined;
}

describe("live: every shipped query on this machine's real exporters", () => {
  it("answer catalogue: each query succeeds and returns this host's data", async () => {
    const failures: string[] = [];
    for (const q of allQueries()) {
      const a = await query(q.build({}), at);
      if (a.status !== "success") failures.push(`${q.name}: ${a.error}`);
      else if (mine(a).length === 0 && !mayBeEmpty(q.name) && q.by.includes("instance"))
        failures.push(`${q.name}: no data for ${live.nodeInstance}`);
      else if (mine(a).some((r) => !Number.isFinite(Number(r.value[1]))))
        failures.push(`${q.name}: a value that is not a number`);
    }
    expect(failures).toEqual([]);
  });

  it("the 18 anomaly features: each succeeds with a number for this host", async () => {
    const failures: string[] = [];
    for (const f of FEATURES) {
      const a = await query(featureQuery(f, 300), at);
      if (a.status !== "success") failures.push(`${f.name}: ${a.error}`);
      else if (mine(a).length === 0 && !mayBeEmpty(f.name)) failures.push(`${f.name}: no data`);
    }
    expect(failures).toEqual([]);
    expect(FEATURES).toHaveLength(18);
  });

  it("LLM tools: query_metric for every metric, now and over 10 minutes; promql_query; list_targets", async () => {
    const config = loadConfig({ PROMETHEUS_URL: live.prometheusUrl });
    const ctx = {
      environments: new Environments(prometheusSettings(config)),
      now: () => at * 1000,
      signal: AbortSignal.timeout(60_000),
    };
    const spec = TOOLS.find((t) => t.spec.name === "query_metric")?.spec.parameters as {
      properties: { metric: { enum: string[] } };
    };
    const metrics = spec.properties.metric.enum;
    expect(metrics.length).toBeGreaterThanOrEqual(20);
    const failures: string[] = [];
    for (const metric of metrics) {
      for (const args of [{ metric }, { metric, range: "10m" }]) {
        const r = await runTool("query_metric", args, ctx);
        const allowedEmpty = mayBeEmpty(
          metric === "swap" ? "swap" : metric.replace("container_", "containers_"),
        );
        if (r.status === "error") failures.push(`${JSON.stringify(args)}: ${r.error}`);
        else if (r.status === "no_data" && !allowedEmpty) failures.push(`${JSON.stringify(args)}: no data`);
      }
    }
    expect(failures).toEqual([]);
    const promql = await runTool(
      "promql_query",
      { query: "sum by (instance) (rate(node_cpu_seconds_total[5m]))" },
      ctx,
    );
    expect(promql.status).toBe("success");
    const targets = await runTool("list_targets", {}, ctx);
    expect(targets.status).toBe("success");
    // This machine's node_exporter is among the targets, and up.
    const t = targets.data as { total: number; up: number; down: { instance: string }[] };
    expect(t.total).toBeGreaterThanOrEqual(3);
    expect(t.down.map((d) => d.instance)).not.toContain(live.nodeInstance);
  });

  it("recording and alerting rules: Prometheus loaded every shipped rule and evaluates each without error", async () => {
    const shipped = readdirSync(path.join(repo, "prometheus/rules")).filter((f) => f.endsWith(".yml"));
    const names = shipped.flatMap((f) =>
      [
        ...readFileSync(path.join(repo, "prometheus/rules", f), "utf8").matchAll(
          /^\s*- (?:alert|record): (\S+)/gm,
        ),
      ].map((m) => m[1] as string),
    );
    expect(names.length).toBeGreaterThan(0);
    type Rule = { name: string; health: string; lastError?: string; lastEvaluation: string; query: string };
    let rules: Rule[] = [];
    await until(
      "every shipped rule evaluated once",
      async () => {
        const body = (await (await fetch(`${live.prometheusUrl}/api/v1/rules`)).json()) as {
          data: { groups: { rules: Rule[] }[] };
        };
        rules = body.data.groups.flatMap((g) => g.rules);
        return names.every((n) => rules.some((r) => r.name === n && !r.lastEvaluation.startsWith("0001")));
      },
      60_000,
    );
    const bad = rules
      .filter((r) => names.includes(r.name) && r.health !== "ok")
      .map((r) => `${r.name}: ${r.health} ${r.lastError ?? ""}`);
    expect(bad).toEqual([]);
    // And each rule's expression as a query of its own (a rule that errors only on some data shows here).
    for (const r of rules.filter((x) => names.includes(x.name))) {
      const a = await query(r.query, at);
      expect(a.status, `${r.name}: ${a.error}`).toBe("success");
    }
  });

  it("Grafana panels: every target of every dashboard succeeds; the host panels show this host", async () => {
    const failures: string[] = [];
    const targets = grafanaTargets();
    for (const { where, expr } of targets) {
      const a = await query(expr, at);
      if (a.status !== "success") failures.push(`${where}: ${a.error}`);
      else if (/node_/.test(expr) && mine(a).length === 0 && !/swap/i.test(expr))
        failures.push(`${where}: no data for ${live.nodeInstance}`);
    }
    expect(targets.length).toBeGreaterThan(5);
    expect(failures).toEqual([]);
  });
});

describe("live: the bot on the stack", () => {
  let slack: FakeSlack;
  let bot: TestApp;
  const env = "default";

  beforeAll(async () => {
    slack = await startFakeSlack();
    bot = await startTestApp(
      {
        PROMETHEUS_URL: live.prometheusUrl,
        SLACK_BOT_TOKEN: "xoxb-1-live",
        SLACK_SIGNING_SECRET: "0123456789abcdef0123456789abcdef",
        SLACK_API_URL: slack.apiUrl,
        SLACK_ALERT_CHANNEL: "C0LIVE",
        // The stack's Alertmanager sends the token it made; the bot reads the same file.
        ALERTMANAGER_WEBHOOK_TOKEN_FILE: path.join(live.home, "config", WEBHOOK_TOKEN_FILE),
        ANOMALY_ENABLED: "true",
        ANOMALY_SCAN_EVERY: "10s",
        ANOMALY_MIN_HISTORY: "1m",
      },
      undefined,
      Date.now,
      live.botPort,
    );
  });

  afterAll(async () => {
    await bot?.close();
    await slack?.close();
  });

  it("answers trends over long ranges from a Prometheus only minutes old, and withholds the usual level", async () => {
    const ask = async (text: string) =>
      (
        (await (
          await fetch(`${bot.url}/api/v1/ask`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ text }),
          })
        ).json()) as { reply: { title: string; text: string; tone: string } }
      ).reply;
    // Its range grid ends now: a grid ending up to a step (10 min here) earlier found no data at all.
    const trend = await ask("memory trend since yesterday");
    expect(trend.title).not.toMatch(/^No /);
    expect(trend.text).toMatch(/now \d+\.\d%/);
    const now = await ask("cpu usage now");
    expect(now.text).toMatch(/Usual level: not known yet — (less than|\d)/);
    expect(now.text).not.toMatch(/Usual level: \d/);
  });

  it("learns from the history the stack has, then scores this host; the scan is not failing", async () => {
    type Anomalies = {
      status: {
        environment: string;
        learning?: unknown;
        lastError?: string;
        lastErrorAt?: number;
        lastScanAt?: number;
      }[];
      latest: { environment: string; hosts: { instance: string; score: number }[] }[];
    };
    let body: Anomalies | undefined;
    await until(
      "this host scored by the bot's own anomaly jobs",
      async () => {
        body = (await (await fetch(`${bot.url}/api/v1/anomalies`)).json()) as Anomalies;
        return body.latest.some((l) => l.hosts.some((h) => h.instance === live.nodeInstance));
      },
      180_000,
    );
    const score = body?.latest.flatMap((l) => l.hosts).find((h) => h.instance === live.nodeInstance);
    expect(Number.isFinite(score?.score)).toBe(true);
    const status = body?.status.find((s) => s.environment === env);
    expect(status?.learning).toBeUndefined();
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`cloudops_anomaly_scan_failing\\{environment="${env}"\\} 0`));
    expect(metrics).toContain(`cloudops_anomaly_score{instance="${live.nodeInstance}",environment="${env}"}`);

    const answer = (await (
      await fetch(`${bot.url}/api/v1/ask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "any anomalies?" }),
      })
    ).json()) as { reply: { title: string; tone: string } };
    // Truthful either way: a real machine under a test suite may well look unusual.
    expect(answer.reply.title).toMatch(/^(🟢 No anomalies at the|🔴 \d+ hosts? behaving unusually)/);

    // Prometheus scrapes the bot: the anomaly scores reach it under the scored host's own instance
    // label, so the anomaly dashboard's panels show this host.
    let now = 0;
    await until(
      "cloudops_anomaly_score in Prometheus",
      async () => {
        now = Date.now() / 1000;
        return mine(await query("cloudops_anomaly_score", now)).length > 0;
      },
      60_000,
    );
    const failures: string[] = [];
    for (const { where, expr } of grafanaTargets().filter((t) => t.expr.includes("cloudops_anomaly_score"))) {
      const a = await query(expr, now);
      // Panels that keep the instance label must show this host; counts by environment need only succeed.
      const keepsInstance = !/count by \(environment\)/.test(expr);
      if (a.status !== "success" || (keepsInstance && mine(a).length === 0))
        failures.push(`${where}: ${a.error ?? `no data (${JSON.stringify(a.data?.result).slice(0, 200)})`}`);
    }
    expect(failures.join("\n")).toBe("");
  }, 300_000);

  it("a real alerting rule fires: Alertmanager → the bot → one Slack message, updated in place when it resolves", async () => {
    const alertname = LIVE_TEST_ALERT;
    // node_exporter's textfile collector: a real scraped series that a real rule fires on.
    const trigger = (value: number) => {
      const file = path.join(live.textfileDir, "live-test.prom");
      writeFileSync(`${file}.tmp`, `cloudops_live_test_trigger ${value}\n`);
      renameSync(`${file}.tmp`, file);
    };
    trigger(1);

    // Messages in the channel (thread replies such as the chart are not new messages).
    const posts = () =>
      slack
        .callsOf("chat.postMessage")
        .filter((c) => !c.args.thread_ts && JSON.stringify(c.args).includes(alertname));
    await until("the alert posted in Slack", async () => posts().length > 0, 90_000);
    const post = posts()[0];
    expect(JSON.stringify(post?.args)).toContain("FIRING");
    trigger(0);
    const updates = () =>
      slack
        .callsOf("chat.update")
        .filter(
          (c) => JSON.stringify(c.args).includes(alertname) && JSON.stringify(c.args).includes("RESOLVED"),
        );
    await until("the same message updated as resolved", async () => updates().length > 0, 120_000);
    // Updated in place: one post for the group, the update targets its ts.
    expect(posts()).toHaveLength(1);
    expect(post?.response?.ts).toBeDefined();
    expect(updates().every((u) => u.args.ts === post?.response?.ts)).toBe(true);
  }, 300_000);
});
