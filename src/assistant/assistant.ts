/** The one thing chat platforms need from the assistant: an answer to an inbound question. */
import type { Answer, Inbound } from "../reply/reply.js";

export interface Assistant {
  /** Always resolves with a reply (errors become error replies); never rejects for bad input. */
  answer(inbound: Inbound, signal?: AbortSignal): Promise<Answer>;
}
