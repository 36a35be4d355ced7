/**
 * Reply → Slack Block Kit. Translation only: every decision about content was made by the assistant.
 * Slack's limits shape the output: 50 blocks per message, 3,000 characters per section text, 10 fields
 * per section, 2,000 per field, 150 for a header, 25 elements per actions block. A reply that does not
 * fit becomes several messages; nothing is dropped.
 */
import type { Reply, ReplyAction, ReplyLink } from "../../reply/reply.js";

/** The subset of Block Kit the bot sends (structural types, so no SDK type leaks into callers). */
export type Block = Record<string, unknown> & { type: string };

export interface SlackMessage {
  /** Notification and screen-reader fallback text. */
  text: string;
  blocks: Block[];
}

export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  headerText: 150,
  elementsPerActions: 25,
  buttonText: 75,
  buttonValue: 2000,
  contextElements: 10,
  fallbackText: 3000,
} as const;

/** Action ids Bolt listeners are registered for; the suffix keeps ids unique within a message. */
export const ACTION_PREFIX = "cloudops";

/** Escapes text for mrkdwn: Slack treats &, < and > as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function truncate(text: string, max: number): string {
  return [...text].length <= max ? text : `${[...text].slice(0, max - 1).join("")}…`;
}

/** Splits text into chunks of at most `max` characters, preferring line boundaries. */
export function splitText(text: string, max: number): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of text.split("\n")) {
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    if (current) out.push(current);
    // A single line longer than the limit is cut hard; rare (long error texts).
    let rest = line;
    while (rest.length > max) {
      out.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    current = rest;
  }
  if (current) out.push(current);
  return out;
}

function button(action: ReplyAction, index: number): Block {
  return {
    type: "button",
    action_id: `${ACTION_PREFIX}:${action.id}:${index}`,
    text: { type: "plain_text", text: truncate(action.label, LIMITS.buttonText), emoji: true },
    value: truncate(action.value, LIMITS.buttonValue),
    ...(action.style ? { style: action.style } : {}),
  };
}

function linkButton(link: ReplyLink, index: number): Block {
  return {
    type: "button",
    action_id: `${ACTION_PREFIX}:link:${index}`,
    text: { type: "plain_text", text: truncate(`🔗 ${link.label}`, LIMITS.buttonText), emoji: true },
    url: link.url,
  };
}

export interface RenderOptions {
  /** Extra context line, e.g. "answered by builtin". */
  footer?: string;
  /** Whether to include action buttons (not in App Home previews, for example). */
  actions?: boolean;
}

/** Renders a reply as one or more Slack messages. */
export function renderReply(reply: Reply, opts: RenderOptions = {}): SlackMessage[] {
  const blocks: Block[] = [];
  blocks.push({
    type: "header",
    text: { type: "plain_text", text: truncate(reply.title, LIMITS.headerText), emoji: true },
  });
  if (reply.text) {
    for (const chunk of splitText(escapeMrkdwn(reply.text), LIMITS.sectionText)) {
      blocks.push({ type: "section", text: { type: "mrkdwn", text: chunk } });
    }
  }
  for (let i = 0; i < reply.fields.length; i += LIMITS.fieldsPerSection) {
    blocks.push({
      type: "section",
      fields: reply.fields.slice(i, i + LIMITS.fieldsPerSection).map((f) => ({
        type: "mrkdwn",
        text: truncate(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, LIMITS.fieldText),
      })),
    });
  }
  if (reply.suggestions.length > 0) {
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: truncate(
          `*Try:*\n${reply.suggestions.map((s) => `• ${escapeMrkdwn(s)}`).join("\n")}`,
          LIMITS.sectionText,
        ),
      },
    });
  }
  const elements: Block[] = [
    ...reply.links.map(linkButton),
    ...(opts.actions === false ? [] : reply.actions.map(button)),
    ...(opts.actions === false
      ? []
      : reply.suggestions.map((s, i) =>
          button({ id: "ask", label: truncate(s, LIMITS.buttonText), value: s }, 100 + i),
        )),
  ];
  for (let i = 0; i < elements.length; i += LIMITS.elementsPerActions) {
    blocks.push({ type: "actions", elements: elements.slice(i, i + LIMITS.elementsPerActions) });
  }
  const context = [...reply.context, ...(opts.footer ? [opts.footer] : [])];
  if (context.length > 0) {
    blocks.push({
      type: "context",
      elements: context
        .slice(0, LIMITS.contextElements)
        .map((c) => ({ type: "mrkdwn", text: truncate(escapeMrkdwn(c), LIMITS.sectionText) })),
    });
  }
  const text = fallbackText(reply);
  const messages: SlackMessage[] = [];
  for (let i = 0; i < blocks.length; i += LIMITS.blocksPerMessage) {
    messages.push({
      text: i === 0 ? text : `${truncate(reply.title, 100)} (continued)`,
      blocks: blocks.slice(i, i + LIMITS.blocksPerMessage),
    });
  }
  return messages;
}

/** The notification text: title and the first lines, which is what a phone's lock screen shows. */
export function fallbackText(reply: Reply): string {
  return truncate([reply.title, reply.text].filter(Boolean).join("\n"), LIMITS.fallbackText);
}
