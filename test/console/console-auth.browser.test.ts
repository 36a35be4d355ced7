/// <reference lib="dom" />
/**
 * The console where the bot asks for an API token, in a real browser (Debian chromium via
 * playwright-core) against the real app: the token is asked for once, kept for the tab's session,
 * sent as a bearer token and asked for again when it stops working. And the pages under the
 * Content-Security-Policy: the console and Swagger UI at /docs work with no violation reported.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { launchWithoutEmojiFont, type TestBrowser } from "./browser.js";

const TOKEN = "console-token-0123456789abcdef";
const OTHER = "other-token-0123456789abcdefgh";

let app: TestApp;
let browser: TestBrowser;

beforeAll(async () => {
  app = await startTestApp({ API_TOKENS: `ops:${TOKEN},ci:${OTHER}` });
  browser = await launchWithoutEmojiFont();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A fresh tab (its own session storage) that records CSP violations and ask requests' auth headers. */
async function newPage(): Promise<{ page: Page; violations: string[]; askAuth: (string | undefined)[] }> {
  const context = await browser.browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const violations: string[] = [];
  const askAuth: (string | undefined)[] = [];
  // Chromium reports a refused resource on the console; the page's own event is recorded too.
  page.on("console", (m) => {
    if (/Content[ -]Security[ -]Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on("request", (r) => {
    if (r.url().endsWith("/api/v1/ask")) askAuth.push(r.headers().authorization);
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener("securitypolicyviolation", (e) => {
      seen.push(`${e.violatedDirective} ${e.blockedURI}`);
      console.error(`Content-Security-Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, violations, askAuth };
}

async function replies(page: Page): Promise<number> {
  return page.locator("article.reply").count();
}

async function submitQuestion(page: Page, text: string): Promise<void> {
  await page.locator("#question").fill(text);
  await page.locator("#question").press("Enter");
}

async function waitForReply(page: Page, before: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll("article.reply").length > n, before, {
    timeout: 15_000,
  });
}

async function enterToken(page: Page, token: string): Promise<void> {
  await page.locator("#token").fill(token);
  await page.locator("#token").press("Enter");
}

describe("console with API_TOKENS", () => {
  it("asks for the token once, keeps it for the session, and sends it as a bearer token", async () => {
    const { page, violations, askAuth } = await newPage();
    try {
      await page.goto(app.url);
      // The page's first API call (environments) is refused, so the form shows before any question.
      await page.locator("#auth").waitFor({ state: "visible" });
      expect(await page.locator("#auth-why").textContent()).toMatch(/asks for an API token/);

      await enterToken(page, "not-a-token-of-this-bot-at-all");
      await page.waitForFunction(() =>
        /not accepted/.test(document.getElementById("auth-why")?.textContent ?? ""),
      );
      expect(await page.locator("#auth").isVisible()).toBe(true);

      await enterToken(page, TOKEN);
      await page.locator("#auth").waitFor({ state: "hidden" });
      expect(await page.evaluate(() => sessionStorage.getItem("cloudops.token"))).toBe(TOKEN);

      const before = await replies(page);
      await submitQuestion(page, "help");
      await waitForReply(page, before);
      expect(await page.locator("article.reply").last().locator("h2").textContent()).toMatch(
        /What I can answer/,
      );
      expect(askAuth).toEqual([`Bearer ${TOKEN}`]);

      // A reload in the same tab keeps the session: no second prompt.
      await page.reload();
      await page.locator("#question").waitFor();
      const again = await replies(page);
      await submitQuestion(page, "help");
      await waitForReply(page, again);
      expect(await page.locator("#auth").isHidden()).toBe(true);
      expect(askAuth.at(-1)).toBe(`Bearer ${TOKEN}`);
      expect(violations).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it("asks again when the token is refused, then sends the waiting question with the new one", async () => {
    const { page, askAuth } = await newPage();
    try {
      await page.goto(app.url);
      await page.locator("#auth").waitFor({ state: "visible" });
      await enterToken(page, TOKEN);
      await page.locator("#auth").waitFor({ state: "hidden" });
      // The stored token stops being accepted (say, it was rotated out of API_TOKENS).
      await page.evaluate(() => sessionStorage.setItem("cloudops.token", "rotated-out-token-0123456789ab"));
      const before = await replies(page);
      await submitQuestion(page, "help");
      await page.locator("#auth").waitFor({ state: "visible" });
      expect(await page.locator("#auth-why").textContent()).toMatch(/not accepted/);
      expect(await page.locator(".bubble.working").textContent()).toMatch(/Waiting for an API token/);
      await enterToken(page, OTHER);
      await waitForReply(page, before);
      expect(await page.locator("article.reply").last().locator("h2").textContent()).toMatch(
        /What I can answer/,
      );
      expect(askAuth).toEqual(["Bearer rotated-out-token-0123456789ab", `Bearer ${OTHER}`]);
    } finally {
      await page.context().close();
    }
  });

  it("a new tab (another session) asks for the token again", async () => {
    const { page } = await newPage();
    try {
      await page.goto(app.url);
      await page.locator("#auth").waitFor({ state: "visible" });
      expect(await page.evaluate(() => sessionStorage.getItem("cloudops.token"))).toBeNull();
    } finally {
      await page.context().close();
    }
  });
});

describe("under the Content-Security-Policy", () => {
  it("Swagger UI at /docs draws the API from /openapi.json with no violation", async () => {
    const { page, violations } = await newPage();
    try {
      const res = await page.goto(`${app.url}/docs`);
      expect(res?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
      await page.locator(".swagger-ui .info .title").waitFor({ timeout: 15_000 });
      expect(await page.locator(".swagger-ui .info .title").textContent()).toContain("Smart CloudOps AI");
      await page.locator(".opblock-summary-path", { hasText: "/api/v1/ask" }).first().waitFor();
      // The token can be given to "Try it out": the bearer scheme is offered.
      expect(await page.locator(".swagger-ui .auth-wrapper .authorize").count()).toBe(1);
      // Its stylesheet applied (a blocked stylesheet leaves the page unstyled).
      const font = await page
        .locator(".swagger-ui .info .title")
        .evaluate((el) => getComputedStyle(el).fontFamily);
      expect(font).toMatch(/sans-serif/);
      expect(violations).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it("an inline script is refused on the console page", async () => {
    const { page, violations } = await newPage();
    try {
      await page.goto(app.url);
      await page.locator("#auth").waitFor({ state: "visible" });
      expect(violations).toEqual([]);
      const ran = await page.evaluate(() => {
        const s = document.createElement("script");
        s.textContent = "window.__inline = true;";
        document.body.append(s);
        return (window as unknown as { __inline?: boolean }).__inline === true;
      });
      expect(ran).toBe(false);
      await page.waitForFunction(() => (window as unknown as { __csp: string[] }).__csp.length > 0);
      const seen = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
      expect(seen.join("\n")).toMatch(/script-src/);
    } finally {
      await page.context().close();
    }
  });
});
