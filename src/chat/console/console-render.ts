/**
 * Reply → the console's JSON (also the ask API's answer). The browser puts every string in with
 * textContent, so the JSON carries text as data: mentions become "@name", links "label (url)", code
 * stays between backticks; the chart becomes a URL the server serves.
 */
import { plainText, type Reply } from "../../reply/reply.js";

export interface ConsoleReplyJson {
  title: string;
  text: string;
  tone: Reply["tone"];
  fields: Reply["fields"];
  links: Reply["links"];
  actions: Reply["actions"];
  context: string[];
  suggestions: string[];
  chart?: { title: string; alt: string; width: number; height: number; url: string };
}

/** Links the browser may open: http(s) only (a `javascript:` runbook URL from an alert is dropped). */
const SAFE_URL = /^https?:\/\//i;

export function renderConsoleReply(reply: Reply, chartUrl: (png: Buffer) => string): ConsoleReplyJson {
  const { chart } = reply;
  return {
    title: reply.title,
    text: plainText(reply.text),
    tone: reply.tone,
    fields: reply.fields,
    links: reply.links.filter((l) => SAFE_URL.test(l.url)),
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
