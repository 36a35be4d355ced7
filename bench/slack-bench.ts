/**
 * Signed slash command → chat.postMessage at a fake Slack Web API, through the real Bolt app in the
 * built bot process, against the fixture Prometheus. Latency is from sending the request to the
 * fake receiving the final answer (a chat.postMessage, or the chat.update that replaces a "working…"
 * placeholder), at 1 and 20 concurrent clients.
 */
import { startFakeSlack } from "../test/fakes/fake-slack.js";
import { startFixturePrometheus } from "../test/support/node-fixture.js";
import { SIGNING_SECRET, sign, slashCommand } from "../test/support/slack-requests.js";
import { startBot } from "./bot-process.js";
import { formatRow, runLoad, TABLE_HEADER } from "./load.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ANSWER_TIMEOUT_MS = 10_000;

const QUESTIONS = [
  { name: "/cloudops health", text: "health" },
  { name: "/cloudops cpu on web-2", text: "cpu usage on web-2" },
  { name: "/cloudops top 3 hosts by memory", text: "top 3 hosts by memory" },
];

export async function slackBench(): Promise<string> {
  const prom = await startFixturePrometheus();
  const slack = await startFakeSlack();
  // Each request gets its own channel, so the fake's calls can be matched to the request.
  const pending = new Map<string, (ok: boolean) => void>();
  slack.onCall((call) => {
    const channel = String(call.args.channel ?? "");
    const settle = pending.get(channel);
    if (!settle) return;
    const text = String(call.args.text ?? "");
    if (call.method === "chat.postMessage" && !text.startsWith("⏳")) settle(true);
    else if (call.method === "chat.update") settle(true);
    else if (call.method === "chat.postEphemeral") settle(false);
  });
  let seq = 0;
  const bot = await startBot({
    PROMETHEUS_URL: prom.url,
    SLACK_BOT_TOKEN: "xoxb-0000000000-bench",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
  });
  const once = (text: string) => async (): Promise<boolean> => {
    const channel = `CB${++seq}`;
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ANSWER_TIMEOUT_MS);
      pending.set(channel, (ok) => {
        clearTimeout(timer);
        pending.delete(channel);
        resolve(ok);
      });
    });
    const req = sign(
      slashCommand(text, { channel, responseUrl: slack.responseUrl }),
      "application/x-www-form-urlencoded",
    );
    const res = await fetch(`${bot.url}/slack/events`, {
      method: "POST",
      headers: req.headers,
      body: req.body,
    });
    await res.text();
    if (res.status !== 200) {
      pending.get(channel)?.(false);
      return false;
    }
    return answered;
  };
  const lines = ["", ...TABLE_HEADER];
  try {
    await runLoad(4, 1000, once("health"));
    for (const q of QUESTIONS) {
      for (const c of [1, 20]) lines.push(formatRow(q.name, await runLoad(c, SECONDS * 1000, once(q.text))));
    }
  } finally {
    await bot.stop();
    await slack.close();
    await prom.stop();
  }
  return lines.join("\n");
}
