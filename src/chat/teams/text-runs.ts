/**
 * Rich text → Adaptive Card `TextRun`s. A TextRun's text is never Markdown, so whatever a reply
 * carries (alert summaries, label values, names) is shown literally, by construction: code spans
 * become Monospace runs, a mention the person's name in bold, a link a run that opens its URL
 * (http and https only). Lines are bounded so a card stays within Teams' ~28 KB message limit.
 */
import { isWebLink, type Piece, pieces } from "../../reply/pieces.js";
import type { RichText } from "../../reply/reply.js";

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

/** The runs of one piece, as lines ("\n" inside a piece starts a new line). */
function pieceLines(piece: Piece): TextRun[][] {
  const each = (text: string, run: Omit<TextRun, "type" | "text">) =>
    text.split("\n").map((l): TextRun[] => (l ? [{ type: "TextRun", text: l, ...run }] : []));
  if ("text" in piece) return each(piece.text, {});
  if ("code" in piece) return each(piece.code, { fontType: "Monospace" });
  if ("mention" in piece) return [[{ type: "TextRun", text: piece.mention.name, weight: "Bolder" }]];
  const { label, url } = piece.link;
  if (isWebLink(url))
    return [[{ type: "TextRun", text: label || url, selectAction: { type: "Action.OpenUrl", url } }]];
  // Not a web link (javascript:, mailto:, …): shown, never opened.
  return [[{ type: "TextRun", text: `${label} (${url.slice(0, 200)})` }]];
}

/** The text as lines of runs, all of them; {@link boundLines} keeps a card's worth. */
export function textLines(text: RichText): TextRun[][] {
  const lines: TextRun[][] = [[]];
  for (const piece of pieces(text)) {
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
