/**
 * Chat text and button payloads, the parsers every platform shares: `parseCommand` (typed commands),
 * the built-in question parser, and `decodeAction` (what comes back from a button). Whatever arrives,
 * they answer with data — never an exception, never an action the action schema would refuse, never
 * a host that could leave a PromQL string, never a polluted prototype — and in bounded time (the
 * file's timeout; inputs reach past the 2,000-character question cap).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Intent } from "../../src/assistant/intent.js";
import { MAX_QUESTION_CHARS, parseQuestion, suggestQuestions } from "../../src/assistant/parse-question.js";
import { parseCommand } from "../../src/chat/commands.js";
import { type Action, decodeAction, encodeAction } from "../../src/reply/action.js";
import { check, hostileJson, hostileText, prototypeClean } from "./fuzz.js";

const CTX = { environments: ["prod", "staging"], hosts: ["web-1", "web-2", "db-1", "cache-01.internal"] };
const NOW = new Date("2026-11-25T10:30:00Z");
/** A host the question parser returns is one token of these characters (it ends up in a label matcher). */
const HOST_TOKEN = /^[A-Za-z0-9._:-]{1,253}$/;

/** The action as the action schema reads it back: what a button carrying it would decode to. */
const roundTrip = (a: Action) => decodeAction(encodeAction(a));

describe("parseCommand", () => {
  it("turns any text into an action the action schema accepts", () => {
    check(
      fc.property(hostileText(), (text) => {
        const action = parseCommand(text);
        // The same typed action a button would carry: a command must not make what a button may not.
        expect(roundTrip(action), JSON.stringify(action).slice(0, 300)).toEqual(action);
      }),
      400,
    );
  });

  it("reads commands with alert ids the way the rest of the bot writes them (8 lower-case hex digits)", () => {
    const verb = fc.constantFrom(
      "ack",
      "acknowledge",
      "silence",
      "unsilence",
      "resolve",
      "details",
      "rule delete",
    );
    check(
      fc.property(verb, fc.stringMatching(/^[0-9a-fA-F]{8}$/), fc.boolean(), (v, id, slash) => {
        const action = parseCommand(`${slash ? "/" : ""}${v} ${id}`);
        if ("id" in action) expect(action.id, `${v} ${id}`).toMatch(/^[0-9a-f]{8}$/);
        expect(roundTrip(action), `${v} ${id} → ${JSON.stringify(action)}`).toEqual(action);
      }),
      200,
    );
  });

  it("caps a question's text as the action schema does (2,000 characters)", () => {
    // Found by the property above: a 2,001-character question became an ask action no button could carry.
    const action = parseCommand(`cpu ${"a".repeat(MAX_QUESTION_CHARS)}`);
    expect(roundTrip(action)).toEqual(action);
  });

  it("reads an alert id typed in capitals as the id it is", () => {
    // Found by the property above: `ack DEADBEEF` matched (the pattern is case-insensitive) and kept the capitals.
    const action = parseCommand("ack DEADBEEF");
    expect(roundTrip(action)).toEqual(action);
  });

  it("does not depend on how much white space separates the words", () => {
    check(
      fc.property(hostileText(10), fc.constantFrom("  ", "\t", " \n ", "\u00a0"), (text, ws) => {
        const spaced = ` ${text.replace(/ /g, ws)} `;
        expect(parseCommand(spaced)).toEqual(parseCommand(text));
      }),
      300,
    );
  });
});

describe("the question parser", () => {
  const KINDS: readonly Intent["kind"][] = [
    "health",
    "metric_now",
    "metric_trend",
    "metric_compare",
    "top_hosts",
    "targets_down",
    "targets",
    "containers",
    "anomalies",
    "help",
    "unknown",
  ];

  it("classifies any text, returns only a host token, and refuses what is too long", () => {
    check(
      fc.property(hostileText(40), (text) => {
        const parsed = parseQuestion(text, CTX, NOW);
        expect(typeof parsed.intent.kind).toBe("string");
        if (parsed.host !== undefined) expect(parsed.host).toMatch(HOST_TOKEN);
        if (parsed.environment !== undefined) expect(CTX.environments).toContain(parsed.environment);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the parser strips exactly these
        const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
        if (clean.length > MAX_QUESTION_CHARS)
          expect(parsed.intent).toEqual({ kind: "unknown", reason: "too_long" });
        // A question's time range is a real span that ends no later than now.
        const range = (parsed.intent as { range?: { fromSecondsAgo: number; toSecondsAgo: number } }).range;
        if (range) {
          expect(Number.isFinite(range.fromSecondsAgo), JSON.stringify(range)).toBe(true);
          expect(range.toSecondsAgo).toBeGreaterThanOrEqual(0);
          expect(range.fromSecondsAgo).toBeGreaterThan(range.toSecondsAgo);
        }
      }),
      400,
    );
    // Known kinds, and counts the engine can afford (a ranking of 1,000,000 hosts is not one).
    check(
      fc.property(hostileText(12), (text) => {
        const intent = parseQuestion(text, CTX, NOW).intent;
        expect(KINDS).toContain(intent.kind);
        if ("n" in intent) {
          expect(Number.isInteger(intent.n)).toBe(true);
          expect(intent.n).toBeGreaterThanOrEqual(1);
          expect(intent.n).toBeLessThanOrEqual(50);
        }
      }),
      200,
    );
  });

  it("answers text just under the cap, made of the parser's own words, in bounded time", () => {
    // Up to MAX_QUESTION_CHARS of words that each engage the parser (times, hosts, comparisons).
    const words = fc.array(
      fc.constantFrom(
        "cpu",
        "on",
        "web-1",
        "last",
        "6h",
        "since",
        "yesterday",
        "vs",
        "between",
        "and",
        "top",
        "5",
        "a",
      ),
      { minLength: 300, maxLength: 700 },
    );
    check(
      fc.property(words, (w) => {
        const text = w.join(" ").slice(0, MAX_QUESTION_CHARS);
        expect(typeof parseQuestion(text, CTX, NOW).intent.kind).toBe("string");
      }),
      25,
    );
  });

  it("suggests example questions for anything", () => {
    check(
      fc.property(hostileText(20), fc.integer({ min: 1, max: 10 }), (text, limit) => {
        const s = suggestQuestions(text, limit);
        expect(s.length).toBeGreaterThanOrEqual(1);
        expect(s.length).toBeLessThanOrEqual(limit);
        for (const q of s) expect(q.length).toBeLessThan(200);
      }),
      200,
    );
  });
});

describe("decodeAction", () => {
  const id = fc.stringMatching(/^[0-9a-f]{8}$/);
  const short = fc.string({ maxLength: 20 });
  const text = fc.string({ maxLength: 2000 });
  /** Every action the bot can put on a button. */
  const action: fc.Arbitrary<Action> = fc.oneof(
    text.map((t) => ({ kind: "ask" as const, text: t })),
    fc.constantFrom<Action>(
      { kind: "help" },
      { kind: "home" },
      { kind: "alerts.list" },
      { kind: "alerts.audit" },
      { kind: "rules.list" },
    ),
    fc
      .tuple(fc.constantFrom("alert.ack", "alert.unsilence", "alert.resolve", "alert.details"), id)
      .map(([kind, i]) => ({ kind, id: i }) as Action),
    fc.tuple(id, short).map(([i, f]) => ({ kind: "alert.silence" as const, id: i, for: f })),
    text.map((t) => ({ kind: "rule.create" as const, text: t })),
    fc
      .tuple(fc.constantFrom("pause", "resume", "delete") as fc.Arbitrary<"pause" | "resume" | "delete">, id)
      .map(([op, i]) => ({ kind: "rule.change" as const, op, id: i })),
    short.map((v) => ({ kind: "alert.which" as const, verb: v })),
  );

  it("gives back exactly what was encoded", () => {
    check(
      fc.property(action, (a) => {
        expect(decodeAction(encodeAction(a))).toEqual(a);
      }),
      300,
    );
  });

  it("refuses or reads any value, never throws, and never returns what the schema would refuse", () => {
    const anyPayload = fc.oneof(
      fc.anything({
        withNullPrototype: true,
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
      }),
      hostileJson(),
      hostileJson().map((v) => JSON.stringify(v)),
      hostileText(),
      // A real action with one field changed or added: the shape a forged button would have.
      fc
        .tuple(
          action,
          fc.constantFrom("kind", "id", "text", "for", "op", "verb", "__proto__", "extra"),
          hostileJson(2),
        )
        .map(([a, k, v]) => JSON.stringify({ ...a, [k]: v })),
      // Past the decoder's length limit.
      fc.integer({ min: 3990, max: 9000 }).map((n) => JSON.stringify({ kind: "ask", text: "x".repeat(n) })),
    );
    check(
      fc.property(anyPayload, (payload) => {
        const decoded = decodeAction(payload);
        if (decoded !== undefined) expect(decodeAction(encodeAction(decoded))).toEqual(decoded);
        expect(prototypeClean()).toBe(true);
      }),
      500,
    );
  });

  it("keeps a __proto__ key in a payload from reaching any object's prototype", () => {
    check(
      fc.property(action, hostileJson(2), (a, v) => {
        const raw = `{"__proto__":{"polluted":true,"kind":"help"},${encodeAction(a).slice(1, -1)},"x":${JSON.stringify(v) ?? "null"}}`;
        // Longer payloads are refused before parsing (covered above).
        fc.pre(raw.length <= 4000);
        const decoded = decodeAction(raw);
        expect(decoded).toEqual(a);
        expect(prototypeClean()).toBe(true);
      }),
      200,
    );
  });
});
