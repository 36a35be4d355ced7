/**
 * Redaction of what is sent to LLM providers (on unless LLM_REDACT=false): tokens and keys, URL
 * credentials, IP addresses and e-mail addresses become placeholders, so they never leave the network
 * in a prompt.
 */
import { withoutCredentials } from "../../observability/redact-url.js";

const PATTERNS: [RegExp, string][] = [
  // Slack, OpenAI, GitHub, AWS and Google keys; bearer tokens; JWTs.
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, "[token]"],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, "[token]"],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, "[token]"],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, "[token]"],
  [/\bAKIA[0-9A-Z]{16}\b/g, "[token]"],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, "[token]"],
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, "[token]"],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{12,}/gi, "$1 [token]"],
  [/\b(password|passwd|secret|token|api[_-]?key)\s*[=:]\s*\S+/gi, "$1=[redacted]"],
  [/\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b/g, "[email]"],
  [/\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/g, "[ip]"],
  [/\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b/gi, "[ip]"],
];

export function redact(text: string): string {
  // First, so a password in a URL goes whole, before the patterns below see parts of it.
  let out = withoutCredentials(text);
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  return out;
}
