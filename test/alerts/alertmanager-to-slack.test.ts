/**
 * Alertmanager's webhook into Slack, through the real app and Bolt's WebClient against a fake Slack:
 * one message per alert group, deduplicated, updated in place on resolve with a line in its thread,
 * acknowledged and silenced from its buttons and from /cloudops, retried when Slack fails, and
 * delivered after a restart when the bot stopped before posting.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { decodeAction } from "../../src/reply/action.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { outboxDrained } from "../support/alert-outbox.js";
import { startTestApp, type TestApp } from "../support/app.js";
import {
  blockAction,
  FORM,
  postSigned,
  SIGNING_SECRET,
  sign,
  slashCommand,
} from "../support/slack-requests.js";
import { until } from "../support/until.js";

const TOKEN = "am-secret-token";
let slack: FakeSlack;
let app: TestApp;

function env(apiUrl: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: "xoxb-1-alerts",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: apiUrl,
    SLACK_ALERT_CHANNEL: "C0ALERTS",
    ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
    ALERT_ACTORS: "U0ANA,U0BEN",
    // The flood caps have their own test (alert-flood.test.ts); here every group gets its message.
    ALERT_POSTS_PER_MINUTE: "1000",
    GRAFANA_URL: "https://grafana.example",
  };
}

let seq = 0;
/** Alertmanager's payload for one group (one alertname), one alert per host, as Alertmanager 0.25 sends it. */
function webhook(
  status: "firing" | "resolved",
  fingerprint: string,
  opts: { name?: string; hosts?: number } = {},
) {
  const name = opts.name ?? "HostDiskFull";
  return {
    version: "4",
    groupKey: `{}:{alertname="${name}"}`,
    status,
    receiver: "cloudops",
    groupLabels: { alertname: name },
    commonLabels: { alertname: name, severity: "critical", job: "node" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    truncatedAlerts: 0,
    alerts: Array.from({ length: opts.hosts ?? 1 }, (_, i) => ({
      status,
      labels: { alertname: name, severity: "critical", instance: `db-${i + 1}:9100`, job: "node" },
      annotations: {
        summary: `Disk /data on db-${i + 1} is 93% full`,
        runbook_url: "https://runbooks.example/disk",
      },
      startsAt: "2026-11-25T03:00:00Z",
      endsAt: status === "resolved" ? "2026-11-25T03:23:00Z" : "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph?g0.expr=disk",
      fingerprint: `${fingerprint}${i.toString(16).padStart(4, "0")}`,
    })),
  };
}

/** A fresh alert name per test, so each test has its own group. */
const uniqueName = () => `HostDiskFull${++seq}`;
/** The message posted for the group named `name` (other tests' late thread lines may come first). */
async function postFor(name: string): Promise<SlackCall> {
  let found: SlackCall | undefined;
  await until(`the message for ${name}`, () => {
    found = postsTo("C0ALERTS").find(
      (c) => !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(name),
    );
    return found !== undefined;
  });
  return found as SlackCall;
}

interface SentBlock {
  type: string;
  elements?: { type: string; text?: { text: string }; action_id?: string; value?: string }[];
}

/** The button labelled `label` on a posted message, as Slack sends it back when pressed. */
function buttonOf(call: SlackCall | undefined, label: string): { actionId: string; value: string } {
  for (const block of (call?.args.blocks ?? []) as SentBlock[])
    for (const e of block.elements ?? [])
      if (e.type === "button" && e.text?.text === label && e.action_id && e.value)
        return { actionId: e.action_id, value: e.value };
  throw new Error(`no button "${label}" on the message`);
}

/** The group a message is about: the id its "Show details" button carries (as data, not read from text). */
function groupIdIn(call: SlackCall | undefined): string {
  const action = decodeAction(buttonOf(call, "Show details").value);
  return action && "id" in action ? action.id : "";
}

/** Presses a button of a posted message, as Slack posts the interaction (signed). */
async function press(call: SlackCall, label: string, user = "U0ANA"): Promise<Response | { status: number }> {
  const { actionId, value } = buttonOf(call, label);
  return postSigned(
    `${app.url}/slack/events`,
    sign(
      blockAction(actionId, value, {
        channel: String(call.args.channel),
        messageTs: String(call.response?.ts),
        user,
      }),
      FORM,
    ),
  );
}

/** Slack's rich_text mention of a user, as the message's blocks carry it. */
const mentionOf = (user: string) => `{"type":"user","user_id":"${user}"}`;

async function send(url: string, body: unknown, token = TOKEN): Promise<Response> {
  return fetch(`${url}/api/v1/alertmanager`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

const fp = () => `a1b2${(++seq).toString(16).padStart(8, "0")}`;
const postsTo = (channel: string) =>
  slack.callsOf("chat.postMessage").filter((c) => c.args.channel === channel);

beforeAll(async () => {
  slack = await startFakeSlack();
  app = await startTestApp(env(slack.apiUrl));
});
afterAll(async () => {
  await app?.close();
  await slack?.close();
});
beforeEach(() => slack.reset());

describe("Alertmanager → Slack", () => {
  it("posts one message for a group of 3 alerts, nothing for a repeat, and updates it in place on resolve", async () => {
    const id = fp();
    const name = uniqueName();
    const res = await send(app.url, webhook("firing", id, { name, hosts: 3 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: 3, new: 3 });
    await slack.waitFor("chat.postMessage");
    const posts = postsTo("C0ALERTS");
    expect(posts).toHaveLength(1);
    const blocks = JSON.stringify(posts[0]?.args.blocks);
    expect(blocks).toContain(`🔴 ${name} · 3 firing`);
    expect(blocks).toContain("FIRING since 2026-11-25 03:00 UTC");
    for (const host of ["db-1:9100", "db-2:9100", "db-3:9100"]) expect(blocks).toContain(host);
    expect(blocks).toContain("https://runbooks.example/disk");
    expect(blocks).toContain("https://grafana.example/d/system-overview?viewPanel=4");
    for (const label of ["Acknowledge", "Silence 1h", "Silence 4h", "Silence 24h", "Show details"])
      expect(blocks).toContain(label);
    // Alertmanager resends firing alerts every group interval.
    expect(await (await send(app.url, webhook("firing", id, { name, hosts: 3 }))).json()).toMatchObject({
      unchanged: 3,
    });
    await outboxDrained(app);
    expect(postsTo("C0ALERTS")).toHaveLength(1);
    // The resolved payload changes that same message and says so in its thread.
    await send(app.url, webhook("resolved", id, { name, hosts: 3 }));
    const [update] = await slack.waitFor("chat.update");
    expect(update?.args.ts).toBe(posts[0]?.response?.ts);
    expect(JSON.stringify(update?.args.blocks)).toContain(`✅ ${name} · 3 resolved`);
    expect(JSON.stringify(update?.args.blocks)).toContain("RESOLVED after 23 min");
    const thread = (await slack.waitFor("chat.postMessage", 2)).find((c) => c.args.thread_ts);
    expect(thread?.args.thread_ts).toBe(update?.args.ts);
    expect(String(thread?.args.text)).toContain("db-1:9100 resolved at 03:23 UTC");
    expect(String(thread?.args.text)).toContain("db-3:9100 resolved at 03:23 UTC");
    await outboxDrained(app);
    expect(slack.callsOf("chat.update")).toHaveLength(1);
  });

  it("acknowledges from the button: message updated for everyone, thread line, state and audit in Redis", async () => {
    const name = uniqueName();
    await send(app.url, webhook("firing", fp(), { name }));
    const post = await postFor(name);
    const group = groupIdIn(post);
    const res = await press(post, "Acknowledge");
    expect(res.status).toBe(200);
    const [update] = await slack.waitFor("chat.update");
    expect(update?.args.ts).toBe(post?.response?.ts);
    const blocks = JSON.stringify(update?.args.blocks);
    expect(blocks).toContain(`"ACKNOWLEDGED by "},${mentionOf("U0ANA")},{"type":"text","text":" at `);
    expect(blocks).not.toContain('"Acknowledge"');
    expect(String(update?.args.text)).toContain("ACKNOWLEDGED by @Ana at ");
    const thread = (await slack.waitFor("chat.postMessage", 2)).find((c) => c.args.thread_ts);
    expect(String(thread?.args.text)).toContain("👀 Acknowledged by @Ana");
    expect(JSON.stringify(thread?.args.blocks)).toContain(`"👀 Acknowledged by "},${mentionOf("U0ANA")}`);
    // The person who pressed hears nothing more: the message shows it for everyone.
    expect(slack.callsOf("chat.postEphemeral")).toEqual([]);
    const redis = new Redis(inject("redisUrl"));
    try {
      expect(
        JSON.parse((await redis.hget(`${app.redisPrefix}:alerts:group:${group}`, "ack")) ?? "{}"),
      ).toMatchObject({
        by: { platform: "slack", id: "U0ANA", name: "Ana" },
      });
      const audit = await redis.xrevrange(`${app.redisPrefix}:audit`, "+", "-", "COUNT", 1);
      expect(audit[0]?.[1]).toEqual(
        expect.arrayContaining(["action", "ack", "subject", group, "actor", "Ana (slack:U0ANA)"]),
      );
    } finally {
      redis.disconnect();
    }
  });

  it("silences from the button: the message stays current, but nothing is posted until the silence ends", async () => {
    const name = uniqueName();
    const id = fp();
    await send(app.url, webhook("firing", id, { name }));
    const post = await postFor(name);
    const group = groupIdIn(post);
    await press(post, "Silence 1h");
    const [update] = await slack.waitFor("chat.update");
    expect(JSON.stringify(update?.args.blocks)).toContain("🔕 SILENCED until");
    expect(JSON.stringify(update?.args.blocks)).toContain("Unsilence");
    await slack.waitFor("chat.postMessage", 2); // the thread line
    const redis = new Redis(inject("redisUrl"));
    try {
      const silence = JSON.parse(
        (await redis.hget(`${app.redisPrefix}:alerts:group:${group}`, "silence")) ?? "{}",
      );
      expect(silence.by).toEqual({ platform: "slack", id: "U0ANA", name: "Ana" });
      const [entry] = await redis.xrevrange(`${app.redisPrefix}:audit`, "+", "-", "COUNT", 1);
      const fields = entry?.[1] ?? [];
      expect(fields).toEqual(expect.arrayContaining(["action", "silence", "subject", group]));
      // One hour from when it was set (the app's clock).
      expect(silence.until - Number(fields[fields.indexOf("at") + 1])).toBe(3_600_000);
    } finally {
      redis.disconnect();
    }
    slack.reset();
    // The alert resolves and fires again while silenced: the message is edited in place (an edit
    // notifies nobody), and not a word is posted, neither a message nor a thread line.
    await send(app.url, webhook("resolved", id, { name }));
    const resolvedEdit = (await slack.waitFor("chat.update")).at(-1);
    expect(resolvedEdit?.args.ts).toBe(post.response?.ts);
    expect(JSON.stringify(resolvedEdit?.args.blocks)).toContain("RESOLVED after");
    await send(app.url, webhook("firing", id, { name }));
    const firingEdit = (await slack.waitFor("chat.update", 2)).at(-1);
    expect(JSON.stringify(firingEdit?.args.blocks)).toContain("🔕 SILENCED until");
    await outboxDrained(app);
    expect(slack.calls.filter((c) => c.method.startsWith("chat.") && c.method !== "chat.update")).toEqual([]);
    // The silence ends (lifted from chat here): the message is brought up to date.
    const lift = await postSigned(
      `${app.url}/slack/events`,
      sign(slashCommand(`unsilence ${group}`, { channel: "C0ALERTS", responseUrl: slack.responseUrl }), FORM),
    );
    expect(lift.status).toBe(200);
    // The third edit since the silence: resolved, firing again, lifted.
    const after = (await slack.waitFor("chat.update", 3)).at(-1);
    expect(JSON.stringify(after?.args.blocks)).not.toContain("SILENCED until");
    expect(JSON.stringify(after?.args.blocks)).toContain("Silence 1h");
    const line = (await slack.waitFor("chat.postMessage")).find((c) => c.args.thread_ts);
    expect(String(line?.args.text)).toContain("🔔 Silence lifted by @Ana");
    expect(JSON.stringify(line?.args.blocks)).toContain(mentionOf("U0ANA"));
  });

  it("lists, acknowledges and audits from /cloudops, and refuses people not on ALERT_ACTORS", async () => {
    const name = uniqueName();
    await send(app.url, webhook("firing", fp(), { name }));
    const post = await postFor(name);
    const group = groupIdIn(post);
    const command = async (text: string, user = "U0ANA") => {
      const before = slack.callsOf("response_url").length;
      await postSigned(
        `${app.url}/slack/events`,
        sign(slashCommand(text, { user, channel: "C0ALERTS", responseUrl: slack.responseUrl }), FORM),
      );
      const [reply] = (await slack.waitFor("response_url", before + 1)).slice(before);
      return JSON.stringify(reply?.args);
    };
    const list = await command("alerts");
    expect(list).toContain(
      `{"type":"text","text":"${group}","style":{"code":true}},{"type":"text","text":" ${name} db-1:9100`,
    );
    expect(await command(`ack ${group}`, "U0EVE")).toContain("not on the list of people allowed");
    expect(await command(`silence ${group} forever`)).toContain("not a duration");
    const acked = await command(`ack ${group}`, "U0BEN");
    expect(acked).toContain(`acknowledged by "},${mentionOf("U0BEN")}`);
    await slack.waitFor("chat.update");
    const audit = await command("audit");
    expect(audit).toContain(`Ben (slack:U0BEN) ack ${group}`);
    // The refused attempt is audited too, under who tried.
    expect(audit).toContain(`Eve (slack:U0EVE) denied alert.ack (${group})`);
  });

  it("refuses a button pressed by someone not on ALERT_ACTORS, privately, and changes nothing", async () => {
    const name = uniqueName();
    await send(app.url, webhook("firing", fp(), { name }));
    const post = await postFor(name);
    await press(post, "Acknowledge", "U0EVE");
    const [refusal] = await slack.waitFor("chat.postEphemeral");
    expect(refusal?.args.user).toBe("U0EVE");
    expect(JSON.stringify(refusal?.args.blocks)).toContain("ALERT_ACTORS");
    await outboxDrained(app);
    expect(slack.callsOf("chat.update")).toEqual([]);
  });

  it("an alert's text from outside reaches Slack as text: no @channel, no disguised link", async () => {
    const name = uniqueName();
    const hostile = webhook("firing", fp(), { name });
    for (const a of hostile.alerts)
      a.annotations.summary = "<!channel> ping <https://evil.example|click to ack> <@U0BOSS>";
    await send(app.url, hostile);
    const post = await postFor(name);
    const blocks = JSON.stringify(post.args.blocks);
    // Inside a rich_text text element, shown literally.
    expect(blocks).toMatch(
      /\{"type":"text","text":"[^"]*<!channel> ping <https:\/\/evil\.example\|click to ack> <@U0BOSS>/,
    );
    expect(blocks).not.toContain('"mrkdwn"');
    expect(blocks).not.toContain('"type":"link"');
    expect(blocks).not.toContain('"type":"broadcast"');
    expect(String(post.args.text)).toContain(
      "&lt;!channel&gt; ping &lt;https://evil.example|click to ack&gt;",
    );
    expect(String(post.args.text)).not.toMatch(/[<>]/);
  });

  it("shows the details of every alert of the group only to who asked", async () => {
    const name = uniqueName();
    await send(app.url, webhook("firing", fp(), { name, hosts: 2 }));
    const post = await postFor(name);
    await press(post, "Show details");
    const [details] = await slack.waitFor("chat.postEphemeral");
    expect(details?.args.user).toBe("U0ANA");
    expect(JSON.stringify(details?.args.blocks)).toContain("summary: Disk /data on db-2 is 93% full");
  });

  it("retries when Slack fails and delivers once", async () => {
    slack.failNext("chat.postMessage", { status: 500 }, { status: 500 });
    await send(app.url, webhook("firing", fp(), { name: uniqueName() }));
    await until("a delivered post", () => postsTo("C0ALERTS").length >= 3);
    await outboxDrained(app);
    // Two failed attempts and one success; the message exists once.
    expect(postsTo("C0ALERTS")).toHaveLength(3);
    // What an operator watches: alerts in, deliveries by outcome, and the outbox drained.
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/cloudops_alerts_received_total\{source="alertmanager",change="new"\} \d+/);
    expect(
      Number(/cloudops_alert_deliveries_total\{platform="slack",outcome="failed"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/cloudops_alert_deliveries_total\{platform="slack",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/cloudops_alert_outbox_length 0/);
  });

  it("never posts twice when Slack kept a message whose answer was lost: it finds it and updates it", async () => {
    const name = uniqueName();
    const id = fp();
    slack.failNext("chat.postMessage", { status: 500, kept: true });
    await send(app.url, webhook("firing", id, { name }));
    const [history] = await slack.waitFor("conversations.history");
    expect(String(history?.args.include_all_metadata)).toBe("true");
    // The found message is brought up to date in place, and later changes go to it.
    await slack.waitFor("chat.update");
    await send(app.url, webhook("resolved", id, { name }));
    await slack.waitFor("chat.update", 2);
    await outboxDrained(app);
    expect(postsTo("C0ALERTS").filter((c) => !c.args.thread_ts)).toHaveLength(1);
  });

  it("waits as long as a 429's Retry-After says before posting again", async () => {
    slack.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    await send(app.url, webhook("firing", fp(), { name: uniqueName() }));
    await until("the retried post", () => postsTo("C0ALERTS").length >= 2);
    const [limited, posted] = postsTo("C0ALERTS");
    expect((posted?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    // A 429 is certain not to have posted: no search of the channel before the retry.
    expect(slack.callsOf("conversations.history")).toEqual([]);
  });

  // Bounded generously: this asserts that all are delivered (and in passes right after each other,
  // below), not how fast a loaded machine does it; speed is measured in bench/.
  it("delivers more groups than one pass over the outbox without waiting for the next interval", {
    timeout: 180_000,
  }, async () => {
    const alerts = Array.from(
      { length: 150 },
      () => webhook("firing", fp(), { name: uniqueName() }).alerts[0],
    );
    const burst = { ...webhook("firing", fp()), alerts };
    expect(await (await send(app.url, burst)).json()).toMatchObject({ received: 150, new: 150 });
    await until("150 posts", () => postsTo("C0ALERTS").length >= 150, 150_000);
    // The second pass followed the first at once: had it waited for the safety-net interval (15 s),
    // the 101st post would come at least that long after the 100th.
    const at = postsTo("C0ALERTS").map((c) => c.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    expect(Math.max(...gaps)).toBeLessThan(15_000);
  });

  it("keeps a resolved group for a week, a firing one while Alertmanager re-sends it", async () => {
    const id = fp();
    const name = uniqueName();
    await send(app.url, webhook("firing", id, { name }));
    const group = groupIdIn(await postFor(name));
    const redis = new Redis(inject("redisUrl"));
    try {
      const alertKey = `${app.redisPrefix}:alerts:alert:${id}0000`;
      const groupKey = `${app.redisPrefix}:alerts:group:${group}`;
      await until("the message ref", async () => (await redis.exists(`${groupKey}:message`)) === 1);
      // Firing: the alert expires 12 h (ALERT_FIRING_TTL) after its last send, its group later still.
      const alertTtl = await redis.pttl(alertKey);
      expect(alertTtl).toBeGreaterThan(11 * 3_600_000);
      expect(alertTtl).toBeLessThanOrEqual(12 * 3_600_000);
      expect(await redis.pttl(groupKey)).toBeGreaterThan(7 * 86_400_000);
      await send(app.url, webhook("resolved", id, { name }));
      await slack.waitFor("chat.update");
      await slack.waitFor("chat.postMessage", 2); // the thread line
      for (const key of [alertKey, groupKey, `${groupKey}:message`]) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(6 * 86_400_000);
        expect(ttl).toBeLessThanOrEqual(7 * 86_400_000);
      }
    } finally {
      redis.disconnect();
    }
  });

  it("refuses a wrong token and a malformed body, storing nothing", async () => {
    expect((await send(app.url, webhook("firing", fp()), "wrong")).status).toBe(401);
    const bad = await send(app.url, { version: "4", alerts: "nope" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /Alertmanager version 4/,
    );
    // More alerts than ALERT_MAX_PER_REQUEST (1,000): 413, with the variable named.
    const tooMany = await send(app.url, webhook("firing", fp(), { hosts: 1001 }));
    expect(tooMany.status).toBe(413);
    expect(((await tooMany.json()) as { error: { message: string } }).error.message).toMatch(
      /ALERT_MAX_PER_REQUEST/,
    );
    await outboxDrained(app);
    expect(slack.callsOf("chat.postMessage")).toHaveLength(0);
  });

  it("is documented in /openapi.json from the schema that validates it", async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        { post?: { requestBody?: { content: Record<string, { schema: { properties?: object } }> } } }
      >;
    };
    const body = doc.paths["/api/v1/alertmanager"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(body?.properties ?? {})).toEqual(
      expect.arrayContaining(["version", "groupKey", "status", "alerts", "externalURL"]),
    );
  });

  it("delivers after a restart an alert that was stored while Slack was down", async () => {
    const down = await startFakeSlack();
    down.chaos(1, (m) => m === "chat.postMessage");
    const first = await startTestApp(env(down.apiUrl));
    const name = uniqueName();
    expect((await send(first.url, webhook("firing", fp(), { name }))).status).toBe(200);
    await first.close({ keepKeys: true });
    await down.close();
    // A new process on the same Redis (same key prefix) delivers what was left in the outbox.
    const second = await startTestApp({ ...env(slack.apiUrl) }, first.redisPrefix);
    try {
      const posted = () => postsTo("C0ALERTS").filter((c) => JSON.stringify(c.args.blocks).includes(name));
      await until("the delivery after restart", () => posted().length > 0);
      await outboxDrained(second);
      expect(posted()).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});
