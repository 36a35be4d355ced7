/**
 * PromQL building blocks. User text never becomes PromQL by pasting: label values go through these
 * escapers, and only label names from our own code are used.
 */

/** Escapes a value for a double-quoted PromQL string literal (Go string rules). */
export function escapeLabelValue(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
}

/** Escapes a literal for use inside a RE2 regex matcher, then for the PromQL string around it. */
export function escapeRegexValue(value: string): string {
  return escapeLabelValue(value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** A label matcher; `op` is one of PromQL's four. */
export interface LabelMatcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  /** For `=~`/`!~`, a regex written by our code (not by users). */
  value: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Renders matchers as the inside of `{...}`, without braces. */
export function renderMatchers(matchers: readonly LabelMatcher[]): string {
  return matchers
    .map((m) => {
      if (!LABEL_NAME.test(m.label)) throw new Error(`invalid label name: ${m.label}`);
      return `${m.label}${m.op}"${m.op === "=~" || m.op === "!~" ? m.value : escapeLabelValue(m.value)}"`;
    })
    .join(",");
}

/**
 * Matches one host by its `instance` label, with or without a port: `web-1` matches `web-1:9100` and
 * `web-1`. The host is escaped as a regex literal.
 */
export function hostMatcher(host: string): LabelMatcher {
  return { label: "instance", op: "=~", value: `${escapeRegexValue(host)}(:[0-9]+)?` };
}

/** The host part of an instance label: "web-1:9100" → "web-1", "[::1]:9100" → "::1". */
export function hostOfInstance(instance: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed?.[1]) return bracketed[1];
  const idx = instance.lastIndexOf(":");
  if (idx > 0 && /^\d+$/.test(instance.slice(idx + 1)) && instance.indexOf(":") === idx) {
    return instance.slice(0, idx);
  }
  return instance;
}

/** Formats a duration in seconds as a PromQL duration: 300 → "5m", 5400 → "90m", 86400 → "1d". */
export function promDuration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}
