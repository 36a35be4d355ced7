import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // redis-keys-setup first: its teardown (run last) sees what every test left in Redis.
    globalSetup: ["test/support/redis-keys-setup.ts", "test/support/global-setup.ts"],
    // Generous: under load (two suites on 2 cores) a correct test may take long; waits end on their condition.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
