/**
 * Shared pieces of the security property tests: one way to run a property (bounded runs, a seed that
 * can be replayed), hostile text generators, and a snapshot of what an app holds in Redis so a test
 * can say "nothing was stored".
 *
 * Replay a failure with the seed (and path) fast-check prints: `FUZZ_SEED=<seed> npx vitest run
 * test/security/<file>`. `FUZZ_RUNS=<factor>` multiplies every property's run count (e.g. 10 for a
 * long night run); the defaults keep each file well under a minute on two cores.
 */
import fc from "fast-check";
import type { Redis } from "ioredis";
import { scanKeys } from "../support/redis-keys.js";

/**
 * The seed: FUZZ_SEED when given; a fixed one under CI, so a landing is decided by the code and not by
 * the draw (new inputs are explored by every local run, which draws a fresh seed and prints it).
 */
const SEED = process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : process.env.CI === "true"
    ? 20_261_130
    : undefined;
const FACTOR = process.env.FUZZ_RUNS ? Math.max(0.1, Number(process.env.FUZZ_RUNS)) : 1;

function params<T>(numRuns: number, shrink: boolean): fc.Parameters<T> {
  const seed = SEED ?? (Math.random() * 2 ** 31) | 0;
  return {
    numRuns: Math.max(1, Math.round(numRuns * FACTOR)),
    seed,
    endOnFailure: !shrink,
    // fast-check's message names the seed and path; this line says how to replay them here.
    reporter: (out) => {
      if (!out.failed) return;
      const cause =
        out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
      throw new Error(
        `${fc.defaultReportMessage(out)}\nFailure: ${cause.slice(0, 2000)}\nReplay: FUZZ_SEED=${out.seed} npx vitest run test/security (path ${out.counterexamplePath})`,
      );
    },
  };
}

/** Checks a synchronous property on `numRuns` inputs. */
export function check<Ts>(property: fc.IProperty<Ts>, numRuns: number): void {
  fc.assert(property, params<Ts>(numRuns, true));
}

/**
 * Checks an asynchronous property (requests to a running app) on `numRuns` inputs. The first failing
 * input is reported as it is: shrinking it would replay hundreds of requests against a live app, past
 * any timeout. `FUZZ_SHRINK=1` shrinks all the same (replaying a seed by hand).
 */
export async function checkAsync<Ts>(property: fc.IAsyncProperty<Ts>, numRuns: number): Promise<void> {
  await fc.assert(property, params<Ts>(numRuns, process.env.FUZZ_SHRINK === "1"));
}

/** Words and fragments that mean something to one of our parsers, or to a platform, or to a terminal. */
export const LOADED_TOKENS = [
  "ack",
  "acknowledge",
  "silence",
  "unsilence",
  "resolve",
  "details",
  "audit",
  "alerts",
  "help",
  "?",
  "/",
  "for",
  "alert when",
  "rule delete",
  "rule pause",
  "rules",
  "deadbeef",
  "DEADBEEF",
  "0123abcd",
  "cpu",
  "memory",
  "disk",
  "on",
  "web-1",
  "db-1",
  "last",
  "since yesterday",
  "6h",
  "99999999d",
  "between",
  "and",
  "vs",
  "top 1000000",
  "prod",
  "staging",
  '"} or vector(1) #',
  '{__name__=~".+"}[52w]',
  "max_over_time(rate(up[1m])[7d:1s])",
  "<!channel>",
  "<!here>",
  "<@U0BOT>",
  "<at>cloudops</at>",
  "*bold*",
  "`code`",
  "[x](javascript:alert(1))",
  "<script>alert(1)</script>",
  "&amp;&lt;&gt;",
  "\u0000",
  "\u001b[31m",
  "\u202e",
  "\r\n",
  "\t",
  "🔥",
  "é",
  "__proto__",
  "constructor",
  "{}",
  "[]",
  "null",
  "NaN",
  "-1e309",
  "1e308",
] as const;

/** Text a person, a bot or an attacker might type: loaded words, arbitrary code points, long runs. */
export function hostileText(maxParts = 30): fc.Arbitrary<string> {
  const part = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...LOADED_TOKENS) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-fA-F]{8}$/) },
    // Long runs: what a regular expression with nested repetition would choke on.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom("a", " ", "-", "1", "a1", "cpu ", "\t", ":", "."),
          fc.integer({ min: 50, max: 2100 }),
        )
        .map(([s, n]) => s.repeat(n)),
    },
  );
  const sep = fc.constantFrom(" ", " ", " ", "", "  ", "\n", "\t");
  return fc
    .array(fc.tuple(part, sep), { maxLength: maxParts })
    .map((parts) => parts.map(([p, s]) => p + s).join(""));
}

/** Any JSON value, with keys that are often special-cased (`__proto__`, `type`, `kind`) mixed in. */
export function hostileJson(maxDepth = 4): fc.Arbitrary<unknown> {
  const key = fc.oneof(
    fc.constantFrom("__proto__", "constructor", "prototype", "type", "kind", "id", "text", "value", "action"),
    fc.string({ maxLength: 10 }),
  );
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    hostileText(6),
    fc.constantFrom("", "0", "true", "[]", "{}"),
  );
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", maxDepth, withCrossShrink: true },
      leaf,
      fc.array(tie("value"), { maxLength: 5 }),
      fc.dictionary(key, tie("value"), { maxKeys: 5 }),
    ),
  }));
  return value;
}

/**
 * Every key under `prefix` with its type and, for hashes, sets and lists, its members: a snapshot.
 * BullMQ's keys (`:bull:`) are left out: its job schedulers write on their own clock (the alert-rules
 * scheduler, every 30 s), whatever a request did.
 */
export async function redisSnapshot(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const keys = (await scanKeys(redis, `${prefix}*`)).filter((k) => !k.includes(":bull:"));
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    let content = "";
    if (type === "hash")
      content = Object.keys(await redis.hgetall(key))
        .sort()
        .join(",");
    else if (type === "set") content = (await redis.smembers(key)).sort().join(",");
    else if (type === "zset") content = (await redis.zrange(key, "0", "-1")).join(",");
    else if (type === "list") content = String(await redis.llen(key));
    else if (type === "string") content = (await redis.get(key)) ?? "";
    out.set(key, `${type}:${content}`);
  }
  return out;
}

/**
 * The audit stream records refused attempts to act, by design (chat/dispatcher.ts): a capped stream
 * (alerts/audit-log.ts), so a refusal may add to it without storing anything unbounded.
 */
export const AUDIT_STREAM = (key: string): boolean => key.endsWith(":audit");

/** What changed between two snapshots, for a failure message ("+key", "~key", "-key"); `ignore` skips keys. */
export function snapshotDiff(
  before: Map<string, string>,
  after: Map<string, string>,
  ignore: (key: string) => boolean = () => false,
): string[] {
  const diff: string[] = [];
  for (const [k, v] of after) {
    if (ignore(k)) continue;
    if (!before.has(k)) diff.push(`+${k}`);
    else if (before.get(k) !== v) diff.push(`~${k}`);
  }
  for (const k of before.keys()) if (!after.has(k) && !ignore(k)) diff.push(`-${k}`);
  return diff;
}

/** Object.prototype untouched: no parser merged a `__proto__` key into every object. */
export function prototypeClean(): boolean {
  const probe: Record<string, unknown> = {};
  return (
    Object.keys(Object.prototype).length === 0 && probe.polluted === undefined && probe.kind === undefined
  );
}
