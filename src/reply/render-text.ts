/**
 * Plain-text rendering of a Reply, for a terminal (the CLI). Text from outside (alert summaries, label
 * values, LLM output) may carry control characters; a terminal would act on them (clear the screen,
 * move the cursor, set the window title), so every control character but tab and line break is shown as
 * a visible escape instead.
 */
import { plainText, type Reply } from "./reply.js";

export interface TextRenderOptions {
  /** Column width for aligning field labels. */
  labelWidth?: number;
}

/** Control characters (C0 but tab and line break, DEL, C1) and the bidi overrides that reorder what is shown. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Makes text safe to print: control characters become visible `\u001b`-style escapes. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function renderText(reply: Reply, opts: TextRenderOptions = {}): string {
  return terminalSafe(renderRaw(reply, opts));
}

function renderRaw(reply: Reply, opts: TextRenderOptions): string {
  const out: string[] = [reply.title, ""];
  if (reply.text.length > 0) out.push(plainText(reply.text), "");
  if (reply.fields.length > 0) {
    const width = Math.min(opts.labelWidth ?? 28, Math.max(...reply.fields.map((f) => [...f.label].length)));
    for (const f of reply.fields) out.push(`  ${f.label.padEnd(width)}  ${f.value}`);
    out.push("");
  }
  if (reply.chart) out.push(`Chart: ${reply.chart.alt}`, "");
  for (const l of reply.links) out.push(`${l.label}: ${l.url}`);
  if (reply.links.length > 0) out.push("");
  if (reply.suggestions.length > 0) {
    out.push("Try:");
    for (const s of reply.suggestions) out.push(`  • ${s}`);
    out.push("");
  }
  for (const c of reply.context) out.push(`  ${c}`);
  return `${out.join("\n").trimEnd()}\n`;
}
