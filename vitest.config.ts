import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // redis-keys-setup first: its teardown (run last) sees what every test left in Redis.
    globalSetup: [
      "test/support/redis-keys-setup.ts",
      "test/support/global-setup.ts",
      // The live tier's stack, started early so it gathers history while the suite runs.
      "test/support/live-stack-setup.ts",
    ],
    // Generous: under load (two suites on 2 cores) a correct test may take long; waits end on their condition.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Most files wait on Prometheus, Redis, child processes and fakes rather than compute: three at a
    // time overlap those waits on 2 cores (the default there is one). Each file keeps its own process
    // (isolate, the default): sharing one halves import time, but an app a failed test never closed
    // would then run on past the end-of-run key check and leave keys nobody reports.
    maxWorkers: 3,
  },
});
