import { describe, expect, it } from "vitest";
import { allQueries, namedQuery } from "../../src/metrics/catalogue.js";
import {
  escapeLabelValue,
  escapeRegexValue,
  hostMatcher,
  hostOfInstance,
  promDuration,
  renderMatchers,
} from "../../src/metrics/promql.js";

describe("PromQL escaping", () => {
  it("escapes quotes, backslashes and newlines in label values", () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it("escapes regex metacharacters and then the string around them", () => {
    expect(escapeRegexValue("web.1")).toBe("web\\\\.1");
    expect(escapeRegexValue("a|b")).toBe("a\\\\|b");
    expect(escapeRegexValue('"} or vector(1) #')).toBe('\\"\\\\} or vector\\\\(1\\\\) #');
  });

  it("cannot be broken out of: an injection attempt stays inside the string", () => {
    const m = renderMatchers([hostMatcher('x"} or vector(1) or up{a="')]);
    // Exactly one unescaped closing quote: the one ending the matcher.
    const unescapedQuotes = m.replace(/\\\\/g, "").replace(/\\"/g, "").match(/"/g) ?? [];
    expect(unescapedQuotes).toHaveLength(2);
    expect(m.startsWith('instance=~"')).toBe(true);
  });

  it("refuses label names that are not identifiers", () => {
    expect(() => renderMatchers([{ label: "a}b", op: "=", value: "x" }])).toThrow(/invalid label name/);
  });

  it("extracts host names from instance labels", () => {
    expect(hostOfInstance("web-1:9100")).toBe("web-1");
    expect(hostOfInstance("web-1")).toBe("web-1");
    expect(hostOfInstance("[::1]:9100")).toBe("::1");
    expect(hostOfInstance("10.0.0.1:9100")).toBe("10.0.0.1");
  });

  it("formats durations the way PromQL wants them", () => {
    expect(promDuration(300)).toBe("5m");
    expect(promDuration(5400)).toBe("90m");
    expect(promDuration(86400)).toBe("1d");
    expect(promDuration(7200)).toBe("2h");
    expect(promDuration(45)).toBe("45s");
  });
});

describe("query catalogue", () => {
  it("names every query uniquely and builds each with and without a host filter", () => {
    const names = allQueries().map((q) => q.name);
    expect(new Set(names).size).toBe(names.length);
    for (const q of allQueries()) {
      expect(q.build({})).not.toContain("undefined");
      const filtered = q.build({ matchers: [hostMatcher("web-1")] });
      expect(filtered).toContain('instance=~"web-1(:[0-9]+)?"');
    }
  });

  it("uses the requested rate window", () => {
    expect(namedQuery("cpu_busy_percent").build({ windowSeconds: 3600 })).toContain("[1h]");
    expect(namedQuery("cpu_busy_percent").build({})).toContain("[5m]");
  });
});
