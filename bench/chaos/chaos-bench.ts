/**
 * `npm run bench -- chaos`: Slack down for 5 minutes (BENCH_CHAOS_OUTAGE_S) while 200 alerts
 * (BENCH_CHAOS_ALERTS) arrive at the built bot, every post answered 500 and a quarter of those after
 * keeping the message; then Slack recovers. Counts alerts lost, posted twice and out of order after
 * recovery, and how long the outbox took to drain. Uses the Redis on REDIS_URL (default
 * 127.0.0.1:6379) under a prefix of its own, removed afterwards.
 */
import { Redis } from "ioredis";
import { slackOutage } from "../../test/chaos/slack-outage.js";
import { startFakeSlack } from "../../test/fakes/fake-slack.js";
import { deleteKeys } from "../../test/support/redis-keys.js";
import { SIGNING_SECRET } from "../../test/support/slack-requests.js";
import { type BotProcess, startBot } from "../bot-process.js";

const OUTAGE_S = Number(process.env.BENCH_CHAOS_OUTAGE_S ?? 300);
const ALERTS = Number(process.env.BENCH_CHAOS_ALERTS ?? 200);
const TOKEN = "bench-chaos-token";
const CHANNEL = "C0CHAOS";

export async function chaosBench(): Promise<string> {
  const slack = await startFakeSlack();
  const prefix = `bench-chaos-${process.pid}-${Date.now()}`;
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  let bot: BotProcess | undefined;
  try {
    bot = await startBot({
      SLACK_BOT_TOKEN: "xoxb-0000000000-chaos",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_ALERT_CHANNEL: CHANNEL,
      ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
      ALERT_POSTS_PER_MINUTE: "1000",
      REDIS_PREFIX: prefix,
      ANOMALY_ENABLED: "false",
    });
    const r = await slackOutage({
      slack,
      botUrl: bot.url,
      token: TOKEN,
      channel: CHANNEL,
      outboxLength: () => redis.llen(`${prefix}:alerts:outbox`),
      alerts: ALERTS,
      outageMs: OUTAGE_S * 1000,
      keptShare: 0.25,
      drainTimeoutMs: 180_000,
    });
    return [
      "| Scenario | Alerts | Posts refused (kept) | Lost | Duplicated | Out of order after recovery | Drained after recovery |",
      "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
      `| Slack 500 for ${(r.outageMs / 1000).toFixed(0)} s | ${r.alerts} | ${r.refused} (${r.kept}) | ${r.lost} | ${r.duplicated} | ${r.outOfOrder} | ${r.drained ? `${(r.drainMs / 1000).toFixed(1)} s` : `not within ${(r.drainMs / 1000).toFixed(0)} s`} |`,
    ].join("\n");
  } finally {
    await bot?.stop();
    await slack.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
}
