/**
 * The phrasings on-call engineers type, kept as data (data/phrasings.json): each with the intent and
 * entities the parser must yield. `now` is fixed (Wednesday 2026-11-25 10:30 UTC), so relative ranges
 * ("today", "since yesterday", "this week") have known lengths.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Intent, ParsedQuestion, TimeRange } from "../../src/assistant/intent.js";
import { parseQuestion } from "../../src/assistant/parse-question.js";
import { RESOURCE_IDS, RESOURCES } from "../../src/assistant/resources.js";

interface Phrasing {
  text: string;
  intent: Intent["kind"];
  resource?: string;
  host?: string;
  environment?: string;
  range?: TimeRange;
  n?: number;
  offsetSeconds?: number;
  view?: string;
  reason?: string;
  horizonSeconds?: number;
  withinSeconds?: number;
  hosts?: string[];
  atSecondsAgo?: number;
  label?: string;
}

const PHRASINGS: Phrasing[] = JSON.parse(
  readFileSync(new URL("./data/phrasings.json", import.meta.url), "utf8"),
) as Phrasing[];
const ctx = { environments: ["prod", "staging"], hosts: ["web-1", "web-2", "db-1"] };
const NOW = new Date("2026-11-25T10:30:00Z");

/** The ParsedQuestion a phrasing must give: absent entities must be absent, not merely unchecked. */
function expected(p: Phrasing): ParsedQuestion {
  const intent: Record<string, unknown> = { kind: p.intent };
  switch (p.intent) {
    case "metric_now":
      intent.resource = p.resource;
      break;
    case "metric_trend":
      Object.assign(intent, { resource: p.resource, range: p.range });
      break;
    case "metric_compare":
      Object.assign(intent, { resource: p.resource, range: p.range, offsetSeconds: p.offsetSeconds });
      break;
    case "top_hosts":
      Object.assign(intent, { resource: p.resource, n: p.n });
      if (p.range) intent.range = p.range;
      break;
    case "containers":
      Object.assign(intent, { view: p.view, n: p.n });
      break;
    case "unknown":
      intent.reason = p.reason;
      break;
    case "forecast":
      intent.resource = p.resource;
      if (p.horizonSeconds !== undefined) intent.horizonSeconds = p.horizonSeconds;
      break;
    case "capacity":
      intent.withinSeconds = p.withinSeconds;
      break;
    case "rightsizing":
      intent.view = p.view;
      break;
    case "compare_hosts":
      Object.assign(intent, { resource: p.resource, hosts: p.hosts, range: p.range });
      break;
    case "compare_fleet":
      Object.assign(intent, { resource: p.resource, range: p.range });
      break;
    case "compare_change":
      Object.assign(intent, { resource: p.resource, atSecondsAgo: p.atSecondsAgo, label: p.label });
      break;
    default:
      break;
  }
  const out: ParsedQuestion = { intent: intent as unknown as Intent };
  if (p.host) out.host = p.host;
  if (p.environment) out.environment = p.environment;
  return out;
}

describe("phrasings data", () => {
  it("has at least 300 phrasings, no duplicates", () => {
    expect(PHRASINGS.length).toBeGreaterThanOrEqual(300);
    expect(new Set(PHRASINGS.map((p) => p.text)).size).toBe(PHRASINGS.length);
  });

  it("covers every signal now, over time and ranked, per host and fleet-wide, and compared", () => {
    const seen = new Set(
      PHRASINGS.filter((p) => p.resource).map((p) => `${p.resource} ${p.intent}${p.host ? " host" : ""}`),
    );
    const missing: string[] = [];
    for (const resource of Object.keys(RESOURCES)) {
      for (const w of ["metric_now", "metric_now host", "metric_trend", "metric_trend host", "top_hosts"])
        if (!seen.has(`${resource} ${w}`)) missing.push(`${resource} ${w}`);
      // Uptime compared with last week says nothing a trend does not.
      const compared = seen.has(`${resource} metric_compare`) || seen.has(`${resource} metric_compare host`);
      if (resource !== "uptime" && !compared) missing.push(`${resource} metric_compare`);
    }
    expect(missing).toEqual([]);
  });

  it("covers every other intent", () => {
    const kinds = new Set(PHRASINGS.map((p) => p.intent));
    for (const k of ["health", "targets", "targets_down", "containers", "anomalies", "help", "unknown"])
      expect(kinds).toContain(k);
    for (const k of [
      "forecast",
      "capacity",
      "rightsizing",
      "compare_hosts",
      "compare_fleet",
      "compare_change",
    ])
      expect(kinds).toContain(k);
  });
});

describe("parseQuestion on the phrasings", () => {
  it.each(PHRASINGS.map((p) => [p.text, p] as const))("%j", (text, p) => {
    expect(parseQuestion(text, ctx, NOW)).toEqual(expected(p));
  });
});

describe("follow-up questions answers offer", () => {
  // Answers offer buttons such as "iowait trend last 1h on web-1" and "top 5 hosts by disk_io":
  // each signal's id must lead back to that signal.
  it.each(RESOURCE_IDS.map((r) => [r]))("%s", (id) => {
    expect(parseQuestion(id, ctx, NOW).intent).toEqual({ kind: "metric_now", resource: id });
    expect(parseQuestion(`${id} trend last 1h on web-1`, ctx, NOW)).toEqual({
      intent: {
        kind: "metric_trend",
        resource: id,
        range: { fromSecondsAgo: 3600, toSecondsAgo: 0, label: "last 1h" },
      },
      host: "web-1",
    });
    expect(parseQuestion(`top 5 hosts by ${id}`, ctx, NOW).intent).toEqual({
      kind: "top_hosts",
      resource: id,
      n: 5,
    });
  });
});
