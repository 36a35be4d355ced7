/**
 * What an LLM may add to findings already gathered: a few sentences, each citing a number the
 * findings hold, the whole naming a time from them. A sentence that cites nothing from the findings
 * is dropped (it is the model's, not the data's); an account left with nothing, or with no time, is
 * not used at all. Links are dropped too: the account points at nothing the data does not.
 */

export const NARRATION_PROMPT = [
  "The first_look tool result holds what was found about an alert: what moved on the host against its usual level, where else, what changed, earlier times, what could not be checked.",
  "Write at most 4 short sentences for the on-call engineer: the most likely cause first, then what supports it. Every sentence must cite at least one number exactly as the result writes it (a value, a usual level, a count), and name the time things started (HH:MM UTC) as the result writes it.",
  "Say plainly when something could not be checked or nothing unusual was found. No headings, no lists, no links, no advice to run commands.",
].join("\n");

/** Longest account kept (characters). */
const MAX_CHARS = 700;
const MAX_SENTENCES = 5;

/** Numbers standing on their own ("94.1", "14:05", "3"), not parts of names ("web-2", "node-0012"). */
const NUMBER = /(?<![\w.:-])\d+(?:[.:]\d+)*(?![\w-]|[.:]\d)/g;
const TIME = /\b\d{2}:\d{2}\b/g;

function numbersOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(NUMBER)) {
    const token = m[0];
    out.add(token);
    // "94.1" may be cited as "94": a rounding of a number the findings hold is that number.
    if (/^\d+\.\d+$/.test(token)) {
      const v = Number(token);
      out.add(String(Math.round(v)));
      out.add(v.toFixed(1));
    }
  }
  return out;
}

export type NarrationCheck = { ok: true; text: string; dropped: number } | { ok: false; reason: string };

export function checkNarration(raw: string, factsText: string): NarrationCheck {
  const facts = numbersOf(factsText);
  const factTimes = new Set(factsText.match(TIME) ?? []);
  const flat = raw
    .slice(0, 4000)
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/[`*_#>]+/g, "")
    .replace(/^\s*[-•]\s+/gm, "")
    .replace(/\s+/g, " ")
    .trim();
  const sentences = flat.split(/(?<=[.!?])\s+/).filter((x) => x.length > 0);
  const kept: string[] = [];
  let dropped = 0;
  for (const sentence of sentences) {
    const cites = [...sentence.matchAll(NUMBER)].some((m) => facts.has(m[0]));
    if (!cites || /https?:|www\./i.test(sentence)) {
      dropped++;
      continue;
    }
    kept.push(sentence);
    if (kept.length >= MAX_SENTENCES) break;
  }
  if (kept.length === 0) return { ok: false, reason: "no sentence cites a number from the findings" };
  const text = kept.join(" ");
  if (!(text.match(TIME) ?? []).some((t) => factTimes.has(t)))
    return { ok: false, reason: "the account names no time from the findings" };
  return { ok: true, text: text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text, dropped };
}
