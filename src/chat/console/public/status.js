// Status as words, colour second. Replies carry their status as a tone, and their titles, field labels
// and text lines start with an emoji marker (🟢 🟠 🔴 …) that Slack and Teams draw themselves; a
// browser without an emoji font draws an empty box. The console shows a badge with a word instead.
// This module is the one table from tone and marker to word and colour; it builds DOM nodes and
// never HTML, so text from outside stays text.

/** A badge: the word shown, and the colour class (`badge-ok|info|warning|critical|muted`). */
const OK = { word: "OK", level: "ok" };
const INFO = { word: "INFO", level: "info" };
const WARNING = { word: "WARNING", level: "warning" };
const CRITICAL = { word: "CRITICAL", level: "critical" };
const ERROR = { word: "ERROR", level: "critical" };

/** Reply tones (src/reply/reply.ts ReplyTone). */
export const TONES = {
  ok: OK,
  info: INFO,
  warning: WARNING,
  critical: CRITICAL,
  error: ERROR,
  learning: { word: "LEARNING", level: "info" },
};

/** Emoji status markers the answers use (with or without the U+FE0F presentation selector). */
export const MARKERS = {
  "🟢": OK,
  "✅": OK,
  "🔵": INFO,
  "🟡": WARNING,
  "🟠": WARNING,
  "⚠": WARNING,
  "🔴": CRITICAL,
  "❌": ERROR,
  "🚫": ERROR,
  "⚪": { word: "NO DATA", level: "muted" },
  "⏳": { word: "PENDING", level: "info" },
  "🔁": { word: "FIRING AGAIN", level: "critical" },
  "👀": { word: "ACKNOWLEDGED", level: "info" },
  "🔕": { word: "SILENCED", level: "muted" },
};

/** A tone's badge; an unknown tone still shows as its own word rather than as nothing. */
export function toneStatus(tone) {
  if (Object.hasOwn(TONES, tone)) return TONES[tone];
  const word = typeof tone === "string" && /^[a-z_-]{1,20}$/.test(tone) ? tone.toUpperCase() : "INFO";
  return { word, level: "info" };
}

/** `<span class="badge badge-LEVEL">WORD</span>` */
export function badge(status) {
  const span = document.createElement("span");
  span.className = `badge badge-${status.level}`;
  span.textContent = status.word;
  return span;
}

// Every marker is one code point, none of them special in a pattern.
const markerPattern = new RegExp(`(${Object.keys(MARKERS).join("|")})\\uFE0F?[ \\t]*`, "gu");
// A decorative emoji (🤖 🐳 ⏱️ …) at the start of a line: its meaning is in the words after it.
const leadingEmoji =
  /^(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F)(?:\p{Emoji_Modifier}|\u200D(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F?))*[ \t]*/gmu;

/**
 * Text as nodes: each status marker becomes a badge, a decorative emoji at the start of a line is
 * dropped, everything else is a text node.
 */
export function statusNodes(text) {
  const nodes = [];
  const source = String(text);
  let last = 0;
  for (const m of source.matchAll(markerPattern)) {
    if (m.index > last) nodes.push(...plain(source.slice(last, m.index)));
    nodes.push(badge(MARKERS[m[1]]), document.createTextNode(" "));
    last = m.index + m[0].length;
  }
  if (last < source.length) nodes.push(...plain(source.slice(last)));
  return nodes;
}

function plain(text) {
  const t = text.replace(leadingEmoji, "");
  return t ? [document.createTextNode(t)] : [];
}

/** A title without its leading marker: the reply's tone badge stands in front of it. */
export function stripLeadingMarker(title) {
  const s = String(title);
  markerPattern.lastIndex = 0;
  const m = markerPattern.exec(s);
  markerPattern.lastIndex = 0;
  if (m && m.index === 0) return s.slice(m[0].length);
  return s.replace(leadingEmoji, "");
}
