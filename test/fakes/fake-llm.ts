/**
 * Fake LLM servers that speak the real wire formats, for the real SDKs behind their base URLs:
 * OpenAI Chat Completions (`POST …/chat/completions`, `tool_calls` with JSON-string arguments; also what
 * Ollama and vLLM serve) and Gemini (`POST …/models/{model}:generateContent`, `functionCall` parts).
 * Each is scripted per test with the steps it answers in order; every request is recorded.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Step =
  | { toolCalls: { name: string; args: unknown }[] }
  | { text: string }
  /** A final answer composed from the request, as a model writes one from the tool results it got. */
  | { reply: (request: Record<string, unknown>) => string }
  | { status: 429 | 500 | 401 }
  /** A body that is not JSON at all. */
  | { garbage: string }
  /** A well-formed response with nothing usable in it. */
  | { empty: true }
  | { delayMs: number; andThen: Step };

export interface FakeLlm {
  /** Base URL for the SDK (OpenAI: includes /v1; Gemini: the host). */
  url: string;
  requests: Record<string, unknown>[];
  /** Steps answered in order; when they run out, `fallback` is answered. */
  script(...steps: Step[]): void;
  /** Steps answered in order, over and over (benchmarks; one client at a time). */
  cycle(...steps: Step[]): void;
  fallback: Step;
  close(): Promise<void>;
}

type Format = "openai" | "gemini";

/** A Chat Completions response around one assistant message. */
function completion(seq: number, finishReason: string, message: Record<string, unknown>) {
  return {
    id: `chatcmpl-${seq}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: "fake",
    choices: [{ index: 0, finish_reason: finishReason, message: { role: "assistant", ...message } }],
  };
}

/** A generateContent response around one candidate's parts. */
const candidate = (parts: unknown[]) => ({
  candidates: [{ content: { role: "model", parts }, finishReason: "STOP" }],
});

function body(format: Format, step: Step, seq: number): unknown {
  if ("toolCalls" in step)
    return format === "openai"
      ? completion(seq, "tool_calls", {
          content: null,
          tool_calls: step.toolCalls.map((c, i) => ({
            id: `call_${seq}_${i}`,
            type: "function",
            function: {
              name: c.name,
              arguments: typeof c.args === "string" ? c.args : JSON.stringify(c.args),
            },
          })),
        })
      : candidate(step.toolCalls.map((c) => ({ functionCall: { name: c.name, args: c.args } })));
  if ("text" in step)
    return format === "openai"
      ? completion(seq, "stop", { content: step.text })
      : candidate([{ text: step.text }]);
  if ("empty" in step)
    return format === "openai" ? { id: "x", object: "chat.completion", choices: [] } : { candidates: [] };
  return {};
}

async function startFake(format: Format): Promise<FakeLlm> {
  const requests: Record<string, unknown>[] = [];
  const steps: Step[] = [];
  let cycleSteps: Step[] = [];
  let cycleAt = 0;
  let seq = 0;
  const fake: Partial<FakeLlm> = { requests, fallback: { status: 500 } };
  const answer = async (step: Step, res: import("node:http").ServerResponse): Promise<void> => {
    if ("delayMs" in step) {
      await new Promise((r) => setTimeout(r, step.delayMs));
      if (res.destroyed) return;
      return answer(step.andThen, res);
    }
    if ("status" in step) {
      res.writeHead(step.status, {
        "content-type": "application/json",
        ...(step.status === 429 ? { "retry-after": "1" } : {}),
      });
      res.end(JSON.stringify({ error: { message: `fake ${step.status}`, code: step.status } }));
      return;
    }
    if ("garbage" in step) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(step.garbage);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body(format, "reply" in step ? { text: step.reply(current) } : step, ++seq)));
  };
  let current: Record<string, unknown> = {};
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = req.url ?? "";
    const ok = format === "openai" ? path.endsWith("/chat/completions") : /:generateContent/.test(path);
    if (req.method !== "POST" || !ok) {
      res.writeHead(404);
      res.end();
      return;
    }
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    } catch {
      // recorded as empty
    }
    current = { ...parsed, _path: path };
    requests.push(current);
    const step =
      steps.shift() ?? (cycleSteps.length ? (cycleSteps[cycleAt++ % cycleSteps.length] as Step) : undefined);
    await answer(step ?? (fake.fallback as Step), res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(fake, {
    url: format === "openai" ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`,
    script(...s: Step[]) {
      steps.length = 0;
      steps.push(...s);
      requests.length = 0;
    },
    cycle(...s: Step[]) {
      cycleSteps = s;
      cycleAt = 0;
      steps.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  }) as FakeLlm;
}

export const startFakeOpenAi = () => startFake("openai");
export const startFakeGemini = () => startFake("gemini");
