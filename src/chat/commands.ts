/**
 * Typed commands, whatever the platform: `alerts`, `ack ID`, `silence ID 2h`, `unsilence ID`,
 * `resolve ID`, `details ID`, `audit`, `help`, the chat rules (`alert when …`, `rules`, `rule pause|
 * resume|delete ID`); anything else is a question. Text goes in, a typed {@link Action} comes out.
 */
import type { Action } from "../reply/action.js";

const ID = "([0-9a-f]{8})";

export function parseCommand(raw: string): Action {
  const t = raw.trim().replace(/\s+/g, " ");
  const match = (pattern: string) => new RegExp(`^/?${pattern}$`, "i").exec(t);
  if (t === "" || match("(help|\\?)")) return { kind: "help" };
  if (match("alerts?")) return { kind: "alerts.list" };
  if (match("audit")) return { kind: "alerts.audit" };
  const ack = match(`(?:ack|acknowledge) ${ID}`);
  if (ack) return { kind: "alert.ack", id: ack[1] as string };
  const silence = match(`silence ${ID}(?: (?:for )?(\\S{1,20}))?`);
  if (silence) return { kind: "alert.silence", id: silence[1] as string, for: silence[2] ?? "1h" };
  const unsilence = match(`unsilence ${ID}`);
  if (unsilence) return { kind: "alert.unsilence", id: unsilence[1] as string };
  const resolve = match(`resolve ${ID}`);
  if (resolve) return { kind: "alert.resolve", id: resolve[1] as string };
  const details = match(`details ${ID}`);
  if (details) return { kind: "alert.details", id: details[1] as string };
  const which = /^(ack|acknowledge|silence|unsilence|resolve|details)\b/i.exec(t);
  if (which) return { kind: "alert.which", verb: (which[1] as string).toLowerCase() };
  const rule = /^alert when (.+)$/i.exec(t);
  if (rule) return { kind: "rule.create", text: rule[1] as string };
  if (match("rules?")) return { kind: "rules.list" };
  const change = match(`rule (pause|resume|delete) ${ID}`);
  if (change)
    return {
      kind: "rule.change",
      op: (change[1] as string).toLowerCase() as "pause" | "resume" | "delete",
      id: change[2] as string,
    };
  return { kind: "ask", text: t };
}
