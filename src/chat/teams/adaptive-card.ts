/**
 * Reply → Adaptive Card 1.5, for Microsoft Teams. Translation and escaping only, safe by construction:
 * the title, the text, the context lines and thread lines are `RichTextBlock`s of `TextRun`s (never
 * Markdown); the one element Teams reads as Markdown, the FactSet, gets every Markdown character
 * escaped. Buttons carry their typed action ({@link encodeAction}) under one verb. Teams caps a message
 * at about 28 KB: text, facts and buttons are bounded, and a card still too large is drawn again with
 * tighter bounds.
 */
import { type Action, encodeAction } from "../../reply/action.js";
import type { Reply, ReplyAction, ReplyTone, RichText } from "../../reply/reply.js";
import { boundLines, cut, type RunLimits, type TextRun, textLines } from "./text-runs.js";

export type CardElement = Record<string, unknown> & { type: string };

export interface AdaptiveCard {
  type: "AdaptiveCard";
  $schema: string;
  version: "1.5";
  body: CardElement[];
  actions?: CardElement[];
  msteams?: { width: "Full" };
}

/** Largest chart sent inline as a data URI (base64 grows it by a third; the message limit is ~28 KB). */
export const MAX_INLINE_CHART_BYTES = 18_000;
/** The one verb of every Action.Execute button; what it does is in its `data.action`. */
export const ACTION_VERB = "cloudops.action";
/** Largest card JSON sent; Teams refuses messages over ~28 KB, and the activity around it needs room. */
export const MAX_CARD_CHARS = 26_000;

/** Teams shows about six card-level actions; more are hidden behind an overflow or dropped. */
const MAX_CARD_ACTIONS = 6;
const MAX_BODY_ACTIONS = 8;
/** Actions one ActionSet may hold (the Adaptive Cards host config's maxActions); more go in another set. */
const MAX_ACTION_SET = 5;
const MAX_TITLE = 150;
const MAX_BUTTON_TITLE = 40;
const MAX_CONTEXT_LINES = 5;

interface Budget {
  text: RunLimits;
  facts: number;
  factTitle: number;
  factValue: number;
  context: RunLimits;
}

const NORMAL: Budget = {
  text: { maxLines: 60, maxChars: 6000 },
  facts: 20,
  factTitle: 60,
  factValue: 200,
  context: { maxLines: MAX_CONTEXT_LINES, maxChars: 600 },
};
/** Used when a card drawn with {@link NORMAL} is still too large (many escaped or multibyte characters). */
const TIGHT: Budget = {
  text: { maxLines: 20, maxChars: 1500 },
  facts: 8,
  factTitle: 40,
  factValue: 80,
  context: { maxLines: 2, maxChars: 200 },
};

const TONE_STYLE: Record<ReplyTone, string> = {
  ok: "good",
  info: "emphasis",
  warning: "warning",
  critical: "attention",
  error: "attention",
};

export interface CardOptions {
  /** Public URL of the chart image, when the bot is reachable from Teams. */
  chartUrl?: string;
}

/**
 * Escapes text for the Markdown Teams applies to FactSet titles and values: every character that
 * could start emphasis, a link, an image, a heading, a quote, a list, a table or code is
 * backslash-escaped; "\n" stays as it is (no line is doubled into a paragraph).
 */
export function escapeTeamsMarkdown(text: string): string {
  return (
    text
      .replace(/[\\*_~[\]()#>\-+!|`]/g, "\\$&")
      // "1. x" at the start of a line would become an ordered list.
      .replace(/^(\s*\d+)\.(?=\s|$)/gm, "$1\\.")
  );
}

export function renderCard(reply: Reply, opts: CardOptions = {}): AdaptiveCard {
  const card = buildCard(reply, opts, NORMAL);
  return JSON.stringify(card).length <= MAX_CARD_CHARS ? card : buildCard(reply, opts, TIGHT);
}

/** Lines posted under a message (an alert's thread): a small card of literal lines. */
export function renderLinesCard(lines: RichText[]): AdaptiveCard {
  const all = lines.flatMap((l) => textLines(l));
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.5",
    body: textBlocks(all, NORMAL.text),
  };
}

function buildCard(reply: Reply, opts: CardOptions, budget: Budget): AdaptiveCard {
  const body: CardElement[] = [
    {
      type: "Container",
      style: TONE_STYLE[reply.tone],
      bleed: true,
      items: [
        richTextBlock([
          { type: "TextRun", text: cut(reply.title, MAX_TITLE), weight: "Bolder", size: "Medium" },
        ]),
      ],
    },
  ];
  body.push(...textBlocks(textLines(reply.text), budget.text));
  if (reply.fields.length > 0) {
    body.push({
      type: "FactSet",
      facts: reply.fields.slice(0, budget.facts).map((f) => ({
        title: escapeTeamsMarkdown(cut(f.label, budget.factTitle)),
        value: escapeTeamsMarkdown(cut(f.value, budget.factValue)),
      })),
    });
    if (reply.fields.length > budget.facts)
      body.push(subtle(`… and ${reply.fields.length - budget.facts} more`));
  }
  if (reply.chart) {
    const url =
      opts.chartUrl ??
      (reply.chart.png.byteLength <= MAX_INLINE_CHART_BYTES
        ? `data:image/png;base64,${reply.chart.png.toString("base64")}`
        : undefined);
    body.push(
      url
        ? { type: "Image", url, altText: cut(reply.chart.alt, 300), size: "Stretch" }
        : richTextBlock([{ type: "TextRun", text: `📈 ${cut(reply.chart.alt, 300)}`, isSubtle: true }]),
    );
  }
  if (reply.suggestions.length > 0)
    body.push({ type: "TextBlock", text: "Try:", weight: "Bolder", wrap: true });
  // Buttons that act (acknowledge, silence, details …) go in the body, so the card's own actions
  // stay free for links and follow-up questions.
  const acting = reply.actions.filter((a) => a.action.kind !== "ask");
  const buttons = acting.slice(0, MAX_BODY_ACTIONS).map(executeButton);
  for (let i = 0; i < buttons.length; i += MAX_ACTION_SET)
    body.push({ type: "ActionSet", actions: buttons.slice(i, i + MAX_ACTION_SET) });
  for (const block of textBlocks(
    reply.context.flatMap((c) => textLines(c)),
    budget.context,
    { isSubtle: true, size: "Small" },
  ))
    body.push(block);
  const asks: ReplyAction[] = [
    ...reply.actions.filter((a) => a.action.kind === "ask"),
    ...reply.suggestions.map((s) => ({ label: s, action: { kind: "ask" as const, text: s.slice(0, 2000) } })),
  ];
  const actions: CardElement[] = [
    ...reply.links
      .filter((l) => /^https?:\/\/\S+$/i.test(l.url) && l.url.length <= 2000)
      .map((l) => ({ type: "Action.OpenUrl", title: cut(l.label, MAX_BUTTON_TITLE), url: l.url })),
    ...asks.map(executeButton),
  ].slice(0, MAX_CARD_ACTIONS);
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.5",
    body,
    ...(actions.length > 0 ? { actions } : {}),
    msteams: { width: "Full" },
  };
}

/** A button that sends its typed action back (Universal Actions: an `adaptiveCard/action` invoke). */
function executeButton(a: { label: string; action: Action; style?: ReplyAction["style"] }): CardElement {
  return {
    type: "Action.Execute",
    title: cut(a.label, MAX_BUTTON_TITLE),
    verb: ACTION_VERB,
    data: { action: encodeAction(a.action) },
    ...(a.style === "primary" ? { style: "positive" } : a.style === "danger" ? { style: "destructive" } : {}),
  };
}

function richTextBlock(inlines: TextRun[], extra: Record<string, unknown> = {}): CardElement {
  return { type: "RichTextBlock", inlines, ...extra };
}

function subtle(text: string): CardElement {
  return richTextBlock([{ type: "TextRun", text, isSubtle: true, size: "Small" }]);
}

/** One RichTextBlock per line (a blank line opens a paragraph), bounded, with "… and N more lines". */
function textBlocks(lines: TextRun[][], limits: RunLimits, style: Partial<TextRun> = {}): CardElement[] {
  const { lines: kept, dropped } = boundLines(lines, limits);
  const blocks: CardElement[] = [];
  let gap = false;
  for (const line of kept) {
    if (line.length === 0 || line.every((r) => r.text === "")) {
      gap = blocks.length > 0;
      continue;
    }
    const spacing = blocks.length === 0 ? {} : { spacing: gap ? "Medium" : "None" };
    blocks.push(
      richTextBlock(
        line.map((r) => ({ ...r, ...style })),
        spacing,
      ),
    );
    gap = false;
  }
  if (dropped > 0) blocks.push(subtle(`… and ${dropped} more line${dropped === 1 ? "" : "s"}`));
  return blocks;
}
