/**
 * RichText → Slack `rich_text` elements. Safe by construction: text goes out as `text` elements,
 * which Slack shows literally (no mrkdwn, no `<!channel>`, no `<url|label>`), so nothing from outside
 * can become a mention, a link or formatting. Only structured mentions and links become those.
 */
import type { types } from "@slack/bolt";
import { isWebLink, type Piece, pieces } from "../../reply/pieces.js";
import type { RichText } from "../../reply/reply.js";

export type RichTextElement = types.RichTextElement;
export type RichTextBlock = types.RichTextBlock;

/** Slack user ids: only these become `user` elements (anything else is shown by name). */
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;
function text(value: string, code = false): RichTextElement {
  return code ? { type: "text", text: value, style: { code: true } } : { type: "text", text: value };
}

function element(piece: Piece): RichTextElement {
  if ("text" in piece) return text(piece.text);
  if ("code" in piece) return text(piece.code, true);
  if ("mention" in piece) {
    const { mention } = piece;
    return mention.platform === "slack" && SLACK_USER_ID.test(mention.id)
      ? { type: "user", user_id: mention.id }
      : text(mention.name);
  }
  const { label, url } = piece.link;
  // Only web links become links; anything else (javascript:, slack://…) is shown as text.
  return isWebLink(url) ? { type: "link", url, text: label || url } : text(`${label} (${url})`);
}

/** The elements of `value`, in order, adjacent plain texts merged. */
export function richTextElements(value: RichText): RichTextElement[] {
  return merge(pieces(value).map(element));
}

function merge(elements: RichTextElement[]): RichTextElement[] {
  const out: RichTextElement[] = [];
  for (const e of elements) {
    if (e.type === "text" && e.text === "") continue;
    const prev = out.at(-1);
    if (prev?.type === "text" && e.type === "text" && !prev.style && !e.style) {
      out[out.length - 1] = text(prev.text + e.text);
      continue;
    }
    out.push(e);
  }
  return out;
}

/** Characters an element shows (a mention counts as an id's worth). */
function size(e: RichTextElement): number {
  if (e.type === "text") return e.text.length;
  if (e.type === "link") return (e.text ?? e.url).length;
  return 24;
}

/** The elements split into lines at every "\n" (inside text elements too). */
function lines(elements: RichTextElement[]): RichTextElement[][] {
  const out: RichTextElement[][] = [[]];
  for (const e of elements) {
    if (e.type !== "text" || !e.text.includes("\n")) {
      out.at(-1)?.push(e);
      continue;
    }
    const pieces = e.text.split("\n");
    pieces.forEach((piece, i) => {
      if (i > 0) out.push([]);
      if (piece) out.at(-1)?.push(e.style ? { ...e, text: piece } : text(piece));
    });
  }
  return out;
}

/** A line longer than `max` cut into lines of at most `max` characters (long error texts, rare). */
function cut(line: RichTextElement[], max: number): RichTextElement[][] {
  const out: RichTextElement[][] = [[]];
  let used = 0;
  for (const e of line) {
    let rest: RichTextElement = e;
    while (used + size(rest) > max) {
      if (rest.type !== "text" || used >= max) {
        if (used === 0) break;
        out.push([]);
        used = 0;
        continue;
      }
      const room = max - used;
      out.at(-1)?.push({ ...rest, text: rest.text.slice(0, room) });
      rest = { ...rest, text: rest.text.slice(room) };
      out.push([]);
      used = 0;
    }
    out.at(-1)?.push(rest);
    used += size(rest);
  }
  return out.filter((l) => l.length > 0);
}

/** `value` as rich_text blocks of at most `max` characters each, split between lines where it can. */
export function richTextBlocks(value: RichText, max: number): RichTextBlock[] {
  const chunks: RichTextElement[][] = [];
  let current: RichTextElement[] = [];
  let used = 0;
  const flush = () => {
    const elements = merge(current);
    if (elements.some((e) => e.type !== "text" || e.text.trim() !== "")) chunks.push(elements);
    current = [];
    used = 0;
  };
  for (const whole of lines(richTextElements(value))) {
    const wholeSize = whole.reduce((n, e) => n + size(e), 0);
    for (const line of wholeSize > max ? cut(whole, max) : [whole]) {
      const lineSize = line.reduce((n, e) => n + size(e), 0);
      if (used > 0 && used + 1 + lineSize > max) flush();
      if (used > 0 || current.length > 0) {
        current.push(text("\n"));
        used += 1;
      }
      current.push(...line);
      used += lineSize;
    }
  }
  flush();
  return chunks.map((elements) => ({
    type: "rich_text",
    elements: [{ type: "rich_text_section", elements }],
  }));
}
