/**
 * OpenAI Chat Completions with tools, through the `openai` SDK; also any OpenAI-compatible server
 * (Ollama, llama.cpp, vLLM) as the "local" provider. The SDK does not retry: a failing provider is
 * the chain's to skip, fast.
 */
import OpenAI from "openai";
import {
  type ChatMessage,
  type LlmProvider,
  type LlmResult,
  MalformedOutputError,
  type ToolSpec,
  unparseableAsMalformed,
} from "./llm-provider.js";

type OpenAiMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

function toOpenAi(m: ChatMessage): OpenAiMessage {
  if (m.role === "tool") return { role: "tool", tool_call_id: m.toolCallId ?? "", content: m.content };
  if (m.role === "assistant")
    return {
      role: "assistant",
      content: m.content || null,
      ...(m.toolCalls?.length
        ? {
            tool_calls: m.toolCalls.map((c) => ({
              id: c.id,
              type: "function" as const,
              function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
            })),
          }
        : {}),
    };
  return { role: m.role, content: m.content };
}

export class OpenAiProvider implements LlmProvider {
  private readonly client: OpenAI;

  constructor(
    readonly name: "openai" | "local",
    readonly model: string,
    opts: { apiKey?: string; baseUrl?: string },
  ) {
    this.client = new OpenAI({
      // Local servers ignore the key, but the SDK requires one.
      apiKey: opts.apiKey ?? "not-needed",
      ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}),
      maxRetries: 0,
    });
  }

  async send(messages: ChatMessage[], tools: ToolSpec[], opts: { signal: AbortSignal }): Promise<LlmResult> {
    const res = await this.client.chat.completions
      .create(
        {
          model: this.model,
          messages: messages.map(toOpenAi),
          ...(tools.length
            ? {
                tools: tools.map((t) => ({
                  type: "function" as const,
                  function: { name: t.name, description: t.description, parameters: t.parameters },
                })),
              }
            : {}),
          temperature: 0,
        },
        { signal: opts.signal },
      )
      .catch(unparseableAsMalformed);
    const choice = res.choices?.[0]?.message;
    if (!choice) throw new MalformedOutputError("the answer has no choices");
    const calls = (choice.tool_calls ?? []).filter((c) => c.type === "function");
    if (calls.length > 0)
      return {
        type: "tool_calls",
        calls: calls.map((c) => {
          let args: unknown;
          try {
            args = JSON.parse(c.function.arguments || "{}");
          } catch {
            // Unparseable arguments go to the tool as they are; its validation answers the model.
            args = c.function.arguments;
          }
          return { id: c.id, name: c.function.name, arguments: args };
        }),
      };
    const text = choice.content?.trim();
    if (!text) throw new MalformedOutputError("the answer is empty");
    return { type: "text", text };
  }
}
