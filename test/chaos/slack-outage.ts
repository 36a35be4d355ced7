/**
 * Slack down for a while, then back: every chat.postMessage answers 500 (some after keeping the
 * message, as a timeout looks to the client) while a burst of Alertmanager alerts arrives; then Slack
 * recovers. Counts what reached the channel: alerts lost, posted twice, out of the order they were
 * sent, and how long the outbox took to drain once Slack was back. Shared by the chaos test (a short
 * outage) and `npm run bench -- chaos` (a long one).
 */
import type { FakeSlack } from "../fakes/fake-slack.js";
import { alertmanagerWebhook, postAlertmanager } from "../support/alertmanager.js";

export interface SlackOutageOptions {
  slack: FakeSlack;
  botUrl: string;
  /** ALERTMANAGER_WEBHOOK_TOKEN of the bot. */
  token: string;
  /** The channel the bot posts alerts to. */
  channel: string;
  /** Length of the bot's alert outbox. */
  outboxLength: () => Promise<number>;
  alerts: number;
  outageMs: number;
  /** Share of the 500s after which Slack kept the message all the same. */
  keptShare?: number;
  /** How long to wait for the drain after Slack is back. */
  drainTimeoutMs?: number;
}

export interface SlackOutageResult {
  alerts: number;
  /** Alerts with at least one message in the channel. */
  posted: number;
  lost: number;
  duplicated: number;
  /** Alerts posted after recovery before one sent earlier (messages kept during the outage aside). */
  outOfOrder: number;
  /** chat.postMessage calls refused during the outage. */
  refused: number;
  /** Of those, the ones Slack kept (answered 500 after posting). */
  kept: number;
  outageMs: number;
  /** Whether every alert was posted and the outbox emptied within the drain timeout. */
  drained: boolean;
  /** From Slack's recovery to the outbox being empty with every alert posted (or the timeout). */
  drainMs: number;
}

const PER_WEBHOOK = 10;

const nameOf = (i: number) => `SlackOutage${String(i).padStart(4, "0")}`;

function webhook(first: number, count: number) {
  return alertmanagerWebhook(
    Array.from({ length: count }, (_, k) => {
      const i = first + k;
      return {
        labels: { alertname: nameOf(i), instance: `host-${i}:9100`, severity: "warning" },
        annotations: { summary: `outage alert ${i}` },
        startsAt: new Date().toISOString(),
        fingerprint: `d0${i.toString(16).padStart(14, "0")}`,
      };
    }),
    { groupKey: `{}:{outage="${first}"}`, commonLabels: { severity: "warning" } },
  );
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function slackOutage(o: SlackOutageOptions): Promise<SlackOutageResult> {
  const { slack } = o;
  const isPost = (m: string) => m === "chat.postMessage";
  slack.chaos(1, isPost, o.keptShare ?? 0);
  const down = Date.now();
  for (let first = 0; first < o.alerts; first += PER_WEBHOOK) {
    const res = await postAlertmanager(o.botUrl, webhook(first, Math.min(PER_WEBHOOK, o.alerts - first)), {
      headers: { authorization: `Bearer ${o.token}` },
    });
    if (!res.ok) throw new Error(`webhook refused with ${res.status}: ${await res.text()}`);
  }
  // The outage lasts its length, whatever the bot does meanwhile.
  await waitFor("the end of the outage", () => Date.now() - down >= o.outageMs, o.outageMs + 1000);
  // Slack comes back between two of the bot's passes over its outbox (by then they are seconds apart):
  // a pass that straddled the recovery would post its later groups before the earlier ones it had
  // just failed, which says when Slack came back, not how the bot keeps order.
  const lastPost = () => slack.callsOf("chat.postMessage").at(-1)?.at ?? 0;
  await waitFor("a pause between passes", () => Date.now() - lastPost() >= 300, 60_000);
  slack.chaos(0);
  const up = Date.now();
  const outageCalls = slack.calls.filter(
    (c) => isPost(c.method) && c.at < up && c.args.channel === o.channel,
  );
  const refused = outageCalls.filter((c) => c.response?.ok !== true).length;
  const kept = outageCalls.filter((c) => c.kept).length;

  /** Each alert's messages in the channel (accepted, or kept behind a 500): how many, and the first's time. */
  const appearances = () => {
    const seen = new Map<number, { count: number; firstAt: number }>();
    for (const c of slack.callsOf("chat.postMessage")) {
      if (c.args.channel !== o.channel || c.args.thread_ts) continue;
      if (c.response?.ok !== true && !c.kept) continue;
      const m = /SlackOutage(\d{4})/.exec(JSON.stringify(c.args.blocks));
      if (!m) continue;
      const i = Number(m[1]);
      const s = seen.get(i) ?? { count: 0, firstAt: c.at };
      seen.set(i, { ...s, count: s.count + 1 });
    }
    return seen;
  };
  // Not drained in time: what did arrive is counted all the same (the lost show as lost).
  const drained = await waitFor(
    "every alert posted and the outbox drained",
    async () => appearances().size === o.alerts && (await o.outboxLength()) === 0,
    o.drainTimeoutMs ?? 120_000,
  ).then(
    () => true,
    () => false,
  );
  const drainMs = Date.now() - up;
  const counts = appearances();
  // Order is the bot's to keep once Slack is back (a message Slack kept during the outage is in the
  // channel from then on, wherever it falls): what was posted after recovery, in the order sent.
  const order = [...counts]
    .filter(([, a]) => a.firstAt >= up)
    .sort((x, y) => x[1].firstAt - y[1].firstAt)
    .map(([i]) => i);
  let outOfOrder = 0;
  let highest = -1;
  for (const i of order) {
    if (i < highest) outOfOrder++;
    highest = Math.max(highest, i);
  }
  return {
    alerts: o.alerts,
    posted: counts.size,
    lost: o.alerts - counts.size,
    duplicated: [...counts.values()].filter((a) => a.count > 1).length,
    outOfOrder,
    refused,
    kept,
    outageMs: up - down,
    drained,
    drainMs,
  };
}
