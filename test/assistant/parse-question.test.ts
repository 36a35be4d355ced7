/**
 * The built-in parser's phrase coverage: real phrasings (typos, casing, synonyms, relative times,
 * hosts, environments) mapped to intents and parameters. `now` is fixed: Wednesday 2026-11-25 10:30 UTC.
 */
import { describe, expect, it } from "vitest";
import type { ParsedQuestion } from "../../src/assistant/intent.js";
import { EXAMPLE_QUESTIONS, parseQuestion, suggestQuestions } from "../../src/assistant/parse-question.js";

const ctx = { environments: ["prod", "staging"], hosts: ["web-1", "web-2", "db-1", "cache-01.internal"] };
const NOW = new Date("2026-11-25T10:30:00Z");
const H = 3600;
const TODAY = 10.5 * H; // since 00:00 UTC
const WEEK = 2 * 86400 + TODAY; // since Monday 00:00 UTC
const SINCE_YESTERDAY = 86400 + TODAY;

const last = (s: number, label: string) => ({ fromSecondsAgo: s, toSecondsAgo: 0, label });
const now = (resource: string, extra: Partial<ParsedQuestion> = {}) => ({
  intent: { kind: "metric_now", resource },
  ...extra,
});
const trend = (resource: string, range: object, extra: Partial<ParsedQuestion> = {}) => ({
  intent: { kind: "metric_trend", resource, range },
  ...extra,
});
const top = (resource: string, n: number, extra: object = {}) => ({
  intent: { kind: "top_hosts", resource, n, ...extra },
});
const intent = (kind: string, extra: object = {}) => ({ intent: { kind, ...extra } });

const TABLE: Array<[string, object]> = [
  // health
  ["what's the current system health?", intent("health")],
  ["What's the current system health", intent("health")],
  ["system health", intent("health")],
  ["health", intent("health")],
  ["HEALTH", intent("health")],
  ["helth", intent("health")],
  ["healht check", intent("health")],
  ["status", intent("health")],
  ["staus", intent("health")],
  ["overview", intent("health")],
  ["give me a summary", intent("health")],
  ["how are things?", intent("health")],
  ["how's everything", intent("health")],
  ["is everything ok?", intent("health")],
  ["is everything okay", intent("health")],
  ["anything wrong?", intent("health")],
  ["what's wrong", intent("health")],
  ["any problems?", intent("health")],
  ["how is web-1", { intent: { kind: "health" }, host: "web-1" }],
  ["health of db-1", { intent: { kind: "health" }, host: "db-1" }],
  ["status of web2", { intent: { kind: "health" }, host: "web-2" }],
  ["health in prod", { intent: { kind: "health" }, environment: "prod" }],
  ["how is production doing", { intent: { kind: "health" }, environment: "prod" }],
  ["staging status", { intent: { kind: "health" }, environment: "staging" }],
  ["web-1", { intent: { kind: "health" }, host: "web-1" }],
  // cpu now
  ["cpu usage", now("cpu")],
  ["CPU", now("cpu")],
  ["cpu usgae", now("cpu")],
  ["processor usage", now("cpu")],
  ["processor load", now("cpu")],
  ["cpu utilization", now("cpu")],
  ["cpu utilisation on web-2", now("cpu", { host: "web-2" })],
  ["how busy is the cpu on db-1", now("cpu", { host: "db-1" })],
  ["cpu on web2", now("cpu", { host: "web-2" })],
  ["cpu on WEB-1", now("cpu", { host: "web-1" })],
  ["cpu on web_1", now("cpu", { host: "web-1" })],
  ["cpu on web-3", now("cpu", { host: "web-3" })],
  ["cpu for nosuchhost", now("cpu", { host: "nosuchhost" })],
  ["cpu in prod", now("cpu", { environment: "prod" })],
  ["cpu in production", now("cpu", { environment: "prod" })],
  ["cpu on staging", now("cpu", { environment: "staging" })],
  ["cpu in stg", now("cpu", { environment: "staging" })],
  ["cpu on web-1 in prod", now("cpu", { host: "web-1", environment: "prod" })],
  ["cpus", now("cpu")],
  ["current cpu", now("cpu")],
  ["cpu right now?", now("cpu")],
  ["what is the cpu at", now("cpu")],
  // memory now
  ["memory usage", now("memory")],
  ["memory", now("memory")],
  ["memroy", now("memory")],
  ["memmory on db-1", now("memory", { host: "db-1" })],
  ["ram", now("memory")],
  ["RAM usage on web-2", now("memory", { host: "web-2" })],
  ["how much memory is used on web-2", now("memory", { host: "web-2" })],
  ["mem", now("memory")],
  ["free memory", now("memory")],
  // disk now
  ["disk space", now("disk")],
  ["disk usage", now("disk")],
  ["dsk space", now("disk")],
  ["diks", now("disk")],
  ["storage", now("disk")],
  ["filesystem usage on db-1", now("disk", { host: "db-1" })],
  ["how full are the disks", now("disk")],
  ["free space on cache-01.internal", now("disk", { host: "cache-01.internal" })],
  ["disk in staging", now("disk", { environment: "staging" })],
  // load now
  ["load", now("load")],
  ["load average", now("load")],
  ["loadavg", now("load")],
  ["system load on web-1", now("load", { host: "web-1" })],
  ["laod", now("load")],
  // network now
  ["network", now("network")],
  ["network traffic", now("network")],
  ["netwrok", now("network")],
  ["bandwidth", now("network")],
  ["network throughput on web-2", now("network", { host: "web-2" })],
  ["ingress traffic", now("network_in")],
  ["net", now("network")],
  // trends
  ["show me cpu trends for the last hour", trend("cpu", last(H, "last 1h"))],
  ["cpu trend", trend("cpu", last(H, "last 1h"))],
  ["cpu history", trend("cpu", last(H, "last 1h"))],
  ["graph cpu", trend("cpu", last(H, "last 1h"))],
  ["cpu last 6h", trend("cpu", last(6 * H, "last 6h"))],
  ["cpu over the last 6 hours", trend("cpu", last(6 * H, "last 6h"))],
  ["cpu past 2 days", trend("cpu", last(2 * 86400, "last 2d"))],
  ["cpu over the past two days", trend("cpu", last(2 * 86400, "last 2d"))],
  ["cpu last 30 minutes", trend("cpu", last(30 * 60, "last 30m"))],
  ["cpu 90m", trend("cpu", last(90 * 60, "last 90m"))],
  ["cpu last 15 min", trend("cpu", last(15 * 60, "last 15m"))],
  ["cpu for 6h", trend("cpu", last(6 * H, "last 6h"))],
  ["cpu in the last 24 hours", trend("cpu", last(24 * H, "last 24h"))],
  ["cpu last day", trend("cpu", last(24 * H, "last 24h"))],
  ["cpu last week", trend("cpu", last(7 * 86400, "last 7d"))],
  ["cpu past week on web-1", trend("cpu", last(7 * 86400, "last 7d"), { host: "web-1" })],
  ["cpu 7d", trend("cpu", last(7 * 86400, "last 7d"))],
  ["cpu 2w", trend("cpu", last(14 * 86400, "last 14d"))],
  ["cpu last 60 days", trend("cpu", last(31 * 86400, "last 31d"))],
  ["cpu last 10 seconds", trend("cpu", last(60, "last 1m"))],
  ["memory last hour", trend("memory", last(H, "last 1h"))],
  ["memory past hour on db-1", trend("memory", last(H, "last 1h"), { host: "db-1" })],
  ["memory since yesterday", trend("memory", last(SINCE_YESTERDAY, "since yesterday"))],
  ["disk since yesterday", trend("disk", last(SINCE_YESTERDAY, "since yesterday"))],
  [
    "memory yesterday",
    trend("memory", { fromSecondsAgo: SINCE_YESTERDAY, toSecondsAgo: TODAY, label: "yesterday" }),
  ],
  ["network today", trend("network", last(TODAY, "today"))],
  ["load this week", trend("load", last(WEEK, "this week"))],
  ["disk this week in prod", trend("disk", last(WEEK, "this week"), { environment: "prod" })],
  ["cpu since monday", trend("cpu", last(WEEK, "since monday"))],
  ["Network traffic last 6h on web-2", trend("network", last(6 * H, "last 6h"), { host: "web-2" })],
  ["netwrok last 6h", trend("network", last(6 * H, "last 6h"))],
  ["load trend last 3 hours", trend("load", last(3 * H, "last 3h"))],
  ["ram over the last 12h", trend("memory", last(12 * H, "last 12h"))],
  [
    "show me memory trends since yesterday on web2",
    trend("memory", last(SINCE_YESTERDAY, "since yesterday"), { host: "web-2" }),
  ],
  ["processor last 4h", trend("cpu", last(4 * H, "last 4h"))],
  ["cpu chart", trend("cpu", last(H, "last 1h"))],
  // comparisons
  [
    "cpu this week vs last week",
    {
      intent: {
        kind: "metric_compare",
        resource: "cpu",
        range: last(WEEK, "this week"),
        offsetSeconds: 604800,
      },
    },
  ],
  [
    "memory this week versus last week",
    {
      intent: {
        kind: "metric_compare",
        resource: "memory",
        range: last(WEEK, "this week"),
        offsetSeconds: 604800,
      },
    },
  ],
  [
    "compare memory today with yesterday",
    {
      intent: {
        kind: "metric_compare",
        resource: "memory",
        range: last(TODAY, "today"),
        offsetSeconds: 86400,
      },
    },
  ],
  [
    "cpu today vs yesterday",
    {
      intent: { kind: "metric_compare", resource: "cpu", range: last(TODAY, "today"), offsetSeconds: 86400 },
    },
  ],
  [
    "compare disk week over week",
    {
      intent: {
        kind: "metric_compare",
        resource: "disk",
        range: last(7 * 86400, "last 7d"),
        offsetSeconds: 604800,
      },
    },
  ],
  [
    "network vs last week",
    {
      intent: {
        kind: "metric_compare",
        resource: "network",
        range: last(7 * 86400, "last 7d"),
        offsetSeconds: 604800,
      },
    },
  ],
  // top N
  ["top 5 hosts by cpu", top("cpu", 5)],
  ["top 3 hosts by memory", top("memory", 3)],
  ["top three hosts by disk", top("disk", 3)],
  ["top 10 servers by load", top("load", 10)],
  ["top hosts by network", top("network", 5)],
  ["top 500 hosts by cpu", top("cpu", 50)],
  ["which servers use the most memory", top("memory", 5)],
  ["which hosts use the most cpu", top("cpu", 5)],
  ["busiest hosts", top("cpu", 5)],
  ["busiest hosts last 24h", top("cpu", 5, { range: last(24 * H, "last 24h") })],
  ["worst disk", top("disk", 5)],
  ["fullest disks", top("disk", 5)],
  ["highest memory", top("memory", 5)],
  ["top cpu last 6h", top("cpu", 5, { range: last(6 * H, "last 6h") })],
  // targets
  ["which targets are down?", intent("targets_down")],
  ["what's down", intent("targets_down")],
  ["any hosts down?", intent("targets_down")],
  ["unreachable targets", intent("targets_down")],
  ["failing scrapes", intent("targets_down")],
  ["is anything offline", intent("targets_down")],
  ["targets down in staging", { intent: { kind: "targets_down" }, environment: "staging" }],
  ["list targets", intent("targets")],
  ["what do you monitor?", intent("targets")],
  ["show scrape targets", intent("targets")],
  ["targets", intent("targets")],
  ["tragets", intent("targets")],
  // containers
  ["running containers", intent("containers", { view: "running", n: 5 })],
  ["containers", intent("containers", { view: "running", n: 5 })],
  ["list docker containers", intent("containers", { view: "running", n: 5 })],
  ["contianers", intent("containers", { view: "running", n: 5 })],
  ["which containers are restarting", intent("containers", { view: "restarting", n: 5 })],
  ["container restarts", intent("containers", { view: "restarting", n: 5 })],
  ["anything crashlooping?", intent("containers", { view: "restarting", n: 5 })],
  ["top containers by memory", intent("containers", { view: "top_memory", n: 5 })],
  ["top 3 containers by cpu", intent("containers", { view: "top_cpu", n: 3 })],
  ["docker cpu", intent("containers", { view: "top_cpu", n: 5 })],
  ["container memory", intent("containers", { view: "top_memory", n: 5 })],
  // anomalies
  ["any anomalies?", intent("anomalies")],
  ["anomalies", intent("anomalies")],
  ["anomolies", intent("anomalies")],
  ["anything unusual?", intent("anomalies")],
  ["outliers", intent("anomalies")],
  ["anything weird on web-1", { intent: { kind: "anomalies" }, host: "web-1" }],
  ["abnormal behaviour in prod", { intent: { kind: "anomalies" }, environment: "prod" }],
  // help
  ["help", intent("help")],
  ["HELP!", intent("help")],
  ["?", intent("help")],
  ["what can you do", intent("help")],
  ["commands", intent("help")],
  ["hlep", intent("help")],
  // not understood
  ["blorp", intent("unknown", { reason: "not_understood" })],
  ["make me a sandwich", intent("unknown", { reason: "not_understood" })],
  ["} or vector(1)", intent("unknown", { reason: "not_understood" })],
  ['"; DROP TABLE hosts; --', intent("unknown", { reason: "not_understood" })],
  ["🔥🔥🔥", intent("unknown", { reason: "not_understood" })],
  ["", intent("unknown", { reason: "empty" })],
  ["   \t\n ", intent("unknown", { reason: "empty" })],
  ["\u0000\u0007\u001b", intent("unknown", { reason: "empty" })],
];

describe("parseQuestion phrase table", () => {
  it("has at least 150 phrasings", () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(150);
  });

  it.each(TABLE)("%j", (text, expected) => {
    const parsed = parseQuestion(text, ctx, NOW);
    expect(parsed).toEqual(expected);
  });
});

describe("parseQuestion bad input", () => {
  it("refuses 100 KB of text as too long without scanning it", () => {
    expect(parseQuestion("cpu ".repeat(25_600), ctx, NOW).intent).toEqual({
      kind: "unknown",
      reason: "too_long",
    });
  });

  it("never returns a host that is not a plain token", () => {
    for (const text of [
      'cpu on web-1"} or vector(1) #',
      "cpu on $(rm -rf /)",
      "cpu for `id`",
      "memory on {job=~'.*'}",
    ]) {
      const host = parseQuestion(text, ctx, NOW).host;
      if (host !== undefined) expect(host).toMatch(/^[A-Za-z0-9._:-]{1,253}$/);
    }
  });

  it("handles unicode and emoji around real words", () => {
    expect(parseQuestion("🚨 cpu on web-1 ???", ctx, NOW)).toEqual(now("cpu", { host: "web-1" }));
  });
});

describe("suggestQuestions", () => {
  it("suggests the closest example questions", () => {
    expect(suggestQuestions("cpu pls")[0]).toMatch(/cpu/);
    expect(suggestQuestions("are the containers restarting or what")).toContain(
      "which containers are restarting?",
    );
    expect(suggestQuestions("memory stuff", 2)).toHaveLength(2);
  });

  it("never returns nothing", () => {
    expect(suggestQuestions("").length).toBeGreaterThan(0);
    expect(suggestQuestions("zzzz qqqq")).toContain("what's the current system health?");
  });

  it("only suggests questions the parser understands", () => {
    for (const q of EXAMPLE_QUESTIONS) expect(parseQuestion(q, ctx, NOW).intent.kind).not.toBe("unknown");
  });
});
