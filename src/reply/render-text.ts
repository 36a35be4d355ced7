/** Plain-text rendering of a Reply: the CLI's output and the notification fallback of chat platforms. */
import { plainText, type Reply } from "./reply.js";

export interface TextRenderOptions {
  /** Column width for aligning field labels. */
  labelWidth?: number;
}

export function renderText(reply: Reply, opts: TextRenderOptions = {}): string {
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
