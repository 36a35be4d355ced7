/** A host detector's score and what flagged it, in words (answers, alerts and the first look). */
import type { HostScore } from "./host-detector.js";
import { PART_LABELS } from "./host-ensemble.js";

/** Rarities from here on read "rarer than 1 in a billion". */
const RAREST_DECADES = 9;

/**
 * A host detector score in words: the score is the point's rarity for its host in decades, so 5.1
 * reads "about 1 in 130,000 scans". Two significant digits, and nothing beyond a billion: past the
 * training week the tail is a model, and its far end says "very rare", not a number to trust.
 */
export function describeRarity(score: number): string {
  if (Number.isNaN(score)) return "rarity unknown";
  if (!(score < RAREST_DECADES))
    return `rarer than 1 in ${(10 ** RAREST_DECADES).toLocaleString("en-US")} scans`;
  const rounded = Number((10 ** Math.max(score, 0)).toPrecision(2));
  return `about 1 in ${rounded.toLocaleString("en-US")} scans`;
}

/** The ensemble parts that flagged a finding, in words. */
export function describeFlaggedBy(s: Pick<HostScore, "flaggedBy">): string {
  return (s.flaggedBy ?? []).map((p) => PART_LABELS[p]).join("; ");
}
