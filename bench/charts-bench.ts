/**
 * `npm run bench -- charts`: 60 chart questions at once against the real bot (the built dist/cli.js,
 * its own process) over the fixture Prometheus, while `/healthz` is probed every 10 ms.
 * Reports `/healthz` latency (the target: p99 < 100 ms, Slack's ack needs < 3 s) and the chart
 * answers' latency, for the worker pool and for the old way of drawing on the event loop
 * (CHART_WORKERS=0).
 */
import { performance } from "node:perf_hooks";
import { startFixturePrometheus } from "../test/support/node-fixture.js";
import { startBot } from "./bot-process.js";
import { percentile } from "./load.js";

const HOSTS = ["web-1", "web-2", "db-1"];
const POLL_MS = 10;
/**
 * 60 different charts per burst: each host over 20 ranges, and each burst its own ranges (1–20 h,
 * 21–40 h, 41–60 h), so no answer is another's cached chart.
 */
function questions(burstNo: number): string[] {
  return HOSTS.flatMap((host) =>
    Array.from({ length: 20 }, (_, i) => `cpu trend last ${burstNo * 20 + i + 1}h on ${host}`),
  );
}
const BURSTS = 3;

interface Burst {
  healthz: number[];
  answers: number[];
  withChart: number;
  busy: number;
  failed: number;
  /** Why answers failed, each reason once. */
  why: Set<string>;
}

async function ask(url: string, text: string): Promise<{ chart: boolean; busy: boolean }> {
  const res = await fetch(`${url}/api/v1/ask`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  const json = (await res.json()) as {
    reply?: { title: string; tone: string; chart?: unknown; context?: string[] };
  };
  if (!res.ok || !json.reply || json.reply.tone === "error") {
    throw new Error(`HTTP ${res.status}: ${json.reply?.title ?? "no reply"}`);
  }
  return {
    chart: json.reply.chart !== undefined,
    busy: (json.reply.context ?? []).some((c) => c.startsWith("Chart not drawn")),
  };
}

/** All questions at once; `/healthz` asked back to back until the last answer is in. */
async function burst(url: string, questions: string[]): Promise<Burst> {
  const out: Burst = { healthz: [], answers: [], withChart: 0, busy: 0, failed: 0, why: new Set() };
  let done = false;
  // A probe every POLL_MS (the next one leaves when the last is answered): the same load on the bot
  // whether its event loop is free or not, like a liveness probe or Slack's retries.
  const poller = (async () => {
    while (!done) {
      const t0 = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.text();
      const took = performance.now() - t0;
      out.healthz.push(took);
      if (took < POLL_MS) await new Promise((r) => setTimeout(r, POLL_MS - took));
    }
  })();
  await Promise.all(
    questions.map(async (text) => {
      const t0 = performance.now();
      try {
        const r = await ask(url, text);
        if (r.chart) out.withChart++;
        if (r.busy) out.busy++;
      } catch (e) {
        out.failed++;
        out.why.add(e instanceof Error ? e.message : String(e));
      }
      out.answers.push(performance.now() - t0);
    }),
  );
  done = true;
  await poller;
  out.healthz.sort((a, b) => a - b);
  out.answers.sort((a, b) => a - b);
  return out;
}

function merge(bursts: Burst[]): Burst {
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  return {
    healthz: sorted(bursts.flatMap((b) => b.healthz)),
    answers: sorted(bursts.flatMap((b) => b.answers)),
    withChart: bursts.reduce((n, b) => n + b.withChart, 0),
    busy: bursts.reduce((n, b) => n + b.busy, 0),
    failed: bursts.reduce((n, b) => n + b.failed, 0),
    why: new Set(bursts.flatMap((b) => [...b.why])),
  };
}

function row(name: string, b: Burst): string {
  const ms = (v: number) => v.toFixed(0);
  const h = b.healthz;
  const a = b.answers;
  return `| ${name} | ${h.length} | ${ms(percentile(h, 50))} | ${ms(percentile(h, 99))} | ${ms(h.at(-1) ?? Number.NaN)} | ${ms(percentile(a, 50))} | ${ms(percentile(a, 99))} | ${b.withChart}/${a.length}${b.busy > 0 ? ` (${b.busy} said why not)` : ""}${b.failed > 0 ? `, ${b.failed} failed (${[...b.why].join("; ")})` : ""} |`;
}

export async function chartsBench(): Promise<string> {
  const prom = await startFixturePrometheus();
  const lines = [
    `60 chart questions at once (\`cpu trend last Nh on HOST\`, 3 hosts × 20 ranges, POST /api/v1/ask) while GET /healthz is asked every ${POLL_MS} ms (one at a time); ${BURSTS} such bursts per row with the 30 s deadline (different ranges each, so nothing is cached), one with the default deadline. The bot is dist/cli.js in its own process, over the fixture Prometheus. Times in ms.`,
    "",
    "| drawing | /healthz requests | /healthz p50 | /healthz p99 | /healthz max | answer p50 | answer p99 | answers with their chart |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const modes: Array<{ name: string; env: Record<string, string>; again?: boolean }> = [
    { name: "on the event loop (CHART_WORKERS=0, as before)", env: { CHART_WORKERS: "0" } },
    { name: "worker pool (default CHART_WORKERS)", env: {}, again: true },
  ];
  try {
    for (const mode of modes) {
      for (const deadline of ["30000", undefined]) {
        const bot = await startBot({
          PROMETHEUS_URL: prom.url,
          ...(deadline ? { ANSWER_DEADLINE_MS: deadline } : {}),
          ...mode.env,
        });
        try {
          // Warm-up: JIT, host discovery, the chart worker's start and its modules.
          for (const text of [
            "cpu trend last 30m on web-1",
            "memory trend last 30m",
            "disk trend last 30m",
          ]) {
            await ask(bot.url, text);
          }
          const label = `${mode.name}${deadline ? `, ANSWER_DEADLINE_MS=${deadline}` : ", default deadline (2.8 s)"}`;
          const runs: Burst[] = [];
          for (let b = 0; b < (deadline ? BURSTS : 1); b++) runs.push(await burst(bot.url, questions(b)));
          lines.push(row(label, merge(runs)));
          if (mode.again && deadline) {
            lines.push(row(`${label}, the first 60 again (cached)`, await burst(bot.url, questions(0))));
          }
        } finally {
          await bot.stop();
        }
      }
    }
  } finally {
    await prom.stop();
  }
  return lines.join("\n");
}
