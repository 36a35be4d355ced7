/**
 * The built-in engine's question parser: plain words in, an Intent out, with no LLM. Deterministic,
 * typo-tolerant on a fixed vocabulary, and bounded: long or odd text is classified, never echoed into
 * PromQL (a host it returns is only a token of [A-Za-z0-9._:-]).
 */
import * as chrono from "chrono-node";
import type { Intent, ParseContext, ParsedQuestion, Resource, TimeRange } from "./intent.js";

/** Longest question the parser reads; longer text is refused as too long. */
export const MAX_QUESTION_CHARS = 2000;

const HOST_TOKEN = /^[A-Za-z0-9._:-]{1,253}$/;

/** Canonical keyword → the words (and common misspellings) that mean it. */
const VOCABULARY: Record<string, readonly string[]> = {
  cpu: ["cpu", "cpus", "processor", "processors", "compute", "utilisation", "utilization"],
  memory: ["memory", "mem", "ram", "memroy", "memmory"],
  disk: [
    "disk",
    "disks",
    "dsk",
    "storage",
    "filesystem",
    "filesystems",
    "fs",
    "space",
    "partition",
    "volume",
    "volumes",
  ],
  load: ["load", "loadavg", "load1", "load5", "load15"],
  network: [
    "network",
    "net",
    "bandwidth",
    "traffic",
    "throughput",
    "rx",
    "tx",
    "ingress",
    "egress",
    "nic",
    "netwrok",
  ],
  health: [
    "health",
    "healthy",
    "helth",
    "status",
    "overview",
    "summary",
    "ok",
    "okay",
    "fine",
    "doing",
    "things",
    "state",
    "situation",
  ],
  down: ["down", "unreachable", "failing", "failed", "dead", "offline", "unhealthy", "broken", "missing"],
  targets: [
    "target",
    "targets",
    "scrape",
    "scrapes",
    "scraping",
    "monitor",
    "monitored",
    "monitoring",
    "exporters",
    "jobs",
    "endpoints",
  ],
  containers: ["container", "containers", "docker", "pod", "pods", "cadvisor", "contianers", "conatiners"],
  restart: [
    "restart",
    "restarts",
    "restarting",
    "restarted",
    "crashloop",
    "crashlooping",
    "crashloopbackoff",
    "crashing",
    "crashed",
    "flapping",
  ],
  anomalies: [
    "anomaly",
    "anomalies",
    "anomalous",
    "unusual",
    "outlier",
    "outliers",
    "weird",
    "strange",
    "abnormal",
    "odd",
    "suspicious",
  ],
  help: ["help", "commands", "capabilities"],
  top: [
    "top",
    "most",
    "highest",
    "busiest",
    "worst",
    "heaviest",
    "biggest",
    "largest",
    "rank",
    "ranking",
    "hottest",
    "hungriest",
    "fullest",
  ],
  compare: ["vs", "versus", "compare", "compared", "comparison", "against"],
  trend: [
    "trend",
    "trends",
    "history",
    "historical",
    "graph",
    "chart",
    "plot",
    "over",
    "evolution",
    "timeline",
    "since",
  ],
  hosts: [
    "host",
    "hosts",
    "server",
    "servers",
    "node",
    "nodes",
    "machine",
    "machines",
    "instance",
    "instances",
    "box",
    "boxes",
  ],
};

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  a: 1,
  an: 1,
};

/** Words that are never host names, even after "on" or "for". */
const STOPWORDS = new Set([
  "the",
  "a",
  "an",
  "all",
  "my",
  "our",
  "this",
  "that",
  "last",
  "past",
  "now",
  "today",
  "yesterday",
  "week",
  "hour",
  "hours",
  "day",
  "days",
  "me",
  "it",
  "is",
  "are",
  "of",
  "in",
  "on",
  "for",
  "at",
  "and",
  "or",
  "what",
  "how",
  "which",
  "who",
  "show",
  "give",
  "tell",
  "usage",
  "used",
  "use",
  "percent",
  "please",
  "pls",
  "right",
  "currently",
  "current",
  "every",
  "each",
  "any",
  "there",
  "with",
  "by",
  "from",
  "to",
  "minutes",
  "minute",
  "month",
  "vs",
  "versus",
  "average",
  "avg",
  "peak",
  "max",
  "min",
  "utilization",
  "level",
  "levels",
]);

const EXAMPLES = [
  "what's the current system health?",
  "show me cpu trends for the last hour",
  "memory usage on web-1",
  "disk space",
  "load average",
  "network traffic last 6h",
  "cpu this week vs last week",
  "top 5 hosts by memory",
  "which targets are down?",
  "list targets",
  "running containers",
  "which containers are restarting?",
  "top containers by cpu",
  "any anomalies?",
  "help",
] as const;

/** Example questions the engine answers; shown in help and as suggestions. */
export const EXAMPLE_QUESTIONS: readonly string[] = EXAMPLES;

/** Damerau–Levenshtein distance (optimal string alignment), bounded early for speed. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    for (let j = 0; j <= b.length; j++) prev2[j] = prev[j] as number;
    prev = cur;
    if (rowMin > max) return max + 1;
  }
  return prev[b.length] as number;
}

const WORD_TO_KEY = new Map<string, string>();
for (const [key, words] of Object.entries(VOCABULARY)) for (const w of words) WORD_TO_KEY.set(w, key);

/** The canonical keyword a token means, tolerating one typo in 4–7 letter words and two in longer ones. */
function keywordOf(token: string): string | undefined {
  const exact = WORD_TO_KEY.get(token);
  if (exact) return exact;
  if (token.length < 4 || !/^[a-z]+$/.test(token)) return undefined;
  const max = token.length >= 8 ? 2 : 1;
  let best: string | undefined;
  let bestD = max + 1;
  for (const [word, key] of WORD_TO_KEY) {
    if (word.length < 4) continue;
    const d = editDistance(token, word, max);
    if (d < bestD) {
      bestD = d;
      best = key;
    }
  }
  return best;
}

interface Tokens {
  /** Lowercased words, as written. */
  words: string[];
  /** Canonical keywords present. */
  keys: Set<string>;
  text: string;
}

function tokenize(text: string, environments: readonly string[] = []): Tokens {
  const words = text
    .toLowerCase()
    .replace(/[’']/g, "'")
    .split(/[^a-z0-9._:'-]+/)
    .map((w) => w.replace(/^['.:-]+|['.:-]+$/g, "").replace(/'s$/, ""))
    .filter(Boolean);
  const keys = new Set<string>();
  for (const w of words) {
    // "prod" is an environment, not a typo of anything.
    if (isEnvironmentWord(w, environments)) continue;
    const k = keywordOf(w);
    if (k) keys.add(k);
  }
  return { words, keys, text: ` ${words.join(" ")} ` };
}

const UNIT_SECONDS: Array<[RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)$/, 1],
  [/^(m|min|mins|minute|minutes)$/, 60],
  [/^(h|hr|hrs|hour|hours)$/, 3600],
  [/^(d|day|days)$/, 86400],
  [/^(w|wk|wks|week|weeks)$/, 604800],
];

function unitSeconds(unit: string): number | undefined {
  for (const [re, s] of UNIT_SECONDS) if (re.test(unit)) return s;
  return undefined;
}

function shortLabel(seconds: number): string {
  if (seconds % 3600 === 0 && seconds <= 86400) return `${seconds / 3600}h`;
  if (seconds % 604800 === 0 && seconds >= 604800) return `${seconds / 86400}d`;
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const MIN_RANGE = 60;
const MAX_RANGE = 31 * 86400;

function clampRange(from: number, to: number, label: string): TimeRange {
  const f = Math.min(MAX_RANGE + to, Math.max(to + MIN_RANGE, Math.round(from)));
  return { fromSecondsAgo: f, toSecondsAgo: Math.max(0, Math.round(to)), label };
}

function lastRange(seconds: number): TimeRange {
  const s = Math.min(MAX_RANGE, Math.max(MIN_RANGE, Math.round(seconds)));
  return clampRange(s, 0, `last ${shortLabel(s)}`);
}

function startOfDayUtc(now: Date, daysBack = 0): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysBack) / 1000;
}

function startOfWeekUtc(now: Date): number {
  const dow = (now.getUTCDay() + 6) % 7; // Monday = 0
  return startOfDayUtc(now, dow);
}

/** Finds a time range in the text: "last 6h", "past two days", "since yesterday", "today", "this week". */
function parseRange(t: Tokens, now: Date): TimeRange | undefined {
  const nowS = now.getTime() / 1000;
  const text = t.text;
  // "6h", "90m", "2 days", "last 30 minutes", "past two hours"
  const m =
    /(?:^| )(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)(?= |$)/.exec(
      text,
    );
  if (m?.[1] && m[2]) {
    const n = NUMBER_WORDS[m[1]] ?? Number(m[1]);
    const unit = unitSeconds(m[2]);
    if (unit && Number.isFinite(n) && n > 0) return lastRange(n * unit);
  }
  const compact = /(?:^| )(\d+)(s|m|h|d|w)(?= |$)/.exec(text);
  if (compact?.[1] && compact[2]) {
    const unit = unitSeconds(compact[2]);
    if (unit) return lastRange(Number(compact[1]) * unit);
  }
  if (/ (last|past|previous) (hour|1 hour) /.test(text) || / an hour /.test(text)) return lastRange(3600);
  if (/ (last|past|previous) (minute) /.test(text)) return lastRange(60);
  if (/ (last|past|previous) (day|24 hours) /.test(text)) return lastRange(86400);
  if (/ (last|past|previous) month /.test(text)) return lastRange(30 * 86400);
  if (/ since yesterday /.test(text)) return clampRange(nowS - startOfDayUtc(now, 1), 0, "since yesterday");
  if (/ yesterday /.test(text))
    return clampRange(nowS - startOfDayUtc(now, 1), nowS - startOfDayUtc(now, 0), "yesterday");
  if (/ today /.test(text)) return clampRange(nowS - startOfDayUtc(now, 0), 0, "today");
  if (/ this week /.test(text)) return clampRange(nowS - startOfWeekUtc(now), 0, "this week");
  if (/ (last|past|previous) week /.test(text)) return lastRange(604800);
  const since = / since (.+?) $/.exec(text);
  if (since?.[1]) {
    const [found] = chrono.parse(since[1], { instant: now, timezone: 0 }, { forwardDate: false });
    if (found) {
      let date = found.start.date();
      // "since monday" means from the start of that day, not from noon (chrono's default hour).
      if (!found.start.isCertain("hour"))
        date = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
      if (date.getTime() < now.getTime()) {
        return clampRange(nowS - date.getTime() / 1000, 0, `since ${since[1].trim().slice(0, 40)}`);
      }
    }
  }
  return undefined;
}

/** "this week vs last week", "today vs yesterday", "compare memory today with yesterday". */
function parseComparison(t: Tokens, now: Date): { range: TimeRange; offsetSeconds: number } | undefined {
  const text = t.text;
  const nowS = now.getTime() / 1000;
  const isCompare =
    t.keys.has("compare") || / with (yesterday|last week|the day before|the week before) /.test(text);
  if (!isCompare) return undefined;
  if (/ (today|yesterday|day) /.test(text) && !/ week /.test(text)) {
    return { range: clampRange(nowS - startOfDayUtc(now, 0), 0, "today"), offsetSeconds: 86400 };
  }
  if (/ this week /.test(text))
    return { range: clampRange(nowS - startOfWeekUtc(now), 0, "this week"), offsetSeconds: 604800 };
  if (/ week /.test(text)) return { range: lastRange(604800), offsetSeconds: 604800 };
  const r = parseRange(t, now) ?? lastRange(86400);
  return { range: r, offsetSeconds: r.fromSecondsAgo - r.toSecondsAgo };
}

function parseTopN(t: Tokens): number {
  const m = /(?:^| )top (\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty)(?= |$)/.exec(t.text);
  const n = m?.[1] ? (NUMBER_WORDS[m[1]] ?? Number(m[1])) : 5;
  return Math.min(50, Math.max(1, Math.round(n)));
}

const ENV_ALIASES: Record<string, readonly string[]> = {
  prod: ["prod", "production", "prd", "live"],
  staging: ["staging", "stage", "stg"],
  dev: ["dev", "development", "develop"],
  test: ["test", "testing", "qa"],
};

function findEnvironment(t: Tokens, environments: readonly string[]): string | undefined {
  for (const env of environments) {
    const aliases = new Set([
      env,
      ...(Object.entries(ENV_ALIASES).find(([, a]) => a.includes(env))?.[1] ?? []),
    ]);
    if (t.words.some((w) => aliases.has(w))) return env;
  }
  return undefined;
}

function isEnvironmentWord(word: string, environments: readonly string[]): boolean {
  return environments.includes(word) || Object.values(ENV_ALIASES).some((a) => a.includes(word));
}

/** A host named in the text: a known host (exactly or nearly), or a host-like token after "on"/"for". */
function findHost(t: Tokens, ctx: ParseContext): string | undefined {
  const hosts = ctx.hosts;
  const squash = (s: string) => s.toLowerCase().replace(/[-_.]/g, "");
  for (const w of t.words) {
    const exact = hosts.find((h) => h.toLowerCase() === w || squash(h) === squash(w));
    if (exact) return exact;
  }
  for (const w of t.words) {
    if (w.length < 4 || WORD_TO_KEY.has(w) || STOPWORDS.has(w)) continue;
    const near = hosts.filter((h) => editDistance(w, h.toLowerCase(), 1) <= 1);
    if (near.length === 1) return near[0];
  }
  const m = / (?:on|for|at|of|host|server|node|instance|machine) ([a-z0-9._:-]+)(?= |$)/.exec(t.text);
  const candidate = m?.[1];
  if (
    candidate &&
    HOST_TOKEN.test(candidate) &&
    !STOPWORDS.has(candidate) &&
    !WORD_TO_KEY.has(candidate) &&
    !keywordOf(candidate) &&
    !isEnvironmentWord(candidate, ctx.environments) &&
    !/^\d+[smhdw]?$/.test(candidate) &&
    // "on the hosts", "for all servers" and "for 6h" are not host names.
    !NUMBER_WORDS[candidate]
  ) {
    return candidate;
  }
  return undefined;
}

function resourceOf(t: Tokens): Resource | undefined {
  for (const r of ["cpu", "memory", "disk", "load", "network"] as const) if (t.keys.has(r)) return r;
  return undefined;
}

function classify(t: Tokens, now: Date, hasHost: boolean): Intent {
  const k = t.keys;
  const text = t.text;
  if (
    k.has("help") ||
    /^ (\?|what can you do|what do you do|how do i use you|commands) $/.test(text) ||
    / what can you (do|answer) /.test(text)
  ) {
    return { kind: "help" };
  }
  if (text.trim() === "?") return { kind: "help" };
  if (k.has("anomalies")) return { kind: "anomalies" };
  const resource = resourceOf(t);
  if (k.has("containers") || (k.has("restart") && !resource)) {
    const view = k.has("restart")
      ? "restarting"
      : k.has("top") && resource === "memory"
        ? "top_memory"
        : resource === "memory"
          ? "top_memory"
          : resource === "cpu" || k.has("top")
            ? "top_cpu"
            : "running";
    return { kind: "containers", view, n: parseTopN(t) };
  }
  if (k.has("down") && !resource) return { kind: "targets_down" };
  // "busiest hosts", "worst servers last 24h": a ranking with no resource named ranks by CPU.
  if (k.has("top") && k.has("hosts") && !resource) {
    const range = parseRange(t, now);
    return range
      ? { kind: "top_hosts", resource: "cpu", n: parseTopN(t), range }
      : { kind: "top_hosts", resource: "cpu", n: parseTopN(t) };
  }
  if (k.has("targets") && !resource) return { kind: "targets" };
  if (resource) {
    const cmp = parseComparison(t, now);
    if (cmp) return { kind: "metric_compare", resource, ...cmp };
    const range = parseRange(t, now);
    if (k.has("top") || (k.has("hosts") && / (which|what) /.test(text) && !hasHost)) {
      return range
        ? { kind: "top_hosts", resource, n: parseTopN(t), range }
        : { kind: "top_hosts", resource, n: parseTopN(t) };
    }
    if (range) return { kind: "metric_trend", resource, range };
    if (k.has("trend")) return { kind: "metric_trend", resource, range: lastRange(3600) };
    return { kind: "metric_now", resource };
  }
  if (
    k.has("health") ||
    / (how are|hows|how is|is everything|everything|all good|anything wrong|what wrong|whats wrong|any problems|any issues) /.test(
      text,
    )
  ) {
    return { kind: "health" };
  }
  if (hasHost) return { kind: "health" };
  return { kind: "unknown", reason: "not_understood" };
}

/** Parses a question. `now` anchors relative times (default: the current time). */
export function parseQuestion(text: string, ctx: ParseContext, now: Date = new Date()): ParsedQuestion {
  // Control characters (including escape sequences) carry no meaning in a question.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = (text ?? "").replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  if (clean.length === 0) return { intent: { kind: "unknown", reason: "empty" } };
  if (clean.length > MAX_QUESTION_CHARS) return { intent: { kind: "unknown", reason: "too_long" } };
  const t = tokenize(clean, ctx.environments);
  if (t.words.length === 0) {
    return { intent: clean.includes("?") ? { kind: "help" } : { kind: "unknown", reason: "not_understood" } };
  }
  const environment = findEnvironment(t, ctx.environments);
  const host = findHost(t, ctx);
  const intent = classify(t, now, host !== undefined);
  const out: ParsedQuestion = { intent };
  if (host && intent.kind !== "unknown" && intent.kind !== "help") out.host = host;
  if (environment) out.environment = environment;
  return out;
}

/** The example questions closest to `text` (by shared keywords and words), best first; never empty. */
export function suggestQuestions(text: string, limit = 3): string[] {
  const t = tokenize((text ?? "").slice(0, MAX_QUESTION_CHARS));
  const scored = EXAMPLES.map((q, i) => {
    const e = tokenize(q);
    let score = 0;
    for (const k of e.keys) if (t.keys.has(k)) score += 2;
    for (const w of e.words) if (!STOPWORDS.has(w) && t.words.includes(w)) score += 1;
    return { q, score, i };
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  const picked: string[] = scored
    .filter((s) => s.score > 0)
    .slice(0, limit)
    .map((s) => s.q);
  for (const q of ["what's the current system health?", "show me cpu trends for the last hour", "help"]) {
    if (picked.length >= limit) break;
    if (!picked.includes(q)) picked.push(q);
  }
  return picked.slice(0, Math.max(1, limit));
}
