/**
 * The real botbuilder CloudAdapter on the shared server, against a fake connector and the fixture
 * Prometheus: questions, the welcome, follow-up buttons, authentication, and the allow-lists —
 * someone outside TEAMS_ALLOWED_USERS or from a tenant outside TEAMS_ALLOWED_TENANTS gets a refusal
 * and nothing else, whether they type, press a card button or install the bot.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ConnectorCall, type FakeConnector, startFakeConnector } from "../../fakes/fake-connector.js";
import { startTestApp, type TestApp } from "../../support/app.js";
import {
  ANA,
  BO,
  cardActions,
  cardText,
  EVE,
  type InvokeAnswer,
  install,
  OTHER_TENANT,
  post,
  press,
  say,
  TENANT,
} from "./activities.js";

let connector: FakeConnector;
let app: TestApp;

beforeAll(async () => {
  connector = await startFakeConnector();
  app = await startTestApp({
    TEAMS_EMULATOR: "true",
    TEAMS_ALLOWED_TENANTS: TENANT,
    TEAMS_ALLOWED_USERS: `${ANA.aadObjectId},${BO.aadObjectId}`,
  });
});
afterAll(async () => {
  await app?.close();
  await connector?.close();
});
beforeEach(() => connector.reset());

const withCard = (c: ConnectorCall) => cardText(c.body) !== "";

describe("Teams bot", () => {
  it("answers a health question with an Adaptive Card holding the fixture's numbers", async () => {
    const r = await post(app.url, say("what's the current system health?", { serviceUrl: connector.url }));
    expect(r.status).toBe(200);
    const [call] = await connector.waitFor(withCard);
    const card = cardText(call?.body);
    expect(card).toContain('"version":"1.5"');
    // Host names sit in the FactSet, Markdown-escaped ("web\\-1"); read as Teams shows them.
    const shown = card.replaceAll("\\\\", "");
    for (const host of ["web-1", "web-2", "db-1"]) expect(shown).toContain(host);
    expect(card).toMatch(/CPU 60\.0%/);
    // The dispatcher's line, once; no Markdown `text` beside the card.
    expect(card.match(/answered by builtin/g)).toHaveLength(1);
    expect(call?.body.text).toBeUndefined();
    expect(call?.activityId).toBeDefined();
    // A typing indicator went first.
    expect(connector.calls[0]?.body.type).toBe("typing");
  });

  it("strips the bot's @mention in channels", async () => {
    await post(
      app.url,
      say("memory on web-2", {
        serviceUrl: connector.url,
        conversationType: "channel",
        conversationId: "19:chan@thread.skype;messageid=1",
      }),
    );
    const [call] = await connector.waitFor(withCard);
    expect(cardText(call?.body)).toMatch(/Memory 75\.0% on web-2/);
  });

  it("stores the conversation on install and welcomes with the help card", async () => {
    await post(
      app.url,
      install({
        serviceUrl: connector.url,
        conversationId: "19:ops@thread.tacv2",
        conversationType: "channel",
      }),
    );
    const [welcome] = await connector.waitFor(
      (c) => c.conversationId === "19:ops@thread.tacv2" && withCard(c),
    );
    expect(cardText(welcome?.body)).toContain("What I can answer");
    expect(cardText(welcome?.body)).toContain("ack ID");
  });

  it("answers a follow-up button with the answer card, in place", async () => {
    const r = await post(
      app.url,
      press({ kind: "ask", text: "cpu trend last 1h on web-1" }, { serviceUrl: connector.url }),
    );
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as InvokeAnswer;
    expect(body.statusCode).toBe(200);
    expect(body.type).toBe("application/vnd.microsoft.card.adaptive");
    expect(JSON.stringify(body.value)).toMatch(/CPU last 1h on web-1/);
  });

  it("answers a forged or stale button with a toast, touching nothing", async () => {
    const forged = press({ kind: "help" }, { serviceUrl: connector.url });
    (forged.value.action.data as { action: string }).action = '{"kind":"alert.ack","id":"../../etc"}';
    const body = JSON.parse((await post(app.url, forged)).body) as InvokeAnswer;
    expect(body.type).toBe("application/vnd.microsoft.activity.message");
    expect(String(body.value)).toMatch(/not one this bot made/);
  });

  it("lists the commands Slack has: help, alerts, audit", async () => {
    await post(app.url, say("alerts", { serviceUrl: connector.url, from: BO }));
    const [list] = await connector.waitFor(withCard);
    expect(cardText(list?.body)).toMatch(/No open alerts|open alert/);
    connector.reset();
    await post(app.url, say("audit", { serviceUrl: connector.url, from: BO }));
    const [audit] = await connector.waitFor(withCard);
    expect(cardText(audit?.body)).toContain("Audit log");
  });

  it("refuses unauthenticated activities when app credentials are configured", async () => {
    const secured = await startTestApp({
      TEAMS_APP_ID: "00000000-0000-0000-0000-000000000001",
      TEAMS_APP_PASSWORD: "secret",
    });
    try {
      const r = await post(secured.url, say("health", { serviceUrl: connector.url }));
      expect(r.status).toBe(401);
      // The adapter authenticates before any turn starts: a refused activity has no turn that could reply later.
      expect(connector.calls).toHaveLength(0);
    } finally {
      await secured.close();
    }
  });
});

/** What must never reach someone the bot does not serve. */
const LEAKS = /web-1|web-2|db-1|CPU|health|alert [0-9a-f]{8}|open alert|What I can answer/i;

describe.each([
  { who: "a user outside TEAMS_ALLOWED_USERS", from: EVE, tenant: TENANT, reason: /TEAMS_ALLOWED_USERS/ },
  {
    who: "a tenant outside TEAMS_ALLOWED_TENANTS",
    from: ANA,
    tenant: OTHER_TENANT,
    reason: /TEAMS_ALLOWED_TENANTS/,
  },
])("$who", ({ from, tenant, reason }) => {
  const where = () => ({ serviceUrl: connector.url, from, tenant });

  it.each(["what's the current system health?", "alerts", "audit", "ack 3fa2c19b", "help"])(
    "gets only a refusal for %j",
    async (text) => {
      await post(app.url, say(text, where()));
      const replies = await connector.waitFor(withCard);
      await new Promise((r) => setTimeout(r, 200));
      const cards = connector.calls.filter(withCard).map((c) => cardText(c.body));
      expect(cards).toHaveLength(1);
      expect(replies[0] && cardText(replies[0].body)).toMatch(reason);
      expect(cards[0]).toContain("Not allowed");
      expect(cards[0]).not.toMatch(LEAKS);
      expect(cardActions(cards[0] ?? "")).toEqual([]);
    },
  );

  it("gets only a refusal toast for card buttons", async () => {
    for (const action of [
      { kind: "ask", text: "what's the current system health?" },
      { kind: "alert.ack", id: "3fa2c19b" },
      { kind: "alerts.list" },
    ] as const) {
      const body = JSON.parse((await post(app.url, press(action, where()))).body) as InvokeAnswer;
      expect(body.type).toBe("application/vnd.microsoft.activity.message");
      expect(String(body.value)).toMatch(reason);
      expect(String(body.value)).not.toMatch(LEAKS);
    }
    expect(connector.calls.filter(withCard)).toEqual([]);
  });

  it("gets only a refusal as the welcome", async () => {
    await post(
      app.url,
      install({
        ...where(),
        conversationId: `19:refused-${from.name}@thread.tacv2`,
        conversationType: "channel",
      }),
    );
    await connector.waitFor(withCard);
    await new Promise((r) => setTimeout(r, 200));
    const cards = connector.calls.filter(withCard).map((c) => cardText(c.body));
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatch(reason);
    expect(cards[0]).not.toMatch(LEAKS);
  });
});
