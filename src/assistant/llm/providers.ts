/** The configured LLM providers, in LLM_PROVIDERS order (the built-in engine is the chain's fallback). */
import type { Config } from "../../config/config.js";
import type { Logger } from "../../observability/logger.js";
import { GeminiProvider } from "./gemini-provider.js";
import type { LlmProvider } from "./llm-provider.js";
import { OpenAiProvider } from "./openai-provider.js";

export function createProviders(llm: Config["llm"], logger: Logger): LlmProvider[] {
  const out: LlmProvider[] = [];
  for (const name of llm.providers) {
    if (name === "builtin") continue;
    if (name === "openai") {
      if (llm.openai.apiKey)
        out.push(
          new OpenAiProvider("openai", llm.openai.model, {
            apiKey: llm.openai.apiKey,
            baseUrl: llm.openai.baseUrl,
          }),
        );
      else logger.warn("LLM_PROVIDERS names openai but OPENAI_API_KEY is not set; skipped");
    } else if (name === "gemini") {
      if (llm.gemini.apiKey)
        out.push(
          new GeminiProvider(llm.gemini.model, { apiKey: llm.gemini.apiKey, baseUrl: llm.gemini.baseUrl }),
        );
      else logger.warn("LLM_PROVIDERS names gemini but GEMINI_API_KEY is not set; skipped");
    } else if (name === "local") {
      if (llm.local.url) out.push(new OpenAiProvider("local", llm.local.model, { baseUrl: llm.local.url }));
      else logger.warn("LLM_PROVIDERS names local but LOCAL_LLM_URL is not set; skipped");
    }
  }
  return out;
}
