/**
 * Typed commands, whatever the platform: `alerts`, `ack ID`, `silence ID 2h`, `unsilence ID`,
 * `resolve ID`, `details ID`, `investigate ID`, `audit`, `help`, the chat rules (`alert when …`,
 * `rules`, `rule pause|resume|delete ID`), the channel's digest (`digest daily 09:00`, `digest off`, …); anything else
 * is a question. Text goes in, a typed {@link Action} comes out.
 */
import { MAX_QUESTION_CHARS } from "../assistant/parse-question.js";
import { parseDigestCommand } from "../insights/digest-schedule.js";
import type { Action } from "../reply/action.js";

const ID = "([0-9a-f]{8})";
/** What `report` takes as a period (insights/report-period.ts parses it): "november", "2026-11", "30d", "last month", "2026-11-01..2026-11-15". */
const REPORT_PERIOD =
  "\\d{4}-\\d{2}(?:-\\d{2}(?:\\.\\.\\d{4}-\\d{2}-\\d{2})?)?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}(?: \\d{4})?|(?:last |past )?\\d{1,4} ?(?:h|hours?|d|days?|w|weeks?)|(?:last|this|previous) month";
/** Alert ids are lower-case hex as the bot writes them; one typed in capitals is the same id. */
const id = (m: RegExpExecArray) => (m[1] as string).toLowerCase();

export function parseCommand(raw: string): Action {
  const t = raw.trim().replace(/\s+/g, " ");
  // Longer than any question or command may be: said so, never cut to fit.
  if (t.length > MAX_QUESTION_CHARS) return { kind: "too-long", length: t.length };
  const match = (pattern: string) => new RegExp(`^/?${pattern}$`, "i").exec(t);
  if (t === "" || match("(help|\\?)")) return { kind: "help" };
  if (match("alerts?")) return { kind: "alerts.list" };
  if (match("audit")) return { kind: "alerts.audit" };
  const ack = match(`(?:ack|acknowledge) ${ID}`);
  if (ack) return { kind: "alert.ack", id: id(ack) };
  const silence = match(`silence ${ID}(?: (?:for )?(\\S{1,20}))?`);
  if (silence) return { kind: "alert.silence", id: id(silence), for: silence[2] ?? "1h" };
  const unsilence = match(`unsilence ${ID}`);
  if (unsilence) return { kind: "alert.unsilence", id: id(unsilence) };
  const resolve = match(`resolve ${ID}`);
  if (resolve) return { kind: "alert.resolve", id: id(resolve) };
  const details = match(`details ${ID}`);
  if (details) return { kind: "alert.details", id: id(details) };
  const investigate = match(`investigate ${ID}`);
  if (investigate) return { kind: "alert.investigate", id: id(investigate) };
  const which = /^(ack|acknowledge|silence|unsilence|resolve|details)\b/i.exec(t);
  if (which) return { kind: "alert.which", verb: (which[1] as string).toLowerCase() };
  const digest = parseDigestCommand(t);
  if (digest) return digest;
  const report = match(`report(?: (?:for |of )?(${REPORT_PERIOD}))?`);
  if (report) return { kind: "report", ...(report[1] ? { period: report[1] } : {}) };
  const rule = /^alert when (.+)$/i.exec(t);
  if (rule) return { kind: "rule.create", text: rule[1] as string };
  if (match("rules?")) return { kind: "rules.list" };
  const change = match(`rule (pause|resume|delete) ${ID}`);
  if (change)
    return {
      kind: "rule.change",
      op: (change[1] as string).toLowerCase() as "pause" | "resume" | "delete",
      id: (change[2] as string).toLowerCase(),
    };
  return { kind: "ask", text: t };
}
