/**
 * Validates a card with Microsoft's Adaptive Cards SDK (the 1.5 object model): parse and validation
 * events (unknown element types, invalid values, missing required properties), and a round trip: what
 * the SDK does not recognise it drops, so anything lost in `toJSON()` is outside the schema.
 */
import { createRequire } from "node:module";

// The SDK's ESM build has extension-less imports Node cannot load; its UMD bundle works as is.
const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: the UMD bundle is untyped from here; used for three calls.
const AC = require("adaptivecards/dist/adaptivecards.js") as any;

/** Teams-only properties the schema does not describe (the SDK drops them). */
const HOST_PROPERTIES = ["msteams"];

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !HOST_PROPERTIES.includes(k))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, normalise(v)]),
    );
  return value;
}

/** Problems found; empty when the card is valid Adaptive Cards 1.5. */
export function adaptiveCardProblems(card: unknown): string[] {
  const problems: string[] = [];
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const e of parsed.validateProperties().validationEvents) problems.push(`validate: ${e.message}`);
  const back = JSON.stringify(normalise(parsed.toJSON()));
  const given = JSON.stringify(normalise(card));
  if (back !== given) problems.push(`not kept by the 1.5 object model:\n  given ${given}\n  kept  ${back}`);
  return problems;
}
