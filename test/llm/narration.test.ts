/** An LLM's account over findings keeps only sentences that cite them, and needs a time from them. */
import { describe, expect, it } from "vitest";
import { checkNarration } from "../../src/assistant/llm/narration.js";

const facts = JSON.stringify({
  headline: "🔎 First look: iowait is 38.2% vs usual 1.0% on db-1 (since 14:05 UTC)",
  findings: [
    "• iowait is 38.2% vs usual 1.0% (12.4σ above, since 14:05 UTC)",
    "• web-2: iowait moved too (correlation 0.91)",
    "• app restarted 4 times (last at 14:20 UTC)",
  ],
  investigatedAt: "14:31 UTC",
});

describe("checkNarration", () => {
  it("keeps sentences citing the findings' numbers and drops the rest", () => {
    const r = checkNarration(
      "The disk on db-1 is the likely cause: iowait is 38.2% against a usual 1.0% since 14:05 UTC. " +
        "This is probably a failing RAID controller. web-2 moved with it (correlation 0.91).",
      facts,
    );
    expect(r).toEqual({
      ok: true,
      text: "The disk on db-1 is the likely cause: iowait is 38.2% against a usual 1.0% since 14:05 UTC. web-2 moved with it (correlation 0.91).",
      dropped: 1,
    });
  });

  it("accepts a rounding of a cited number, never digits inside a host name", () => {
    const rounded = checkNarration("iowait near 38% since 14:05 UTC on db-1.", facts);
    expect(rounded.ok).toBe(true);
    // "2" of web-2 and "1" of db-1 are names, not numbers: nothing here cites the findings.
    expect(checkNarration("web-2 and db-1 look unhealthy since 14:05.", facts)).toEqual({
      ok: true,
      text: "web-2 and db-1 look unhealthy since 14:05.",
      dropped: 0,
    });
  });

  it("refuses an account that cites nothing, names no time from the findings, or only links", () => {
    expect(checkNarration("Everything looks bad. Restart the database.", facts).ok).toBe(false);
    const noTime = checkNarration("iowait is 38.2% against 1.0%.", facts);
    expect(noTime).toEqual({ ok: false, reason: "the account names no time from the findings" });
    expect(checkNarration("See https://evil.example/38.2 since 14:05 UTC.", facts).ok).toBe(false);
    // A time the findings do not hold is not one of theirs.
    expect(checkNarration("iowait is 38.2% since 09:00 UTC.", facts).ok).toBe(false);
  });

  it("flattens markdown and bounds the length", () => {
    const long = `**iowait is 38.2%** since 14:05 UTC. ${"It stayed at 38.2% for a while. ".repeat(40)}`;
    const r = checkNarration(long, facts);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.text.startsWith("iowait is 38.2% since 14:05 UTC.")).toBe(true);
      expect(r.text.length).toBeLessThanOrEqual(700);
      expect(r.text).not.toContain("*");
    }
  });
});
