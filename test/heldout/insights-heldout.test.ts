/**
 * The planning questions (forecasts, capacity, rightsizing, comparisons) on phrasings written without
 * seeing the parser (insights-phrasings.json, 120 questions labelled by their author). Never edited to
 * suit the parser: a miss is a gap to fix in general terms. The rate is printed with what it missed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Resource } from "../../src/assistant/intent.js";
import { parseQuestion } from "../../src/assistant/parse-question.js";

interface Phrasing {
  text: string;
  intent: string;
  signal?: Resource;
  host?: string;
  environment?: string;
  view?: string;
  hosts?: string[];
}

const load = (file: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, file), "utf8")) as Phrasing[];
/** The first set: its misses were fixed in general terms, so it is no longer held out. */
const PHRASINGS = load("insights-phrasings.json");
/**
 * The second set, by another author: 87.8% (79 of 90) before any change it prompted; its misses were
 * then fixed in general terms too, so neither set is held out any more. The thresholds stay at 85%.
 */
const SECOND = load("insights-phrasings-2.json");
const NOW = new Date("2026-03-04T10:00:00Z");
const CTX = { hosts: ["web-1", "web-2", "db-1"], environments: ["prod", "staging"] };

/** Whether the parse is what the author labelled: intent, signal, view, hosts, host, environment. */
function matches(p: Phrasing): boolean {
  const q = parseQuestion(p.text, CTX, NOW);
  const i = q.intent as { kind: string; resource?: string; view?: string; hosts?: string[] };
  if (i.kind !== p.intent) return false;
  if (p.signal && i.resource !== p.signal) return false;
  if (p.view && i.view !== p.view) return false;
  if (p.hosts && JSON.stringify(i.hosts) !== JSON.stringify(p.hosts)) return false;
  if (p.intent !== "compare_hosts" && p.intent !== "rightsizing" && q.host !== p.host) return false;
  return q.environment === p.environment;
}

describe("held-out planning phrasings", () => {
  it("has the set it claims: 120 questions over the six planning intents", () => {
    expect(PHRASINGS).toHaveLength(120);
    expect(new Set(PHRASINGS.map((p) => p.intent))).toEqual(
      new Set(["forecast", "capacity", "rightsizing", "compare_hosts", "compare_fleet", "compare_change"]),
    );
  });

  it("parses intent, signal, view, hosts and environment of at least 85% of them", () => {
    const missed = PHRASINGS.filter((p) => !matches(p));
    const rate = 1 - missed.length / PHRASINGS.length;
    console.log(
      `held-out planning: ${(100 * rate).toFixed(1)}%; missed: ${JSON.stringify(missed.map((p) => p.text))}`,
    );
    expect(rate).toBeGreaterThanOrEqual(0.85);
  });

  it("has a second set of 90 over the same intents, and parses at least 85% of it", () => {
    expect(SECOND).toHaveLength(90);
    const missed = SECOND.filter((p) => !matches(p));
    const rate = 1 - missed.length / SECOND.length;
    console.log(
      `held-out planning, second set: ${(100 * rate).toFixed(1)}%; missed: ${JSON.stringify(missed.map((p) => p.text))}`,
    );
    expect(rate).toBeGreaterThanOrEqual(0.85);
  });
});
