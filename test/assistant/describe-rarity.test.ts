/** A host detector score (a rarity in decades) in words. */
import { describe, expect, it } from "vitest";
import { describeRarity } from "../../src/assistant/answers/anomalies.js";

describe("describeRarity", () => {
  it("reads decades as odds with two significant digits", () => {
    expect(describeRarity(0)).toBe("about 1 in 1 scans");
    expect(describeRarity(2)).toBe("about 1 in 100 scans");
    expect(describeRarity(5.1)).toBe("about 1 in 130,000 scans");
    expect(describeRarity(-1)).toBe("about 1 in 1 scans");
  });

  it("stops at a billion: the far tail is a model, not a number to trust", () => {
    expect(describeRarity(9)).toBe("rarer than 1 in 1,000,000,000 scans");
    expect(describeRarity(86.3)).toBe("rarer than 1 in 1,000,000,000 scans");
    expect(describeRarity(Number.POSITIVE_INFINITY)).toBe("rarer than 1 in 1,000,000,000 scans");
    expect(describeRarity(Number.NaN)).toBe("rarity unknown");
  });
});
