/**
 * A PromQL answer of about 10 MB reaches the model as a summary under the tool result budget: series
 * count, the top series with min/avg/max/last, and a note of what was left out. Also: Gemini's
 * function-calling round trip, redaction of what leaves for a provider, and follow-ups in one
 * conversation.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESULT_BUDGET } from "../../src/assistant/llm/tools.js";
import { type FakeLlm, startFakeGemini, startFakeOpenAi } from "../fakes/fake-llm.js";
import { startTestApp, type TestApp } from "../support/app.js";

const SERIES = 40_000;
let big: Server;
let openai: FakeLlm;
let gemini: FakeLlm;
let bytesServed = 0;

beforeAll(async () => {
  // A Prometheus whose instant queries answer 40,000 series (~10 MB): what `count by (pod, container, …)` can do.
  const result = Array.from({ length: SERIES }, (_, i) => ({
    metric: {
      __name__: "container_memory_working_set_bytes",
      pod: `pod-${i}-${"x".repeat(120)}`,
      namespace: "prod",
    },
    value: [1_700_000_000, String(i * 1000)],
  }));
  const payload = JSON.stringify({ status: "success", data: { resultType: "vector", result } });
  bytesServed = payload.length;
  // The series count asked before the data query answers with one sample: 40,000.
  const count = JSON.stringify({
    status: "success",
    data: { resultType: "vector", result: [{ metric: {}, value: [1_700_000_000, String(SERIES)] }] },
  });
  big = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const params = new URLSearchParams(`${new URL(req.url ?? "/", "http://x").search.slice(1)}&${body}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end((params.get("query") ?? "").startsWith("(count(") ? count : payload);
  });
  await new Promise<void>((r) => big.listen(0, "127.0.0.1", r));
  [openai, gemini] = await Promise.all([startFakeOpenAi(), startFakeGemini()]);
});
afterAll(async () => {
  big?.closeAllConnections();
  await new Promise((r) => big?.close(r));
  await Promise.all([openai?.close(), gemini?.close()]);
});

const llmEnv = (extra: Record<string, string> = {}) => ({
  OPENAI_API_KEY: "sk-test-0000000000000000",
  OPENAI_BASE_URL: openai.url,
  GEMINI_API_KEY: "gemini-test-key",
  GEMINI_BASE_URL: gemini.url,
  ...extra,
});

async function ask(app: TestApp, text: string, conversation?: string) {
  const res = await fetch(`${app.url}/api/v1/ask`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text, ...(conversation ? { conversation } : {}) }),
  });
  return (await res.json()) as { reply: { text: string }; provider: string };
}

const toolMessages = (req: Record<string, unknown> | undefined) =>
  ((req?.messages ?? []) as { role: string; content: string }[]).filter((m) => m.role === "tool");

describe("LLM tool results and conversations", () => {
  it("summarises a 10 MB PromQL answer under the budget", async () => {
    expect(bytesServed).toBeGreaterThan(7 * 1024 * 1024);
    const app = await startTestApp({
      ...llmEnv({ LLM_PROVIDERS: "openai,builtin" }),
      // Above the default series limit (10,000), which would refuse this query before it is run.
      PROMQL_MAX_SERIES: "50000",
      PROMETHEUS_URL: `http://127.0.0.1:${(big.address() as AddressInfo).port}`,
    });
    try {
      openai.script(
        { toolCalls: [{ name: "promql_query", args: { query: "container_memory_working_set_bytes" } }] },
        { text: "Memory\nsummarised" },
      );
      expect((await ask(app, "memory of every pod")).provider).toBe("openai");
      const [tool] = toolMessages(openai.requests[1]);
      expect(tool?.content.length).toBeLessThanOrEqual(RESULT_BUDGET);
      const result = JSON.parse(tool?.content ?? "{}");
      expect(result.status).toBe("success");
      expect(result.data.seriesCount).toBe(SERIES);
      // The largest first: pod 39,999 holds the maximum.
      expect(result.data.series[0].labels.pod).toMatch(/^pod-39999-/);
      expect(result.data.series[0].value).toBe((SERIES - 1) * 1000);
      expect(result.data.note).toBe("the 10 highest of 40000 series; 39990 more not shown");
    } finally {
      await app.close();
    }
  });

  it("runs Gemini's function calls and returns their results as functionResponse parts", async () => {
    const app = await startTestApp(llmEnv({ LLM_PROVIDERS: "gemini,builtin" }));
    try {
      gemini.script(
        { toolCalls: [{ name: "query_metric", args: { metric: "memory", host: "web-2" } }] },
        { text: "Memory on web-2\nIt is at 75%." },
      );
      const r = await ask(app, "memory on web-2?");
      expect(r.provider).toBe("gemini");
      const second = gemini.requests[1] as { contents: { role: string; parts: Record<string, unknown>[] }[] };
      const response = second.contents.flatMap((c) => c.parts).find((p) => p.functionResponse) as {
        functionResponse: { name: string; response: { status: string; data: { formatted: string[] } } };
      };
      expect(response.functionResponse.name).toBe("query_metric");
      expect(response.functionResponse.response.data.formatted).toEqual(["web-2:9100 75.0%"]);
      expect(JSON.stringify(gemini.requests[0])).toContain('"systemInstruction"');
    } finally {
      await app.close();
    }
  });

  it("redacts tokens, IPs and e-mail addresses from what is sent to a provider (LLM_REDACT)", async () => {
    const app = await startTestApp(llmEnv({ LLM_PROVIDERS: "openai,builtin", LLM_REDACT: "true" }));
    try {
      openai.script({ text: "Noted\nok" });
      await ask(app, "why does 10.1.2.3 reject xoxb-123456789012-abcdefghijkl from ops@example.com?");
      const sent = JSON.stringify(openai.requests[0]);
      for (const secret of ["10.1.2.3", "xoxb-123456789012", "ops@example.com"])
        expect(sent).not.toContain(secret);
      expect(sent).toContain("[ip-1]");
      expect(sent).toContain("[token]");
    } finally {
      await app.close();
    }
  });

  it("remembers a named conversation so a follow-up has its context; unnamed questions stand alone", async () => {
    const app = await startTestApp(llmEnv({ LLM_PROVIDERS: "openai,builtin" }));
    try {
      openai.script({ text: "CPU on prod\n42%" }, { text: "CPU on staging\n17%" }, { text: "Alone\nyes" });
      await ask(app, "cpu on prod?", "incident-1");
      await ask(app, "and on staging?", "incident-1");
      const followUp = (openai.requests[1]?.messages ?? []) as { role: string; content: string }[];
      expect(followUp.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
      expect(followUp[1]?.content).toBe("cpu on prod?");
      expect(followUp[2]?.content).toBe("CPU on prod\n42%");
      await ask(app, "and on dev?");
      expect(((openai.requests[2]?.messages ?? []) as unknown[]).length).toBe(2);
    } finally {
      await app.close();
    }
  });
});
