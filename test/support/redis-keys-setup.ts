/**
 * Once per test run: a run id for the tests' Redis prefixes (see redis.ts), and at the end a check
 * that the run left no key behind. Leftover keys fail the run (exit code 1) with their names, and are
 * then removed so a user's Redis does not fill up; keys that appeared outside any test prefix are
 * reported (another process on the same Redis may have written them).
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { TestProject } from "vitest/node";
import { deleteKeys, runKeyPrefix, scanKeys, TEST_KEY_ROOT } from "./redis-keys.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's id: every test key starts with `cloudops-test.<redisRunId>.`. */
    redisRunId: string;
  }
}

/** Above this many keys in Redis the run does not list what appeared outside the test prefixes. */
const MAX_SNAPSHOT = 200_000;

function sample(keys: string[]): string {
  const shown = keys.sort().slice(0, 40).join("\n  ");
  return keys.length > 40 ? `${shown}\n  … and ${keys.length - 40} more` : shown;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const runId = randomBytes(4).toString("hex");
  const prefix = runKeyPrefix(runId);
  project.provide("redisRunId", runId);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const outsideTests = async (): Promise<Set<string> | undefined> => {
    if ((await redis.dbsize()) > MAX_SNAPSHOT) return undefined;
    return new Set((await scanKeys(redis, "*")).filter((k) => !k.startsWith(`${TEST_KEY_ROOT}.`)));
  };
  // Redis not answering is global-setup.ts's error to report; this check then has nothing to do.
  const before = await redis
    .connect()
    .then(outsideTests)
    .catch(() => undefined);
  return async () => {
    if (redis.status !== "ready") return;
    try {
      const left = await scanKeys(redis, `${prefix}*`);
      const after = before ? await outsideTests() : undefined;
      const appeared = after ? [...after].filter((k) => !before?.has(k)) : [];
      if (appeared.length > 0)
        console.warn(
          `\n${appeared.length} Redis key(s) appeared during the run outside any test prefix (a test ` +
            `that does not use testPrefix(), or another process on this Redis):\n  ${sample(appeared)}\n`,
        );
      if (left.length > 0) {
        console.error(
          `\nFAIL: the tests left ${left.length} Redis key(s) behind (every test must remove what it ` +
            `writes; see test/support/redis.ts). Removed now:\n  ${sample(left)}\n`,
        );
        await deleteKeys(redis, prefix);
        process.exitCode = 1;
      } else console.log(`\nRedis: the tests left no keys behind (run ${prefix}*).`);
    } finally {
      redis.disconnect();
    }
  };
}
