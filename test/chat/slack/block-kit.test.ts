/**
 * Block Kit rendering: golden files for every message kind Slack shows (answers, alert groups in each
 * state, thread lines, the App Home, refusals), hostile strings through every renderer, and Slack's
 * limits on long replies.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { alertListReply, auditReply } from "../../../src/alerts/alert-list.js";
import type { GroupEvent, GroupState } from "../../../src/alerts/alert-store.js";
import { eventLine, groupDetails } from "../../../src/alerts/group-message.js";
import { answerHelp } from "../../../src/assistant/answers/static.js";
import { refuse } from "../../../src/chat/access.js";
import { UNKNOWN_ACTION } from "../../../src/chat/dispatcher.js";
import {
  type Block,
  fallbackText,
  LIMITS,
  renderHome,
  renderLines,
  renderReply,
  type SlackMessage,
} from "../../../src/chat/slack/block-kit.js";
import { SlackAlertNotifier } from "../../../src/chat/slack/slack-alert-notifier.js";
import { decodeAction, encodeAction } from "../../../src/reply/action.js";
import { askButton, makeReply, type Reply, type UserRef } from "../../../src/reply/reply.js";
import {
  SAMPLE_AUDIT,
  SAMPLE_OPEN_GROUPS,
  sampleAlert,
  sampleGroup,
  T0,
} from "../../support/alert-fixtures.js";
import { expectGolden as expectGoldenIn } from "../../support/golden.js";
import { healthReply } from "../../support/sample-replies.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const expectGolden = (name: string, value: unknown) => expectGoldenIn(GOLDEN, name, value);

const NOW = T0 + 40 * 60_000;
const ana: UserRef = { platform: "slack", id: "U0ANA", name: "Ana" };

const withFooter = (reply: Reply): Reply => ({
  ...reply,
  context: [...reply.context, "answered by builtin"],
});

const notUnderstood = withFooter(
  makeReply({
    title: "🤔 Not sure what you mean",
    text: "I did not understand “blorp”.",
    suggestions: ["what's the current system health?", "show me cpu trends for the last hour"],
  }),
);
const failed = makeReply({ title: "That failed", text: "Prometheus did not answer in 2.8 s", tone: "error" });
const refusal = refuse(
  { slack: { channels: [], users: ["U0BEN"] }, teams: { tenants: [], users: [] }, actors: [] },
  { actor: ana, place: { id: "C0OPS", kind: "channel" }, via: "command", action: { kind: "help" } },
) as Reply;

const alert = sampleAlert;
const groupState = sampleGroup;

const notifier = new SlackAlertNotifier(
  // render() never calls Slack; the client is only for posting.
  undefined as never,
  { grafanaUrl: "https://grafana.example", now: () => NOW },
);
const resolvedAt = T0 + 23 * 60_000;
const ALERT_STATES: Record<string, GroupState> = {
  "alert-firing": groupState([alert(1)]),
  "alert-acknowledged": groupState([alert(1)], { ack: { by: ana, at: T0 + 5 * 60_000 } }),
  "alert-silenced": groupState([alert(1)], { silence: { id: "s1", until: T0 + 3_600_000, by: ana } }),
  "alert-resolved": groupState([alert(1, { status: "resolved", endsAt: resolvedAt })], { resolvedAt }),
  "alert-multi": groupState([alert(1), alert(2), alert(3, { status: "resolved", endsAt: resolvedAt })]),
  "alert-route-mention": groupState([alert(1)], {
    target: { platform: "slack", channel: "C0ALERTS", route: "dba", mention: "<!subteam^S0DBA>" },
  }),
};

const EVENTS: GroupEvent[] = [
  { kind: "started", at: T0, where: "db-1:9100" },
  { kind: "ack", at: T0 + 60_000, by: ana },
  { kind: "silenced", at: T0 + 120_000, by: ana, forMs: 3_600_000 },
  { kind: "unsilenced", at: T0 + 180_000, by: ana },
  { kind: "resolved", at: resolvedAt, where: "db-1:9100" },
  { kind: "reminder", at: T0, ageMs: 4 * 3_600_000 },
  { kind: "note", text: "an old line <!channel>" },
];

/** Every object inside the blocks, depth first. */
function nodes(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(nodes);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return [o, ...Object.values(o).flatMap(nodes)];
  }
  return [];
}

/** All the characters the blocks show, in order. */
function shown(blocks: Block[]): string {
  return nodes(blocks)
    .map((n) => (typeof n.text === "string" ? n.text : ""))
    .join("");
}

describe("Block Kit renderer (golden)", () => {
  it("answers: health, not understood, error, refusal, unknown button", () => {
    expectGolden("health", renderReply(withFooter(healthReply)));
    expectGolden("not-understood", renderReply(notUnderstood));
    expectGolden("error", renderReply(failed));
    expectGolden("refusal", renderReply(refusal));
    expectGolden("unknown-button", renderReply(UNKNOWN_ACTION));
  });

  it("alert groups: firing, acknowledged, silenced, resolved, several alerts, a route's mention", () => {
    for (const [name, state] of Object.entries(ALERT_STATES)) {
      const { text, blocks } = notifier.render(state);
      expectGolden(name, { text, blocks });
    }
  });

  it("thread lines", () => {
    expectGolden("thread-lines", renderLines(EVENTS.map(eventLine)));
  });

  it("alert listing, audit log, alert details and help, as commands show them", () => {
    expectGolden("alert-list", renderReply(alertListReply(SAMPLE_OPEN_GROUPS), { actions: false }));
    expectGolden("audit", renderReply(auditReply(SAMPLE_AUDIT), { actions: false }));
    expectGolden("alert-details", renderReply(groupDetails(groupState([alert(1)])), { actions: false }));
    expectGolden("help", renderReply(answerHelp(["prod", "staging"])));
  });

  it("App Home: allowed (health, open alerts, commands) and refused (the refusal alone)", () => {
    const open = alertListReply(SAMPLE_OPEN_GROUPS.slice(0, 1));
    expectGolden("app-home", renderHome([withFooter(healthReply), open, answerHelp(["default"])]));
    expectGolden("app-home-refused", renderHome([refusal]));
  });
});

describe("Block Kit renderer: structure", () => {
  it("acknowledged alerts mention the person as a user element, not as text to un-escape", () => {
    const { blocks, text } = notifier.render(ALERT_STATES["alert-acknowledged"] as GroupState);
    expect(nodes(blocks)).toContainEqual({ type: "user", user_id: "U0ANA" });
    expect(JSON.stringify(blocks)).not.toContain("&lt;");
    expect(text).toContain("ACKNOWLEDGED by @Ana");
  });

  it("a mention of someone on another platform shows their name as text", () => {
    const teamsUser: UserRef = { platform: "teams", id: "29:abc", name: "Bob <b>" };
    const [m] = renderReply(makeReply({ title: "t", text: ["by ", { mention: teamsUser }] }));
    expect(nodes(m?.blocks)).not.toContainEqual(expect.objectContaining({ type: "user" }));
    expect(shown(m?.blocks ?? [])).toContain("by Bob <b>");
  });

  it("buttons carry their action as data, under cloudops:<kind>:<n>", () => {
    const reply = makeReply({
      title: "t",
      text: "x",
      actions: [
        { label: "Acknowledge", action: { kind: "alert.ack", id: "3fa2c19b" }, style: "primary" },
        askButton("a", "cpu"),
        askButton("b", "memory"),
      ],
      suggestions: ["s1"],
    });
    const buttons = nodes(renderReply(reply)[0]?.blocks).filter((n) => n.type === "button");
    const ids = buttons.map((b) => b.action_id);
    expect(ids).toEqual(["cloudops:alert.ack:0", "cloudops:ask:1", "cloudops:ask:2", "cloudops:ask:3"]);
    expect(buttons.map((b) => decodeAction(b.value))).toEqual([
      { kind: "alert.ack", id: "3fa2c19b" },
      { kind: "ask", text: "cpu" },
      { kind: "ask", text: "memory" },
      { kind: "ask", text: "s1" },
    ]);
  });

  it("an ask button whose question is too long for a value is shortened to fit, still valid", () => {
    const [m] = renderReply(
      makeReply({ title: "t", text: "x", actions: [askButton("long", 'é"'.repeat(1500))] }),
    );
    const [button] = nodes(m?.blocks).filter((n) => n.type === "button");
    expect(String(button?.value).length).toBeLessThanOrEqual(LIMITS.buttonValue);
    expect(decodeAction(button?.value)).toMatchObject({ kind: "ask" });
  });

  it("only web links become links; others are shown as text", () => {
    const reply = makeReply({
      title: "t",
      text: [
        "see ",
        { link: { label: "runbook", url: "https://runbooks.example/x" } },
        " ",
        { link: { label: "x", url: "javascript:alert(1)" } },
      ],
      links: [{ label: "evil", url: "javascript:alert(1)" }],
    });
    const [m] = renderReply(reply);
    const links = nodes(m?.blocks).filter((n) => n.type === "link" || n.url !== undefined);
    expect(links).toEqual([{ type: "link", url: "https://runbooks.example/x", text: "runbook" }]);
    expect(shown(m?.blocks ?? [])).toContain("x (javascript:alert(1))");
  });

  it("code spans between backticks are code; an unmatched backtick is literal", () => {
    const [m] = renderReply(makeReply({ title: "t", text: "run `ack 3fa2c19b` now, or ` not code" }));
    expect(nodes(m?.blocks).filter((n) => n.type === "text")).toEqual([
      { type: "text", text: "run " },
      { type: "text", text: "ack 3fa2c19b", style: { code: true } },
      { type: "text", text: " now, or ` not code" },
    ]);
  });

  it("splits long replies under Slack's limits without losing text", () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${"x".repeat(40)}`);
    const fields = Array.from({ length: 600 }, (_, i) => ({ label: `host-${i}`, value: `CPU ${i}%` }));
    const messages = renderReply(makeReply({ title: "T".repeat(300), text: lines.join("\n"), fields }));
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
      expect(m.text.length).toBeLessThanOrEqual(LIMITS.fallbackText + 100);
    }
    const all = messages.flatMap((m) => m.blocks);
    for (const b of all) {
      if (b.type === "header") expect([...b.text.text].length).toBeLessThanOrEqual(LIMITS.headerText);
      if (b.type === "section") expect(b.fields?.length ?? 0).toBeLessThanOrEqual(LIMITS.fieldsPerSection);
      if (b.type === "rich_text") expect(shown([b]).length).toBeLessThanOrEqual(LIMITS.richText);
    }
    const text = shown(all);
    for (const l of lines) expect(text).toContain(l);
    for (const f of fields) expect(text).toContain(`${f.label}\n${f.value}`);
  });
});

/** Strings that would be markup, mentions, links or formatting if anything read them as such. */
const HOSTILE = [
  "<!channel> ping <https://evil.example|click to ack>",
  "<@U1> <#C1> <!subteam^S1> <!here|here>",
  "[x](http://e) *bold* _it_ ~strike~ `code` > quote",
  "&lt;@U1&gt; &amp; & < >",
  "line one\nline two\n\n<!everyone>",
  `${"A<b>&".repeat(2000)}`,
];

/** Renders one hostile string through every Slack renderer, in every place outside text can go. */
function everyRendering(h: string): SlackMessage[] {
  const reply = makeReply({
    title: h,
    text: [h, " by ", { mention: { platform: "teams", id: h, name: h } }],
    fields: [{ label: h, value: h }],
    links: [{ label: h, url: "https://ok.example/" }],
    actions: [askButton(h, h.slice(0, 500))],
    context: [h],
    suggestions: [h.slice(0, 300)],
  });
  const hostileAlert = alert(1, {
    labels: { alertname: h.slice(0, 100), severity: "critical", instance: h.slice(0, 200) },
    annotations: {
      summary: h,
      description: h,
      runbook_url: `https://r.example/${encodeURIComponent(h.slice(0, 50))}`,
    },
  });
  const acked = groupState([hostileAlert, alert(2, { annotations: { summary: h } })], {
    labels: { alertname: h.slice(0, 100) },
    ack: { by: { platform: "slack", id: h.slice(0, 30), name: h.slice(0, 50) }, at: T0 },
  });
  const rendered = notifier.render(acked);
  return [
    ...renderReply(reply),
    { text: rendered.text, blocks: rendered.blocks },
    ...renderLines([h, [h, { mention: ana }], eventLine({ kind: "note", text: h })]),
    { text: fallbackText(reply), blocks: renderHome([reply, reply]) },
  ];
}

const ALLOWED_NODE_TYPES = new Set([
  "header",
  "plain_text",
  "rich_text",
  "rich_text_section",
  "rich_text_list",
  "text",
  "user",
  "link",
  "section",
  "actions",
  "button",
  "context",
  "divider",
]);

describe("hostile strings through every Slack renderer", () => {
  it.each(HOSTILE.map((h) => [h.slice(0, 40), h]))("%s", (_name, h) => {
    for (const m of everyRendering(h)) {
      // The fallback text is read as mrkdwn by Slack: no raw control characters, every & an entity.
      expect(m.text).not.toMatch(/[<>]/);
      expect(m.text).not.toMatch(/&(?!amp;|lt;|gt;)/);
      expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
      for (const n of nodes(m.blocks)) {
        if (typeof n.type === "string") expect(ALLOWED_NODE_TYPES).toContain(n.type);
        // The only user element is the structured mention of a Slack user; the only links are ours.
        if (n.type === "user") expect(n.user_id).toBe("U0ANA");
        if (n.type === "link") expect(n.url).not.toContain("evil");
        if (n.url !== undefined)
          expect(String(n.url)).toMatch(/^(https:\/\/(ok|r|grafana)\.example\/|http:\/\/prometheus:9090\/)/);
        if (n.type === "header")
          expect([...String((n.text as { text: string }).text)].length).toBeLessThanOrEqual(150);
        if (n.type === "button")
          expect(String((n.text as { text: string }).text).length).toBeLessThanOrEqual(75);
      }
      // No mrkdwn anywhere: nothing outside text is read as markup.
      expect(JSON.stringify(m.blocks)).not.toContain('"mrkdwn"');
    }
  });

  it("keeps the hostile text literally (nothing removed or rewritten)", () => {
    const h = HOSTILE[0] as string;
    const [m] = renderReply(makeReply({ title: "t", text: h }));
    expect(shown(m?.blocks ?? [])).toContain(h);
    expect(m?.text).toContain("&lt;!channel&gt; ping &lt;https://evil.example|click to ack&gt;");
  });

  it("a route's configured mention is the one mrkdwn block, and only when well formed", () => {
    const ok = notifier.render(ALERT_STATES["alert-route-mention"] as GroupState);
    expect(ok.blocks.filter((b) => b.type === "section" && b.text?.type === "mrkdwn")).toHaveLength(1);
    const bad = notifier.render(
      groupState([alert(1)], {
        target: {
          platform: "slack",
          channel: "C0ALERTS",
          route: "x",
          mention: "<!channel> <https://evil.example|x>",
        },
      }),
    );
    expect(JSON.stringify(bad.blocks)).not.toContain('"mrkdwn"');
    expect(bad.text).not.toContain("<");
  });

  it("button values round-trip only for actions we made", () => {
    expect(decodeAction(encodeAction({ kind: "alert.ack", id: "3fa2c19b" }))).toEqual({
      kind: "alert.ack",
      id: "3fa2c19b",
    });
    expect(decodeAction("3fa2c19b 1h")).toBeUndefined();
    expect(decodeAction('{"kind":"alert.ack","id":"../../etc"}')).toBeUndefined();
  });
});
