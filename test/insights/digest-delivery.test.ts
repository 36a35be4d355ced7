/**
 * Digests end to end, through the real SDKs and the fakes: a digest set by command in a Slack channel
 * (a signed slash command) and in a Teams channel (a Bot Framework activity) is posted there BY ITS
 * SCHEDULE (the bot's BullMQ job scheduler; here firing every 1.5 s through the test-only option the
 * composition never sets). Set with its real schedule, the scheduler holds the cron pattern and zone;
 * a rebuilt app on the same Redis still has the digest and posts it; `digest off` removes the
 * scheduler; two replicas on one Redis post each firing once.
 */
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type App, type AppOptions, createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { DIGEST_QUEUE, digestSchedulerId } from "../../src/jobs/digest-jobs.js";
import { silentLogger } from "../../src/observability/logger.js";
import { ANA, cardText, install, post, say } from "../chat/teams/activities.js";
import { type FakeConnector, startFakeConnector } from "../fakes/fake-connector.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { dropKeys, testPrefix } from "../support/redis.js";
import { FORM, postSigned, SIGNING_SECRET, sign, slashCommand } from "../support/slack-requests.js";
import { until } from "../support/until.js";

const EVERY = { every: 1500 };

interface Running {
  app: App;
  url: string;
  prefix: string;
}
const running: Running[] = [];
const prefixes = new Set<string>();

async function start(
  env: Record<string, string>,
  prefix: string,
  options: Pick<AppOptions, "digestRepeat"> = {},
): Promise<Running> {
  const fixtureEnd = Date.parse(inject("fixtureEnd"));
  const config = loadConfig({
    PROMETHEUS_URL: inject("prometheusUrl"),
    REDIS_URL: inject("redisUrl"),
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    API_RATE_LIMIT_PER_MIN: "0",
    PROMETHEUS_TIMEOUT_MS: "20000",
    ANSWER_DEADLINE_MS: "30000",
    ANOMALY_ENABLED: "false",
    // Anyone the bot answers may set digests (an empty ALERT_ACTORS lets nobody).
    ALERT_ACTORS: "*",
    ...env,
  });
  prefixes.add(prefix);
  const app = createApp(config, silentLogger(), { now: () => fixtureEnd, redisPrefix: prefix, ...options });
  const port = await app.listen(0, "127.0.0.1");
  const r = { app, url: `http://127.0.0.1:${port}`, prefix };
  running.push(r);
  return r;
}

async function stop(r: Running): Promise<void> {
  running.splice(running.indexOf(r), 1);
  await r.app.close();
}

afterAll(async () => {
  for (const r of [...running]) await stop(r);
  for (const p of prefixes) await dropKeys(p);
});

function queueOf(prefix: string): Queue {
  return new Queue(DIGEST_QUEUE, { connection: { url: inject("redisUrl") }, prefix: `${prefix}:bull` });
}

describe("Slack", () => {
  let slack: FakeSlack;
  const CHANNEL = "C0DIGEST";
  const slackEnv = () => ({
    SLACK_BOT_TOKEN: "xoxb-1-digest",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
  });
  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });

  async function command(r: Running, text: string, user = "U0ANA"): Promise<string> {
    const before = slack.callsOf("response_url").length;
    const res = await postSigned(
      `${r.url}/slack/events`,
      sign(slashCommand(text, { channel: CHANNEL, user, responseUrl: slack.responseUrl }), FORM),
    );
    expect(res.status).toBe(200);
    const [reply] = (await slack.waitFor("response_url", before + 1)).slice(before);
    return JSON.stringify(reply?.args);
  }

  async function alertmanager(
    r: Running,
    alerts: { name: string; fp: string; severity: string; startsAt: string; endsAt?: string }[],
  ): Promise<void> {
    for (const a of alerts) {
      const status = a.endsAt ? "resolved" : "firing";
      const res = await fetch(`${r.url}/api/v1/alertmanager`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          version: "4",
          groupKey: `{}:{alertname="${a.name}"}`,
          status,
          receiver: "cloudops",
          groupLabels: { alertname: a.name },
          commonLabels: { alertname: a.name },
          commonAnnotations: {},
          externalURL: "http://alertmanager:9093",
          alerts: [
            {
              status,
              labels: { alertname: a.name, instance: "db-9:9100", severity: a.severity },
              annotations: { summary: `${a.name} on db-9` },
              startsAt: a.startsAt,
              endsAt: a.endsAt ?? "0001-01-01T00:00:00Z",
              generatorURL: "http://prometheus:9090/graph",
              fingerprint: a.fp,
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
    }
  }

  const digestPosts = () =>
    slack
      .callsOf("chat.postMessage")
      .filter((c: SlackCall) => c.args.channel === CHANNEL && /digest/i.test(String(c.args.text)));

  it("posts the channel's digest by its schedule, with its numbers and a chart", async () => {
    const r = await start(
      { ...slackEnv(), ALERTMANAGER_WEBHOOK_OPEN: "true", SLACK_ALERT_CHANNEL: "C0ALERTS" },
      testPrefix("digest-slack"),
      { digestRepeat: () => EVERY },
    );
    // The day's alerts: one critical still firing (acknowledged), one warning that resolved.
    const end = Date.parse(inject("fixtureEnd"));
    const iso = (ms: number) => new Date(ms).toISOString();
    await alertmanager(r, [
      { name: "DiskFull", fp: "d1d1d1d1d1d1d1d1", severity: "critical", startsAt: iso(end - 2 * 3600_000) },
      { name: "HighLoad", fp: "e2e2e2e2e2e2e2e2", severity: "warning", startsAt: iso(end - 3 * 3600_000) },
    ]);
    await alertmanager(r, [
      {
        name: "HighLoad",
        fp: "e2e2e2e2e2e2e2e2",
        severity: "warning",
        startsAt: iso(end - 3 * 3600_000),
        endsAt: iso(end - 3600_000),
      },
    ]);
    const open = await command(r, "alerts");
    const id = /\b([0-9a-f]{8})\b/.exec(open)?.[1];
    expect(id).toBeDefined();
    expect(await command(r, `ack ${id}`)).toMatch(/acknowledged/i);
    const set = await command(r, "digest daily 09:00");
    expect(set).toContain("Digest set");
    expect(set).toContain("daily at 09:00 UTC");
    const before = digestPosts().length;
    await until("a digest posted by its schedule", () => digestPosts().length > before, 60_000);
    const [posted] = digestPosts().slice(before);
    const text = String(posted?.args.text);
    expect(text).toContain("Daily digest: 2 alerts, 0 anomalies");
    const blocks = JSON.stringify(posted?.args.blocks);
    expect(blocks).toContain("Alerts: 2 fired (1 critical, 1 warning) · 1 resolved · 1 still firing");
    expect(blocks).toContain("median time to acknowledge");
    // The capacity forecasts' section is in (the fixture fleet has nothing filling within a week).
    expect(blocks).toContain("Capacity: nothing expected to fill within 7 days");
    expect(blocks).toMatch(/Savings: /);
    expect(blocks).toContain("Fleet CPU");
    expect(blocks).toContain("daily at 09:00 UTC");
    // The chart goes up with it, in the digest's thread.
    await until("the digest's chart uploaded", () =>
      slack.callsOf("files.completeUploadExternal").some((c) => String(c.args.channel_id) === CHANNEL),
    );
    // Audited: who set which channel's digest.
    const audit = await command(r, "audit");
    expect(audit).toContain("digest-set");
    expect(audit).toContain(`slack:${CHANNEL}`);
    await command(r, "digest off");
    await stop(r);
  }, 120_000);

  it("keeps the cron pattern and zone, survives a restart, and `digest off` removes the scheduler", async () => {
    const prefix = testPrefix("digest-restart");
    const first = await start(slackEnv(), prefix);
    expect(await command(first, "digest weekly mon 09:00 Europe/Paris")).toContain(
      "weekly on Monday at 09:00 Europe/Paris",
    );
    const queue = queueOf(prefix);
    try {
      const id = digestSchedulerId({ platform: "slack", channel: CHANNEL });
      const scheduler = await queue.getJobScheduler(id);
      expect(scheduler?.pattern).toBe("0 9 * * 1");
      expect(scheduler?.tz).toBe("Europe/Paris");
      // The next firing is a Monday at 09:00 in Paris.
      const next = new Date(Number(scheduler?.next));
      const paris = new Intl.DateTimeFormat("en-GB", {
        timeZone: "Europe/Paris",
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
      }).format(next);
      expect(paris).toBe("Mon 09:00");
      await stop(first);

      // A rebuilt bot on the same Redis: the digest is still there and goes out by its scheduler.
      const second = await start(slackEnv(), prefix, { digestRepeat: () => EVERY });
      expect(await command(second, "digest")).toContain("weekly on Monday at 09:00 Europe/Paris");
      const before = digestPosts().length;
      await until("the digest posted after the restart", () => digestPosts().length > before, 60_000);
      expect(String(digestPosts().at(-1)?.args.text)).toContain("Weekly digest");

      expect(await command(second, "digest off")).toContain("Digest stopped");
      expect(await queue.getJobScheduler(id)).toBeUndefined();
      expect(await command(second, "digest")).toContain("No digest in this channel");
      await stop(second);
    } finally {
      await queue.close();
    }
  }, 180_000);

  it("answers bad input with the accepted forms, refuses people who may not act, and posts one now", async () => {
    const r = await start({ ...slackEnv(), ALERT_ACTORS: "U0ANA" }, testPrefix("digest-bad"), {
      digestRepeat: () => EVERY,
    });
    // Setting and stopping a digest is acting: the access policy's ALERT_ACTORS decides, as for rules.
    expect(await command(r, "digest daily 09:00", "U0BEN")).toContain("ALERT_ACTORS");
    expect(await command(r, "digest off", "U0BEN")).toContain("ALERT_ACTORS");
    const zone = await command(r, "digest daily 09:00 Mars/Olympus");
    expect(zone).toContain("not a time zone I know");
    expect(zone).toContain("digest weekly mon 09:00");
    expect(await command(r, "digest daily 25:00")).toContain("is not a time of day");
    expect(await command(r, "digest weekly 09:00")).toContain("needs a day");
    expect(await command(r, "digest")).toContain("No digest in this channel");
    // Anyone the bot answers may ask for one now: the last 24 h, posted in the channel.
    const shown = () =>
      slack.calls.filter(
        (c) =>
          (c.method === "chat.postMessage" || c.method === "chat.update") &&
          c.args.channel === CHANNEL &&
          String(c.args.text).includes("Daily digest"),
      ).length;
    const before = shown();
    const res = await postSigned(
      `${r.url}/slack/events`,
      sign(
        slashCommand("digest now", { channel: CHANNEL, user: "U0BEN", responseUrl: slack.responseUrl }),
        FORM,
      ),
    );
    expect(res.status).toBe(200);
    await until("the digest posted now", () => shown() > before);
    await stop(r);
  }, 60_000);

  it("two replicas on one Redis post each firing once", async () => {
    const prefix = testPrefix("digest-replicas");
    const a = await start(slackEnv(), prefix, { digestRepeat: () => EVERY });
    const b = await start(slackEnv(), prefix, { digestRepeat: () => EVERY });
    const queue = queueOf(prefix);
    try {
      const before = digestPosts().length;
      expect(await command(a, "digest daily 08:30")).toContain("Digest set");
      expect(await queue.getJobSchedulersCount()).toBe(1);
      await until("three digests posted", () => digestPosts().length >= before + 3, 90_000);
      await command(b, "digest off");
      // Both stop taking jobs; then every completed firing that posted is one message, no more.
      await stop(a);
      await stop(b);
      const completed = await queue.getCompleted(0, -1);
      const postedJobs = completed.filter((j) => j.returnvalue === "posted").length;
      expect(postedJobs).toBeGreaterThanOrEqual(3);
      expect(digestPosts().length - before).toBe(postedJobs);
    } finally {
      await queue.close();
    }
  }, 150_000);
});

describe("Teams", () => {
  const CONVERSATION = "19:digest@thread.tacv2";
  let connector: FakeConnector;
  beforeAll(async () => {
    connector = await startFakeConnector();
  });
  afterAll(async () => {
    await connector?.close();
  });

  it("posts the conversation's digest by its schedule as an Adaptive Card", async () => {
    const r = await start({ TEAMS_EMULATOR: "true" }, testPrefix("digest-teams"), {
      digestRepeat: () => EVERY,
    });
    const where = {
      serviceUrl: connector.url,
      conversationId: CONVERSATION,
      conversationType: "channel" as const,
      from: ANA,
    };
    expect((await post(r.url, install(where))).status).toBeLessThan(300);
    const before = connector.calls.length;
    expect((await post(r.url, say("digest daily 09:00", where))).status).toBeLessThan(300);
    await until("the answer to the digest command", () =>
      connector.calls.slice(before).some((c) => cardText(c.body).includes("Digest set")),
    );
    const [card] = await connector.waitFor(
      (c) =>
        c.method === "POST" &&
        c.conversationId === CONVERSATION &&
        c.activityId === undefined &&
        cardText(c.body).includes("Daily digest"),
      1,
      60_000,
    );
    const text = cardText(card?.body);
    expect(text).toContain("Alerts:");
    expect(text).toContain("daily at 09:00 UTC");
    expect((await post(r.url, say("digest off", where))).status).toBeLessThan(300);
    const queue = queueOf(r.prefix);
    try {
      await until(
        "the scheduler removed",
        async () =>
          (await queue.getJobScheduler(digestSchedulerId({ platform: "teams", channel: CONVERSATION }))) ===
          undefined,
      );
    } finally {
      await queue.close();
    }
    await stop(r);
  }, 120_000);
});
