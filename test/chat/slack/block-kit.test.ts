/** Block Kit rendering: golden files for typical replies, and Slack's limits on long ones. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { escapeMrkdwn, LIMITS, renderReply, splitText } from "../../../src/chat/slack/block-kit.js";
import { makeReply } from "../../../src/reply/reply.js";
import { expectGolden as expectGoldenIn } from "../../support/golden.js";
import { healthReply } from "../../support/sample-replies.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");

const expectGolden = (name: string, value: unknown) => expectGoldenIn(GOLDEN, name, value);

const health = healthReply;

describe("Block Kit renderer", () => {
  it("renders a health answer (golden)", () => {
    expectGolden("health", renderReply(health, { footer: "answered by builtin" }));
  });

  it("renders a not-understood answer with suggestion buttons (golden)", () => {
    const reply = makeReply({
      title: "🤔 Not sure what you mean",
      text: "I did not understand “blorp”.",
      suggestions: ["what's the current system health?", "show me cpu trends for the last hour"],
    });
    expectGolden("not-understood", renderReply(reply));
  });

  it("escapes Slack control characters in every text", () => {
    const [m] = renderReply(
      makeReply({ title: "t", text: "<!channel> & <@U1>", fields: [{ label: "<a>", value: "b&c" }] }),
    );
    const json = JSON.stringify(m?.blocks);
    expect(json).not.toContain("<!channel>");
    expect(json).toContain("&lt;!channel&gt; &amp; &lt;@U1&gt;");
    expect(escapeMrkdwn("a<b>&")).toBe("a&lt;b&gt;&amp;");
  });

  it("splits long replies under Slack's limits without losing content", () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${"x".repeat(40)}`);
    const fields = Array.from({ length: 600 }, (_, i) => ({ label: `host-${i}`, value: `CPU ${i}%` }));
    const reply = makeReply({ title: "T".repeat(300), text: lines.join("\n"), fields });
    const messages = renderReply(reply);
    expect(messages.length).toBeGreaterThan(1);
    const all = messages.flatMap((m) => m.blocks);
    for (const m of messages) expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    for (const b of all) {
      const text = (b.text as { text?: string } | undefined)?.text ?? "";
      if (b.type === "section") expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      if (b.type === "header") expect([...text].length).toBeLessThanOrEqual(LIMITS.headerText);
      const f = (b.fields as unknown[] | undefined) ?? [];
      expect(f.length).toBeLessThanOrEqual(LIMITS.fieldsPerSection);
    }
    const joined = JSON.stringify(all);
    for (const l of lines) expect(joined).toContain(l);
    for (const f of fields) expect(joined).toContain(`*${f.label}*`);
  });

  it("splits text at line boundaries", () => {
    expect(splitText("aaa\nbbb\nccc", 7)).toEqual(["aaa\nbbb", "ccc"]);
    expect(splitText("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
  });

  it("keeps action ids unique within a message", () => {
    const reply = makeReply({
      title: "t",
      text: "x",
      actions: [
        { id: "ask", label: "a", value: "1" },
        { id: "ask", label: "b", value: "2" },
      ],
      suggestions: ["s1"],
    });
    const [m] = renderReply(reply);
    const ids = (m?.blocks ?? [])
      .filter((b) => b.type === "actions")
      .flatMap((b) => (b.elements as { action_id: string }[]).map((e) => e.action_id));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
