/**
 * Starts the real application (createApp) on a free port against the run's fixture Prometheus and
 * real Redis — what the browser, API and CLI tests talk to.
 */
import { inject } from "vitest";
import { type App, createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { silentLogger } from "../../src/observability/logger.js";
import { dropKeys, testPrefix } from "./redis.js";

export interface TestApp {
  url: string;
  app: App;
  /** Prefix of this app's Redis keys. */
  redisPrefix: string;
  /** Stops the app and removes its Redis keys; `keepKeys` leaves them for an app started on the same prefix. */
  close(opts?: { keepKeys?: boolean }): Promise<void>;
}

/** `env` overrides configuration variables; the clock is pinned to the fixture's end. */
/** `redisPrefix` reuses another app's Redis data, as a restarted bot would. */
/** `now` replaces the pinned clock (tests that move time along). */
export async function startTestApp(
  env: Record<string, string> = {},
  redisPrefix?: string,
  now?: () => number,
  /** Port to listen on (default: any free one). */
  port = 0,
): Promise<TestApp> {
  const fixtureEnd = Date.parse(inject("fixtureEnd"));
  const config = loadConfig({
    PROMETHEUS_URL: inject("prometheusUrl"),
    REDIS_URL: inject("redisUrl"),
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    API_RATE_LIMIT_PER_MIN: "0",
    // A loaded machine (two suites on 2 cores) can take seconds per query: the fixture Prometheus is
    // never that slow on purpose, so these bounds are only reached by a hang. Tests of timeouts and
    // the answer deadline set their own.
    PROMETHEUS_TIMEOUT_MS: "20000",
    ANSWER_DEADLINE_MS: "30000",
    // Background jobs only where a test asks for them.
    ANOMALY_ENABLED: "false",
    // Predictive alerts forecast the whole fleet: off unless a test turns them on (forecast chat
    // rules still work; they are evaluated with the job that runs anyway).
    PREDICTIVE_DISK_WITHIN: "0s",
    PREDICTIVE_MEMORY_WITHIN: "0s",
    // The first look posts in every alert's thread: off unless a test of it turns it on.
    ALERT_FIRST_LOOK: "false",
    ...env,
  });
  const prefix = redisPrefix ?? testPrefix("app");
  const app = createApp(config, silentLogger(), { now: now ?? (() => fixtureEnd), redisPrefix: prefix });
  const listening = await app.listen(port, "127.0.0.1").catch(async (e: unknown) => {
    // A start-up that fails (tests of refused tokens) leaves neither connections nor keys.
    await app.close();
    await dropKeys(prefix);
    throw e;
  });
  return {
    url: `http://127.0.0.1:${listening}`,
    app,
    redisPrefix: prefix,
    async close(opts = {}) {
      await app.close();
      if (!opts.keepKeys) await dropKeys(prefix);
    },
  };
}
