/**
 * Once per test run: one fixture Prometheus for every integration test, and a check that Redis
 * answers. Tests read the URLs with `inject()`.
 */
import { Redis } from "ioredis";
import type { TestProject } from "vitest/node";
import { type FixturePrometheus, startFixturePrometheus } from "./node-fixture.js";

declare module "vitest" {
  export interface ProvidedContext {
    prometheusUrl: string;
    /** ISO time of the fixture's last sample: "now" for questions about it. */
    fixtureEnd: string;
    redisUrl: string;
  }
}

let prometheus: FixturePrometheus | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new Error(
      `Tests need Redis at ${redisUrl} (set REDIS_URL or run "npm test", which starts one): ${String(e)}`,
    );
  } finally {
    redis.disconnect();
  }
  prometheus = await startFixturePrometheus();
  project.provide("prometheusUrl", prometheus.url);
  project.provide("fixtureEnd", new Date(prometheus.end * 1000).toISOString());
  project.provide("redisUrl", redisUrl);
  return async () => {
    await prometheus?.stop();
  };
}
