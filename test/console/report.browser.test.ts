/// <reference lib="dom" />
/**
 * The printable report in a real browser (Debian chromium via playwright-core) against the real app
 * with API tokens: the token form, the tables with the fixture's numbers, no CSP violation, outside
 * text shown as text, a CSV download, and a PDF printed on A4.
 */

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { testRedis } from "../support/redis.js";
import { launchWithoutEmojiFont, type TestBrowser } from "./browser.js";

const TOKEN = "p".repeat(32);
let app: TestApp;
let browser: TestBrowser;
let page: Page;
const violations: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  app = await startTestApp({ API_TOKENS: `ops:${TOKEN}` });
  const redis = testRedis();
  try {
    const store = new AlertStore(redis, `${app.redisPrefix}:alerts`);
    // The app's clock (pinned to the fixture's end): its periods end at that hour, whatever the wall clock.
    const now = Date.parse(inject("fixtureEnd"));
    await store.receive(
      {
        fingerprint: "00000000000000b1",
        status: "firing",
        labels: { alertname: "<img src=x onerror=alert(1)>", severity: "critical", instance: "db-2:9100" },
        annotations: {},
        startsAt: now - 3_600_000,
        source: "alertmanager",
      },
      [{ platform: "slack", channel: "C0ALERTS", route: "default", groupBy: ["alertname"] }],
      { now: now - 3_600_000 },
    );
  } finally {
    redis.disconnect();
  }
  browser = await launchWithoutEmojiFont();
  const context = await browser.browser.newContext({
    viewport: { width: 1100, height: 900 },
    acceptDownloads: true,
  });
  page = await context.newPage();
  page.on("console", (m) => {
    if (/Content[ -]Security[ -]Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`Content-Security-Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const cells = (table: string, rowText: string) =>
  page.locator(`${table} tbody tr`, { hasText: rowText }).first().locator("td").allTextContents();

describe("printable report", () => {
  it("asks for the token, then draws availability per job and target with the fixture's numbers", async () => {
    await page.goto(`${app.url}/report?period=24h`);
    await page.locator("#token").waitFor({ state: "visible" });
    await page.locator("#token").fill(TOKEN);
    await page.locator("#token").press("Enter");
    await page.waitForFunction(() => document.body.dataset.state === "ready", undefined, { timeout: 60_000 });
    expect(await page.locator("#title").textContent()).toBe("Availability report — last 24 hours");
    // node: web-1, web-2 and db-1 up, db-2 down the whole day.
    expect(await cells("#jobs", "node")).toEqual([
      "node",
      "4",
      "75.000%",
      "1440.0 min (24.0 h)",
      "1",
      "25000%",
      "MISSED",
    ]);
    const db2 = await cells("#targets", "db-2:9100");
    expect(db2.slice(0, 7)).toEqual([
      "node",
      "db-2:9100",
      "0.000%",
      "1440.0 min (24.0 h)",
      "1",
      "100000%",
      "MISSED",
    ]);
    expect((await cells("#targets", "web-1:9100")).slice(2, 7)).toEqual([
      "100.000%",
      "0.0 min",
      "0",
      "0%",
      "MET",
    ]);
    const queries = await page.locator("#queries td.promql").allTextContents();
    expect(queries).toContain("sum by (job, instance) (count_over_time(up[59m59s999ms]))");
    expect(await page.locator("#method li").count()).toBeGreaterThan(3);
  });

  it("shows alert history, outside text as text", async () => {
    await page.locator("#alerts tbody tr").first().waitFor();
    const row = await page.locator("#alerts tbody tr").first().locator("td").allTextContents();
    expect(row[1]).toBe("<img src=x onerror=alert(1)>");
    expect(row[4]).toBe("FIRING");
    expect(await page.locator("#alerts img").count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("downloads the availability CSV with the token", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator('[data-download="availability"][data-format="csv"]').click(),
    ]);
    const file = await download.path();
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(file, "utf8");
    expect(text.split("\r\n")[0]).toMatch(/^job,instance,availability_pct,/);
    expect(text).toContain("node,db-2:9100,0,1440,");
    expect(download.suggestedFilename()).toBe("availability-24h.csv");
  });

  it("prints to an A4 PDF, the alert history and the queries each on a new page, and broke no CSP rule", async () => {
    // Printed first: a page whose media was emulated and switched back lays out its breaks differently.
    const pdf = await page.pdf({ format: "A4", printBackground: true, preferCSSPageSize: true });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const pages = pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? [];
    expect(pages.length).toBeGreaterThanOrEqual(3);
    // A4: 210 × 297 mm = 595 × 842 points.
    const box = /\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)/.exec(pdf.toString("latin1"));
    expect(Number(box?.[1])).toBeCloseTo(595, 0);
    expect(Number(box?.[2])).toBeCloseTo(842, 0);
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("nav.bar").isVisible()).toBe(false);
    expect(await page.locator("#targets").isVisible()).toBe(true);
    expect(violations).toEqual([]);
  });
});
