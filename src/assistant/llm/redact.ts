/**
 * Redaction of what is sent to LLM providers (on unless LLM_REDACT=false): tokens and keys, URL
 * credentials, IP addresses and e-mail addresses become placeholders, so they never leave the network
 * in a prompt. IP addresses get numbered placeholders ([ip-1], [ip-2]) that a {@link Redactor} maps
 * back in the model's tool arguments and answer: on a fleet whose hosts are named by IP the model can
 * still tell them apart and ask about one, while the addresses themselves stay here.
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
];

const IP =
  /\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b|\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b/gi;
const PLACEHOLDER = /\[ip-(\d{1,6})\]/g;

/** One conversation turn's redaction: the same address is the same placeholder throughout. */
export class Redactor {
  private readonly byIp = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();

  redact(text: string): string {
    return redactSecrets(text).replace(IP, (ip) => {
      let placeholder = this.byIp.get(ip);
      if (!placeholder) {
        placeholder = `[ip-${this.byIp.size + 1}]`;
        this.byIp.set(ip, placeholder);
        this.byPlaceholder.set(placeholder, ip);
      }
      return placeholder;
    });
  }

  /** Text from the model with its placeholders turned back into the addresses they stand for. */
  restore(text: string): string {
    return text.replace(PLACEHOLDER, (p) => this.byPlaceholder.get(p) ?? p);
  }

  /** Tool arguments from the model, every string restored (objects and arrays walked). */
  restoreArgs(value: unknown): unknown {
    if (typeof value === "string") return this.restore(value);
    if (Array.isArray(value)) return value.map((v) => this.restoreArgs(v));
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.restoreArgs(v)]));
    return value;
  }
}

function redactSecrets(text: string): string {
  // First, so a password in a URL goes whole, before the patterns below see parts of it.
  let out = withoutCredentials(text);
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  return out;
}

/** Redacts one text on its own (addresses numbered within it). */
export function redact(text: string): string {
  return new Redactor().redact(text);
}
