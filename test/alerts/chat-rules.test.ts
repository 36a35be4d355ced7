/**
 * A rule made from chat, end to end: `/cloudops alert when cpu > 50% for 2m` (a signed slash command),
 * evaluated by the bot's scheduled job against a real Prometheus holding a CPU burst, fires one Slack
 * message once the condition has held for 2 minutes, and resolves that same message when it clears.
 * The bot's clock walks through the burst; the data and every query are real.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseRule } from "../../src/alerts/chat-rules.js";
import { RULES_QUEUE } from "../../src/jobs/rule-jobs.js";
import { type FakeSlack, startFakeSlack } from "../fakes/fake-slack.js";
import { outboxDrained } from "../support/alert-outbox.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { fleetHost, writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { FORM, postSigned, SIGNING_SECRET, sign, slashCommand } from "../support/slack-requests.js";
import { until } from "../support/until.js";

const END = Math.floor(Date.UTC(2026, 2, 10, 12, 0, 0) / 1000);
/** host 2 burns CPU from END-3600 s for 30 minutes. */
const BURST_START = END - 3600;
const BURST_END = BURST_START + 1800;
const BURST_HOST = `${fleetHost(2)}:9100`;
let prom: PrometheusProcess;
let slack: FakeSlack;
let app: TestApp;
let clock = (BURST_START - 600) * 1000;

beforeAll(async () => {
  prom = await startBackfilledPrometheus(
    await writeFleet({
      hosts: 3,
      end: END,
      days: 0.25,
      stepSeconds: 60,
      burst: { host: 2, secondsBeforeEnd: 3600, seconds: 1800 },
    }),
  );
  slack = await startFakeSlack();
  app = await startTestApp(
    {
      PROMETHEUS_URL: prom.url,
      SLACK_BOT_TOKEN: "xoxb-1-rules",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_ALERT_CHANNEL: "C0RULES",
      ALERT_RULE_EVERY: "1s",
      // Anyone the bot answers may make rules (an empty ALERT_ACTORS lets nobody act).
      ALERT_ACTORS: "*",
    },
    undefined,
    () => clock,
  );
}, 120_000);

afterAll(async () => {
  await app?.close();
  await slack?.close();
  await prom?.stop();
});

async function command(text: string): Promise<string> {
  const before = slack.callsOf("response_url").length;
  await postSigned(
    `${app.url}/slack/events`,
    sign(slashCommand(text, { channel: "C0RULES", responseUrl: slack.responseUrl }), FORM),
  );
  const [reply] = (await slack.waitFor("response_url", before + 1)).slice(before);
  return JSON.stringify(reply?.args);
}

/**
 * Moves the bot's clock and waits for an evaluation at the new time: a rule job that BullMQ started
 * after the move (the job reads the clock when it starts) and that has completed.
 */
async function advanceTo(seconds: number): Promise<void> {
  clock = seconds * 1000;
  const moved = Date.now();
  const jobs = `${app.redisPrefix}:bull:${RULES_QUEUE}`;
  const redis = new Redis(inject("redisUrl"));
  try {
    await until(`an evaluation at ${new Date(clock).toISOString()}`, async () => {
      // The completed set is scored by when each job finished.
      for (const id of await redis.zrangebyscore(`${jobs}:completed`, moved, "+inf")) {
        if (Number(await redis.hget(`${jobs}:${id}`, "processedOn")) >= moved) return true;
      }
      return false;
    });
  } finally {
    redis.disconnect();
  }
}

describe("chat rules", () => {
  it("fires against the real Prometheus once the condition held, and resolves when it clears", async () => {
    const created = await command("alert when cpu > 50% for 2m");
    expect(created).toContain("Rule created");
    const id = /Rule ([0-9a-f]{8}):/.exec(created)?.[1];
    expect(id).toBeDefined();
    // The rule's id is shown as code, the rule and who made it as literal text.
    const rules = await command("rules");
    expect(rules).toContain(`{"type":"text","text":"${id}","style":{"code":true}}`);
    expect(rules).toContain(" CPU busy > 50.0% for 2 min on every host (default) · by ");

    // Before the burst: nothing. Six minutes in (the 5-minute rate is all burst): pending, not yet firing.
    await advanceTo(BURST_START - 300);
    await advanceTo(BURST_START + 360);
    // An evaluation at this time saw the condition start: the host is pending (state in Redis).
    const redis = new Redis(inject("redisUrl"));
    try {
      await until(
        "the burst host pending",
        async () => (await redis.hget(`${app.redisPrefix}:alerts:rule:${id}:hosts`, BURST_HOST)) !== null,
      );
    } finally {
      redis.disconnect();
    }
    expect(slack.callsOf("chat.postMessage")).toEqual([]);
    // The condition has held for 2 minutes: one message, for the burst host only.
    await advanceTo(BURST_START + 360 + 150);
    const [post] = await slack.waitFor("chat.postMessage");
    const blocks = JSON.stringify(post?.args.blocks);
    expect(post?.args.channel).toBe("C0RULES");
    expect(blocks).toContain(`CPUBusyRule on ${BURST_HOST}`);
    expect(blocks).toMatch(/CPU busy \d+\.\d% vs threshold 50\.0%/);
    expect(blocks).toContain("From a chat rule");
    expect(blocks).toContain("Resolve");
    await advanceTo(BURST_START + 900);
    await outboxDrained(app);
    expect(slack.callsOf("chat.postMessage")).toHaveLength(1);
    // The burst is over and the rate window has moved past it: the same message resolves.
    await advanceTo(BURST_END + 420);
    const [update] = await slack.waitFor("chat.update");
    expect(update?.args.ts).toBe(post?.response?.ts);
    expect(JSON.stringify(update?.args.blocks)).toContain("✅ CPUBusyRule");
    await until("the thread line", () => slack.callsOf("chat.postMessage").some((c) => c.args.thread_ts));
    expect(await command(`rule delete ${id}`)).toContain("Rule deleted");
    expect(await command("rules")).toContain("No alert rules");
  });

  it("explains a rule it cannot read, and refuses unknown environments", () => {
    expect(parseRule("disk > 90% for 10m on prod", ["prod", "staging"], "prod")).toEqual({
      metric: "disk",
      op: ">",
      threshold: 90,
      forMs: 600_000,
      environment: "prod",
    });
    expect(parseRule("load above 2 for 15m on web-1", ["prod"], "prod")).toMatchObject({
      metric: "load",
      host: "web-1",
      forMs: 900_000,
    });
    expect(parseRule("disk > 90% in qa", ["prod"], "prod")).toMatch(/no environment "qa"/);
    expect(parseRule("cpu > 150%", ["prod"], "prod")).toMatch(/up to 100/);
    expect(parseRule("rm -rf / > 1", ["prod"], "prod")).toMatch(/I understand rules like/);
    expect(parseRule("cpu > 50 for 48h", ["prod"], "prod")).toMatch(/at most 24 h/);
  });
});
