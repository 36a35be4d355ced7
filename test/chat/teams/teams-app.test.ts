/** The real botbuilder CloudAdapter on the shared server, against a fake connector and the fixture Prometheus. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeConnector, startFakeConnector } from "../../fakes/fake-connector.js";
import { startTestApp, type TestApp } from "../../support/app.js";
import { executeActivity, installActivity, messageActivity } from "../../support/teams-activities.js";

let connector: FakeConnector;
let app: TestApp;

beforeAll(async () => {
  connector = await startFakeConnector();
  app = await startTestApp({ TEAMS_EMULATOR: "true" });
});
afterAll(async () => {
  await app.close();
  await connector.close();
});
beforeEach(() => connector.reset());

async function send(activity: unknown) {
  const res = await fetch(`${app.url}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(activity),
  });
  return { status: res.status, body: await res.text() };
}

const cardOf = (body: Record<string, unknown>) =>
  ((body.attachments as { contentType: string; content: Record<string, unknown> }[] | undefined) ?? []).find(
    (a) => a.contentType === "application/vnd.microsoft.card.adaptive",
  )?.content;

describe("Teams bot", () => {
  it("answers a health question with an Adaptive Card holding the fixture's numbers", async () => {
    const r = await send(messageActivity("what's the current system health?", { serviceUrl: connector.url }));
    expect(r.status).toBe(200);
    const calls = await connector.waitFor((c) => c.method === "POST" && cardOf(c.body) !== undefined);
    const card = JSON.stringify(cardOf(calls[0]?.body ?? {}));
    expect(card).toContain('"version":"1.5"');
    for (const host of ["web-1", "web-2", "db-1"]) expect(card).toContain(host);
    expect(card).toMatch(/CPU 60\.0%/);
    expect(calls[0]?.activityId).toBeDefined();
    // A typing indicator went first.
    expect(connector.calls[0]?.body.type).toBe("typing");
  });

  it("strips the bot's @mention in channels", async () => {
    await send(
      messageActivity("memory on web-2", {
        serviceUrl: connector.url,
        mention: true,
        conversationType: "channel",
        conversationId: "19:chan@thread.skype;messageid=1",
      }),
    );
    const [call] = await connector.waitFor((c) => cardOf(c.body) !== undefined);
    expect(JSON.stringify(cardOf(call?.body ?? {}))).toMatch(/Memory 75\.0% on web-2/);
  });

  it("stores the conversation on install and welcomes with the help card", async () => {
    await send(
      installActivity({
        serviceUrl: connector.url,
        conversationId: "19:ops@thread.tacv2",
        conversationType: "channel",
      }),
    );
    const [welcome] = await connector.waitFor(
      (c) => c.conversationId === "19:ops@thread.tacv2" && cardOf(c.body) !== undefined,
    );
    expect(JSON.stringify(cardOf(welcome?.body ?? {}))).toContain("What I can answer");
  });

  it("refreshes the card in place on an Action.Execute button", async () => {
    const r = await send(executeActivity("cpu trend last 1h on web-1", { serviceUrl: connector.url }));
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { statusCode: number; type: string; value: Record<string, unknown> };
    expect(body.statusCode).toBe(200);
    expect(body.type).toBe("application/vnd.microsoft.card.adaptive");
    expect(JSON.stringify(body.value)).toMatch(/CPU last 1h on web-1/);
  });

  it("refuses unauthenticated activities when app credentials are configured", async () => {
    const secured = await startTestApp({
      TEAMS_APP_ID: "00000000-0000-0000-0000-000000000001",
      TEAMS_APP_PASSWORD: "secret",
    });
    try {
      const res = await fetch(`${secured.url}/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(messageActivity("health", { serviceUrl: connector.url })),
      });
      expect(res.status).toBe(401);
      // The adapter authenticates before any turn starts: a refused activity has no turn that could reply later.
      expect(connector.calls).toHaveLength(0);
    } finally {
      await secured.close();
    }
  });
});
