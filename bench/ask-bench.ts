/**
 * POST /api/v1/ask latency and throughput at 1, 10 and 50 clients against a real Prometheus, beside
 * the raw Prometheus round-trip for the same queries. The bot runs as its own process (the built
 * dist/cli.js), as in production; this process only generates load.
 */
import { namedQuery } from "../src/metrics/catalogue.js";
import { hostMatcher } from "../src/metrics/promql.js";
import { startFixturePrometheus } from "../test/support/node-fixture.js";
import { startBot } from "./bot-process.js";
import { formatRow, runLoad, TABLE_HEADER } from "./load.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

function askOnce(url: string, text: string): () => Promise<boolean> {
  const body = JSON.stringify({ text });
  return async () => {
    const res = await fetch(`${url}/api/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const json = (await res.json()) as { reply?: { tone: string } };
    return res.ok && json.reply?.tone !== "error";
  };
}

/** The same PromQL the engine runs for each question, sent straight to Prometheus. */
function rawOnce(promUrl: string, batches: string[][]): () => Promise<boolean> {
  const q = async (query: string) => {
    const res = await fetch(`${promUrl}/api/v1/query`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query }).toString(),
    });
    await res.text();
    return res.ok;
  };
  return async () => {
    for (const batch of batches) {
      const ok = await Promise.all(batch.map(q));
      if (!ok.every(Boolean)) return false;
    }
    return true;
  };
}

const host = [hostMatcher("web-2")];
const QUESTIONS: { name: string; text: string; raw: string[][] }[] = [
  {
    name: "health",
    text: "what's the current system health?",
    raw: [
      [
        namedQuery("cpu_busy_percent").build({}),
        namedQuery("memory_used_percent").build({}),
        namedQuery("disk_used_percent").build({}),
        namedQuery("load1_per_core").build({}),
        namedQuery("targets_down").build({}),
      ],
    ],
  },
  {
    name: "cpu on web-2",
    text: "cpu usage on web-2",
    raw: [
      [
        namedQuery("cpu_busy_percent").build({ matchers: host }),
        `avg_over_time((${namedQuery("cpu_busy_percent").build({ matchers: host })})[1d:5m])`,
      ],
      [namedQuery("cpu_mode_percent").build({ matchers: host })],
    ],
  },
];

export async function askBench(): Promise<string> {
  const prom = await startFixturePrometheus();
  const lines: string[] = [];
  try {
    lines.push("Raw Prometheus round-trip (the same queries, sent directly):", "", ...TABLE_HEADER);
    for (const q of QUESTIONS) {
      for (const c of [1, 10, 50]) {
        lines.push(formatRow(`raw: ${q.name}`, await runLoad(c, SECONDS * 1000, rawOnce(prom.url, q.raw))));
      }
    }
    for (const ttl of [0, 5000]) {
      const bot = await startBot({ PROMETHEUS_URL: prom.url, PROMETHEUS_CACHE_TTL_MS: String(ttl) });
      try {
        // Warm up: JIT, connection pools, host discovery.
        await runLoad(4, 1000, askOnce(bot.url, "help"));
        lines.push(
          "",
          `POST /api/v1/ask, ${ttl === 0 ? "query cache off (PROMETHEUS_CACHE_TTL_MS=0)" : "default query cache (PROMETHEUS_CACHE_TTL_MS=5000)"}:`,
          "",
          ...TABLE_HEADER,
        );
        for (const q of QUESTIONS) {
          for (const c of [1, 10, 50]) {
            lines.push(
              formatRow(`ask: ${q.name}`, await runLoad(c, SECONDS * 1000, askOnce(bot.url, q.text))),
            );
          }
        }
      } finally {
        await bot.stop();
      }
    }
  } finally {
    await prom.stop();
  }
  return lines.join("\n");
}
