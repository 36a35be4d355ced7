/**
 * Adaptive Card rendering: golden files for an answer and an alert card, and every kind of card the
 * bot sends validated against Adaptive Cards 1.5 with Microsoft's SDK.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { GroupState } from "../../../src/alerts/alert-store.js";
import { groupDetails, groupReply } from "../../../src/alerts/group-message.js";
import { answerHelp, answerNotUnderstood } from "../../../src/assistant/answers/static.js";
import { MAX_INLINE_CHART_BYTES, renderCard } from "../../../src/chat/teams/adaptive-card.js";
import { makeReply, type Reply } from "../../../src/reply/reply.js";
import { adaptiveCardProblems } from "../../support/adaptive-card-schema.js";
import { expectGolden } from "../../support/golden.js";
import { healthReply } from "../../support/sample-replies.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");

const health: Reply = {
  ...healthReply,
  chart: {
    title: "CPU",
    alt: "CPU busy % per host, last 6 h",
    png: Buffer.alloc(600, 1),
    width: 800,
    height: 400,
  },
};

const alertGroup: GroupState = {
  group: {
    id: "3fa2c19b",
    target: { platform: "teams", channel: "19:ops@thread.tacv2", route: "default" },
    labels: { alertname: "HostDiskFull", environment: "prod" },
    createdAt: Date.UTC(2026, 10, 25, 3, 0),
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
    startsAt: Date.UTC(2026, 10, 25, 3, 0),
    source: "alertmanager" as const,
  })),
  events: [],
  rev: 1,
};
const options = { grafanaUrl: "https://grafana.example", now: () => Date.UTC(2026, 10, 25, 3, 30) };

describe("Adaptive Card renderer", () => {
  it("renders an answer (golden)", () => {
    expectGolden(GOLDEN, "health", renderCard(health, { footer: "answered by builtin" }));
  });

  it("renders an alert group with its buttons in the body and links as card actions (golden)", () => {
    expectGolden(GOLDEN, "alert-group", renderCard(groupReply(alertGroup, options)));
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
    const acked: GroupState = {
      ...alertGroup,
      group: { ...alertGroup.group, ack: { by: "Ana", at: options.now() } },
    };
    const resolved: GroupState = {
      ...alertGroup,
      alerts: alertGroup.alerts.map((a) => ({ ...a, status: "resolved" as const, endsAt: options.now() })),
    };
    const silenced: GroupState = {
      ...alertGroup,
      group: {
        ...alertGroup.group,
        silence: { id: "00aa11bb", until: options.now() + 3_600_000, by: "Ana" },
      },
    };
    const cards = {
      health: renderCard(health, { footer: "answered by builtin" }),
      help: renderCard(answerHelp(["prod", "staging"])),
      notUnderstood: renderCard(answerNotUnderstood("blorp", "not_understood")),
      firing: renderCard(groupReply(alertGroup, options)),
      acked: renderCard(groupReply(acked, options)),
      silenced: renderCard(groupReply(silenced, options)),
      resolved: renderCard(groupReply(resolved, options)),
      details: renderCard(groupDetails(alertGroup)),
      hostile: renderCard(
        makeReply({ title: "*bold* [x](javascript:alert(1))", text: "<script>", tone: "error" }),
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
    const problems = adaptiveCardProblems(bad);
    expect(problems.join("\n")).toMatch(/Invalid value "Huge"/);
    expect(problems.join("\n")).toMatch(/Unknown element type "Carousel3D"/);
    expect(problems.join("\n")).toMatch(/url/);
  });
});
