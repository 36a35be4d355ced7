/// <reference lib="dom" />
/**
 * The web console in a real browser (Debian chromium via playwright-core, with no emoji font) against
 * the real app.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplyTone } from "../../src/reply/reply.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { launchWithoutEmojiFont, type TestBrowser } from "./browser.js";

let app: TestApp;
let browser: TestBrowser;
let page: Page;
const dialogs: string[] = [];
const shots = mkdtempSync(path.join(tmpdir(), "cloudops-console-"));

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchWithoutEmojiFont();
  page = await browser.browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(app.url);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(shots, { recursive: true, force: true });
});

/**
 * Graphemes under `selector` that this browser draws as an empty box: each is drawn on a canvas in
 * the font of the element holding it and compared, pixel for pixel, with a private-use character
 * no font has.
 */
async function emptyBoxes(selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const draw = (text: string, family: string): string => {
      const canvas = document.createElement("canvas");
      canvas.width = 48;
      canvas.height = 48;
      const g = canvas.getContext("2d");
      if (!g) throw new Error("no 2d canvas");
      g.font = `32px ${family}`;
      g.fillText(text, 4, 36);
      return Array.from(g.getImageData(0, 0, 48, 48).data).join(",");
    };
    const boxes = new Set<string>();
    const seen = new Set<string>();
    const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });
    for (const root of document.querySelectorAll(sel)) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const family = getComputedStyle(node.parentElement ?? document.body).fontFamily;
        for (const { segment } of segmenter.segment(node.textContent ?? "")) {
          if (!segment.trim() || seen.has(`${family}|${segment}`)) continue;
          seen.add(`${family}|${segment}`);
          if (draw(segment, family) === draw("\uE000", family)) boxes.add(segment);
        }
      }
    }
    return [...boxes];
  }, selector);
}

/** Words of the status badges in the last reply. */
async function lastBadges(): Promise<string[]> {
  return page.locator("article.reply").last().locator(".badge").allTextContents();
}

const STATUS_WORD = /^[A-Z][A-Z ]*[A-Z]$/;
/** What an emoji status marker looks like in text: an emoji-presentation character or selector. */
const EMOJI = /\p{Emoji_Presentation}|\uFE0F|\u26A0/u;

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
    // On loopback without API_TOKENS the API asks for no token: the token form never shows.
    await page.waitForLoadState("networkidle");
    expect(await page.locator("#auth").isHidden()).toBe(true);
  });

  it("runs in a browser without an emoji font, where an emoji status marker is an empty box", async () => {
    await page.evaluate(() => {
      const probe = document.createElement("p");
      probe.id = "probe";
      probe.textContent = "🟢 🔴 OK";
      document.body.append(probe);
    });
    expect((await emptyBoxes("#probe")).sort()).toEqual(["🔴", "🟢"]);
    await page.evaluate(() => document.getElementById("probe")?.remove());
  });

  it("shows the page header, its icon and no empty box before any question", async () => {
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>(".logo")?.complete);
    expect(await page.locator(".logo").evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);
    expect(await emptyBoxes("body")).toEqual([]);
  });

  it("serves a favicon the page links to, as SVG and as an ICO the browser decodes", async () => {
    const links = await page
      .locator('link[rel="icon"]')
      .evaluateAll((ls) => ls.map((l) => new URL((l as HTMLLinkElement).href).pathname));
    expect(links.sort()).toEqual(["/favicon.ico", "/favicon.svg"]);
    const ico = await page.request.get(`${app.url}/favicon.ico`);
    expect(ico.status()).toBe(200);
    expect(ico.headers()["content-type"]).toMatch(/^image\//);
    expect(ico.headers()["cache-control"]).toMatch(/max-age=\d{4,}/);
    expect([...(await ico.body()).subarray(0, 4)]).toEqual([0, 0, 1, 0]);
    const svg = await page.request.get(`${app.url}/favicon.svg`);
    expect(svg.status()).toBe(200);
    expect(svg.headers()["content-type"]).toMatch(/^image\/svg\+xml/);
    const size = await page.evaluate(async () => {
      const img = new Image();
      img.src = "/favicon.ico";
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    });
    expect(size[0]).toBeGreaterThanOrEqual(16);
    expect(size[0]).toBe(size[1]);
  });

  it("shows a reply of each tone with its status as a word, and every marker as a badge", async () => {
    const tones: [ReplyTone, string][] = [
      ["ok", "OK"],
      ["info", "INFO"],
      ["warning", "WARNING"],
      ["critical", "CRITICAL"],
      ["error", "ERROR"],
    ];
    let tone: ReplyTone = "ok";
    await page.route("**/api/v1/ask", (route) =>
      route.fulfill({
        json: {
          provider: "builtin",
          intent: "test",
          reply: {
            title: `${tone === "error" ? "⚠️" : "🟠"} <img src=x onerror=alert(9)> ${tone} title`,
            text: '🔴 Down: db-2:9100 (node)\n⚪ web-3: no data\n🟡 learning `up{job="node"}` ✅ done\n🤖 plain line',
            // What the page draws: the same text as typed pieces (the server splits code out, once).
            rich: [
              { text: "🔴 Down: db-2:9100 (node)\n⚪ web-3: no data\n🟡 learning " },
              { code: 'up{job="node"}' },
              { text: " ✅ done\n🤖 plain line" },
            ],
            tone,
            fields: [
              { label: "🟠 web-2", value: "CPU 60.0%" },
              { label: "🟢 web-1", value: "❌ failed" },
            ],
            links: [{ label: "Grafana panel", url: "http://grafana.example/d/x" }],
            actions: [],
            context: ["⏳ first model at 12:40 UTC"],
            suggestions: [],
          },
        },
      }),
    );
    try {
      for (const [t, word] of tones) {
        tone = t;
        await askAndWait(`a ${t} reply`);
        const reply = page.locator("article.reply").last();
        expect(await reply.getAttribute("data-tone")).toBe(t);
        expect(await reply.locator("h2 .badge").allTextContents()).toEqual([word]);
        expect(await reply.locator("h2").textContent()).toBe(
          `${word} <img src=x onerror=alert(9)> ${t} title`,
        );
        expect(await reply.locator(".text .badge").allTextContents()).toEqual([
          "CRITICAL",
          "NO DATA",
          "WARNING",
          "OK",
        ]);
        expect(await reply.locator(".text").textContent()).toBe(
          'CRITICAL Down: db-2:9100 (node)\nNO DATA web-3: no data\nWARNING learning up{job="node"} OK done\nplain line',
        );
        expect(await reply.locator(".field dt").allTextContents()).toEqual(["WARNING web-2", "OK web-1"]);
        expect(await reply.locator(".field dd").last().textContent()).toBe("ERROR failed");
        expect(await reply.locator(".context div").first().textContent()).toBe(
          "PENDING first model at 12:40 UTC",
        );
        for (const b of await lastBadges()) expect(b).toMatch(STATUS_WORD);
        expect(await reply.locator(".text code").textContent()).toBe('up{job="node"}');
        expect(await reply.textContent()).not.toMatch(EMOJI);
      }
      expect(await page.locator('#transcript img[src="x"]').count()).toBe(0);
      expect(dialogs).toEqual([]);
      expect(await emptyBoxes("#transcript")).toEqual([]);
    } finally {
      await page.unroute("**/api/v1/ask");
    }
  });

  it("shows a failed request as ERROR in words, with the server's message as text", async () => {
    await page.route("**/api/v1/ask", (route) =>
      route.fulfill({ status: 503, json: { error: { code: "busy", message: "⚠️ Busy: <b>later</b>" } } }),
    );
    try {
      await askAndWait("anything");
      const reply = page.locator("article.reply").last();
      expect(await reply.locator("h2").textContent()).toBe("ERROR Could not get an answer");
      expect(await reply.locator(".text").textContent()).toBe("WARNING Busy: <b>later</b>");
      expect(await reply.locator("b").count()).toBe(0);
    } finally {
      await page.unroute("**/api/v1/ask");
    }
  });

  it("answers the health question with fields holding the fixture's numbers", async () => {
    await askAndWait("what's the current system health?");
    const reply = page.locator("article.reply").last();
    expect(await reply.locator("h2").textContent()).toMatch(/System health/);
    const fields = await reply.locator(".field").allTextContents();
    expect(fields.length).toBeGreaterThanOrEqual(3);
    expect(fields.join(" ")).toMatch(/web-2.*CPU 60\.0%/);
    expect(await reply.locator("footer.context").textContent()).toContain("answered by builtin");
    expect(await reply.locator("h2 .badge").textContent()).toBe("WARNING");
    // Each host's field label leads with its status as a word.
    const labels = await reply.locator(".field dt").allTextContents();
    for (const label of labels) expect(label).toMatch(/^(OK|WARNING|CRITICAL) \S/);
    expect(await reply.textContent()).not.toMatch(EMOJI);
  });

  it("answers the targets and help questions with their status in words, no empty box anywhere", async () => {
    await askAndWait("which targets are down?");
    expect(await page.locator("article.reply").last().locator("h2 .badge").textContent()).toBe("CRITICAL");
    await askAndWait("help");
    expect(await page.locator("article.reply").last().locator("h2 .badge").textContent()).toBe("INFO");
    expect(await page.locator("#transcript").textContent()).not.toMatch(EMOJI);
    expect(await emptyBoxes("#transcript")).toEqual([]);
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
    await page.screenshot({ path: path.join(shots, "console.png"), fullPage: false });
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
    expect(dialogs).toEqual([]);
    expect(await page.locator('#transcript img[src="x"]').count()).toBe(0);
    expect(await page.locator("#transcript script").count()).toBe(0);
    expect(await page.locator(".bubble.question").last().textContent()).toContain("<img src=x");
  });
});
