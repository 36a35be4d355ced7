/**
 * Evaluation of a provider on cases kept as data (question, canned tool results, facts the answer must
 * contain): the real chain and tool validation, with each tool answering its canned result, so a
 * model's answers can be compared across providers and versions without live data.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { Logger } from "../../observability/logger.js";
import { makeReply, plainText } from "../../reply/reply.js";
import { LlmChain } from "./llm-chain.js";
import type { LlmProvider } from "./llm-provider.js";
import type { ToolContext, ToolResult } from "./tools.js";

const evalCase = z.object({
  id: z.string(),
  question: z.string().min(1).max(2000),
  tools: z.record(
    z.string(),
    z.object({
      status: z.enum(["success", "error", "no_data"]),
      data: z.unknown().optional(),
      error: z.string().optional(),
    }),
  ),
  mustContain: z.array(z.string()).min(1),
  mustNotContain: z.array(z.string()).default([]),
});
export type EvalCase = z.infer<typeof evalCase>;

export function loadEvalCases(path: string): EvalCase[] {
  return z.object({ cases: z.array(evalCase).min(1) }).parse(JSON.parse(readFileSync(path, "utf8"))).cases;
}

export interface EvalResult {
  id: string;
  passed: boolean;
  answeredBy: string;
  missing: string[];
  unwanted: string[];
  seconds: number;
}

export async function evaluate(
  provider: LlmProvider,
  cases: EvalCase[],
  tools: Omit<ToolContext, "signal" | "attach" | "canned">,
  logger: Logger,
): Promise<EvalResult[]> {
  const out: EvalResult[] = [];
  for (const c of cases) {
    const chain = new LlmChain({
      providers: [provider],
      // No engine here: a case the provider cannot answer fails.
      fallback: {
        answer: async () => ({
          reply: makeReply({ title: "no answer", text: "" }),
          provider: "builtin",
          intent: "none",
        }),
      },
      tools: { ...tools, canned: c.tools as Record<string, ToolResult> },
      logger,
      providerTimeoutMs: 60_000,
      deadlineMs: 120_000,
    });
    const started = performance.now();
    const answer = await chain.answer({ platform: "cli", user: "eval", channel: "eval", text: c.question });
    const text = `${answer.reply.title}\n${plainText(answer.reply.text)}`.toLowerCase();
    const missing = c.mustContain.filter((f) => !text.includes(f.toLowerCase()));
    const unwanted = c.mustNotContain.filter((f) => text.includes(f.toLowerCase()));
    out.push({
      id: c.id,
      passed: answer.provider === provider.name && missing.length === 0 && unwanted.length === 0,
      answeredBy: answer.provider,
      missing,
      unwanted,
      seconds: (performance.now() - started) / 1000,
    });
  }
  return out;
}
