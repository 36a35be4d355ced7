/**
 * The engine on questions written without seeing the parser (test/heldout/phrasings.json, 200
 * questions, labelled by their author with the intent and signal they ask for). Never edited to suit
 * the parser: a miss here is a parser gap to fix in general terms, not a phrasing to change.
 *
 * Two measures: the parse (intent and signal as labelled), and what an on-call engineer sees — for
 * questions about a signal, an answer on that signal carrying numbers, from the fixture Prometheus.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import type { Resource } from "../../src/assistant/intent.js";
import { parseQuestion } from "../../src/assistant/parse-question.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";

interface Phrasing {
  text: string;
  intent: string;
  signal?: string;
  host?: string;
  environment?: string;
  range?: boolean;
}

const PHRASINGS = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "phrasings.json"), "utf8"),
) as Phrasing[];

/** The author's signal names where they differ from the engine's. */
const SIGNAL: Record<string, Resource> = { net_errors: "network_errors", procs_blocked: "blocked" };
const signalOf = (p: Phrasing) => (p.signal ? (SIGNAL[p.signal] ?? (p.signal as Resource)) : undefined);

const NOW = new Date("2026-03-04T10:00:00Z");
const CTX = { hosts: ["web-1", "web-2", "db-1"], environments: ["prod", "staging"] };
const METRIC_INTENTS = new Set(["metric_now", "metric_trend", "top_hosts", "metric_compare"]);

/** The share of phrasings for which `ok` holds, and the ones it missed. */
function measure(list: Phrasing[], ok: (p: Phrasing) => boolean) {
  const missed = list.filter((p) => !ok(p));
  return { rate: 1 - missed.length / list.length, missed: missed.map((p) => p.text) };
}

describe("held-out phrasings", () => {
  it("has the set it claims: 200 questions, every signal at least 6 times", () => {
    expect(PHRASINGS).toHaveLength(200);
    const perSignal = new Map<string, number>();
    for (const p of PHRASINGS) if (p.signal) perSignal.set(p.signal, (perSignal.get(p.signal) ?? 0) + 1);
    expect(perSignal.size).toBe(21);
    for (const n of perSignal.values()) expect(n).toBeGreaterThanOrEqual(6);
  });

  it("parses the topic of at least 95% of them (intent family and signal)", () => {
    const topic = (p: Phrasing) => {
      const q = parseQuestion(p.text, CTX, NOW);
      const want = signalOf(p);
      if (want)
        return METRIC_INTENTS.has(q.intent.kind) && "resource" in q.intent && q.intent.resource === want;
      // Container rankings are containers, not hosts; "unknown" must stay unknown.
      return q.intent.kind === p.intent;
    };
    const r = measure(PHRASINGS, topic);
    console.info(`held-out topic: ${(100 * r.rate).toFixed(1)}%; missed: ${JSON.stringify(r.missed)}`);
    expect(r.rate).toBeGreaterThanOrEqual(0.95);
  });

  it("parses the exact intent, host and environment of most of them", () => {
    const exact = (p: Phrasing) => {
      const q = parseQuestion(p.text, CTX, NOW);
      if (q.intent.kind !== p.intent) return false;
      if (p.host && q.host !== p.host) return false;
      if (p.environment && q.environment !== p.environment) return false;
      return true;
    };
    const r = measure(PHRASINGS, exact);
    console.info(`held-out exact: ${(100 * r.rate).toFixed(1)}%; missed: ${JSON.stringify(r.missed)}`);
    // Reported, with a floor well under the topic measure: "which server rebooted most recently" as a
    // ranking or a current value is a matter of labelling, not understanding.
    expect(r.rate).toBeGreaterThanOrEqual(0.8);
  });
});

describe("held-out phrasings answered from Prometheus", () => {
  let engine: BuiltinEngine;
  beforeAll(() => {
    const end = Date.parse(inject("fixtureEnd"));
    engine = new BuiltinEngine({
      // Both environments the questions name, on the fixture.
      environments: new Environments(
        prometheusSettings(
          loadConfig({
            PROMETHEUS_ENVIRONMENTS: `prod=${inject("prometheusUrl")},staging=${inject("prometheusUrl")}`,
          }),
        ),
      ),
      renderChart: renderLineChart,
      deadlineMs: 30_000,
      now: () => end,
    });
  });

  it("answers at least 95% of the signal questions on topic, with numbers", async () => {
    const signalQuestions = PHRASINGS.filter((p) => signalOf(p) !== undefined);
    const missed: string[] = [];
    for (const p of signalQuestions) {
      const a = await engine.answer({ platform: "api", user: "t", channel: "t", text: p.text });
      const q = parseQuestion(p.text, CTX, NOW);
      const onTopic = "resource" in q.intent && q.intent.resource === signalOf(p);
      const shown = `${a.reply.title}\n${a.reply.text}\n${a.reply.fields.map((f) => f.value).join("\n")}`;
      const withNumbers = a.reply.tone !== "error" && /\d/.test(shown) && METRIC_INTENTS.has(a.intent);
      if (!(onTopic && withNumbers)) missed.push(`${p.text} → ${a.intent}: ${a.reply.title}`);
    }
    const rate = 1 - missed.length / signalQuestions.length;
    console.info(
      `held-out answered on topic with numbers: ${(100 * rate).toFixed(1)}% of ${signalQuestions.length}; missed: ${JSON.stringify(missed)}`,
    );
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });
});
