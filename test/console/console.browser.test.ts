/// <reference lib="dom" />
/** The web console in a real browser (Debian chromium via playwright-core) against the real app. */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";

let app: TestApp;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

beforeAll(async () => {
  app = await startTestApp();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(app.url);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function askAndWait(text: string): Promise<void> {
  const before = await page.locator("article.reply").count();
  await page.locator("#question").fill(text);
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll("article.reply").length > n, before, {
    timeout: 15_000,
  });
}

describe("web console", () => {
  it("focuses the question box on load", async () => {
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("question");
    expect(await page.title()).toBe("CloudOps console");
  });

  it("answers the health question with fields holding the fixture's numbers", async () => {
    await askAndWait("what's the current system health?");
    const reply = page.locator("article.reply").last();
    expect(await reply.locator("h2").textContent()).toMatch(/System health/);
    const fields = await reply.locator(".field").allTextContents();
    expect(fields.length).toBeGreaterThanOrEqual(3);
    expect(fields.join(" ")).toMatch(/web-2.*CPU 60\.0%/);
    expect(await reply.locator(".provider").textContent()).toBe("answered by builtin");
  });

  it("shows a chart image that really loads", async () => {
    await askAndWait("show me cpu trends for the last hour");
    const img = page.locator("article.reply").last().locator(".chart img");
    await img.waitFor();
    await page.waitForFunction(() => {
      const i = [...document.querySelectorAll<HTMLImageElement>(".chart img")].at(-1);
      return Boolean(i?.complete && i.naturalWidth > 0);
    });
    const width = await img.evaluate((i: HTMLImageElement) => i.naturalWidth);
    expect(width).toBeGreaterThanOrEqual(600);
    await page.screenshot({ path: "/tmp/console.png", fullPage: false });
  });

  it("offers suggestions for a question it does not understand, and they work", async () => {
    await askAndWait("blorp");
    const reply = page.locator("article.reply").last();
    expect(await reply.textContent()).toMatch(/did not understand/);
    const count = await page.locator("article.reply").count();
    await reply.locator(".suggestions .chip").first().click();
    await page.waitForFunction((n) => document.querySelectorAll("article.reply").length > n, count);
    expect(await page.locator("article.reply").last().locator("h2").textContent()).not.toMatch(/Not sure/);
  });

  it("recalls the previous question with ↑", async () => {
    await page.locator("#question").fill("");
    await page.locator("#question").focus();
    await page.keyboard.press("ArrowUp");
    expect(await page.locator("#question").inputValue()).toBe("what's the current system health?");
    await page.keyboard.press("Escape");
    expect(await page.locator("#question").inputValue()).toBe("");
  });

  it("shows hostile text as text (no script runs, no injected element)", async () => {
    await askAndWait("<img src=x onerror=alert(1)><script>alert(2)</script>");
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    expect(await page.locator('#transcript img[src="x"]').count()).toBe(0);
    expect(await page.locator("#transcript script").count()).toBe(0);
    expect(await page.locator(".bubble.question").last().textContent()).toContain("<img src=x");
  });
});
