/**
 * The bot on a real 3-master Redis Cluster (REDIS_CLUSTER_NODES), started by the test: an
 * Alertmanager alert is posted once to Slack, its first look runs as a BullMQ job, an
 * acknowledgement is stored and read back by an app rebuilt on the same cluster, the alert history
 * (a SCAN) finds the alert, and every key of ours sits in the one slot of the `{prefix}` hash tag.
 */
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { redisKeyPrefix } from "../../src/config/config.js";
import { AlertGroupResponse } from "../../src/http/api-schemas.js";
import { keySlot } from "../../src/redis/connect.js";
import { decodeAction } from "../../src/reply/action.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { alertmanagerAccepts, alertmanagerWebhook } from "../support/alertmanager.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { cli, type RedisCluster, startRedisCluster } from "../support/redis-topology.js";
import { blockAction, FORM, postSigned, SIGNING_SECRET, sign } from "../support/slack-requests.js";
import { until } from "../support/until.js";

const fixtureEnd = Date.parse(inject("fixtureEnd"));

function webhook(name: string, fingerprint: string) {
  return alertmanagerWebhook(
    [
      {
        labels: { alertname: name, severity: "critical", instance: "db-1:9100", job: "node" },
        annotations: { summary: `${name} on db-1` },
        startsAt: new Date(fixtureEnd - 600_000).toISOString(),
        generatorURL: "http://prometheus:9090/graph?g0.expr=up",
        fingerprint,
      },
    ],
    {
      groupKey: `{}:{alertname="${name}"}`,
      groupLabels: { alertname: name },
      commonLabels: { alertname: name, severity: "critical", job: "node" },
    },
  );
}

function button(call: SlackCall, label: string): { actionId: string; value: string } {
  for (const block of (call.args.blocks ?? []) as {
    elements?: { type: string; text?: { text: string }; action_id?: string; value?: string }[];
  }[])
    for (const e of block.elements ?? [])
      if (e.type === "button" && e.text?.text === label && e.action_id && e.value)
        return { actionId: e.action_id, value: e.value };
  throw new Error(`no button "${label}" on the message`);
}

describe("Redis Cluster (3 masters)", () => {
  let cluster: RedisCluster;
  let slack: FakeSlack;
  let client: Cluster;
  const apps: TestApp[] = [];
  const env = () => ({
    REDIS_CLUSTER_NODES: cluster.nodes,
    SLACK_BOT_TOKEN: "xoxb-1-cluster",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ALERT_CHANNEL: "C0ALERTS",
    ALERTMANAGER_WEBHOOK_OPEN: "true",
    ALERT_POSTS_PER_MINUTE: "1000",
    ALERT_ACTORS: "U0ANA",
    ALERT_FIRST_LOOK: "true",
  });

  beforeAll(async () => {
    cluster = await startRedisCluster();
    slack = await startFakeSlack();
    client = new Cluster(
      cluster.nodes.split(",").map((n) => ({ host: "127.0.0.1", port: Number(n.split(":")[1]) })),
    );
  });
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close({ keepKeys: true }).catch(() => {});
    client?.disconnect();
    await slack?.close();
    // The nodes are throwaway processes: killing them and removing their folders removes every key.
    await cluster?.stop();
  });

  const alertPosts = (name: string) =>
    slack
      .callsOf("chat.postMessage")
      .filter(
        (c) =>
          c.args.channel === "C0ALERTS" && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(name),
      );

  it("posts an alert once, runs its first look on BullMQ, keeps its acknowledgement across a rebuilt app", async () => {
    const first = await startTestApp(env());
    apps.push(first);
    const prefix = redisKeyPrefix(first.redisPrefix, { kind: "cluster", nodes: [] });
    expect(prefix).toBe(`{${first.redisPrefix}}`);
    const name = "ClusterDiskFull";
    expect(await alertmanagerAccepts(first.url, webhook(name, "c1a5000000000001"))).toMatchObject({ new: 1 });

    let post: SlackCall | undefined;
    await until("the alert message", () => {
      post = alertPosts(name)[0];
      return post !== undefined;
    });
    const message = post as SlackCall;
    const ts = String(message.response?.ts);
    const details = decodeAction(button(message, "Show details").value);
    const group = details && "id" in details ? details.id : "";
    expect(group).toMatch(/^[0-9a-f]{8}$/);

    // The first look is a BullMQ job on the cluster: its reply lands in the alert's thread.
    await until("the first look in the thread", () =>
      slack
        .callsOf("chat.postMessage")
        .some((c) => c.args.thread_ts === ts && JSON.stringify(c.args.blocks).includes("First look")),
    );
    await until("the outbox to drain", async () => (await client.llen(`${prefix}:alerts:outbox`)) === 0);
    expect(alertPosts(name)).toHaveLength(1);

    // Acknowledged from the button.
    const { actionId, value } = button(message, "Acknowledge");
    const pressed = await postSigned(
      `${first.url}/slack/events`,
      sign(blockAction(actionId, value, { channel: "C0ALERTS", messageTs: ts, user: "U0ANA" }), FORM),
    );
    expect(pressed.status).toBe(200);
    await until("the message updated as acknowledged", () =>
      slack.callsOf("chat.update").some((c) => JSON.stringify(c.args.blocks).includes("ACKNOWLEDGED by")),
    );
    expect(JSON.parse((await client.hget(`${prefix}:alerts:group:${group}`, "ack")) ?? "{}")).toMatchObject({
      by: { platform: "slack", id: "U0ANA" },
    });

    // Every key of ours is in the hash tag's slot, on one node; keySlot agrees with the server.
    const slot = Number(await cli(cluster.ports[0] as number, "cluster", "keyslot", prefix));
    expect(keySlot(first.redisPrefix)).toBe(slot);
    const owner = client.slots[slot]?.[0];
    const counts = await Promise.all(cluster.ports.map(async (p) => Number(await cli(p, "dbsize"))));
    for (const [i, p] of cluster.ports.entries())
      if (`127.0.0.1:${p}` !== owner) expect(counts[i], `keys on node ${p}`).toBe(0);
    const ownerPort = Number(owner?.split(":")[1]);
    const keys = (await cli(ownerPort, "--scan", "--pattern", "*")).split("\n").filter(Boolean);
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.some((k) => k.startsWith(`${prefix}:bull:`))).toBe(true);
    for (const k of keys) expect(k.startsWith(`${prefix}:`), k).toBe(true);

    // The alert history reads alerts with SCAN, which the cluster client sends to the slot's node.
    const from = new Date(fixtureEnd - 86_400_000).toISOString();
    const to = new Date(fixtureEnd + 60_000).toISOString();
    const history = (await (
      await fetch(`${first.url}/api/v1/alerts/history?from=${from}&to=${to}`)
    ).json()) as {
      rows: { alertname: string; acknowledgedBy?: string }[];
    };
    expect(history.rows.filter((r) => r.alertname === name)).toHaveLength(1);

    // A rebuilt app on the same cluster and prefix has the acknowledgement and posts nothing again.
    await first.close({ keepKeys: true });
    apps.pop();
    const second = await startTestApp(env(), first.redisPrefix);
    apps.push(second);
    const res = await fetch(`${second.url}/api/v1/alerts/${group}`);
    expect(res.status).toBe(200);
    const body = AlertGroupResponse.parse(await res.json());
    expect(body.ack?.by).toContain("Ana");
    expect(body.investigation?.request.alertName).toBe(name);
    expect(await alertmanagerAccepts(second.url, webhook(name, "c1a5000000000001"))).toMatchObject({
      unchanged: 1,
    });
    await until("the outbox to drain", async () => (await client.llen(`${prefix}:alerts:outbox`)) === 0);
    expect(alertPosts(name)).toHaveLength(1);
  });
});
