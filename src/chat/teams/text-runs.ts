/**
 * Rich text → Adaptive Card `TextRun`s. A TextRun's text is never Markdown, so whatever a reply
 * carries (alert summaries, label values, names) is shown literally, by construction: code spans
 * become Monospace runs, a mention the person's name in bold, a link a run that opens its URL
 * (http and https only). Lines are bounded so a card stays within Teams' ~28 KB message limit.
 */
import type { Inline, RichText } from "../../reply/reply.js";

export interface TextRun {
  type: "TextRun";
  text: string;
  fontType?: "Monospace";
  weight?: "Bolder";
  isSubtle?: boolean;
  size?: "Small" | "Medium";
  selectAction?: { type: "Action.OpenUrl"; url: string };
}

export interface RunLimits {
  /** Lines kept; the rest are counted in an "… and N more lines" line. */
  maxLines: number;
  /** Characters kept over all lines (each run is cut to what is left). */
  maxChars: number;
}

/** Longest URL put on a link (a longer one is shown as text, not opened). */
const MAX_URL = 2000;

const isWebUrl = (url: string) => /^https?:\/\/[^\s]+$/i.test(url) && url.length <= MAX_URL;

/** Splits literal text into plain and code pieces: a span between two backticks is code. */
function codeSpans(line: string): TextRun[] {
  const runs: TextRun[] = [];
  const parts = line.split("`");
  // An odd number of parts means every backtick is paired; an unpaired last one stays literal.
  const paired = parts.length % 2 === 1 ? parts.length : parts.length - 1;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    if (i >= paired) {
      runs.push({ type: "TextRun", text: `\`${part}` });
      continue;
    }
    if (part === "") continue;
    runs.push(
      i % 2 === 1 ? { type: "TextRun", text: part, fontType: "Monospace" } : { type: "TextRun", text: part },
    );
  }
  return runs;
}

/** The runs of one inline piece, as lines ("\n" inside a piece starts a new line). */
function pieceLines(piece: Inline): TextRun[][] {
  if (typeof piece === "string") return piece.split("\n").map(codeSpans);
  if ("code" in piece)
    return piece.code
      .split("\n")
      .map((l) => (l ? [{ type: "TextRun", text: l, fontType: "Monospace" }] : []));
  if ("mention" in piece) return [[{ type: "TextRun", text: piece.mention.name, weight: "Bolder" }]];
  const { label, url } = piece.link;
  if (isWebUrl(url))
    return [[{ type: "TextRun", text: label || url, selectAction: { type: "Action.OpenUrl", url } }]];
  // Not a web link (javascript:, mailto:, …): shown, never opened.
  return [[{ type: "TextRun", text: `${label} (${url.slice(0, 200)})` }]];
}

/** The text as lines of runs, all of them; {@link boundLines} keeps a card's worth. */
export function textLines(text: RichText): TextRun[][] {
  const pieces: Inline[] = typeof text === "string" ? [text] : text;
  const lines: TextRun[][] = [[]];
  for (const piece of pieces) {
    const [first = [], ...rest] = pieceLines(piece);
    lines[lines.length - 1]?.push(...first);
    lines.push(...rest);
  }
  return lines;
}

/** Keeps at most `maxLines` lines and `maxChars` characters; says how many lines were left out. */
export function boundLines(lines: TextRun[][], limits: RunLimits): { lines: TextRun[][]; dropped: number } {
  const kept: TextRun[][] = [];
  let budget = limits.maxChars;
  for (const line of lines) {
    if (kept.length >= limits.maxLines || budget <= 0) break;
    const runs: TextRun[] = [];
    for (const run of line) {
      if (budget <= 0) break;
      const chars = [...run.text];
      const text = chars.length > budget ? `${chars.slice(0, Math.max(0, budget - 1)).join("")}…` : run.text;
      budget -= Math.min(chars.length, budget);
      runs.push({ ...run, text });
    }
    kept.push(runs);
  }
  return { lines: kept, dropped: lines.length - kept.length };
}

/** Cuts a plain string to `max` characters (by code point), marking the cut. */
export function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : text;
}
