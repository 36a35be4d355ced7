/**
 * The `LlmProvider` contract, run against every implementation: the same scenarios through the real
 * `openai` and `@google/genai` SDKs, against the fake servers behind their base URLs. What the chain
 * relies on: a plain answer comes back as trimmed text; a tool call comes back with its parsed
 * arguments and an id, and the tool's result reaches the model on the next request; a failing or
 * unusable answer rejects with an Error (an HTTP failure carrying its status, an unusable answer as
 * `MalformedOutputError`) instead of resolving or crashing; the abort signal is honoured at once.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiProvider } from "../../src/assistant/llm/gemini-provider.js";
import {
  type ChatMessage,
  type LlmProvider,
  MalformedOutputError,
  type ToolSpec,
} from "../../src/assistant/llm/llm-provider.js";
import { OpenAiProvider } from "../../src/assistant/llm/openai-provider.js";
import { type FakeLlm, type Step, startFakeGemini, startFakeOpenAi } from "../fakes/fake-llm.js";
import { freePort } from "../support/prometheus-process.js";

type WireRequest = Record<string, unknown>;

/** What one request carried, read from the vendor's wire format. */
interface WireReader {
  model(req: WireRequest): string | undefined;
  /** All text of the system instruction. */
  system(req: WireRequest): string;
  userTexts(req: WireRequest): string[];
  toolNames(req: WireRequest): string[];
  /** Tool calls the request replays as the model's earlier turn. */
  echoedCalls(req: WireRequest): { id?: string; name: string }[];
  /** Tool results sent back, their content parsed from JSON where the format carries a string. */
  toolResults(req: WireRequest): { id?: string; name?: string; content: unknown }[];
}

const list = (v: unknown): Record<string, unknown>[] =>
  (Array.isArray(v) ? v : []) as Record<string, unknown>[];
const texts = (parts: unknown): string[] =>
  list(parts)
    .map((p) => p.text)
    .filter((t): t is string => typeof t === "string");

const openAiWire: WireReader = {
  model: (req) => req.model as string | undefined,
  system: (req) =>
    list(req.messages)
      .filter((m) => m.role === "system")
      .map((m) => m.content)
      .join("\n"),
  userTexts: (req) =>
    list(req.messages)
      .filter((m) => m.role === "user")
      .map((m) => m.content as string),
  toolNames: (req) => list(req.tools).map((t) => (t.function as { name: string }).name),
  echoedCalls: (req) =>
    list(req.messages)
      .flatMap((m) => list(m.tool_calls))
      .map((c) => ({ id: c.id as string, name: (c.function as { name: string }).name })),
  toolResults: (req) =>
    list(req.messages)
      .filter((m) => m.role === "tool")
      .map((m) => ({ id: m.tool_call_id as string, content: JSON.parse(m.content as string) })),
};

const geminiWire: WireReader = {
  model: (req) => /\/models\/([^/:]+):generateContent/.exec(String(req._path))?.[1],
  system: (req) => {
    const s = req.systemInstruction as { parts?: unknown } | string | undefined;
    return typeof s === "string" ? s : texts(s?.parts).join("\n");
  },
  userTexts: (req) =>
    list(req.contents)
      .filter((c) => c.role === "user")
      .flatMap((c) => texts(c.parts)),
  toolNames: (req) =>
    list(req.tools).flatMap((t) => list(t.functionDeclarations).map((d) => d.name as string)),
  echoedCalls: (req) =>
    list(req.contents)
      .flatMap((c) => list(c.parts))
      .map((p) => p.functionCall as { id?: string; name: string } | undefined)
      .filter((c) => c !== undefined),
  toolResults: (req) =>
    list(req.contents)
      .flatMap((c) => list(c.parts))
      .map((p) => p.functionResponse as { id?: string; name: string; response: unknown } | undefined)
      .filter((r) => r !== undefined)
      .map((r) => ({ id: r.id, name: r.name, content: r.response })),
};

interface Implementation {
  label: string;
  /** The class, so the test can tell when an implementation is missing from this list. */
  type: abstract new (
    ...args: never[]
  ) => LlmProvider;
  startFake(): Promise<FakeLlm>;
  create(baseUrl: string): LlmProvider;
  wire: WireReader;
  /** Whether the wire format carries tool-call ids (Gemini's may omit them). */
  wireHasCallIds: boolean;
}

const IMPLEMENTATIONS: Implementation[] = [
  {
    label: "openai (OpenAiProvider)",
    type: OpenAiProvider,
    startFake: startFakeOpenAi,
    create: (url) =>
      new OpenAiProvider("openai", "gpt-contract", { apiKey: "sk-test-contract", baseUrl: url }),
    wire: openAiWire,
    wireHasCallIds: true,
  },
  {
    label: "local (OpenAiProvider against an OpenAI-compatible server, no key)",
    type: OpenAiProvider,
    startFake: startFakeOpenAi,
    create: (url) => new OpenAiProvider("local", "llama-contract", { baseUrl: url }),
    wire: openAiWire,
    wireHasCallIds: true,
  },
  {
    label: "gemini (GeminiProvider)",
    type: GeminiProvider,
    startFake: startFakeGemini,
    create: (url) => new GeminiProvider("gemini-contract", { apiKey: "gemini-test-contract", baseUrl: url }),
    wire: geminiWire,
    wireHasCallIds: false,
  },
];

const TOOL: ToolSpec = {
  name: "query_metric",
  description: "Current value of a named metric per host.",
  parameters: {
    type: "object",
    properties: { metric: { type: "string" }, host: { type: "string" } },
    required: ["metric"],
    additionalProperties: false,
  },
};

const SYSTEM = "You are the contract test. Answer from tool results only.";
const QUESTION = "how busy is web-1?";
const conversation = (): ChatMessage[] => [
  { role: "system", content: SYSTEM },
  { role: "user", content: QUESTION },
];

/** Far longer than any scenario should take: only a provider that ignores the signal waits for it. */
const SLOW: Step = { delayMs: 20_000, andThen: { text: "too late" } };
/** How soon after its signal fires a provider must have given up (generous for a loaded machine). */
const ABORT_WITHIN_MS = 3_000;

/** Resolves with the rejection of `p` (failing if it resolves) and how long it took. */
async function rejection(p: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    const value = await p;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

it("covers every LlmProvider implementation in src/assistant/llm", async () => {
  const dir = path.resolve(import.meta.dirname, "../../src/assistant/llm");
  const implemented: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith("-provider.ts") && f !== "llm-provider.ts")) {
    const exports = (await import(path.join(dir, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value === "function" && typeof value.prototype?.send === "function") implemented.push(name);
    }
  }
  const covered = new Set(IMPLEMENTATIONS.map((i) => i.type.name));
  expect(implemented.length).toBeGreaterThan(0);
  expect(implemented.filter((name) => !covered.has(name))).toEqual([]);
  // And every provider name the configuration can ask for.
  expect(IMPLEMENTATIONS.map((i) => i.create("http://127.0.0.1:1").name).sort()).toEqual([
    "gemini",
    "local",
    "openai",
  ]);
});

describe.each(IMPLEMENTATIONS)("LlmProvider contract: $label", (impl) => {
  let fake: FakeLlm;
  let provider: LlmProvider;

  beforeAll(async () => {
    fake = await impl.startFake();
    provider = impl.create(fake.url);
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => {
    fake.script();
    fake.fallback = { status: 500 };
  });

  it("answers a question with trimmed text, having sent the model, system prompt, question and tools", async () => {
    fake.script({ text: "  web-1 is at 42% CPU.\n" });
    const result = await provider.send(conversation(), [TOOL], { signal: AbortSignal.timeout(10_000) });
    expect(result).toEqual({ type: "text", text: "web-1 is at 42% CPU." });

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0] as WireRequest;
    expect(impl.wire.model(req)).toBe(provider.model);
    expect(impl.wire.system(req)).toContain(SYSTEM);
    expect(impl.wire.userTexts(req)).toEqual([QUESTION]);
    expect(impl.wire.toolNames(req)).toEqual([TOOL.name]);
  });

  it("offers no tools when given none", async () => {
    fake.script({ text: "fine" });
    await provider.send(conversation(), [], { signal: AbortSignal.timeout(10_000) });
    expect(impl.wire.toolNames(fake.requests[0] as WireRequest)).toEqual([]);
  });

  it("round-trips tool calls: parsed arguments and distinct ids out, each result back to the model", async () => {
    fake.script(
      {
        toolCalls: [
          { name: "query_metric", args: { metric: "cpu", host: "web-1" } },
          { name: "query_metric", args: { metric: "memory" } },
        ],
      },
      { text: "CPU 42%, memory 61%." },
    );
    const messages = conversation();
    const first = await provider.send(messages, [TOOL], { signal: AbortSignal.timeout(10_000) });
    if (first.type !== "tool_calls") throw new Error(`expected tool calls, got ${JSON.stringify(first)}`);
    expect(first.calls.map((c) => ({ name: c.name, arguments: c.arguments }))).toEqual([
      { name: "query_metric", arguments: { metric: "cpu", host: "web-1" } },
      { name: "query_metric", arguments: { metric: "memory" } },
    ]);
    // The chain pairs each result with its call by id.
    const ids = first.calls.map((c) => c.id);
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);

    // What the chain sends back: the model's turn, then one tool message per call.
    const results = [
      { status: "success", data: { host: "web-1", value: 42 } },
      { status: "no_data", data: null },
    ];
    messages.push({ role: "assistant", content: "", toolCalls: first.calls });
    first.calls.forEach((call, i) => {
      messages.push({
        role: "tool",
        toolCallId: call.id,
        name: call.name,
        content: JSON.stringify(results[i]),
      });
    });
    const second = await provider.send(messages, [TOOL], { signal: AbortSignal.timeout(10_000) });
    expect(second).toEqual({ type: "text", text: "CPU 42%, memory 61%." });

    const req = fake.requests[1] as WireRequest;
    expect(impl.wire.userTexts(req)).toEqual([QUESTION]);
    expect(impl.wire.echoedCalls(req).map((c) => c.name)).toEqual(["query_metric", "query_metric"]);
    const back = impl.wire.toolResults(req);
    expect(back.map((r) => r.content)).toEqual(results);
    if (impl.wireHasCallIds) expect(back.map((r) => r.id)).toEqual(ids);
    else expect(back.map((r) => r.name)).toEqual(["query_metric", "query_metric"]);
  });

  describe("failures reject with a typed error, never resolve or hang", () => {
    it.each([500, 429, 401] as const)("HTTP %i: an Error carrying the status", async (status) => {
      fake.script({ status });
      const { error, ms } = await rejection(
        provider.send(conversation(), [TOOL], { signal: AbortSignal.timeout(10_000) }),
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as { status?: unknown }).status).toBe(status);
      // One attempt: retrying is the chain's decision (it moves to the next provider).
      expect(fake.requests).toHaveLength(1);
      expect(ms).toBeLessThan(5_000);
    });

    it.each<[string, Step]>([
      ["a response with nothing in it", { empty: true }],
      ["blank text", { text: "  \n " }],
      ["a body that is not JSON", { garbage: "<html>502 Bad Gateway</html>" }],
    ])("%s: MalformedOutputError", async (_, step) => {
      fake.script(step);
      const { error } = await rejection(
        provider.send(conversation(), [TOOL], { signal: AbortSignal.timeout(10_000) }),
      );
      expect(error).toBeInstanceOf(MalformedOutputError);
    });

    it("a server that is not there: an Error, promptly", async () => {
      const down = impl.create(`http://127.0.0.1:${await freePort()}${new URL(fake.url).pathname}`);
      const { error, ms } = await rejection(
        down.send(conversation(), [TOOL], { signal: AbortSignal.timeout(10_000) }),
      );
      expect(error).toBeInstanceOf(Error);
      expect(ms).toBeLessThan(5_000);
    });
  });

  describe("the abort signal is honoured", () => {
    it("a timeout signal ends a slow answer at once", async () => {
      fake.script(SLOW);
      const { error, ms } = await rejection(
        provider.send(conversation(), [TOOL], { signal: AbortSignal.timeout(300) }),
      );
      expect(error).toBeInstanceOf(Error);
      expect(ms).toBeLessThan(300 + ABORT_WITHIN_MS);
    });

    it("aborting while the request is in flight ends it at once", async () => {
      fake.script(SLOW);
      const controller = new AbortController();
      const pending = provider.send(conversation(), [TOOL], { signal: controller.signal });
      const result = rejection(pending);
      const waitUntil = Date.now() + 10_000;
      while (fake.requests.length === 0 && Date.now() < waitUntil)
        await new Promise((r) => setTimeout(r, 10));
      expect(fake.requests).toHaveLength(1);
      // Measured from the abort, not the start.
      const abortedAt = Date.now();
      controller.abort();
      const { error } = await result;
      expect(error).toBeInstanceOf(Error);
      expect(Date.now() - abortedAt).toBeLessThan(ABORT_WITHIN_MS);
    });

    it("an already aborted signal sends nothing", async () => {
      fake.script({ text: "should not be asked" });
      const controller = new AbortController();
      controller.abort();
      const { error, ms } = await rejection(
        provider.send(conversation(), [TOOL], { signal: controller.signal }),
      );
      expect(error).toBeInstanceOf(Error);
      expect(ms).toBeLessThan(ABORT_WITHIN_MS);
      expect(fake.requests).toHaveLength(0);
    });
  });
});
