/** The one thing chat platforms need from the assistant: an answer to an inbound question. */
import type { Answer, Inbound, ProviderName } from "../reply/reply.js";

export interface Assistant {
  /** Always resolves with a reply (errors become error replies); never rejects for bad input. */
  answer(inbound: Inbound, signal?: AbortSignal): Promise<Answer>;
}

/** Findings already gathered, for an LLM to tell in a few sentences. */
export interface NarrationRequest {
  /** What the account is about, as the model is asked ("First look at alert DiskFull on db-1"). */
  subject: string;
  /** The findings, as the tool result the model reads (numbers and times already formatted). */
  facts: unknown;
}

export interface Narration {
  text: string;
  provider: ProviderName;
  model: string;
}

/** Writes a short account over findings; undefined when no usable one could be had. */
export interface Narrator {
  narrate(request: NarrationRequest, signal?: AbortSignal): Promise<Narration | undefined>;
}
