/// <reference lib="dom" />
/**
 * Makes the README's picture of the console (docs/console.png): the real app against the test
 * fixture's Prometheus, asked for a CPU trend in a browser without an emoji font, as the browser
 * test runs it. Run it after a change to how the console looks:
 *
 *   npx tsx test/console/docs-screenshot.ts [OUT.png]
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { silentLogger } from "../../src/observability/logger.js";
import { startFixturePrometheus } from "../support/node-fixture.js";
import { launchWithoutEmojiFont } from "./browser.js";

const QUESTION = "show me cpu trends for the last 6 hours";
const out = process.argv[2] ?? path.resolve(fileURLToPath(import.meta.url), "../../../docs/console.png");

const prometheus = await startFixturePrometheus();
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `docs-screenshot-${process.pid}`;
const app = createApp(
  loadConfig({
    PROMETHEUS_URL: prometheus.url,
    REDIS_URL: redisUrl,
    // Answers link to Grafana when it is configured; the picture shows those links.
    GRAFANA_URL: "http://localhost:3001",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    ANOMALY_ENABLED: "false",
  }),
  silentLogger(),
  { now: () => prometheus.end * 1000, redisPrefix: prefix },
);
const browser = await launchWithoutEmojiFont();
try {
  const port = await app.listen(0, "127.0.0.1");
  const page = await browser.browser.newPage({ viewport: { width: 1100, height: 1000 } });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator("#question").fill(QUESTION);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>("article.reply .chart img");
    return Boolean(img?.complete && img.naturalWidth > 0);
  });
  // The caret blinks; a picture without it is the same on every run.
  await page.locator("#question").evaluate((t: HTMLTextAreaElement) => {
    t.style.caretColor = "transparent";
  });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await app.close();
  await prometheus.stop();
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}
