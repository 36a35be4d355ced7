/**
 * Gemini generateContent with function calling, through `@google/genai` (the maintained SDK). Tool
 * calls come back as functionCall parts; their results go back as functionResponse parts.
 */
import { type Content, GoogleGenAI } from "@google/genai";
import {
  type ChatMessage,
  type LlmProvider,
  type LlmResult,
  MalformedOutputError,
  type ToolSpec,
  unparseableAsMalformed,
} from "./llm-provider.js";

function toContents(messages: ChatMessage[]): Content[] {
  const out: Content[] = [];
  for (const m of messages) {
    if (m.role === "system") continue;
    if (m.role === "user") out.push({ role: "user", parts: [{ text: m.content }] });
    else if (m.role === "assistant")
      out.push({
        role: "model",
        parts: m.toolCalls?.length
          ? m.toolCalls.map((c) => ({
              functionCall: { id: c.id, name: c.name, args: (c.arguments ?? {}) as Record<string, unknown> },
            }))
          : [{ text: m.content }],
      });
    else {
      let response: Record<string, unknown>;
      try {
        response = JSON.parse(m.content) as Record<string, unknown>;
      } catch {
        response = { result: m.content };
      }
      out.push({
        role: "user",
        parts: [{ functionResponse: { id: m.toolCallId ?? "", name: m.name ?? "", response } }],
      });
    }
  }
  return out;
}

export class GeminiProvider implements LlmProvider {
  readonly name = "gemini" as const;
  private readonly client: GoogleGenAI;

  constructor(
    readonly model: string,
    opts: { apiKey: string; baseUrl?: string },
  ) {
    this.client = new GoogleGenAI({
      apiKey: opts.apiKey,
      httpOptions: {
        ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
        // No retries here: a failing provider is the chain's to skip, fast.
        retryOptions: { attempts: 1 },
      },
    });
  }

  async send(messages: ChatMessage[], tools: ToolSpec[], opts: { signal: AbortSignal }): Promise<LlmResult> {
    const system = messages.filter((m) => m.role === "system").map((m) => m.content);
    const res = await this.client.models
      .generateContent({
        model: this.model,
        contents: toContents(messages),
        config: {
          abortSignal: opts.signal,
          temperature: 0,
          ...(system.length ? { systemInstruction: system.join("\n\n") } : {}),
          ...(tools.length
            ? {
                tools: [
                  {
                    functionDeclarations: tools.map((t) => ({
                      name: t.name,
                      description: t.description,
                      parametersJsonSchema: t.parameters,
                    })),
                  },
                ],
              }
            : {}),
        },
      })
      .catch(unparseableAsMalformed);
    const parts = res.candidates?.[0]?.content?.parts ?? [];
    const calls = parts.filter((p) => p.functionCall?.name);
    if (calls.length > 0)
      return {
        type: "tool_calls",
        calls: calls.map((p, i) => ({
          id: p.functionCall?.id ?? `call-${i}`,
          name: p.functionCall?.name ?? "",
          arguments: p.functionCall?.args ?? {},
        })),
      };
    const text = parts
      .map((p) => p.text ?? "")
      .join("")
      .trim();
    if (!text) throw new MalformedOutputError("the answer has no text and no function call");
    return { type: "text", text };
  }
}
