/**
 * Rich text as a flat list of typed pieces: what every renderer walks. A literal string's `code`
 * spans (the Reply format's one convention: between backticks, on one line) become code pieces here,
 * once, so no renderer reads markup out of strings itself.
 */
import type { Inline, ReplyLink, RichText, UserRef } from "./reply.js";

export type Piece = { text: string } | { code: string } | { mention: UserRef } | { link: ReplyLink };

const CODE_SPAN = /`([^`\n]+)`/g;

function literal(value: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of value.matchAll(CODE_SPAN)) {
    if (m.index > last) out.push({ text: value.slice(last, m.index) });
    out.push({ code: m[1] as string });
    last = m.index + m[0].length;
  }
  if (last < value.length) out.push({ text: value.slice(last) });
  return out;
}

function piecesOf(part: Inline): Piece[] {
  if (typeof part === "string") return literal(part);
  if ("code" in part) return part.code ? [{ code: part.code }] : [];
  return [part];
}

/** The pieces of `text`, in order; empty texts dropped. */
export function pieces(text: RichText): Piece[] {
  const parts = typeof text === "string" ? [text] : text;
  return parts.flatMap(piecesOf).filter((p) => !("text" in p) || p.text !== "");
}

/** Links a person may open from chat: http(s) only (a `javascript:` or `slack://` URL is shown, not linked). */
export function isWebLink(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url) && url.length <= 3000;
}
