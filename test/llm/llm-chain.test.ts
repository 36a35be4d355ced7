/**
 * The LLM chain through the real app and the real `openai` and `@google/genai` SDKs, against fake
 * OpenAI, Gemini and local (OpenAI-compatible) servers and the fixture Prometheus: tools run on live
 * data, failures fall through in order down to the built-in engine, within the deadline.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeLlm, startFakeGemini, startFakeOpenAi } from "../fakes/fake-llm.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { READ_ONLY_TOOLS } from "../support/llm.js";

let openai: FakeLlm;
let gemini: FakeLlm;
let local: FakeLlm;
let app: TestApp;

const env = () => ({
  OPENAI_API_KEY: "sk-test-0000000000000000",
  OPENAI_BASE_URL: openai.url,
  GEMINI_API_KEY: "gemini-test-key",
  GEMINI_BASE_URL: gemini.url,
  LOCAL_LLM_URL: local.url,
  LLM_PROVIDERS: "openai,gemini,local,builtin",
  // Long enough for a tool call and a chart on a loaded machine; the slow fake takes far longer.
  LLM_PROVIDER_TIMEOUT: "10s",
  LLM_DEADLINE: "40s",
});

beforeAll(async () => {
  [openai, gemini, local] = await Promise.all([startFakeOpenAi(), startFakeGemini(), startFakeOpenAi()]);
});
afterAll(async () => {
  await Promise.all([openai?.close(), gemini?.close(), local?.close()]);
});
// A fresh bot per test: each provider's circuit breaker starts closed.
beforeEach(async () => {
  for (const f of [openai, gemini, local]) {
    f.script();
    f.fallback = { status: 500 };
  }
  app = await startTestApp(env());
});
afterEach(async () => {
  await app?.close();
});

interface AskBody {
  reply: { title: string; text: string; context: string[] };
  provider: string;
}
async function ask(text: string, channel?: string): Promise<{ body: AskBody; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${app.url}/api/v1/ask`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(channel ? { "x-conversation": channel } : {}) },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return { body: (await res.json()) as AskBody, ms: Date.now() - started };
}

/** The tool results the model received, from its last request. */
function toolResults(request: Record<string, unknown>): string[] {
  const messages = (request.messages ?? []) as { role: string; content: string }[];
  return messages.filter((m) => m.role === "tool").map((m) => m.content);
}

describe("LLM chain", () => {
  it("answers with OpenAI calling query_metric against the real Prometheus, citing what the tool returned", async () => {
    openai.script(
      { toolCalls: [{ name: "query_metric", args: { metric: "cpu" } }] },
      {
        reply: (req) => {
          const [result] = toolResults(req);
          const data = JSON.parse(result ?? "{}").data as { formatted: string[]; window: string };
          return `CPU is high on one host\n${data.formatted.join(", ")} (${data.window}).`;
        },
      },
    );
    const { body } = await ask("is anything wrong with the prod hosts?");
    expect(body.provider).toBe("openai");
    // The fixture's numbers, which only Prometheus had: they reached the model through the tool.
    expect(body.reply.text).toContain("web-2:9100 60.0%");
    expect(body.reply.text).toContain("web-1:9100 25.0%");
    // Who answered, said once: the provider, its model, and where the numbers came from.
    expect(body.reply.context.filter((c: string) => c.startsWith("answered by"))).toEqual([
      expect.stringMatching(/^answered by openai \(.+\) from live Prometheus data$/),
    ]);
    // The model saw the read-only tools, with JSON Schemas generated from their validators.
    const tools = (openai.requests[0]?.tools ?? []) as {
      function: { name: string; parameters: { properties: object } };
    }[];
    expect(tools.map((t) => t.function.name)).toEqual(READ_ONLY_TOOLS);
    expect(Object.keys(tools[0]?.function.parameters.properties ?? {})).toEqual([
      "metric",
      "host",
      "environment",
      "range",
    ]);
  });

  it("falls through in order: OpenAI 500 → Gemini; both down → local; all down → the built-in engine", async () => {
    gemini.script({ text: "Gemini here\nAll hosts are fine." });
    let r = await ask("how are the hosts?");
    expect(r.body.provider).toBe("gemini");
    expect(r.body.reply.text).toBe("All hosts are fine.");

    gemini.script({ status: 429 });
    local.script({ text: "Local model here\nStill fine." });
    r = await ask("how are the hosts?");
    expect(r.body.provider).toBe("local");

    r = await ask("what's the current system health?");
    expect(r.body.provider).toBe("builtin");
    expect(r.body.reply.title).toMatch(/System health/);
    // Failed providers hand over at once: far inside the chain's deadline (40 s), even on a loaded machine.
    expect(r.ms).toBeLessThan(20_000);
  });

  it("skips a provider that is too slow, answers something unusable, or loops on tools", async () => {
    openai.script({ delayMs: 60_000, andThen: { text: "too late" } });
    gemini.script({ garbage: "<html>oops" });
    local.script({ text: "Local\nanswer" });
    let r = await ask("how are the hosts?");
    expect(r.body.provider).toBe("local");
    // The slow answer would take 60 s; the provider timeout (10 s) cut it short (a loaded machine adds seconds).
    expect(r.ms).toBeLessThan(30_000);

    // A model that only ever calls tools is stopped at the step limit, and the next one answers.
    const before = openai.requests.length;
    openai.fallback = { toolCalls: [{ name: "list_targets", args: {} }] };
    gemini.script({ empty: true });
    local.script({ text: "Local\nafter the loop" });
    r = await ask("how are the hosts?");
    expect(r.body.provider).toBe("local");
    expect(openai.requests.length - before).toBe(5);
  });

  it("stops asking a provider after 3 failures in a row (circuit open), and says so in /metrics", async () => {
    gemini.fallback = { text: "Gemini\nanswer" };
    for (let i = 0; i < 3; i++) expect((await ask("how are the hosts?")).body.provider).toBe("gemini");
    expect(openai.requests.length).toBe(3);
    expect((await ask("how are the hosts?")).body.provider).toBe("gemini");
    expect(openai.requests.length).toBe(3);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/cloudops_llm_attempts_total\{provider="openai",outcome="failed"\} 3/);
    expect(metrics).toMatch(/cloudops_llm_attempts_total\{provider="openai",outcome="skipped"\} 1/);
    expect(metrics).toMatch(/cloudops_llm_attempts_total\{provider="gemini",outcome="answered"\} 4/);
  });

  it("attaches the chart render_chart drew from Prometheus to the reply", async () => {
    openai.script(
      { toolCalls: [{ name: "render_chart", args: { metric: "cpu", range: "6h", host: "web-2" } }] },
      { reply: (req) => `CPU on web-2\n${toolResults(req)[0]}` },
    );
    const res = await fetch(`${app.url}/api/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "show me cpu on web-2" }),
    });
    const body = (await res.json()) as AskBody & { reply: { chart?: { url: string; alt: string } } };
    expect(body.provider).toBe("openai");
    expect(body.reply.text).toMatch(/"status":"success"/);
    expect(body.reply.chart?.alt).toMatch(/web-2/);
    const png = await fetch(`${app.url}${body.reply.chart?.url}`);
    expect(png.headers.get("content-type")).toBe("image/png");
  });

  it("answers a tool call with invalid arguments with an error the model can correct", async () => {
    openai.script(
      { toolCalls: [{ name: "query_metric", args: { metric: "cpu; drop table", range: "99y" } }] },
      { reply: (req) => `Corrected\n${toolResults(req)[0]}` },
    );
    const { body } = await ask("cpu?");
    expect(body.provider).toBe("openai");
    expect(body.reply.text).toMatch(/"status":"error"/);
    expect(body.reply.text).toMatch(/invalid arguments: metric/);
  });
});
