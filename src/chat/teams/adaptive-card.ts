/**
 * Reply → Adaptive Card 1.5, for Microsoft Teams. Translation only. Teams caps a message at about
 * 28 KB, so a chart travels as a URL served by the bot when one is public, or as a data URI only
 * when it is small enough; otherwise its description stands in.
 */
import type { Reply, ReplyTone } from "../../reply/reply.js";

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
/** The verb of Action.Execute buttons that ask a follow-up question. */
export const ASK_VERB = "cloudops.ask";
/** The verb of Action.Execute buttons on alert cards (acknowledge, silence, resolve, details). */
export const ALERT_VERB = "cloudops.alert";

const TONE_STYLE: Record<ReplyTone, string> = {
  ok: "good",
  info: "default",
  warning: "warning",
  critical: "attention",
  error: "attention",
};

export interface CardOptions {
  /** Public URL of the chart image, when the bot is reachable from Teams. */
  chartUrl?: string;
  footer?: string;
}

export function renderCard(reply: Reply, opts: CardOptions = {}): AdaptiveCard {
  const body: CardElement[] = [
    {
      type: "Container",
      style: TONE_STYLE[reply.tone] === "default" ? "emphasis" : TONE_STYLE[reply.tone],
      bleed: true,
      items: [{ type: "TextBlock", text: reply.title, weight: "Bolder", size: "Medium", wrap: true }],
    },
  ];
  if (reply.text)
    body.push({ type: "TextBlock", text: escapeMarkdown(reply.text).replace(/\n/g, "\n\n"), wrap: true });
  if (reply.fields.length > 0) {
    body.push({
      type: "FactSet",
      facts: reply.fields.slice(0, 30).map((f) => ({ title: f.label, value: f.value })),
    });
    if (reply.fields.length > 30)
      body.push({
        type: "TextBlock",
        text: `… and ${reply.fields.length - 30} more`,
        isSubtle: true,
        wrap: true,
      });
  }
  if (reply.chart) {
    const url =
      opts.chartUrl ??
      (reply.chart.png.byteLength <= MAX_INLINE_CHART_BYTES
        ? `data:image/png;base64,${reply.chart.png.toString("base64")}`
        : undefined);
    body.push(
      url
        ? { type: "Image", url, altText: reply.chart.alt, size: "Stretch" }
        : { type: "TextBlock", text: `📈 ${reply.chart.alt}`, wrap: true, isSubtle: true },
    );
  }
  if (reply.suggestions.length > 0) {
    body.push({ type: "TextBlock", text: "Try:", weight: "Bolder", wrap: true });
  }
  // Alert buttons go in the body, so the card's own actions stay free for links (Teams shows ~6 there).
  const alertActions = reply.actions.filter((a) => a.id.startsWith("alert-"));
  if (alertActions.length > 0)
    body.push({
      type: "ActionSet",
      actions: alertActions.map((a) => ({
        type: "Action.Execute",
        title: a.label.slice(0, 80),
        verb: ALERT_VERB,
        data: { action: a.id, value: a.value.slice(0, 200) },
        ...(a.style === "primary"
          ? { style: "positive" }
          : a.style === "danger"
            ? { style: "destructive" }
            : {}),
      })),
    });
  const context = [...reply.context, ...(opts.footer ? [opts.footer] : [])];
  for (const c of context)
    body.push({
      type: "TextBlock",
      text: escapeMarkdown(c),
      isSubtle: true,
      size: "Small",
      wrap: true,
      spacing: "None",
    });
  const actions: CardElement[] = [
    ...reply.links
      .filter((l) => /^https?:\/\//.test(l.url))
      .map((l) => ({ type: "Action.OpenUrl", title: l.label, url: l.url })),
    ...[
      ...reply.actions.filter((a) => a.id === "ask"),
      ...reply.suggestions.map((s) => ({ id: "ask", label: s, value: s })),
    ].map((a) => ({
      type: "Action.Execute",
      title: a.label.slice(0, 80),
      verb: ASK_VERB,
      data: { question: a.value.slice(0, 2000) },
    })),
  ];
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.5",
    body,
    ...(actions.length > 0 ? { actions: actions.slice(0, 6) } : {}),
    msteams: { width: "Full" },
  };
}

/** Teams renders a subset of Markdown in TextBlocks; keep user-visible text literal. */
function escapeMarkdown(text: string): string {
  return text.replace(/([*_~[\]])/g, "\\$1");
}
