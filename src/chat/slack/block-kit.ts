/**
 * Reply → Slack Block Kit, safe by construction: the text is `rich_text` (literal text elements,
 * structured mentions and links), every other text that can hold outside words (header, fields,
 * context, button labels) is `plain_text`, and the fallback `text` is escaped. No mrkdwn carries
 * anything that was not written here.
 *
 * Slack's limits shape the output: 50 blocks per message, 150 characters for a header, 10 fields of
 * 2,000 per section, 25 elements per actions block, 10 per context, 2,000 for a button value. A
 * reply that does not fit becomes several messages; text is split, not dropped.
 */
import type { types } from "@slack/bolt";
import { encodeAction } from "../../reply/action.js";
import {
  type Inline,
  plainText,
  type Reply,
  type ReplyAction,
  type ReplyLink,
  type RichText,
} from "../../reply/reply.js";
import { type RichTextBlock, type RichTextElement, richTextBlocks } from "./rich-text.js";

export type Block = types.KnownBlock;
type Button = types.Button;

export interface SlackMessage {
  /** Notification and screen-reader fallback text (escaped: Slack reads it as mrkdwn). */
  text: string;
  blocks: Block[];
}

export const LIMITS = {
  blocksPerMessage: 50,
  /** Characters per rich_text block (Slack's section limit, kept for readable chunks). */
  richText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  headerText: 150,
  elementsPerActions: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  contextElements: 10,
  contextText: 2000,
  suggestions: 20,
  fallbackText: 3000,
} as const;

/** Every button's action_id starts with this; one Bolt listener takes them all. */
export const ACTION_PREFIX = "cloudops";

/** Escapes text for where Slack reads mrkdwn (the fallback `text`): &, < and > are its control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** At most `max` UTF-16 units (the stricter way to count Slack's limits), never half an emoji. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = "";
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

const plain = (text: string, max: number): types.PlainTextElement => ({
  type: "plain_text",
  // Slack refuses empty text objects.
  text: truncate(text, max) || " ",
  emoji: true,
});

/** The button for an action, or undefined when its payload cannot fit Slack's value limit. */
function actionButton(action: ReplyAction, index: number): Button | undefined {
  let value = encodeAction(action.action);
  if (value.length > LIMITS.buttonValue && action.action.kind === "ask") {
    const text = action.action.text;
    value = encodeAction({
      kind: "ask",
      text: text.slice(0, text.length - (value.length - LIMITS.buttonValue)),
    });
  }
  if (value.length > LIMITS.buttonValue) return undefined;
  return {
    type: "button",
    action_id: `${ACTION_PREFIX}:${action.action.kind}:${index}`,
    text: plain(action.label, LIMITS.buttonText),
    value,
    ...(action.style ? { style: action.style } : {}),
  };
}

const WEB_URL = /^https?:\/\/\S+$/i;

function linkButton(link: ReplyLink, index: number): Button | undefined {
  if (!WEB_URL.test(link.url) || link.url.length > LIMITS.buttonUrl) return undefined;
  return {
    type: "button",
    action_id: `${ACTION_PREFIX}:link:${index}`,
    text: plain(`🔗 ${link.label}`, LIMITS.buttonText),
    url: link.url,
  };
}

function suggestionBlock(suggestions: string[]): RichTextBlock {
  const item = (text: string): types.RichTextSection => ({
    type: "rich_text_section",
    elements: [{ type: "text", text: truncate(text, LIMITS.fieldText) }],
  });
  return {
    type: "rich_text",
    elements: [
      { type: "rich_text_section", elements: [{ type: "text", text: "Try:", style: { bold: true } }] },
      { type: "rich_text_list", style: "bullet", elements: suggestions.map(item) },
    ],
  };
}

export interface RenderOptions {
  /** Whether to include buttons that act (not in the App Home, whose view has no conversation). */
  actions?: boolean;
}

/** The blocks of a reply, before they are cut into messages. */
export function replyBlocks(reply: Reply, opts: RenderOptions = {}): Block[] {
  const blocks: Block[] = [];
  if (reply.title) blocks.push({ type: "header", text: plain(reply.title, LIMITS.headerText) });
  blocks.push(...richTextBlocks(reply.text, LIMITS.richText));
  for (let i = 0; i < reply.fields.length; i += LIMITS.fieldsPerSection) {
    blocks.push({
      type: "section",
      fields: reply.fields
        .slice(i, i + LIMITS.fieldsPerSection)
        .map((f) => plain(`${f.label}\n${f.value}`, LIMITS.fieldText)),
    });
  }
  const suggestions = reply.suggestions.slice(0, LIMITS.suggestions);
  if (suggestions.length > 0) blocks.push(suggestionBlock(suggestions));
  const acting = opts.actions !== false;
  const elements: Button[] = [];
  const unlinked: string[] = [];
  for (const link of reply.links) {
    const b = linkButton(link, elements.length);
    if (b) elements.push(b);
    else unlinked.push(`${link.label}: ${link.url}`);
  }
  if (acting) {
    const presses = [
      ...reply.actions,
      ...suggestions.map((s): ReplyAction => ({ label: s, action: { kind: "ask", text: s } })),
    ];
    for (const a of presses) {
      const b = actionButton(a, elements.length);
      if (b) elements.push(b);
    }
  }
  for (let i = 0; i < elements.length; i += LIMITS.elementsPerActions)
    blocks.push({ type: "actions", elements: elements.slice(i, i + LIMITS.elementsPerActions) });
  const context = [...reply.context, ...unlinked];
  for (let i = 0; i < context.length; i += LIMITS.contextElements)
    blocks.push({
      type: "context",
      elements: context.slice(i, i + LIMITS.contextElements).map((c) => plain(c, LIMITS.contextText)),
    });
  return blocks;
}

/** Renders a reply as one or more Slack messages. */
export function renderReply(reply: Reply, opts: RenderOptions = {}): SlackMessage[] {
  return toMessages(replyBlocks(reply, opts), fallbackText(reply), reply.title);
}

/** Lines under an alert message (its thread): rich text, one line each, with an escaped fallback. */
export function renderLines(lines: RichText[]): SlackMessage[] {
  const joined: Inline[] = lines.flatMap((l, i): Inline[] => [
    ...(i === 0 ? [] : ["\n"]),
    ...(typeof l === "string" ? [l] : l),
  ]);
  const fallback = escapeMrkdwn(truncate(lines.map(plainText).join("\n"), LIMITS.fallbackText));
  return toMessages(richTextBlocks(joined, LIMITS.richText), fallback, "Alert history");
}

/** A short line of context (the "working…" placeholder): plain text only. */
export function renderNote(note: string): SlackMessage {
  return {
    text: escapeMrkdwn(truncate(note, LIMITS.fallbackText)),
    blocks: [{ type: "context", elements: [plain(note, LIMITS.contextText)] }],
  };
}

function toMessages(blocks: Block[], text: string, title: string): SlackMessage[] {
  const messages: SlackMessage[] = [];
  for (let i = 0; i < blocks.length; i += LIMITS.blocksPerMessage)
    messages.push({
      text: i === 0 ? text : escapeMrkdwn(`${truncate(title, 100)} (continued)`),
      blocks: blocks.slice(i, i + LIMITS.blocksPerMessage),
    });
  return messages.length > 0 ? messages : [{ text: text || " ", blocks: [] }];
}

/** The notification text: title and the first lines (what a lock screen shows), escaped. */
export function fallbackText(reply: Reply): string {
  const body = plainText(reply.text);
  return escapeMrkdwn(truncate([reply.title, body].filter(Boolean).join("\n"), LIMITS.fallbackText));
}

export type { RichTextBlock, RichTextElement };

/** Blocks a home view holds at most. */
const HOME_BLOCKS = 100;

/** The App Home view: each reply's blocks (no buttons that act: a view is no conversation), divided. */
export function renderHome(replies: Reply[]): Block[] {
  const divider: Block = { type: "divider" };
  const blocks = replies.flatMap((r, i) => [
    ...(i > 0 ? [divider] : []),
    ...replyBlocks(r, { actions: false }),
  ]);
  return blocks.slice(0, HOME_BLOCKS);
}
