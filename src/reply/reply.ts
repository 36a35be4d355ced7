/**
 * The platform-neutral conversation model. Every chat adapter turns its wire format into an
 * {@link Inbound} and renders a {@link Reply}; nothing in here knows about Slack, Teams or HTML.
 *
 * Text is data: every string is literal (a renderer escapes it for its format), except that a span
 * between backticks is shown as code. Mentions and links are structured ({@link Inline}), never
 * markup inside a string, so no text from outside can become a mention, a link or formatting.
 */
import type { Action } from "./action.js";

export type { Action } from "./action.js";

/** Where a question came from. */
export type Platform = "slack" | "teams" | "console" | "cli" | "api";

/** A person on a chat platform: the id the platform knows them by and the name to show. */
export interface UserRef {
  platform: Platform;
  id: string;
  /** Display name; shown where the platform cannot render a mention. */
  name: string;
}

/** One piece of rich text: literal text (with `code` spans), a mention, a link, or code. */
export type Inline = string | { mention: UserRef } | { link: ReplyLink } | { code: string };

/** Plain text, or a line of pieces; "\n" inside any string starts a new line. */
export type RichText = string | Inline[];

/** A question as the assistant sees it, whatever the platform. */
export interface Inbound {
  platform: Platform;
  /** Platform user id (or "anonymous" for the console and CLI). */
  user: string;
  /** Channel / conversation id; used for conversation memory and routing. */
  channel: string;
  text: string;
  /** Environment asked for explicitly (e.g. by an API parameter); the text may name one too. */
  environment?: string;
}

/** One labelled value, shown as a two-column field. */
export interface ReplyField {
  label: string;
  value: string;
}

/** A link rendered as a button or a hyperlink (Grafana panel, Prometheus graph, runbook). */
export interface ReplyLink {
  label: string;
  url: string;
}

/** A button the user can press: the typed action it asks for, carried back when pressed. */
export interface ReplyAction {
  label: string;
  action: Action;
  style?: "primary" | "danger";
}

/** A rendered chart; `png` holds the image bytes. */
export interface ReplyChart {
  title: string;
  /** Alt text describing what the chart shows, for screen readers and text fallbacks. */
  alt: string;
  png: Buffer;
  width: number;
  height: number;
}

/** Severity of the answer: drives emoji and colour on platforms that have them. */
export type ReplyTone = "info" | "ok" | "warning" | "critical" | "error";

/** An answer, ready for any platform. */
export interface Reply {
  title: string;
  /** Main text: short lines, the number first. Literal text with `code` spans, mentions and links as data. */
  text: RichText;
  tone: ReplyTone;
  fields: ReplyField[];
  chart?: ReplyChart;
  links: ReplyLink[];
  actions: ReplyAction[];
  /** Small print: environment, time window, source query. */
  context: string[];
  /** Questions worth asking next (shown as suggestions when the question was not understood). */
  suggestions: string[];
}

/** Builds a reply with empty collections filled in. */
export function makeReply(parts: Partial<Reply> & Pick<Reply, "title" | "text">): Reply {
  return {
    tone: "info",
    fields: [],
    links: [],
    actions: [],
    context: [],
    suggestions: [],
    ...parts,
  };
}

/** Who produced an answer. */
export type ProviderName = "builtin" | "openai" | "gemini" | "local";

/** The assistant's result: the reply and who produced it. */
export interface Answer {
  reply: Reply;
  provider: ProviderName;
  /** The intent the built-in engine recognised, for metrics ("unknown" when none). */
  intent: string;
  /** The LLM model that wrote it, when an LLM did. */
  model?: string;
}

/** The text as plain characters: mentions by name, links as "label (url)"; for logs, the CLI and LLMs. */
export function plainText(text: RichText): string {
  if (typeof text === "string") return text;
  return text
    .map((part) => {
      if (typeof part === "string") return part;
      if ("mention" in part) return `@${part.mention.name}`;
      if ("link" in part) return `${part.link.label} (${part.link.url})`;
      return `\`${part.code}\``;
    })
    .join("");
}

/** A follow-up question as a button. */
export function askButton(label: string, text: string): ReplyAction {
  return { label, action: { kind: "ask", text } };
}

/** Who wrote an answer (and from what, for an LLM): the line every platform shows under it. */
export function answeredBy(answer: Pick<Answer, "provider" | "model">): string {
  return answer.model
    ? `answered by ${answer.provider} (${answer.model}) from live Prometheus data`
    : `answered by ${answer.provider}`;
}
