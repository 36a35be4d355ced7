/**
 * Teams activity → reply: a message activity as Teams sends it, to the built bot's CloudAdapter
 * (emulator mode), answered with an Adaptive Card at a fake Bot Framework connector, against the
 * fixture Prometheus. Latency is from sending the activity to the connector receiving the card, at 1
 * and 20 concurrent clients.
 */
import { startFakeConnector } from "../test/fakes/fake-connector.js";
import { startFixturePrometheus } from "../test/support/node-fixture.js";
import { messageActivity } from "../test/support/teams-activities.js";
import { startBot } from "./bot-process.js";
import { formatRow, runLoad, TABLE_HEADER } from "./load.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ANSWER_TIMEOUT_MS = 10_000;

const QUESTIONS = [
  { name: "Teams: health", text: "what's the current system health?" },
  { name: "Teams: cpu on web-2", text: "cpu usage on web-2" },
  { name: "Teams: top 3 hosts by memory", text: "top 3 hosts by memory" },
];

export async function teamsBench(): Promise<string> {
  const prom = await startFixturePrometheus();
  const connector = await startFakeConnector();
  // Each request is its own conversation, so the connector's calls can be matched to it.
  const pending = new Map<string, () => void>();
  connector.onCall((call) => {
    if (call.method !== "POST" || !Array.isArray(call.body.attachments)) return;
    pending.get(call.conversationId)?.();
  });
  const bot = await startBot({ PROMETHEUS_URL: prom.url, TEAMS_EMULATOR: "true", LOG_LEVEL: "error" });
  let seq = 0;
  const once = (text: string) => async (): Promise<boolean> => {
    const conversationId = `a:bench-${++seq}`;
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ANSWER_TIMEOUT_MS);
      pending.set(conversationId, () => {
        clearTimeout(timer);
        pending.delete(conversationId);
        resolve(true);
      });
    });
    const res = await fetch(`${bot.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(messageActivity(text, { serviceUrl: connector.url, conversationId })),
    });
    await res.text();
    if (res.status !== 200) {
      pending.delete(conversationId);
      return false;
    }
    return answered;
  };
  const lines = ["", ...TABLE_HEADER];
  try {
    await runLoad(4, 1000, once("health"));
    for (const q of QUESTIONS)
      for (const c of [1, 20]) lines.push(formatRow(q.name, await runLoad(c, SECONDS * 1000, once(q.text))));
  } finally {
    await bot.stop();
    await connector.close();
    await prom.stop();
  }
  return lines.join("\n");
}
