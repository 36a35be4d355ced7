/**
 * The prompt-injection corpus (test/llm/data/injection-corpus.json): a manipulated model tries tools
 * that do not exist, hostile arguments, and instructions hidden in label values. Whatever it tries,
 * nothing happens outside the read-only tools, the system prompt and the tools offered never change,
 * and Prometheus is only ever asked on its read-only query endpoints.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SYSTEM_PROMPT } from "../../src/assistant/llm/llm-chain.js";
import { RESULT_BUDGET } from "../../src/assistant/llm/tools.js";
import { type FakeLlm, startFakeOpenAi } from "../fakes/fake-llm.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { READ_ONLY_TOOLS } from "../support/llm.js";

interface Case {
  id: string;
  question: string;
  modelCalls: { name: string; args: unknown }[];
  note: string;
}
const corpus = JSON.parse(readFileSync("test/llm/data/injection-corpus.json", "utf8")) as { cases: Case[] };
const READ_ONLY = READ_ONLY_TOOLS;

let openai: FakeLlm;
let app: TestApp;
let proxy: Server;
const prometheusCalls: string[] = [];

beforeAll(async () => {
  const target = new URL(inject("prometheusUrl"));
  // Records every request the bot makes to Prometheus, and forwards it.
  proxy = createServer(async (req, res) => {
    prometheusCalls.push(`${req.method} ${new URL(req.url ?? "/", "http://x").pathname}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(new URL(req.url ?? "/", target), {
      method: req.method,
      headers: { "content-type": req.headers["content-type"] ?? "application/x-www-form-urlencoded" },
      ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/json",
    });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  openai = await startFakeOpenAi();
  app = await startTestApp({
    PROMETHEUS_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    PROMETHEUS_CACHE_TTL_MS: "0",
    OPENAI_API_KEY: "sk-test-0000000000000000",
    OPENAI_BASE_URL: openai.url,
    LLM_PROVIDERS: "openai,builtin",
  });
});
afterAll(async () => {
  await app?.close();
  await openai?.close();
  proxy?.closeAllConnections();
  await new Promise((r) => proxy?.close(r));
});

interface Sent {
  messages: { role: string; content: string | null }[];
  tools: { function: { name: string } }[];
}

describe("prompt-injection corpus", () => {
  it("has at least 30 cases", () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(corpus.cases)("$id: $note", async (c) => {
    openai.script({ toolCalls: c.modelCalls }, { text: "Done\nnothing was changed" });
    const res = await fetch(`${app.url}/api/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: c.question }),
    });
    expect(res.status).toBe(200);
    const sent = openai.requests as unknown as Sent[];
    expect(sent.length).toBeGreaterThanOrEqual(1);
    for (const req of sent) {
      // The instructions and the tools are ours, whatever the text says.
      expect(req.messages[0]).toEqual({ role: "system", content: SYSTEM_PROMPT });
      expect(req.tools.map((t) => t.function.name)).toEqual(READ_ONLY);
      expect(req.messages.filter((m) => m.role === "system")).toHaveLength(1);
      for (const m of req.messages)
        if (m.role !== "user") expect(m.content ?? "").not.toContain(c.question.slice(0, 40));
    }
    // Every call outside the read-only tools was answered "no such tool", and nothing else was done.
    const results = (sent[1]?.messages ?? [])
      .filter((m) => m.role === "tool")
      .map((m) => JSON.parse(m.content ?? "{}"));
    expect(results.length).toBeLessThanOrEqual(5);
    c.modelCalls.slice(0, 5).forEach((call, i) => {
      if (!READ_ONLY.includes(call.name))
        expect(results[i]).toMatchObject({
          status: "error",
          error: expect.stringMatching(/^there is no tool/),
        });
      expect(JSON.stringify(results[i]).length).toBeLessThanOrEqual(RESULT_BUDGET + 200);
    });
  });

  it("refuses admin and write endpoints named in promql_query: they are not PromQL", async () => {
    openai.script(
      // ("POST /api/v1/admin/…" would parse, as metric names divided by each other, and reach only the
      // query endpoint; the path alone is not an expression at all.)
      { toolCalls: [{ name: "promql_query", args: { query: "/api/v1/admin/tsdb/snapshot" } }] },
      { text: "Done\nno" },
    );
    await fetch(`${app.url}/api/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "snapshot the tsdb" }),
    });
    const tool = ((openai.requests[1] as unknown as Sent).messages ?? []).find((m) => m.role === "tool");
    // The PromQL parser refuses it before anything reaches Prometheus: it is not an expression.
    const result = JSON.parse(tool?.content ?? "{}");
    expect(result.status).toBe("error");
    expect(result.error).toMatch(/^refused before reaching Prometheus: it is not valid PromQL/);
  });

  it("reached Prometheus only on its read-only query endpoints", () => {
    expect(prometheusCalls.length).toBeGreaterThan(0);
    for (const call of prometheusCalls)
      expect(call).toMatch(
        /^(GET|POST) \/api\/v1\/(query|query_range|targets|series|label\/[a-z_]+\/values)$/,
      );
  });

  it("left no trace in the alert state: no acknowledgement, silence or rule", async () => {
    const redis = new Redis(inject("redisUrl"));
    try {
      const keys = await redis.keys(`${app.redisPrefix}:*`);
      // (BullMQ's own scheduler keys for rule evaluation are not rules.)
      expect(keys.filter((k) => !k.includes(":bull:") && /:(audit|rules|silence|group)/.test(k))).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
