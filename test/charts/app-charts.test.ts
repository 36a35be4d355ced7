/**
 * The real app draws the charts its answers carry on its worker pool: ten chart questions at once
 * over HTTP all come back with their PNG, while `/healthz` keeps answering; closing the app ends the
 * pool (this file's process then exits with no thread left behind). Not timed: see bench/charts-bench.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ CHART_WORKERS: "2", CHART_QUEUE: "20" });
});
afterAll(() => app.close());

async function ask(text: string) {
  const res = await fetch(`${app.url}/api/v1/ask`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { reply: { tone: string; chart?: { url: string }; context: string[] } };
}

describe("charts in the app", () => {
  it("answers ten chart questions asked at once, each with its own PNG, /healthz answering meanwhile", async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `cpu trend last ${i + 1}h`);
    let healthy = 0;
    let done = false;
    const probe = (async () => {
      while (!done) {
        if ((await fetch(`${app.url}/healthz`)).ok) healthy++;
      }
    })();
    const answers = await Promise.all(texts.map(ask));
    done = true;
    await probe;
    expect(healthy).toBeGreaterThan(0);
    const urls = new Set<string>();
    for (const { reply } of answers) {
      expect(reply.tone).not.toBe("error");
      expect(reply.context.filter((c) => c.startsWith("Chart not drawn"))).toEqual([]);
      const url = reply.chart?.url ?? "";
      expect(url).toMatch(/^\/charts\/[\w-]+\.png$/);
      urls.add(url);
      const png = Buffer.from(await (await fetch(`${app.url}${url}`)).arrayBuffer());
      expect(png.subarray(1, 4).toString()).toBe("PNG");
    }
    expect(urls.size).toBe(10);
  });
});
