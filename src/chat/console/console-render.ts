/**
 * Reply → the console's JSON (also the ask API's answer). The browser puts every string in with
 * textContent. `text` is the plain text (mentions "@name", links "label (url)", code between
 * backticks) for API clients; `rich` is the same text as typed pieces, which the console page draws
 * without reading anything out of the strings; the chart becomes a URL the server serves.
 */
import { isWebLink, pieces } from "../../reply/pieces.js";
import { plainText, type Reply } from "../../reply/reply.js";

/** A piece of the reply's text, as the page draws it. */
export type ConsolePiece =
  | { text: string }
  | { code: string }
  | { mention: string }
  | { link: { label: string; url: string } };

export interface ConsoleReplyJson {
  title: string;
  text: string;
  rich: ConsolePiece[];
  tone: Reply["tone"];
  fields: Reply["fields"];
  links: Reply["links"];
  actions: Reply["actions"];
  context: string[];
  suggestions: string[];
  chart?: { title: string; alt: string; width: number; height: number; url: string };
}

export function renderConsoleReply(reply: Reply, chartUrl: (png: Buffer) => string): ConsoleReplyJson {
  const { chart } = reply;
  return {
    title: reply.title,
    text: plainText(reply.text),
    rich: pieces(reply.text).map((p): ConsolePiece => {
      if ("mention" in p) return { mention: p.mention.name };
      if ("link" in p) return isWebLink(p.link.url) ? p : { text: `${p.link.label} (${p.link.url})` };
      return p;
    }),
    tone: reply.tone,
    fields: reply.fields,
    // Links the browser may open: http(s) only (a `javascript:` runbook URL from an alert is dropped).
    links: reply.links.filter((l) => isWebLink(l.url)),
    actions: reply.actions,
    context: reply.context,
    suggestions: reply.suggestions,
    ...(chart
      ? {
          chart: {
            title: chart.title,
            alt: chart.alt,
            width: chart.width,
            height: chart.height,
            url: chartUrl(chart.png),
          },
        }
      : {}),
  };
}
