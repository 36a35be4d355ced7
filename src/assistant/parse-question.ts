/**
 * The built-in engine's question parser: plain words in, an Intent out, with no LLM. Deterministic,
 * typo-tolerant on a fixed vocabulary, and bounded: long or odd text is classified, never echoed into
 * PromQL (a host it returns is only a token of [A-Za-z0-9._:-]).
 *
 * Which signal a question names (see `signalOf`), where words could mean several:
 * - "disk" alone is the fullest file system's used %; "disk io", "disk busy", "iops" are the busiest
 *   disk's busy time; "disk reads" / "disk writes" are bytes per second; reads and writes together
 *   are busy time.
 * - "network", "traffic", "bandwidth", "throughput" are throughput in and out; "inbound", "rx",
 *   "network in" only received, "outbound", "tx", "network out" only sent; "errors" next to a
 *   network word, and "drops" or "packet loss" anywhere, are errors + drops.
 * - "load" is load1 per core; "load5" / "5 minute load" is load5 per core; "cpu load" is CPU busy.
 * - "busy", "utilization" with no other signal are CPU busy; "busy" next to "disk" is disk busy.
 * - "system" is kernel CPU only next to "cpu", "time" or "mode" ("system health" stays health);
 *   "user" is user CPU only next to "cpu", "space", "time" or "mode".
 * - "io wait", "waiting on disk" are iowait; "blocked on io" is blocked processes.
 * - "uptime", "reboot", "boot", "been up", "up since" are uptime (time since boot); so is "restart"
 *   with a host named and no container word ("did web-2 restart"); "restarting containers" and
 *   crash loops are container questions.
 * - iostat's "util" next to "disk" is disk busy; "disk utilization" spelled out is used space.
 * - vmstat's column names: "wa" is iowait, "cs" context switches.
 * - "least free X" ranks by X used, highest first.
 */
// English only: the package root also loads 15 other locales (~900 modules) that no question uses.
import * as chrono from "chrono-node/en";
import type { Intent, ParseContext, ParsedQuestion, Resource, TimeRange } from "./intent.js";
import {
  asksAgainstFleet,
  asksCapacityReport,
  asksForecast,
  asksInvestigation,
  DEFAULT_CAPACITY_WINDOW_SECONDS,
  NUMBER_WORDS,
  parseChangeMoment,
  parseHorizon,
  rightsizingView,
  saysSlow,
} from "./parse-insight.js";
import { RESOURCE_IDS, RESOURCES } from "./resources.js";

/** Longest question the parser reads; longer text is refused as too long. */
export const MAX_QUESTION_CHARS = 2000;

const HOST_TOKEN = /^[A-Za-z0-9._:-]{1,253}$/;

/** Canonical keyword → the words (and common misspellings) that mean it. */
const VOCABULARY: Record<string, readonly string[]> = {
  // Words that name a signal only together with others (see signalOf); signals' own words are in
  // resources.ts.
  q_read: ["read", "reads", "reading", "reader", "readers"],
  q_write: ["write", "writes", "writing", "written", "writer", "writers", "wirtes"],
  q_io: ["io", "iops"],
  q_wait: ["wait", "waits", "waiting"],
  q_busy: ["busy", "busiest", "busier"],
  q_user: ["user"],
  q_system: ["system", "sys"],
  q_errors: ["errors", "error", "errs", "err"],
  q_packet: ["packet", "packets"],
  q_loss: ["loss", "lost"],
  q_util: ["utilisation", "utilization", "util", "utilized", "utilised"],
  q_saturation: ["saturation", "saturated", "activity"],
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
    "sitrep",
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
  capacity: ["capacity", "headroom"],
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
    "longest",
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
    "vm",
    "vms",
    "vps",
  ],
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
  "iowait on db-1",
  "swap usage",
  "which server has the most tcp connections",
  "network errors last 24h",
  "how long has web-1 been up",
  "cpu this week vs last week",
  "top 5 hosts by memory",
  "which targets are down?",
  "list targets",
  "running containers",
  "which containers are restarting?",
  "top containers by cpu",
  "any anomalies?",
  "when will disk be full on db-1?",
  "capacity report",
  "where can we save?",
  "is web-2 slower than the others?",
  "cpu before and after 14:00",
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

/** Word → the keywords it means: an intent word ("top"), a qualifier ("q_read") or a signal id ("swap"). */
const WORD_TO_KEY = new Map<string, string[]>();
function addWord(word: string, key: string): void {
  const keys = WORD_TO_KEY.get(word) ?? [];
  if (!keys.includes(key)) keys.push(key);
  WORD_TO_KEY.set(word, keys);
}
for (const [key, words] of Object.entries(VOCABULARY)) for (const w of words) addWord(w, key);
for (const id of RESOURCE_IDS) {
  addWord(id, id);
  for (const w of RESOURCES[id].words) addWord(w, id);
}
// "busiest hosts" ranks; "busy" alone means CPU busy.
addWord("busiest", "q_busy");

/**
 * Words matched exactly only: a typo of them is more often another word ("ongoing" is not
 * "outgoing", "ready" is not "reads", "nice" is not "nics", "stopping" is not "swapping").
 */
const EXACT_ONLY = new Set([
  "reads",
  "write",
  "wait",
  "waits",
  "user",
  "busy",
  "sent",
  "send",
  "sends",
  "sending",
  "boot",
  "errs",
  "error",
  "conns",
  "estab",
  "drops",
  "loss",
  "lost",
  "nics",
  "incoming",
  "outgoing",
  "swapping",
  "dstate",
  "util",
  "load1",
  "load5",
  "mount",
  "mounts",
]);

/** Words a typo may be corrected to: four letters or more, and not {@link EXACT_ONLY}. */
const FUZZY_WORDS = [...WORD_TO_KEY].filter(([w]) => w.length >= 4 && !EXACT_ONLY.has(w));

/** The keywords a token means, tolerating one typo in 4–7 letter words and two in longer ones. */
function keywordsOf(token: string): readonly string[] {
  const exact = WORD_TO_KEY.get(token);
  if (exact) return exact;
  if (token.length < 4 || !/^[a-z]+$/.test(token)) return [];
  const max = token.length >= 8 ? 2 : 1;
  let best: readonly string[] = [];
  let bestD = max + 1;
  for (const [word, keys] of FUZZY_WORDS) {
    const d = editDistance(token, word, max);
    if (d < bestD) {
      bestD = d;
      best = keys;
    }
  }
  return best;
}

function keywordOf(token: string): string | undefined {
  return keywordsOf(token)[0];
}

/**
 * Multi-word names rewritten to one token before words are read, so that "5 minute load" is not
 * read as a five-minute range and "i/o" is not two letters.
 */
const PHRASES: Array<[RegExp, string]> = [
  [/\bi\s*\/\s*o\b/g, "io"],
  [/\b(?:1|one)[ -]?(?:m|mins?|minutes?)[ -]load(?:[ -]?(?:average|avg))?\b/g, "load1"],
  [/\b(?:5|five)[ -]?(?:m|mins?|minutes?)[ -]load(?:[ -]?(?:average|avg))?\b/g, "load5"],
  [/\bload[ -]?(?:average|avg)?[ -]?\(?(?:5|five)[ -]?(?:m|mins?|minutes?)\)?(?= |$)/g, "load5"],
  // "load 5", "loadavg 5": the five-minute figure, but not "load 5h" (a range).
  [/\bload[ -]?(?:average|avg)?[ -]?(?:5|five)(?=[ ,.?!]|$)/g, "load5"],
  [/\bd[ -]state\b/g, "dstate"],
  [/\bup[ -]time\b/g, "uptime"],
  [/\bio[ -]?wait\b/g, "iowait"],
  [/\bctx\b/g, "context"],
];

function normalizePhrases(lower: string): string {
  let out = lower;
  for (const [re, to] of PHRASES) out = out.replace(re, to);
  return out;
}

interface Tokens {
  /** Lowercased words, as written. */
  words: string[];
  /** Canonical keywords present. */
  keys: Set<string>;
  text: string;
}

function tokenize(text: string, environments: readonly string[] = []): Tokens {
  const words = normalizePhrases(text.toLowerCase().replace(/[’']/g, "'"))
    .split(/[^a-z0-9._:'-]+/)
    .map((w) => w.replace(/^['.:-]+|['.:-]+$/g, "").replace(/'s$/, ""))
    .filter(Boolean);
  const keys = new Set<string>();
  for (const w of words) {
    // "prod" is an environment, not a typo of anything.
    if (isEnvironmentWord(w, environments)) continue;
    const exact = keywordsOf(w);
    for (const k of exact) keys.add(k);
    // "context-switches", "procs_blocked", "load-average": an unknown compound is read by its parts.
    if (exact.length === 0 && /[a-z][_-][a-z]/.test(w))
      for (const part of w.split(/[_-]+/)) for (const k of keywordsOf(part)) keys.add(k);
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
  // "higher than yesterday", "worse this week than last week": a comparative against a period.
  const isCompare =
    t.keys.has("compare") ||
    / with (yesterday|last week|the day before|the week before) /.test(text) ||
    / than (it was |they were |it did |usual for )?(yesterday|last week|the day before|the week before|the previous (day|week)) /.test(
      text,
    );
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
  const m = / (on|for|at|of|host|server|node|instance|machine) ([a-z0-9._:-]+)(?= |$)/.exec(t.text);
  const candidate = m?.[2];
  // After a noun ("which host has…", "server spends…") only a name-like token is a host: "host web-3".
  const afterNoun = m?.[1] !== undefined && !["on", "for", "at", "of"].includes(m[1]);
  if (
    candidate &&
    (!afterNoun || /[0-9.:_-]/.test(candidate)) &&
    HOST_TOKEN.test(candidate) &&
    !STOPWORDS.has(candidate) &&
    !WORD_TO_KEY.has(candidate) &&
    !keywordOf(candidate) &&
    !isEnvironmentWord(candidate, ctx.environments) &&
    !/^\d+[smhdw]?$/.test(candidate) &&
    // "at 14:00" is a time, "on idle servers" a state, "than the fleet" the others.
    !/^\d{1,2}(:\d{2})?(am|pm)?$/.test(candidate) &&
    !NOT_HOSTS.has(candidate) &&
    // "on the hosts", "for all servers" and "for 6h" are not host names.
    !NUMBER_WORDS[candidate]
  ) {
    return candidate;
  }
  // "is web-9 slower than the others?": a name shaped like a host's (letters, a separator, a final
  // digit) is one even where no "on" precedes it, so an unknown one is answered as unknown by name.
  return t.words.find(
    (w) =>
      /^[a-z][a-z0-9]*[-_.][a-z0-9.-]*\d$/.test(w) &&
      HOST_TOKEN.test(w) &&
      !WORD_TO_KEY.has(w) &&
      !isEnvironmentWord(w, ctx.environments) &&
      !/^(load|ipv)[-_.]?\d$/.test(w),
  );
}

/** Words after "on", "for", "at" that are no host names in planning questions. */
const NOT_HOSTS = new Set([
  "idle",
  "unused",
  "fleet",
  "others",
  "rest",
  "average",
  "deploy",
  "release",
  "restart",
  "upgrade",
  "cost",
  "costs",
  "savings",
  "noon",
  "midnight",
]);

/** Signals that make "errors" about the network. */
const NETWORK_SIGNALS = ["network", "network_in", "network_out"] as const;
/** Words that make "read", "write" about the network rather than disks. */
const NETWORK_WORDS = new Set([
  "network",
  "net",
  "traffic",
  "bandwidth",
  "nic",
  "nics",
  "interface",
  "interfaces",
]);

/** "network in on web-1", "traffic in": "in" right after a network word, not "network in prod". */
function saysNetworkIn(t: Tokens, environments: readonly string[], hosts: readonly string[]): boolean {
  for (let i = 1; i < t.words.length; i++) {
    if (t.words[i] !== "in" || !keywordsOf(t.words[i - 1] as string).includes("network")) continue;
    const next = t.words[i + 1];
    if (next === undefined || ["on", "for", "at", "of", "to", "by", "trend", "now"].includes(next))
      return true;
    if (hosts.some((h) => h.toLowerCase() === next)) return true;
    if (!isEnvironmentWord(next, environments) && !STOPWORDS.has(next) && !/^\d/.test(next)) return true;
  }
  return false;
}

/**
 * The signal a question names. Order matters: the most specific first ("cpu iowait" is iowait,
 * "swap space" is swap, "user space" is user CPU, "blocked on io" is blocked processes), the broad
 * ones last ("cpu load" is CPU, "busy" alone is CPU). The header lists the ambiguity rules.
 */
function signalOf(t: Tokens, ctx: ParseContext, hasHost: boolean): Resource | undefined {
  const k = t.keys;
  const text = t.text;
  const has = (...keys: string[]) => keys.some((x) => k.has(x));
  const network = has(...NETWORK_SIGNALS);
  if (has("uptime") || / been (up|running) | up (for|since) | how long .*\b(up|running) /.test(text))
    return "uptime";
  // "did web-2 restart", "when was db-1 last restarted": a host's restart is a reboot; containers
  // and crash loops stay container questions.
  if (hasHost && !has("containers") && t.words.some((w) => /^restart(s|ed)?$/.test(w))) return "uptime";
  if (has("blocked")) return "blocked";
  if (has("context_switches")) return "context_switches";
  if (
    has("network_errors") ||
    (has("q_errors") && (network || has("q_packet"))) ||
    (has("q_packet") && has("q_loss"))
  )
    return "network_errors";
  if (has("tcp")) return "tcp";
  if (has("iowait") || (has("q_wait") && has("q_io", "disk"))) return "iowait";
  if (has("steal")) return "steal";
  if (has("cpu_user") || (has("q_user") && (has("cpu") || / user (space|time|mode) /.test(text))))
    return "cpu_user";
  if (has("cpu_system") || (has("q_system") && (has("cpu") || / (system|sys) (time|mode) /.test(text))))
    return "cpu_system";
  if (has("load5")) return "load5";
  if (has("swap")) return "swap";
  if (has("disk_read", "disk_write", "disk_io")) return RESOURCE_IDS.find((r) => k.has(r));
  // "throughput" alone is not about the network when it qualifies reads or writes ("write throughput").
  const strongNetwork = has("network_in", "network_out") || t.words.some((w) => NETWORK_WORDS.has(w));
  if (has("q_read") && has("q_write")) return "disk_io";
  if (has("q_read") && (has("disk") || !strongNetwork)) return "disk_read";
  if (has("q_write") && (has("disk") || !strongNetwork)) return "disk_write";
  // iostat's "%util" is busy time; "utilization" spelled out stays used space (see header).
  const iostatUtil = t.words.includes("util");
  if ((has("q_io") && !network) || (has("disk") && (has("q_busy", "q_saturation") || iostatUtil)))
    return "disk_io";
  if (has("network_in") || saysNetworkIn(t, ctx.environments, ctx.hosts)) return "network_in";
  if (has("network_out") || / (network|net|traffic) out /.test(text)) return "network_out";
  if (has("network")) return "network";
  if (has("memory")) return "memory";
  if (has("disk")) return "disk";
  if (has("cpu")) return "cpu";
  if (has("load")) return "load";
  if (has("q_busy", "q_util")) return "cpu";
  return undefined;
}

/** An imperative that asks the bot to change something, at the start of the text ("open connections" is a question). */
const ACTION_REQUEST =
  /^ (please |pls |can you |could you |go )?(restart|reboot|deploy|redeploy|rollback|roll back|kill|stop|scale|delete|remove|create|open (?:a|an|the|new)|execute|install|upgrade|drain|cordon|failover|provision|ssh|fix|clean up|cleanup|free up|purge) /;

function classify(t: Tokens, ctx: ParseContext, now: Date, hasHost: boolean, knownHost: boolean): Intent {
  const k = t.keys;
  const text = t.text;
  if (
    k.has("help") ||
    /^ (\?|what can you do|what do you do|how do i use you|commands) $/.test(text) ||
    / (what can you (do|answer)|what do you (know|answer|support)|what (questions|things) can i ask|what can i ask|how (do i|to|can i) use (you|this|it|the bot)) /.test(
      text,
    )
  ) {
    return { kind: "help" };
  }
  if (text.trim() === "?") return { kind: "help" };
  // A request to act ("restart nginx on web-1", "deploy to staging") is no question about metrics:
  // answering it with data (container restarts, say) would read as if it had been done.
  if (ACTION_REQUEST.test(text)) return { kind: "unknown", reason: "action" };
  const resource = signalOf(t, ctx, hasHost);
  const planning = classifyPlanning(t, ctx, now, hasHost, resource);
  if (planning) return planning;
  if (k.has("anomalies")) return { kind: "anomalies" };
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
    // "least free disk" is the most used one.
    const ranked = k.has("top") || / least (free|available|left) /.test(text);
    if (ranked || (k.has("hosts") && / (which|what) /.test(text) && !hasHost)) {
      return range
        ? { kind: "top_hosts", resource, n: parseTopN(t), range }
        : { kind: "top_hosts", resource, n: parseTopN(t) };
    }
    if (range) return { kind: "metric_trend", resource, range };
    // "how long since db-1 rebooted" asks for a duration, not a trend.
    if (k.has("trend") && !/ (how long since|since when) /.test(text))
      return { kind: "metric_trend", resource, range: lastRange(3600) };
    return { kind: "metric_now", resource };
  }
  if (
    k.has("health") ||
    / (how are|hows|how is|is everything|everything|all good|anything wrong|what wrong|whats wrong|any problems|any issues|how (\S+ ){0,2}(looking|look|doing)) /.test(
      text,
    )
  ) {
    return { kind: "health" };
  }
  // A known host alone ("web-1") asks after its health; an unknown word after "for" does not.
  if (hasHost && knownHost) return { kind: "health" };
  return { kind: "unknown", reason: "not_understood" };
}

/** Words that say the question is about storage when no signal is named ("when will it be full"). */
const STORAGE_WORDS =
  / (full|fill|fills|filling|space|storage|volume|volumes|filesystem|filesystems|partition|partitions|mount|mounts|inode|inodes) /;

/**
 * The planning questions: rightsizing and savings, capacity reports, forecasts, and the comparisons
 * that are not period vs period (host vs host, host vs the fleet, before vs after a moment).
 */
function classifyPlanning(
  t: Tokens,
  ctx: ParseContext,
  now: Date,
  hasHost: boolean,
  resource: Resource | undefined,
): Intent | undefined {
  const text = t.text;
  // A host and a "why": a first look at that host, whatever signal the question names.
  // Not when it compares: with the others, with another named host, or before and after a moment.
  if (
    hasHost &&
    asksInvestigation(text) &&
    !asksAgainstFleet(text) &&
    !parseChangeMoment(text, now) &&
    namedHosts(t, ctx).length < 2
  )
    return { kind: "investigate" };
  const view = rightsizingView(text);
  if (view) return { kind: "rightsizing", view };
  // "capcity" is the word with a slip; "capacitor" is another word: one edit at most here.
  const saysCapacity = t.words.some((w) => w === "headroom" || editDistance(w, "capacity", 1) <= 1);
  if (asksCapacityReport(text, hasHost, saysCapacity, resource !== undefined))
    return { kind: "capacity", withinSeconds: parseHorizon(text) ?? DEFAULT_CAPACITY_WINDOW_SECONDS };
  if (asksForecast(text)) {
    const forecastOf: Resource | undefined =
      resource ??
      (/ (oom|ram) /.test(text) ? "memory" : STORAGE_WORDS.test(text) || hasHost ? "disk" : undefined);
    // "forecast" alone, or "what will fill up": every mount and host, not one signal.
    if (!forecastOf)
      return { kind: "capacity", withinSeconds: parseHorizon(text) ?? DEFAULT_CAPACITY_WINDOW_SECONDS };
    const horizonSeconds = parseHorizon(text);
    return horizonSeconds === undefined
      ? { kind: "forecast", resource: forecastOf }
      : { kind: "forecast", resource: forecastOf, horizonSeconds };
  }
  // "is web-2 slower than the others", "compare web-1 with the others": CPU unless a signal is named.
  const compared =
    resource ?? (saysSlow(text) || (t.keys.has("compare") && asksAgainstFleet(text)) ? "cpu" : undefined);
  if (!compared) return undefined;
  const moment = parseChangeMoment(text, now);
  if (moment) {
    // "memory after the 13:00 restart", "did memory go up since…": the restart is the moment and "up"
    // a direction, not the signal (uptime).
    const signal =
      compared === "uptime"
        ? (signalOf(
            tokenize(text.replace(/ (restart(s|ed|ing)?|up)(?= )/g, " "), ctx.environments),
            ctx,
            false,
          ) ?? "cpu")
        : compared;
    return { kind: "compare_change", resource: signal, ...moment };
  }
  const named = namedHosts(t, ctx);
  const range = parseRange(t, now) ?? lastRange(3600);
  if (named.length >= 2 && (t.keys.has("compare") || / (and|or|than|with|to) /.test(text)))
    return { kind: "compare_hosts", resource: compared, hosts: named.slice(0, 5), range };
  if (hasHost && asksAgainstFleet(text)) return { kind: "compare_fleet", resource: compared, range };
  return undefined;
}

/** Every known host the text names (exactly or squashed), plus name-like tokens ("app-7"), in order. */
function namedHosts(t: Tokens, ctx: ParseContext): string[] {
  const squash = (s: string) => s.toLowerCase().replace(/[-_.]/g, "");
  const out: string[] = [];
  for (const w of t.words) {
    const known = ctx.hosts.find((h) => h.toLowerCase() === w || squash(h) === squash(w));
    const name =
      known ?? (/^[a-z][a-z0-9]*[-_.][a-z0-9.-]*\d$/.test(w) && HOST_TOKEN.test(w) ? w : undefined);
    if (name && !out.includes(name) && !isEnvironmentWord(w, ctx.environments) && !WORD_TO_KEY.has(w))
      out.push(name);
  }
  return out;
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
  const intent = classify(t, ctx, now, host !== undefined, host !== undefined && ctx.hosts.includes(host));
  const out: ParsedQuestion = { intent };
  // Host vs host names its hosts in the intent; the question is about no single one of them.
  if (host && intent.kind !== "unknown" && intent.kind !== "help" && intent.kind !== "compare_hosts")
    out.host = host;
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
