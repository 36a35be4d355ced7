/**
 * The platform-neutral conversation model. Every chat adapter turns its wire format into an
 * {@link Inbound} and renders a {@link Reply}; nothing in here knows about Slack, Teams or HTML.
 */

/** Where a question came from. */
export type Platform = "slack" | "teams" | "console" | "cli" | "api";

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

/** A button the user can press; adapters wire `id` to their action handlers. */
export interface ReplyAction {
  /** Stable action id, e.g. "refresh", "range", "ack", "silence". */
  id: string;
  label: string;
  /** Opaque payload carried back when the action fires (kept small: ≤ 2,000 chars). */
  value: string;
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
  /** Main text: short lines, the number first. Plain text with `code` spans only. */
  text: string;
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
}
