/**
 * The LLM chain's own cost. The built bot asks a fake OpenAI (real `openai` SDK, real HTTP on
 * 127.0.0.1) that answers at once, so what is measured is the chain: prompt and tool assembly, the
 * SDK, validation, summaries and the reply, plus the tool's Prometheus query where there is one.
 * Then the time to fall through a failing provider to the next, before and after its circuit opens.
 */
import { type FakeLlm, startFakeGemini, startFakeOpenAi } from "../test/fakes/fake-llm.js";
import { startFixturePrometheus } from "../test/support/node-fixture.js";
import { freePort } from "../test/support/prometheus-process.js";
import { type BotProcess, startBot } from "./bot-process.js";
import { formatRow, runLoad, TABLE_HEADER } from "./load.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

async function ask(bot: BotProcess, text: string): Promise<string | undefined> {
  const res = await fetch(`${bot.url}/api/v1/ask`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  if (!res.ok) return undefined;
  return ((await res.json()) as { provider: string }).provider;
}

const answeredBy = (bot: BotProcess, text: string, provider: string) => async () =>
  (await ask(bot, text)) === provider;

export async function llmBench(): Promise<string> {
  const prom = await startFixturePrometheus();
  const openai: FakeLlm = await startFakeOpenAi();
  const gemini: FakeLlm = await startFakeGemini();
  const deadPort = await freePort();
  const lines = ["", ...TABLE_HEADER];
  const bots: BotProcess[] = [];
  try {
    const common = { PROMETHEUS_URL: prom.url, LOG_LEVEL: "error", ANOMALY_ENABLED: "false" };
    const builtin = await startBot(common);
    bots.push(builtin);
    const chain = await startBot({
      ...common,
      OPENAI_API_KEY: "sk-bench-0000000000000000",
      OPENAI_BASE_URL: openai.url,
      LLM_PROVIDERS: "openai,builtin",
    });
    bots.push(chain);
    const q = "what's the current system health?";
    await runLoad(1, 500, answeredBy(builtin, q, "builtin"));
    lines.push(
      formatRow(
        "built-in engine alone (reference)",
        await runLoad(1, SECONDS * 1000, answeredBy(builtin, q, "builtin")),
      ),
    );
    openai.fallback = { text: "All good\nNothing to report." };
    await runLoad(1, 500, answeredBy(chain, q, "openai"));
    lines.push(
      formatRow(
        "chain → OpenAI, direct answer",
        await runLoad(1, SECONDS * 1000, answeredBy(chain, q, "openai")),
      ),
    );
    openai.cycle(
      { toolCalls: [{ name: "query_metric", args: { metric: "cpu" } }] },
      { text: "CPU\nweb-2 is at 60%." },
    );
    lines.push(
      formatRow(
        "chain → OpenAI, one query_metric round",
        await runLoad(1, SECONDS * 1000, answeredBy(chain, "cpu?", "openai")),
      ),
    );

    // Falling through: OpenAI answers 500, Gemini answers. The first three failures each cost a
    // round trip; then OpenAI's circuit opens and it is skipped until a probe 30 s later.
    const fallthrough = await startBot({
      ...common,
      OPENAI_API_KEY: "sk-bench-0000000000000000",
      OPENAI_BASE_URL: openai.url,
      GEMINI_API_KEY: "bench",
      GEMINI_BASE_URL: gemini.url,
      LLM_PROVIDERS: "openai,gemini,builtin",
    });
    bots.push(fallthrough);
    openai.cycle();
    openai.fallback = { status: 500 };
    gemini.fallback = { text: "Gemini\nanswer" };
    lines.push(
      formatRow(
        "OpenAI 500 → Gemini, circuit closed (first 3)",
        await runLoad(1, 60_000, answeredBy(fallthrough, q, "gemini"), 3),
      ),
    );
    lines.push(
      formatRow(
        "OpenAI 500 → Gemini, circuit open",
        await runLoad(1, SECONDS * 1000, answeredBy(fallthrough, q, "gemini")),
      ),
    );
    const refused = await startBot({
      ...common,
      OPENAI_API_KEY: "sk-bench-0000000000000000",
      OPENAI_BASE_URL: `http://127.0.0.1:${deadPort}/v1`,
      GEMINI_API_KEY: "bench",
      GEMINI_BASE_URL: gemini.url,
      LLM_PROVIDERS: "openai,gemini,builtin",
    });
    bots.push(refused);
    lines.push(
      formatRow(
        "OpenAI unreachable → Gemini, circuit closed (first 3)",
        await runLoad(1, 60_000, answeredBy(refused, q, "gemini"), 3),
      ),
    );
  } finally {
    for (const b of bots) await b.stop();
    await openai.close();
    await gemini.close();
    await prom.stop();
  }
  return lines.join("\n");
}
