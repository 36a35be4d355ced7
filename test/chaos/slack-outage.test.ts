/**
 * Slack answering 500 to every post for 20 s (a quarter of them after keeping the message) while 40
 * alerts arrive, then recovering: once the outbox drains, every alert is in the channel once. The 5-minute outage is `npm run bench -- chaos`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../fakes/fake-slack.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { testRedis } from "../support/redis.js";
import { SIGNING_SECRET } from "../support/slack-requests.js";
import { slackOutage } from "./slack-outage.js";

const TOKEN = "chaos-slack-token";
const CHANNEL = "C0OUTAGE";
let slack: FakeSlack;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  app = await startTestApp({
    SLACK_BOT_TOKEN: "xoxb-1-outage",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ALERT_CHANNEL: CHANNEL,
    ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
    ALERT_POSTS_PER_MINUTE: "1000",
  });
});

afterAll(async () => {
  await app?.close();
  await slack?.close();
});

describe("Slack down for 20 s, then back", () => {
  it("drains the outbox in order: nothing lost, nothing doubled", async () => {
    const redis = testRedis();
    try {
      const r = await slackOutage({
        slack,
        botUrl: app.url,
        token: TOKEN,
        channel: CHANNEL,
        outboxLength: () => redis.llen(`${app.redisPrefix}:alerts:outbox`),
        alerts: 40,
        outageMs: 20_000,
        keptShare: 0.25,
        drainTimeoutMs: 90_000,
      });
      // The outage was real: posts were refused, and some of them kept.
      expect(r.refused).toBeGreaterThan(0);
      expect({ lost: r.lost, duplicated: r.duplicated, drained: r.drained, posted: r.posted }).toEqual({
        lost: 0,
        duplicated: 0,
        drained: true,
        posted: 40,
      });
      // In order once Slack is back: a failing pass stops at its first refused group, so no later
      // group overtakes it (messages Slack kept during the outage are not counted).
      expect(r.outOfOrder).toBe(0);
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});
