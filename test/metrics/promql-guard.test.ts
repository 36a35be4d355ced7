/**
 * The PromQL guard: the two probes of issue 13 and their kin are refused with a reason the model can
 * act on, every query of our own catalogue (and the extremes queries built around it) passes, and
 * for any input at all it answers (accept or reason) without throwing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allQueries } from "../../src/metrics/catalogue.js";
import { extremesQuery } from "../../src/metrics/extremes.js";
import { hostMatcher } from "../../src/metrics/promql.js";
import {
  checkPromql,
  checkRangeQuery,
  DEFAULT_PROMQL_LIMITS,
  MAX_QUERY_CHARS,
  type PromqlVerdict,
  seriesCountQuery,
  tooManySeries,
} from "../../src/metrics/promql-guard.js";

const reason = (v: PromqlVerdict) => (v.ok ? "" : v.reason);

describe("the probes of issue 13", () => {
  it("refuses a per-second subquery over a week of every metric, naming both problems", () => {
    const v = checkPromql('max_over_time(rate({__name__=~".+"}[1m])[7d:1s])');
    expect(v.ok).toBe(false);
    expect(reason(v)).toContain("resolution of 1s is finer than the 15s allowed (PROMQL_MIN_STEP)");
    expect(reason(v)).toContain("a regex on __name__");
  });

  it("refuses a year of every metric, naming both problems", () => {
    const v = checkPromql('{__name__=~".+"}[52w]');
    expect(v.ok).toBe(false);
    expect(reason(v)).toContain("a range of [52w] is longer than the 7d allowed (PROMQL_MAX_RANGE)");
    expect(reason(v)).toContain("a regex on __name__");
  });
});

describe("what is refused", () => {
  it.each([
    ["{}", "must name its metric"],
    ['{job=~".*"}', "must name its metric"],
    ['{job="node"}', "must name its metric"],
    ['{__name__=""}', "must name its metric"],
    ['{__name__!="up"}', "must name its metric"],
    ['{__name__=~"node_.*"}', "regex on __name__"],
    ['up{__name__!~"x"}', "regex on __name__"],
    ['{"__name__"=~".+"}', "regex on __name__"],
    ['{"\\x5f_name__"=~".+"}', "without escapes"],
    ['count({__name__=~".+"})', "regex on __name__"],
    ["up[8d]", "longer than the 7d allowed"],
    ["rate(up[1y])", "longer than the 7d allowed"],
    ["up offset 30d", "further than the 7d allowed"],
    ["up offset -30d", "further than the 7d allowed"],
    ["max_over_time(up[1h:1s])", "finer than the 15s allowed"],
    ["max_over_time(up[1h:0s])", "finer than the 15s allowed"],
    ["max_over_time(up[7d:])", "use a resolution of at least 55s"],
    ["max_over_time(up[7d:30s])", "20160 evaluations per series"],
    ["max_over_time(max_over_time(up[4d:1h])[4d:1h])", "nested subqueries [4d] read 8d of history"],
    ["up[0s]", "not a positive duration"],
    ["up[inf]", "not a positive duration"],
    ["up[1h*2]", "must be a plain duration"],
    ["up[step()]", "must be a plain duration"],
    ["max_over_time(up[1h:step()])", "must be a plain duration"],
    ["rate(sum(up))[5m]", "applies to a metric selector only"],
    ['up{job="node}', "not valid PromQL"],
    ['label_replace(up, "a", "b\\"', "not valid PromQL"],
    ["sum(", "not valid PromQL near the end"],
    ["/api/v1/admin/tsdb/delete_series?match[]=up", "not valid PromQL near character 1"],
    ["   ", "empty"],
  ])("%s", (query, why) => {
    const v = checkPromql(query);
    expect(v.ok).toBe(false);
    expect(reason(v)).toContain(why);
  });

  it("refuses an expression longer than it reads, before parsing it", () => {
    expect(reason(checkPromql(`up${" ".repeat(MAX_QUERY_CHARS)}`))).toContain("longer than");
  });

  it("counts a subquery's evaluations over the range query's span too", () => {
    // A day at 15 s is 5,761 points alone, but over a 7-day range query Prometheus evaluates it for 8 days.
    expect(checkPromql("max_over_time(up[1d:15s])").ok).toBe(true);
    expect(
      reason(checkPromql("max_over_time(up[1d:15s])", undefined, { rangeSeconds: 7 * 86400 })),
    ).toContain("more than 11000");
  });

  it("applies the operator's limits", () => {
    const limits = { maxRangeSeconds: 86400, minStepSeconds: 60, maxSeries: 100 };
    expect(reason(checkPromql("rate(up[2d])", limits))).toContain("longer than the 1d allowed");
    expect(reason(checkPromql("max_over_time(up[1h:30s])", limits))).toContain("finer than the 1m allowed");
    expect(checkPromql("rate(up[1d])", limits).ok).toBe(true);
  });
});

describe("what passes", () => {
  it.each([
    ["up", ["up"]],
    ["vector(1)", []],
    ['rate(node_cpu_seconds_total{mode="idle"}[5m])', ['node_cpu_seconds_total{mode="idle"}']],
    ["max_over_time(rate(node_context_switches_total[5m])[7d:1m])", ["node_context_switches_total"]],
    ["max_over_time(up[1d:])", ["up"]],
    ["up offset -1h", ["up"]],
    ["rate(up[1h30m] offset 1d)", ["up"]],
    ['{__name__="up", job="node"}', ['{__name__="up", job="node"}']],
    ['{"my.metric"}', ['{"my.metric"}']],
    ["sum by (job) (up) @ end() # a comment", ["up"]],
    ["up / up + node_load1", ["up", "node_load1"]],
  ])("%s", (query, selectors) => {
    expect(checkPromql(query)).toEqual({ ok: true, selectors });
  });

  it("passes every query of the catalogue, with and without a host, at every window", () => {
    for (const q of allQueries())
      for (const matchers of [[], [hostMatcher("web-1.example:9100")]])
        for (const windowSeconds of [60, 300, 3600]) {
          const expr = q.build({ matchers, windowSeconds, limit: 5 });
          expect({
            name: q.name,
            verdict: checkPromql(expr, undefined, { rangeSeconds: 7 * 86400 }),
          }).toMatchObject({ name: q.name, verdict: { ok: true } });
        }
  });

  it("passes the extremes queries built around catalogue queries, for ranges up to 7 days", () => {
    for (const q of allQueries())
      for (const seconds of [3600, 86400, 7 * 86400]) {
        const end = 1_800_000_000;
        const range = { start: end - seconds, end, step: Math.max(15, Math.ceil(seconds / 500)) };
        const fine = extremesQuery((windowSeconds) => q.build({ windowSeconds }), range);
        if (!fine) continue;
        expect(checkRangeQuery(fine)).toBeUndefined();
        expect({
          name: q.name,
          seconds,
          v: checkPromql(fine.expr, undefined, { rangeSeconds: fine.end - fine.start }),
        }).toMatchObject({ name: q.name, seconds, v: { ok: true } });
      }
  });
});

describe("range queries and the series limit", () => {
  it("bounds span, step and points", () => {
    expect(checkRangeQuery({ start: 0, end: 7 * 86400, step: 1210 })).toBeUndefined();
    expect(checkRangeQuery({ start: 0, end: 8 * 86400, step: 1210 })).toContain("longer than the 7d allowed");
    expect(checkRangeQuery({ start: 0, end: 3600, step: 1 })).toContain("finer than the 15s allowed");
    expect(checkRangeQuery({ start: 0, end: 7 * 86400, step: 15 })).toContain("more than 11000 points");
    expect(checkRangeQuery({ start: 10, end: 0, step: 15 })).toContain("not a valid");
    expect(checkRangeQuery({ start: 0, end: Number.NaN, step: 15 })).toContain("not a valid");
  });

  it("counts the selectors' series with one query that itself passes the guard", () => {
    const v = checkPromql('rate(a{x="1"}[5m]) / on (i) b + a{x="1"}');
    expect(v).toEqual({ ok: true, selectors: ['a{x="1"}', "b"] });
    const count = seriesCountQuery(v.ok ? v.selectors : []);
    expect(count).toBe('(count(a{x="1"}) or vector(0)) + (count(b) or vector(0))');
    expect(checkPromql(count).ok).toBe(true);
  });

  it("refuses more series than allowed, and a count it could not read", () => {
    expect(tooManySeries(10_000)).toBeUndefined();
    expect(tooManySeries(10_001)).toContain("10001 series, more than the 10000 allowed (PROMQL_MAX_SERIES)");
    expect(tooManySeries(5, { ...DEFAULT_PROMQL_LIMITS, maxSeries: 4 })).toContain("more than the 4 allowed");
    expect(tooManySeries(Number.NaN)).toContain("could not be counted");
  });
});

/** Pieces of PromQL, good and bad, put together at random. */
const metric = fc.constantFrom("up", "node_load1", "node_cpu_seconds_total", "a:b_c", "sum", "offset", "by");
const label = fc.constantFrom("job", "instance", "__name__", '"__name__"', '"x.y"', "mode");
const op = fc.constantFrom("=", "!=", "=~", "!~");
const value = fc.constantFrom('""', '".+"', '"node"', "'x'", "`y`", '"\\""', '"unclosed');
const dur = fc.constantFrom(
  "5m",
  "1s",
  "15s",
  "1h30m",
  "7d",
  "8d",
  "52w",
  "1y",
  "0s",
  "90",
  "1h*2",
  "inf",
  "",
);
const matcherList = fc.array(
  fc.tuple(label, op, value).map(([l, o, v]) => `${l}${o}${v}`),
  { maxLength: 3 },
);
const selector = fc
  .tuple(fc.option(metric), fc.option(matcherList))
  .map(([m, ms]) => `${m ?? ""}${ms ? `{${ms.join(",")}}` : ""}`);
const promqlish = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    selector,
    fc.constantFrom("1", "-2.5e3", "0x1f", "Inf", "NaN", '"s"', "time()"),
    fc.tuple(selector, dur).map(([s, d]) => `${s}[${d}]`),
    fc.tuple(tie("expr"), dur, fc.option(dur)).map(([e, r, s]) => `(${e})[${r}:${s ?? ""}]`),
    fc.tuple(tie("expr"), dur, fc.boolean()).map(([e, d, neg]) => `${e} offset ${neg ? "-" : ""}${d}`),
    fc
      .tuple(
        fc.constantFrom("rate", "max_over_time", "sum", "abs", "label_replace", "histogram_quantile"),
        tie("expr"),
      )
      .map(([f, e]) => `${f}(${e})`),
    fc
      .tuple(
        tie("expr"),
        fc.constantFrom("+", "/", " and ", " or ", " > bool ", " * on (a) group_left "),
        tie("expr"),
      )
      .map(([a, o, b]) => `${a}${o}${b}`),
    fc.tuple(tie("expr"), fc.string({ maxLength: 3 })).map(([e, noise]) => `${e}${noise}`),
  ),
})).expr;

/** Accepted or refused with a reason: nothing else, and never a throw. */
function answers(v: PromqlVerdict, input: string): boolean {
  if (v.ok) return Array.isArray(v.selectors) && v.selectors.every((s) => input.includes(s));
  return typeof v.reason === "string" && v.reason.length > 0 && v.reason.length <= 1500;
}

describe("any input (fast-check)", () => {
  it("answers random strings of any characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => answers(checkPromql(s), s)),
      { numRuns: 2000 },
    );
  });

  it("answers random PromQL-ish expressions, at any limits and range", () => {
    fc.assert(
      fc.property(
        promqlish,
        fc.record({
          maxRangeSeconds: fc.integer({ min: 60, max: 366 * 86400 }),
          minStepSeconds: fc.integer({ min: 1, max: 3600 }),
          maxSeries: fc.integer({ min: 1, max: 1e7 }),
        }),
        fc.integer({ min: 0, max: 366 * 86400 }),
        (expr, limits, rangeSeconds) => answers(checkPromql(expr, limits, { rangeSeconds }), expr),
      ),
      { numRuns: 2000 },
    );
  });

  it("never accepts an expression with a probe inside, wherever it sits", () => {
    const probe = fc.constantFrom(
      '{__name__=~".+"}',
      '{__name__=~".+"}[52w]',
      'max_over_time(rate({__name__=~".+"}[1m])[7d:1s])',
      "{}",
      '{job=~".*"}',
      "up[52w]",
      "max_over_time(up[7d:1s])",
    );
    fc.assert(
      fc.property(promqlish, probe, fc.constantFrom("+", " or ", " / on (a) "), (expr, p, o) => {
        // A newline after the random part: its noise may open a `#` comment, which hides what follows.
        // Parentheses around a probe on the right: after a blank left side, `or {}` is a metric named
        // "or" (which Prometheus refuses to parse), not the probe.
        const within = [`${expr}\n${o}(${p})`, `${p}${o}${expr}`, `sum(${p})`, `(${p}) ${o} (${expr}\n)`];
        return within.every((q) => !checkPromql(q).ok);
      }),
      { numRuns: 1000 },
    );
  });

  it("answers inputs far over its length cap without reading them", () => {
    const huge = "up or ".repeat(2_000_000);
    expect(reason(checkPromql(huge))).toContain(`longer than ${MAX_QUERY_CHARS} characters`);
  });
});
