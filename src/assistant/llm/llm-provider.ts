/**
 * The contract every LLM vendor is put behind: messages and read-only tools in, either tool calls or a
 * final answer out. Vendors' wire formats stay in their provider modules.
 */
export type ChatRole = "system" | "user" | "assistant" | "tool";

export interface ToolCall {
  id: string;
  name: string;
  /** As the model sent them: unvalidated. */
  arguments: unknown;
}

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** On assistant messages that called tools. */
  toolCalls?: ToolCall[];
  /** On tool messages: which call this answers, and the tool's name. */
  toolCallId?: string;
  name?: string;
}

/** A tool as the model sees it. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export type LlmResult = { type: "tool_calls"; calls: ToolCall[] } | { type: "text"; text: string };

export interface LlmProvider {
  /** "openai", "gemini" or "local": what the reply says answered. */
  readonly name: "openai" | "gemini" | "local";
  readonly model: string;
  send(messages: ChatMessage[], tools: ToolSpec[], opts: { signal: AbortSignal }): Promise<LlmResult>;
}

/** A provider answered something the chain cannot use (no choices, empty text, unparseable). */
export class MalformedOutputError extends Error {
  override name = "MalformedOutputError";
}

/**
 * For a provider's SDK call: the SDKs parse the body themselves, so a body that is not JSON (a
 * proxy's HTML error page) surfaces as a bare SyntaxError; it is an unusable answer like any other.
 */
export function unparseableAsMalformed(e: unknown): never {
  if (e instanceof SyntaxError)
    throw new MalformedOutputError(`the answer is not JSON: ${e.message}`, { cause: e });
  throw e;
}
