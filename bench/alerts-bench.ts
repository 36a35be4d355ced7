/**
 * Alert delivery under failure: 3 bot processes (the built bot) on one Redis, 1,000 alerts sent as
 * Alertmanager webhooks spread over them, a fake Slack answering 429 or 500 to 10% of calls at random
 * (half of those 500s after keeping the message, as a timeout looks to the client), and one process
 * killed (SIGKILL) once 40% of the alerts are posted. A webhook refused by the dead process is sent to another,
 * as Alertmanager retries. Counts how many times each alert's message was posted (must be once each)
 * and the latency from sending the webhook to Slack accepting the message.
 */
import { Redis } from "ioredis";
import { startFakeSlack } from "../test/fakes/fake-slack.js";
import { SIGNING_SECRET } from "../test/support/slack-requests.js";
import { type BotProcess, startBot } from "./bot-process.js";
import { percentile } from "./load.js";

const ALERTS = Number(process.env.BENCH_ALERTS ?? 1000);
const PER_WEBHOOK = 10;
const FAULT_RATE = 0.1;
const DEADLINE_MS = 240_000;

function webhook(first: number, count: number) {
  const alerts = Array.from({ length: count }, (_, i) => {
    const n = String(first + i).padStart(4, "0");
    return {
      status: "firing",
      labels: { alertname: `BenchAlert${n}`, instance: `host-${n}:9100`, severity: "warning" },
      annotations: { summary: `bench alert ${n}` },
      startsAt: new Date().toISOString(),
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph",
      fingerprint: `be${(first + i).toString(16).padStart(8, "0")}`,
    };
  });
  return {
    version: "4",
    groupKey: `{}:{bench="${first}"}`,
    status: "firing",
    receiver: "cloudops",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts,
  };
}

export async function alertsBench(): Promise<string> {
  const slack = await startFakeSlack();
  // Half the 500s come after Slack kept the message (as a timeout looks): the hard case for "once".
  slack.chaos(FAULT_RATE, undefined, 0.5);
  const prefix = `bench-alerts-${process.pid}-${Date.now()}`;
  const env = {
    SLACK_BOT_TOKEN: "xoxb-0000000000-bench",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ALERT_CHANNEL: "C0BENCH",
    REDIS_PREFIX: prefix,
    ANOMALY_ENABLED: "false",
  };
  const bots: BotProcess[] = [];
  for (let i = 0; i < 3; i++) bots.push(await startBot(env));
  const sentAt = new Map<string, number>();
  let resent = 0;
  const started = Date.now();
  const send = async (first: number, count: number, turn: number): Promise<void> => {
    const body = JSON.stringify(webhook(first, count));
    for (let attempt = 0; attempt < 6; attempt++) {
      // Senders do not know the process died: its refusals are what makes them go elsewhere.
      const i = (turn + attempt) % bots.length;
      const t = Date.now();
      try {
        const res = await fetch(`${bots[i]?.url}/api/v1/alertmanager`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        if (res.ok) {
          for (let k = 0; k < count; k++) {
            const name = `BenchAlert${String(first + k).padStart(4, "0")}`;
            if (!sentAt.has(name)) sentAt.set(name, t);
          }
          return;
        }
      } catch {
        // connection refused by the killed process: Alertmanager would retry; so do we, elsewhere
      }
      resent++;
    }
    throw new Error(`webhook ${first} was refused by every process`);
  };
  const posts = () => {
    const byName = new Map<string, number[]>();
    for (const c of slack.calls) {
      if (c.method !== "chat.postMessage" || c.args.thread_ts || (c.response?.ok !== true && !c.kept))
        continue;
      const name = /BenchAlert\d{4}/.exec(JSON.stringify(c.args.blocks))?.[0];
      if (name) byName.set(name, [...(byName.get(name) ?? []), c.at]);
    }
    return byName;
  };
  // Five senders; the third process dies once 40% of the alerts are posted.
  let next = 0;
  let killedAt = 0;
  const killer = (async () => {
    while (!killedAt && Date.now() - started < DEADLINE_MS) {
      if (posts().size >= ALERTS * 0.4) {
        killedAt = Date.now();
        await bots[2]?.kill();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const workers = Array.from({ length: 5 }, async (_, w) => {
    for (;;) {
      const first = next;
      next += PER_WEBHOOK;
      if (first >= ALERTS) return;
      await send(first, Math.min(PER_WEBHOOK, ALERTS - first), first / PER_WEBHOOK + w);
      // Paced (about 400 alerts/s) so the kill lands while webhooks are still arriving.
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  await Promise.all(workers);
  const sentSeconds = (Date.now() - started) / 1000;
  // Messages Slack kept without answering count as posted too: what the channel holds is the truth.
  const deadline = Date.now() + DEADLINE_MS;
  while (posts().size < ALERTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  const allPostedSeconds = (Date.now() - started) / 1000;
  await killer;
  await new Promise((r) => setTimeout(r, 5000)); // late duplicates would show up here
  const byName = posts();
  const latencies: number[] = [];
  let once = 0;
  let twice = 0;
  for (const [name, times] of byName) {
    if (times.length === 1) once++;
    else twice++;
    const t0 = sentAt.get(name);
    if (t0 !== undefined) latencies.push(Math.min(...times) - t0);
  }
  latencies.sort((a, b) => a - b);
  const faults = slack.calls.filter((c) => c.response === undefined || c.response.ok !== true).length;
  const kept = slack.calls.filter((c) => c.kept).length;
  const searches = slack.calls.filter((c) => c.method === "conversations.history").length;
  await bots[0]?.stop();
  await bots[1]?.stop();
  await slack.close();
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  let cursor = "0";
  do {
    const [c, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = c;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  return [
    "| alerts | posted once | posted twice | never posted | p50 latency | p99 latency | max | all posted after |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${ALERTS} | ${once} | ${twice} | ${ALERTS - byName.size} | ${percentile(latencies, 50)} ms | ${percentile(latencies, 99)} ms | ${latencies.at(-1)} ms | ${allPostedSeconds.toFixed(1)} s |`,
    "",
    `Webhooks of ${PER_WEBHOOK} alerts, 5 in flight, sent in ${sentSeconds.toFixed(1)} s; process 3 of 3 killed (SIGKILL) after ${((killedAt - started) / 1000).toFixed(1)} s; ${resent} webhook(s) re-sent to another process. Fake Slack answered 429 (Retry-After: 0) or 500 to ${faults} of ${slack.calls.length} calls (${((faults / Math.max(1, slack.calls.length)) * 100).toFixed(1)}%), ${kept} of them 500s after the message was posted; ${searches} channel searches for interrupted posts. Latency: webhook sent → Slack accepted the alert's message.`,
  ].join("\n");
}
