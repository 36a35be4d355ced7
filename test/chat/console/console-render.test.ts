/**
 * The console's JSON (also the ask API's): golden files for every message kind the console shows —
 * answers, refusals, errors, alert listings and audit, each alert state, thread lines — and the
 * console's ChatPlatform transcript. A missing golden file fails; UPDATE_GOLDEN=1 writes one.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";
import { alertListReply, auditReply } from "../../../src/alerts/alert-list.js";
import type { GroupEvent } from "../../../src/alerts/alert-store.js";
import { eventLine, groupDetails, groupReply } from "../../../src/alerts/group-message.js";
import { answerHelp } from "../../../src/assistant/answers/static.js";
import { refuse } from "../../../src/chat/access.js";
import { renderConsoleReply } from "../../../src/chat/console/console-render.js";
import { makeReply, plainText, type Reply, type UserRef } from "../../../src/reply/reply.js";
import {
  SAMPLE_AUDIT,
  SAMPLE_OPEN_GROUPS,
  sampleAlert,
  sampleGroup,
  T0,
} from "../../support/alert-fixtures.js";
import { expectGolden } from "../../support/golden.js";
import { healthReply } from "../../support/sample-replies.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const NOW = T0 + 30 * 60_000;
const ana: UserRef = { platform: "slack", id: "U0ANA", name: "Ana" };
const chartUrl = () => "/charts/abc.png";

const alert = sampleAlert;
const state = sampleGroup;

const opts = { grafanaUrl: "https://grafana.example", now: () => NOW };
const resolvedAt = T0 + 23 * 60_000;
const refusal = refuse(
  { slack: { channels: [], users: [] }, teams: { tenants: [], users: [] }, actors: [] },
  {
    actor: { platform: "api", id: "anonymous", name: "console user" },
    place: { id: "api", kind: "console" },
    via: "message",
    action: { kind: "alert.ack", id: "3fa2c19b" },
  },
) as Reply;

const KINDS: Record<string, Reply> = {
  "answer-health": healthReply,
  help: answerHelp(["prod", "staging"]),
  refusal,
  error: makeReply({
    title: "⚠️ Prometheus did not answer",
    text: "connect ECONNREFUSED 127.0.0.1:9090",
    tone: "error",
  }),
  "alert-list": alertListReply(SAMPLE_OPEN_GROUPS),
  audit: auditReply(SAMPLE_AUDIT),
  "alert-firing": groupReply(state([alert(1)]), opts),
  "alert-acknowledged": groupReply(state([alert(1)], { ack: { by: ana, at: T0 + 5 * 60_000 } }), opts),
  "alert-silenced": groupReply(
    state([alert(1)], { silence: { id: "s1", until: T0 + 3_600_000, by: ana } }),
    opts,
  ),
  "alert-resolved": groupReply(
    state([alert(1, { status: "resolved", endsAt: resolvedAt })], { resolvedAt }),
    opts,
  ),
  "alert-multi": groupReply(
    state([alert(1), alert(2), alert(3, { status: "resolved", endsAt: resolvedAt })]),
    opts,
  ),
  "alert-details": groupDetails(state([alert(1)])),
};

const EVENTS: GroupEvent[] = [
  { kind: "started", at: T0, where: "db-1:9100" },
  { kind: "ack", at: T0 + 60_000, by: ana },
  { kind: "silenced", at: T0 + 120_000, by: ana, forMs: 3_600_000 },
  { kind: "unsilenced", at: T0 + 180_000, by: ana },
  { kind: "resolved", at: resolvedAt, where: "db-1:9100" },
];

describe("console JSON (golden)", () => {
  it.each(Object.keys(KINDS))("%s", (kind) => {
    expectGolden(GOLDEN, kind, renderConsoleReply(KINDS[kind] as Reply, chartUrl));
  });

  it("thread lines", () => {
    expectGolden(
      GOLDEN,
      "thread-lines",
      EVENTS.map((e) => plainText(eventLine(e))),
    );
  });
});
