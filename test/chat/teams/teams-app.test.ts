/**
 * The real botbuilder CloudAdapter on the shared server, against a fake connector and the fixture
 * Prometheus: questions, the welcome, follow-up buttons, authentication; answers meant for the asker
 * alone reach their 1:1 chat, never a channel or group chat; and the allow-lists — someone outside
 * TEAMS_ALLOWED_USERS or from a tenant outside TEAMS_ALLOWED_TENANTS gets a refusal and nothing else,
 * whether they type, press a card button or install the bot, and adds no conversation to Redis.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ConnectorCall,
  CREATE_CONVERSATION,
  type FakeConnector,
  startFakeConnector,
} from "../../fakes/fake-connector.js";
import { startTestApp, type TestApp } from "../../support/app.js";
import { testRedis } from "../../support/redis.js";
import {
  ANA,
  BO,
  cardActions,
  cardText,
  EVE,
  type InvokeAnswer,
  install,
  OTHER_TENANT,
  type Person,
  post,
  press,
  say,
  TENANT,
} from "./activities.js";

let connector: FakeConnector;
let app: TestApp;
let redis: Redis;

beforeAll(async () => {
  connector = await startFakeConnector();
  app = await startTestApp({
    TEAMS_EMULATOR: "true",
    TEAMS_ALLOWED_TENANTS: TENANT,
    TEAMS_ALLOWED_USERS: `${ANA.aadObjectId},${BO.aadObjectId}`,
  });
  redis = testRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await app?.close();
  await connector?.close();
});
beforeEach(() => connector.reset());

const withCard = (c: ConnectorCall) => cardText(c.body) !== "";
const created = (c: ConnectorCall) => c.path === CREATE_CONVERSATION;
/** The 1:1 chat the fake connector opens for a person (the same one each time, as Teams does). */
const privateChat = (p: Person) => `a:1-${p.id}`;
/** The conversations the bot has stored a reference for. */
const stored = async () => Object.keys(await redis.hgetall(`${app.redisPrefix}:teams:references`));

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

  it("answers a forged or stale button with the dispatcher's toast, touching nothing", async () => {
    const forged = press({ kind: "help" }, { serviceUrl: connector.url });
    (forged.value.action.data as { action: string }).action = '{"kind":"alert.ack","id":"../../etc"}';
    const body = JSON.parse((await post(app.url, forged)).body) as InvokeAnswer;
    expect(body.type).toBe("application/vnd.microsoft.activity.message");
    expect(String(body.value)).toBe(
      "🚫 Unknown button: That button's value is not one this bot made (it may be altered, or from an older version). Nothing was done.",
    );
    expect(connector.calls).toEqual([]);
  });

  it("answers a forged Action.Submit payload the same way, in the conversation it came from", async () => {
    const submitted = { ...say("", { serviceUrl: connector.url }), value: { action: "not-ours" } };
    await post(app.url, submitted);
    const [reply] = await connector.waitFor(withCard);
    expect(cardText(reply?.body)).toContain("not one this bot made");
    expect(reply?.conversationId).toBe("a:personal-ana");
  });

  it("lists the commands Slack has: help, alerts, audit (in a personal chat, right there)", async () => {
    await post(app.url, say("alerts", { serviceUrl: connector.url, from: BO }));
    const [list] = await connector.waitFor(withCard);
    expect(cardText(list?.body)).toMatch(/No open alerts|open alert/);
    connector.reset();
    await post(app.url, say("audit", { serviceUrl: connector.url, from: BO }));
    const [audit] = await connector.waitFor(withCard);
    expect(cardText(audit?.body)).toContain("Audit log");
    expect(connector.calls.filter(created)).toEqual([]);
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

describe("answers for the asker alone, asked in a channel or a group chat", () => {
  const in_ = (conversationType: "channel" | "groupChat", from: Person = BO) => ({
    serviceUrl: connector.url,
    conversationType,
    conversationId: conversationType === "channel" ? "19:ops@thread.tacv2" : "19:group@thread.v2",
    from,
  });

  it.each([
    ["alerts", "channel", /No open alerts|open alert/],
    ["audit", "groupChat", /Audit log/],
    ["rules", "channel", /rule/i],
  ] as const)(
    "%j in a %s goes to the person's 1:1 chat; the conversation gets a neutral line",
    async (text, kind, content) => {
      const asked = say(text, in_(kind));
      await post(app.url, asked);
      // Opened with the person, in their tenant, by the bot they spoke to.
      const [open] = connector.calls.filter(created);
      expect(open?.body).toMatchObject({
        isGroup: false,
        bot: { id: "28:cloudops-bot" },
        members: [{ id: BO.id }],
        tenantId: TENANT,
        channelData: { tenant: { id: TENANT } },
      });
      const privately = connector.calls.filter((c) => c.conversationId === privateChat(BO) && withCard(c));
      expect(privately).toHaveLength(1);
      expect(cardText(privately[0]?.body)).toMatch(content);
      expect(privately[0]?.activityId).toBeUndefined();
      // In the conversation: the line, as a reply to the message, and nothing of the answer.
      const shared = connector.calls.filter((c) => c.conversationId === asked.conversation.id && withCard(c));
      expect(shared).toHaveLength(1);
      expect(shared[0]?.activityId).toBe(asked.id);
      expect(cardText(shared[0]?.body)).toContain("Sent you the answer in a private chat.");
      expect(cardText(shared[0]?.body)).not.toMatch(content);
    },
  );

  it("answers a question for everyone in the channel, as before", async () => {
    await post(app.url, say("memory on web-2", in_("channel")));
    const [answer] = await connector.waitFor(withCard);
    expect(answer?.conversationId).toBe("19:ops@thread.tacv2");
    expect(connector.calls.filter(created)).toEqual([]);
  });

  it("says so in the channel, without the answer, when the 1:1 chat cannot be opened", async () => {
    connector.failNextMatching((c) => c.path === CREATE_CONVERSATION, 403);
    const asked = say("alerts", in_("channel"));
    await post(app.url, asked);
    expect(connector.failed).toMatchObject([{ method: "POST", path: CREATE_CONVERSATION, status: 403 }]);
    const cards = connector.calls.filter(withCard);
    expect(cards).toHaveLength(1);
    expect(cards[0]?.conversationId).toBe(asked.conversation.id);
    expect(cardText(cards[0]?.body)).toContain("Could not open a private chat with you");
    expect(cardText(cards[0]?.body)).not.toMatch(/No open alerts|open alert/);
  });

  it("a card button for a listing answers the presser with a toast and the cards in their 1:1 chat", async () => {
    const r = await post(app.url, press({ kind: "alerts.list" }, in_("channel")));
    const body = JSON.parse(r.body) as InvokeAnswer;
    expect(body.type).toBe("application/vnd.microsoft.activity.message");
    expect(String(body.value)).toBe("🔒 Answered privately: Sent you the answer in a private chat.");
    const cards = connector.calls.filter(withCard);
    expect(cards.map((c) => c.conversationId)).toEqual([privateChat(BO)]);
    expect(cardText(cards[0]?.body)).toMatch(/No open alerts|open alert/);
  });
});

describe("conversation references", () => {
  it("are stored for someone the bot serves, on install and on a message", async () => {
    await post(
      app.url,
      install({
        serviceUrl: connector.url,
        conversationId: "19:kept@thread.tacv2",
        conversationType: "channel",
      }),
    );
    await post(
      app.url,
      say("help", { serviceUrl: connector.url, conversationId: "a:personal-bo", from: BO }),
    );
    expect(await stored()).toEqual(expect.arrayContaining(["19:kept@thread.tacv2", "a:personal-bo"]));
  });

  it.each([
    { who: "a user outside TEAMS_ALLOWED_USERS", from: EVE, tenant: TENANT },
    { who: "a tenant outside TEAMS_ALLOWED_TENANTS", from: ANA, tenant: OTHER_TENANT },
  ])("are not stored for $who, whatever they send", async ({ from, tenant }) => {
    const before = await stored();
    const where = { serviceUrl: connector.url, from, tenant };
    await post(
      app.url,
      install({ ...where, conversationId: `19:not-${from.name}@thread.tacv2`, conversationType: "channel" }),
    );
    await post(app.url, say("help", { ...where, conversationId: `a:not-${from.name}` }));
    await post(app.url, press({ kind: "help" }, { ...where, conversationId: `a:not-${from.name}` }));
    expect(await stored()).toEqual(before);
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
      // The connector calls of a turn are all made before its HTTP answer: nothing more comes after.
      const replies = await connector.waitFor(withCard);
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

  it("gets only a refusal as the welcome, in the channel, and no private chat is opened for it", async () => {
    const channel = `19:refused-${from.name}@thread.tacv2`;
    await post(app.url, install({ ...where(), conversationId: channel, conversationType: "channel" }));
    const [welcome] = await connector.waitFor((c) => withCard(c) && c.conversationId === channel);
    expect(cardText(welcome?.body)).toMatch(reason);
    expect(cardText(welcome?.body)).not.toMatch(LEAKS);
    // A refusal shows nothing worth hiding; a 1:1 chat would reach into a tenant or for a person not served.
    expect(connector.calls.filter((c) => c.path === CREATE_CONVERSATION)).toEqual([]);
    expect(connector.calls.filter(withCard).map((c) => c.conversationId)).toEqual([channel]);
  });

  it("gets only a refusal for a forged button", async () => {
    const forged = press({ kind: "help" }, where());
    (forged.value.action.data as { action: string }).action = "forged";
    const body = JSON.parse((await post(app.url, forged)).body) as InvokeAnswer;
    expect(String(body.value)).toMatch(reason);
    expect(String(body.value)).not.toMatch(/Unknown button/);
  });
});

describe("emulator mode (TEAMS_EMULATOR): unsigned activities, so loopback serviceUrls only", () => {
  it("refuses an activity naming another serviceUrl: nothing answered, the stored alert conversation kept", async () => {
    const alerts = "19:alerts@thread.tacv2";
    const key = `${app.redisPrefix}:teams:references`;
    await post(
      app.url,
      install({ serviceUrl: connector.url, conversationId: alerts, conversationType: "channel" }),
    );
    const before = await redis.hget(key, alerts);
    expect(before).toContain(new URL(connector.url).host);
    connector.reset();
    for (const serviceUrl of [
      "http://attacker.invalid",
      "https://127.0.0.1.nip.io",
      "http://10.0.0.9:3978",
      "http://user:pw@127.0.0.1:1",
      "file:///etc/passwd",
    ]) {
      const where = { serviceUrl, conversationId: alerts, conversationType: "channel" } as const;
      for (const activity of [install(where), say("alerts", where), press({ kind: "alerts.list" }, where)]) {
        const r = await post(app.url, activity);
        expect(r.status).toBe(403);
        expect(r.body).toMatch(/only a serviceUrl on this machine \(loopback\)/);
      }
    }
    expect(await redis.hget(key, alerts)).toBe(before);
    // Alerts still go where the conversation was installed: a message sent there reaches the connector.
    await post(
      app.url,
      say("help", { serviceUrl: connector.url, conversationId: alerts, conversationType: "channel" }),
    );
    const [reply] = await connector.waitFor(withCard);
    expect(reply?.conversationId).toBe(alerts);
  });
});
