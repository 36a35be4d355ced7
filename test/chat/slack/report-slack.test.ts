/**
 * `/cloudops report` through the real Slack app (Bolt against the fake Slack Web API): the summary is
 * posted to the channel with a link to the printable report at PUBLIC_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../../fakes/fake-slack.js";
import { startTestApp, type TestApp } from "../../support/app.js";
import { FORM, postSigned, SIGNING_SECRET, sign, slashCommand } from "../../support/slack-requests.js";

let slack: FakeSlack;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  app = await startTestApp({
    SLACK_BOT_TOKEN: "xoxb-1-test",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PUBLIC_URL: "https://bot.example",
  });
});

afterAll(async () => {
  await app?.close();
  await slack?.close();
});

describe("report in Slack", () => {
  it("/cloudops report 24h posts the summary with the link to the printable report", async () => {
    const r = await postSigned(
      `${app.url}/slack/events`,
      sign(slashCommand("report 24h", { responseUrl: slack.responseUrl }), FORM),
    );
    expect(r.status).toBe(200);
    const [post] = await slack.waitFor("chat.postMessage");
    const blocks = JSON.stringify(post?.args.blocks ?? []);
    expect(blocks).toContain("Report: last 24 hours (default)");
    expect(blocks).toContain("Availability 80.00% over 5 targets, last 24 hours (SLO 99.9%).");
    expect(blocks).toContain("db-2:9100 (node): 0.00%, down 24.0 h in 1 outage");
    expect(blocks).toContain("https://bot.example/report?period=24h&environment=default");
  });
});
