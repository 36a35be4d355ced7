/**
 * What a person reads, recovered from a platform's wire format, for the contract suites: Slack blocks
 * (rich_text pieces and plain_text; mrkdwn must not appear at all) and Adaptive Cards (TextRuns, which
 * Teams never reads as Markdown).
 */

/** Calls `visit` on every object inside `value` (arrays and nested objects), depth first. */
export function eachObject(value: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) eachObject(v, visit);
    return;
  }
  if (!value || typeof value !== "object") return;
  visit(value as Record<string, unknown>);
  for (const child of Object.values(value)) eachObject(child, visit);
}

export function slackVisible(blocks: unknown): string {
  const out: string[] = [];
  eachObject(blocks, (o) => {
    if (o.type === "mrkdwn") throw new Error(`mrkdwn text reached Slack: ${JSON.stringify(o).slice(0, 200)}`);
    if ((o.type === "text" || o.type === "plain_text") && typeof o.text === "string") out.push(o.text);
    if (o.type === "user") out.push(`@${String(o.user_id)}`);
    if (o.type === "link") out.push(String(o.text ?? o.url));
  });
  return out.join("");
}

/** Slack's fallback text is mrkdwn: &, < and > must arrive escaped, so none of Slack's controls is live. */
export function assertSlackFallbackInert(text: unknown): void {
  if (typeof text !== "string") throw new Error("no fallback text");
  if (/[<>]|&(?!amp;|lt;|gt;)/.test(text))
    throw new Error(`live markup in Slack fallback text: ${text.slice(0, 200)}`);
}

export function cardVisible(activity: Record<string, unknown> | undefined): string {
  const out: string[] = [];
  eachObject(activity?.attachments, (o) => {
    if (o.type === "TextRun" && typeof o.text === "string") out.push(o.text);
  });
  return out.join("");
}
