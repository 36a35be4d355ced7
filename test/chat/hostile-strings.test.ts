/**
 * One table of hostile strings, pushed through every renderer (Slack Block Kit and thread lines,
 * Adaptive Cards, the console's JSON, the terminal) in every place outside text can go: title,
 * text, mentions, fields, links, buttons, context, suggestions. Each renderer must show the
 * characters as typed and let none of them act as markup, a mention, a link or a terminal command.
 */
import { describe, expect, it } from "vitest";
import { renderConsoleReply } from "../../src/chat/console/console-render.js";
import { renderLines, renderReply } from "../../src/chat/slack/block-kit.js";
import { renderCard } from "../../src/chat/teams/adaptive-card.js";
import { renderText } from "../../src/reply/render-text.js";
import { askButton, makeReply, type Reply } from "../../src/reply/reply.js";
import { assertSlackFallbackInert, cardVisible, eachObject, slackVisible } from "./contract/visible.js";

const HOSTILE: [string, string][] = [
  ["a Slack broadcast and a disguised link", "<!channel> ping <https://evil.example|click to ack>"],
  ["Slack mentions", "<@U1> <#C1> <!subteam^S1> <!here|here>"],
  ["Markdown of every kind", "[x](http://e) *bold* _it_ ~strike~ # h > quote - item 1. one | a |"],
  ["entities already escaped", "&lt;@U1&gt; &amp; & < >"],
  ["new lines", "line one\nline two\n\n<!everyone>"],
  ["HTML", "<img src=x onerror=alert(1)><script>alert(2)</script>"],
  ["a terminal escape", "\u001b[2J\u001b]0;pwned\u0007 after"],
  ["a right-to-left override", "invoice\u202egpj.exe"],
  ["10 kB", "A<b>&*_".repeat(1250)],
];

function replyWith(h: string): Reply {
  return makeReply({
    title: h,
    text: [h, " by ", { mention: { platform: "teams", id: "29:x", name: h } }],
    fields: [{ label: h, value: h }],
    links: [
      { label: h, url: "https://ok.example/" },
      { label: "bad", url: "javascript:alert(1)" },
    ],
    actions: [askButton(h.slice(0, 60), h.slice(0, 500))],
    context: [h],
    suggestions: [h.slice(0, 300)],
  });
}

/** Short enough that no renderer shortens it, so it must appear whole. */
const whole = (h: string) => h.length <= 140 && !h.includes("\n");

describe.each(HOSTILE)("hostile strings: %s", (_name, h) => {
  const reply = replyWith(h);

  it("Slack: literal rich text and plain_text only, an inert fallback, within Slack's limits", () => {
    const messages = [
      ...renderReply(reply),
      ...renderLines([h, [h, { mention: { platform: "slack", id: "U0ANA", name: h } }]]),
    ];
    for (const m of messages) {
      assertSlackFallbackInert(m.text);
      expect(m.blocks.length).toBeLessThanOrEqual(50);
      const visible = slackVisible(m.blocks);
      expect(visible.length).toBeGreaterThan(0);
    }
    const shown = messages.map((m) => slackVisible(m.blocks)).join("\n");
    if (whole(h)) expect(shown).toContain(h);
    // A link that is not http(s) may be shown as text, never as something to click.
    expect(JSON.stringify(messages)).not.toMatch(/"url":"javascript:/);
  });

  it("Teams: TextRuns for text, every Markdown character of a fact escaped, only http(s) opens", () => {
    const card = renderCard(reply);
    const json = JSON.stringify(card);
    expect(json.length).toBeLessThanOrEqual(28_000);
    if (whole(h)) expect(cardVisible({ attachments: [card] })).toContain(h);
    const facts: { title: string; value: string }[] = [];
    const markdownBlocks: string[] = [];
    eachObject(card, (o) => {
      if (o.type === "FactSet") facts.push(...(o.facts as typeof facts));
      if (o.type === "TextBlock" && typeof o.text === "string") markdownBlocks.push(o.text);
    });
    // Markdown is read in facts and TextBlocks: no markup character may stand unescaped there.
    const unescaped = /(^|[^\\])(\\\\)*[*_~[\]()#>`|!]/;
    for (const f of facts) {
      expect(f.title).not.toMatch(unescaped);
      expect(f.value).not.toMatch(unescaped);
    }
    for (const t of markdownBlocks) expect(t).not.toContain(h.slice(0, 20));
    expect(json).not.toContain("javascript:");
  });

  it("console: the JSON carries the text as typed (the page puts it in with textContent), no javascript: link", () => {
    const json = renderConsoleReply(reply, () => "/charts/x.png");
    expect(json.title).toBe(h);
    expect(json.text).toBe(`${h} by @${h}`);
    expect(json.fields[0]).toEqual({ label: h, value: h });
    expect(json.links.map((l) => l.url)).toEqual(["https://ok.example/"]);
  });

  it("terminal: no control character or bidi override reaches the screen", () => {
    const out = renderText(reply);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: as above.
    if (!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/.test(h)) expect(out).toContain(h);
  });
});
