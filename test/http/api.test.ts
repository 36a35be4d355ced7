/** The HTTP surface against the real fixture Prometheus and real Redis. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { until } from "../support/until.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function askJson(text: string) {
  const res = await fetch(`${app.url}/api/v1/ask`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    reply: { title: string; chart?: { url: string; width: number; height: number } };
    provider: string;
    intent: string;
  };
}

describe("HTTP API", () => {
  it("answers a question with provider and intent", async () => {
    const body = await askJson("what's the current system health?");
    expect(body.provider).toBe("builtin");
    expect(body.intent).toBe("health");
    expect(body.reply.title).toMatch(/System health/);
  });

  it("serves the chart of a trend answer as a PNG at the URL in the reply", async () => {
    const body = await askJson("show me cpu trends for the last hour");
    expect(body.reply.chart?.url).toMatch(/^\/charts\/[A-Za-z0-9_-]+\.png$/);
    const png = await fetch(`${app.url}${body.reply.chart?.url}`);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    const bytes = Buffer.from(await png.arrayBuffer());
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    expect(bytes.readUInt32BE(16)).toBeGreaterThanOrEqual(600);
    expect(bytes.readUInt32BE(20)).toBeGreaterThanOrEqual(300);
    const missing = await fetch(`${app.url}/charts/nope.png`);
    expect(missing.status).toBe(404);
  });

  it("documents the API from the validating schemas", async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/api/v1/ask"]?.post?.requestBody).toBeDefined();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/v1/ask", "/api/v1/environments", "/healthz", "/readyz", "/metrics"]),
    );
    expect(doc.components.schemas.AskRequest?.required).toEqual(["text"]);
    expect(Object.keys(doc.components.schemas.Reply?.properties ?? {})).toEqual(
      expect.arrayContaining(["title", "text", "tone", "fields", "links", "actions", "chart"]),
    );
    const docs = await fetch(`${app.url}/docs`);
    expect(await docs.text()).toContain("swagger-ui-bundle.js");
    const bundle = await fetch(`${app.url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
  });

  it("exports its own metrics, counting questions by intent and provider", async () => {
    await askJson("cpu usage");
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(
      /cloudops_questions_total\{intent="metric_now",provider="builtin",platform="api"\} [1-9]/,
    );
    expect(text).toMatch(
      /cloudops_prometheus_query_duration_seconds_bucket\{le="[^"]+",environment="default",kind="query",outcome="ok"\}/,
    );
    expect(text).toContain("cloudops_process_cpu_user_seconds_total");
  });

  it("is alive and ready when Prometheus and Redis answer", async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    let ready: { status: string; checks: Record<string, string> } = { status: "", checks: {} };
    // Ready once the Redis connection is up (it connects in the background).
    await until("/readyz to answer 200", async () => {
      const res = await fetch(`${app.url}/readyz`);
      ready = (await res.json()) as typeof ready;
      return res.status === 200;
    });
    expect(ready).toEqual({ status: "ok", checks: { "prometheus:default": "ok", redis: "ok" } });
  });

  it("lists environments", async () => {
    const body = await (await fetch(`${app.url}/api/v1/environments`)).json();
    expect(body).toEqual({ environments: ["default"], default: "default" });
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await fetch(`${app.url}/api/v1/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("limits questions per client when a limit is set", async () => {
    const limited = await startTestApp({ API_RATE_LIMIT_PER_MIN: "2" });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${limited.url}/api/v1/ask`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ text: "help" }),
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it("counts the limit per token: callers sharing an address each have their own", async () => {
    const alice = "a".repeat(32);
    const bob = "b".repeat(32);
    const limited = await startTestApp({
      API_RATE_LIMIT_PER_MIN: "2",
      API_TOKENS: `alice:${alice},bob:${bob}`,
    });
    try {
      const ask = async (token: string) =>
        (
          await fetch(`${limited.url}/api/v1/ask`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ text: "help" }),
          })
        ).status;
      const statuses = [await ask(alice), await ask(alice), await ask(alice), await ask(bob)];
      expect(statuses).toEqual([200, 200, 429, 200]);
    } finally {
      await limited.close();
    }
  });
});
