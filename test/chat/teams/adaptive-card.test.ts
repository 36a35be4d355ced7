/**
 * Adaptive Card rendering: golden files for every kind of message the bot sends in Teams (answers,
 * alerts in each state, thread lines, refusal, error), each validated against Adaptive Cards 1.5 with
 * Microsoft's SDK, and a table of hostile strings pushed through every part of a reply: nothing
 * becomes Markdown, a mention or a link, and every card stays within Teams' message size.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { alertListReply, auditReply } from "../../../src/alerts/alert-list.js";
import type { GroupEvent, GroupState } from "../../../src/alerts/alert-store.js";
import { eventLine, groupDetails, groupReply } from "../../../src/alerts/group-message.js";
import { answerHelp, answerNotUnderstood } from "../../../src/assistant/answers/static.js";
import { UNKNOWN_ACTION } from "../../../src/chat/dispatcher.js";
import {
  ACTION_VERB,
  escapeTeamsMarkdown,
  MAX_CARD_CHARS,
  MAX_INLINE_CHART_BYTES,
  renderCard,
  renderLinesCard,
} from "../../../src/chat/teams/adaptive-card.js";
import { NOT_SENT_PRIVATELY, SENT_PRIVATELY } from "../../../src/chat/teams/private-chat.js";
import { decodeAction } from "../../../src/reply/action.js";
import { makeReply, type Reply, type UserRef } from "../../../src/reply/reply.js";
import { adaptiveCardProblems } from "../../support/adaptive-card-schema.js";
import { expectGolden } from "../../support/golden.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const ana: UserRef = { platform: "teams", id: "00000000-0000-0000-0000-0000000000a1", name: "Ana" };

const health: Reply = makeReply({
  title: "🟠 System health: 2 of 3 hosts OK, 1 target down",
  text: "Highest CPU web-2 60.0% · memory web-2 75.0%\n🔴 Down: `db-2:9100` (node)",
  tone: "warning",
  fields: [
    { label: "🟠 web-2", value: "CPU 60.0% · Mem 75.0%" },
    { label: "🟢 web-1", value: "CPU 25.0% · Mem 50.0%" },
  ],
  chart: {
    title: "CPU",
    alt: "CPU busy % per host, last 6 h",
    png: Buffer.alloc(600, 1),
    width: 800,
    height: 400,
  },
  links: [{ label: "Grafana panel", url: "http://grafana:3000/d/system-overview?viewPanel=2" }],
  actions: [{ label: "Top hosts by CPU", action: { kind: "ask", text: "top 5 hosts by cpu" } }],
  context: ["Now: CPU and load as 5 min / 1 min averages", "answered by builtin"],
});

const at = Date.UTC(2026, 10, 25, 3, 0);
const alertGroup: GroupState = {
  group: {
    id: "3fa2c19b",
    target: { platform: "teams", channel: "19:ops@thread.tacv2", route: "default" },
    labels: { alertname: "HostDiskFull", environment: "prod" },
    createdAt: at,
  },
  alerts: [1, 2].map((i) => ({
    fingerprint: `ab${i}`,
    status: "firing" as const,
    labels: {
      alertname: "HostDiskFull",
      instance: `db-${i}:9100`,
      environment: "prod",
      severity: "critical",
    },
    annotations: {
      summary: `Disk /data on db-${i} is 9${i}% full`,
      runbook_url: "https://runbooks.example/disk",
    },
    startsAt: at,
    source: "alertmanager" as const,
  })),
  events: [],
  rev: 1,
};
const single: GroupState = { ...alertGroup, alerts: alertGroup.alerts.slice(0, 1) };
const options = { grafanaUrl: "https://grafana.example", now: () => at + 30 * 60_000 };
const states: Record<string, GroupState> = {
  firing: single,
  acked: { ...single, group: { ...single.group, ack: { by: ana, at: options.now() } } },
  silenced: {
    ...single,
    group: { ...single.group, silence: { id: "00aa11bb", until: options.now() + 3_600_000, by: ana } },
  },
  resolved: {
    ...single,
    alerts: single.alerts.map((a) => ({ ...a, status: "resolved" as const, endsAt: options.now() })),
  },
  multi: alertGroup,
};
const events: GroupEvent[] = [
  { kind: "started", at, where: "db-2:9100" },
  { kind: "ack", at, by: ana },
  { kind: "silenced", at, by: ana, forMs: 3_600_000 },
  { kind: "unsilenced", at, by: ana },
  { kind: "resolved", at, where: "db-1:9100" },
];
const refusal = makeReply({
  title: "🚫 Not allowed",
  text: "You are not on this bot's list of users (TEAMS_ALLOWED_USERS). Ask the team that runs it to add you.",
  tone: "warning",
});
const failure = makeReply({
  title: "That failed",
  text: "Prometheus did not answer in 2.8 s",
  tone: "error",
});

/** Every element of a card, depth first. */
function elements(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(elements);
  if (!value || typeof value !== "object") return [];
  const o = value as Record<string, unknown>;
  return [o, ...Object.values(o).flatMap(elements)];
}

describe("Adaptive Card renderer", () => {
  it("renders answers, a refusal and an error (golden)", () => {
    expectGolden(GOLDEN, "answer-health", renderCard(health));
    expectGolden(GOLDEN, "answer-not-understood", renderCard(answerNotUnderstood("blorp", "not_understood")));
    expectGolden(GOLDEN, "refusal", renderCard(refusal));
    expectGolden(GOLDEN, "error", renderCard(failure));
  });

  it("renders an alert group in each state, buttons in the body and links as card actions (golden)", () => {
    for (const [name, state] of Object.entries(states))
      expectGolden(GOLDEN, `alert-${name}`, renderCard(groupReply(state, options)));
  });

  it("renders the alert listing, audit log, alert details and help as commands show them (golden)", () => {
    expectGolden(
      GOLDEN,
      "alert-list",
      renderCard(
        alertListReply([
          {
            id: "3fa2c19b",
            name: "HostDiskFull",
            instance: "db-1:9100",
            firing: 1,
            since: at,
            severity: "critical",
            ack: { by: ana, at: at + 60_000 },
          },
          {
            id: "0a1b2c3d",
            name: "HostHighCpu",
            firing: 3,
            since: at + 120_000,
            severity: "warning",
            silencedUntil: at + 3_600_000,
          },
        ]),
      ),
    );
    expectGolden(
      GOLDEN,
      "audit",
      renderCard(
        auditReply([
          {
            at,
            actor: "Ana (teams:00000000-0000-0000-0000-0000000000a1)",
            action: "ack",
            subject: "3fa2c19b",
            detail: "HostDiskFull",
          },
        ]),
      ),
    );
    expectGolden(GOLDEN, "alert-details", renderCard(groupDetails(single)));
    expectGolden(GOLDEN, "help", renderCard(answerHelp(["prod", "staging"])));
  });

  it("renders the unknown action and the private-chat lines a channel gets (golden)", () => {
    expectGolden(GOLDEN, "unknown-action", renderCard(UNKNOWN_ACTION));
    expectGolden(GOLDEN, "sent-privately", renderCard(SENT_PRIVATELY));
    expectGolden(GOLDEN, "not-sent-privately", renderCard(NOT_SENT_PRIVATELY));
  });

  it("renders thread lines as literal text, a mention as the person's name in bold (golden)", () => {
    const card = renderLinesCard(events.map(eventLine));
    expectGolden(GOLDEN, "thread-lines", card);
    expect(JSON.stringify(card)).toContain('{"type":"TextRun","text":"Ana","weight":"Bolder"}');
  });

  it("gives every button its typed action under one verb", () => {
    const card = renderCard(groupReply(states.firing as GroupState, options));
    const buttons = elements(card).filter((e) => e.type === "Action.Execute");
    expect(buttons.map((b) => b.title)).toEqual([
      "Acknowledge",
      "Silence 1h",
      "Silence 4h",
      "Silence 24h",
      "Show details",
      "Investigate",
    ]);
    for (const b of buttons) {
      expect(b.verb).toBe(ACTION_VERB);
      expect(decodeAction((b.data as { action: string }).action)).toBeDefined();
    }
    expect(decodeAction((buttons[1]?.data as { action?: string } | undefined)?.action)).toEqual({
      kind: "alert.silence",
      id: "3fa2c19b",
      for: "1h",
    });
    const suggestions = renderCard(answerNotUnderstood("blorp", "not_understood"));
    for (const b of elements(suggestions).filter((e) => e.type === "Action.Execute"))
      expect(decodeAction((b.data as { action: string }).action)?.kind).toBe("ask");
  });

  it("shows code spans in Monospace and opens only http(s) links", () => {
    const card = renderCard(
      makeReply({
        title: "t",
        text: [
          "run `df -h` now, `unpaired",
          { link: { label: "runbook", url: "https://runbooks.example/disk" } },
          { link: { label: "evil", url: "javascript:alert(1)" } },
        ],
      }),
    );
    const runs = elements(card).filter((e) => e.type === "TextRun");
    expect(runs).toContainEqual({ type: "TextRun", text: "df -h", fontType: "Monospace" });
    // An unpaired backtick is a literal character.
    expect(runs).toContainEqual({ type: "TextRun", text: " now, `unpaired" });
    expect(runs).toContainEqual({
      type: "TextRun",
      text: "runbook",
      selectAction: { type: "Action.OpenUrl", url: "https://runbooks.example/disk" },
    });
    expect(runs).toContainEqual({ type: "TextRun", text: "evil (javascript:alert(1))" });
    expect(adaptiveCardProblems(card)).toEqual([]);
  });

  it("sends a chart inline only when it fits Teams' message size, else its description", () => {
    const big = {
      ...health,
      chart: {
        ...(health.chart as NonNullable<Reply["chart"]>),
        png: Buffer.alloc(MAX_INLINE_CHART_BYTES + 1),
      },
    };
    expect(JSON.stringify(renderCard(big))).not.toContain("data:image/png");
    expect(JSON.stringify(renderCard(big))).toContain("📈 CPU busy % per host, last 6 h");
    expect(JSON.stringify(renderCard(big, { chartUrl: "https://bot.example/charts/1.png" }))).toContain(
      "https://bot.example/charts/1.png",
    );
  });

  it("produces only valid Adaptive Cards 1.5, whatever the reply", () => {
    const cards = {
      health: renderCard(health),
      help: renderCard(answerHelp(["prod", "staging"])),
      notUnderstood: renderCard(answerNotUnderstood("blorp", "not_understood")),
      details: renderCard(groupDetails(alertGroup)),
      refusal: renderCard(refusal),
      lines: renderLinesCard(events.map(eventLine)),
      ...Object.fromEntries(
        Object.entries(states).map(([name, s]) => [name, renderCard(groupReply(s, options))] as const),
      ),
    };
    for (const [name, card] of Object.entries(cards)) expect(adaptiveCardProblems(card), name).toEqual([]);
  });

  it("catches what is not Adaptive Cards 1.5 (the validator itself)", () => {
    const bad = {
      type: "AdaptiveCard",
      version: "1.5",
      body: [{ type: "TextBlock", text: "x", size: "Huge" }, { type: "Carousel3D" }],
      actions: [{ type: "Action.OpenUrl", title: "no url" }],
    };
    const problems = adaptiveCardProblems(bad).join("\n");
    expect(problems).toMatch(/Invalid value "Huge"/);
    expect(problems).toMatch(/Unknown element type "Carousel3D"/);
    expect(problems).toMatch(/url/);
  });
});

/** Markdown a Teams FactSet would act on: every such character must come escaped. */
const MARKDOWN = /[\\*_~[\]()#>\-+!|`]/;

function unescapedMarkdown(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "\\") {
      i++;
      continue;
    }
    if (MARKDOWN.test(ch)) return `${ch} at ${i} in ${JSON.stringify(text.slice(0, 80))}`;
  }
  return undefined;
}

const HOSTILE: Record<string, string> = {
  "channel mention": "<!channel> ping <https://evil.example|click to ack>",
  "user mention": "<@U1> and <at>Ana</at>",
  "markdown link": "[Open runbook](https://evil.example/x) ![img](https://evil.example/i.png)",
  emphasis: "*bold* _italic_ ~strike~ **strong** __under__",
  "html entity": "&lt;b&gt;not bold&lt;/b&gt; &amp; <script>alert(1)</script>",
  newlines: "line one\n# heading\n> quote\n- item\n1. first\n| a | b |\n```code```",
  "10 kB": "x*[y](http://e)_".repeat(640),
  backslashes: "\\*not escaped\\* \\",
};

describe("hostile strings through every part of a Teams card", () => {
  for (const [name, hostile] of Object.entries(HOSTILE)) {
    it(name, () => {
      const person: UserRef = { platform: "teams", id: "29:x", name: hostile };
      const reply = makeReply({
        title: hostile,
        text: [
          hostile,
          "\n",
          { mention: person },
          " ",
          { link: { label: hostile, url: "https://ok.example" } },
        ],
        tone: "critical",
        fields: [{ label: hostile, value: hostile }],
        links: [{ label: hostile, url: "javascript:alert(1)" }],
        actions: [
          { label: hostile, action: { kind: "ask", text: hostile.slice(0, 2000) } },
          { label: hostile, action: { kind: "alert.ack", id: "3fa2c19b" } },
        ],
        context: [hostile],
        suggestions: [hostile.slice(0, 2000)],
      });
      for (const card of [renderCard(reply), renderLinesCard([hostile, reply.text])]) {
        expect(adaptiveCardProblems(card)).toEqual([]);
        expect(JSON.stringify(card).length).toBeLessThanOrEqual(MAX_CARD_CHARS);
        for (const e of elements(card)) {
          // Markdown is read only in TextBlocks (ours hold fixed words) and FactSets (escaped).
          if (e.type === "TextBlock") expect(e.text).toBe("Try:");
          if (e.type === "FactSet")
            for (const f of e.facts as { title: string; value: string }[]) {
              expect(unescapedMarkdown(f.title)).toBeUndefined();
              expect(unescapedMarkdown(f.value)).toBeUndefined();
            }
          // Only http(s) is ever opened.
          if (e.type === "Action.OpenUrl") expect(e.url).toMatch(/^https?:\/\//);
        }
        expect(JSON.stringify(card)).not.toContain('"url":"javascript:');
      }
    });
  }

  it("escapes Teams Markdown so that unescaping gives the text back, newlines kept", () => {
    for (const hostile of Object.values(HOSTILE)) {
      const escaped = escapeTeamsMarkdown(hostile);
      expect(escaped.replace(/\\(.)/gs, "$1")).toBe(hostile);
      expect(escaped.split("\n")).toHaveLength(hostile.split("\n").length);
    }
    expect(escapeTeamsMarkdown("[x](http://e)")).toBe("\\[x\\]\\(http://e\\)");
  });
});
