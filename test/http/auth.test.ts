/**
 * Authentication where the bot acts or reveals (issue 13): API tokens on /api/v1/*, the bind rule,
 * /metrics, caller-scoped conversations, security headers and the question cap — each through the
 * real app against the fixture Prometheus and real Redis.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type App, createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { silentLogger } from "../../src/observability/logger.js";
import { type FakeLlm, startFakeOpenAi } from "../fakes/fake-llm.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { dropKeys, testPrefix } from "../support/redis.js";

const ALICE = "alice-token-0123456789abcdefghij";
const BOB = "bob-token-9876543210zyxwvutsrqpo";
const WEBHOOK = "webhook-token-0123456789abcdef";
const METRICS = "metrics-token-0123456789abcdef";

interface Bound {
  app: App;
  /** The app reached over loopback, whatever it is bound to. */
  url: string;
  close(): Promise<void>;
}

/** The real app bound to `host` (0.0.0.0: every interface) on a free port; called via 127.0.0.1. */
async function startBound(host: string, env: Record<string, string>): Promise<Bound> {
  const config = loadConfig({
    PROMETHEUS_URL: inject("prometheusUrl"),
    REDIS_URL: inject("redisUrl"),
    HOST: host,
    LOG_LEVEL: "silent",
    API_RATE_LIMIT_PER_MIN: "0",
    PROMETHEUS_TIMEOUT_MS: "20000",
    ANSWER_DEADLINE_MS: "30000",
    ANOMALY_ENABLED: "false",
    ...env,
  });
  const prefix = testPrefix("auth");
  const fixtureEnd = Date.parse(inject("fixtureEnd"));
  const app = createApp(config, silentLogger(), { now: () => fixtureEnd, redisPrefix: prefix });
  const cleanup = async () => {
    await app.close();
    await dropKeys(prefix);
  };
  try {
    const port = await app.listen(0, host);
    return { app, url: `http://127.0.0.1:${port}`, close: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

function post(url: string, body: unknown, token?: string, scheme = "Bearer"): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token !== undefined ? { authorization: `${scheme} ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

describe("API tokens on a non-loopback bind", () => {
  let bound: Bound;
  beforeAll(async () => {
    bound = await startBound("0.0.0.0", {
      API_TOKENS: `alice:${ALICE},bob:${BOB}`,
      ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK,
    });
  });
  afterAll(() => bound?.close());

  it("refuses /api/v1/ask without a token, though the caller comes over 127.0.0.1: 401, JSON, WWW-Authenticate", async () => {
    const res = await post(`${bound.url}/api/v1/ask`, { text: "help" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    const error = await errorOf(res);
    expect(error.code).toBe("unauthorized");
    expect(error.message).toMatch(/Authorization: Bearer/);
  });

  it.each([
    ["a wrong token of the same length", ALICE.replace(/.$/, "X"), "Bearer"],
    ["a prefix of a right token", ALICE.slice(0, 24), "Bearer"],
    ["a right token and more", `${ALICE}x`, "Bearer"],
    ["a right token under another scheme", ALICE, "Basic"],
    ["an empty token", "", "Bearer"],
  ])("refuses %s with 401", async (_name, token, scheme) => {
    const res = await post(`${bound.url}/api/v1/ask`, { text: "help" }, token, scheme);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect((await errorOf(res)).code).toBe("unauthorized");
  });

  it("answers with a right token, either of them, whatever the scheme's case", async () => {
    for (const [token, scheme] of [
      [ALICE, "Bearer"],
      [BOB, "bearer"],
    ] as const) {
      const res = await post(`${bound.url}/api/v1/ask`, { text: "help" }, token, scheme);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { reply: { title: string } }).reply.title).toMatch(/What I can answer/);
    }
  });

  it("guards every /api/v1 route, not only ask", async () => {
    for (const path of ["/api/v1/environments", "/api/v1/anomalies", "/api/v1/nope"]) {
      const res = await fetch(`${bound.url}${path}`);
      expect(res.status, path).toBe(401);
    }
    const ok = await fetch(`${bound.url}/api/v1/environments`, {
      headers: { authorization: `Bearer ${ALICE}` },
    });
    expect(ok.status).toBe(200);
  });

  it("leaves the Alertmanager webhook to its own token", async () => {
    // Its token is not an API token: were the API guard in the way, this would be 401.
    const res = await post(`${bound.url}/api/v1/alertmanager`, { nope: true }, WEBHOOK);
    expect(res.status).toBe(400);
  });

  it("serves the console page, /docs, /openapi.json and /healthz without a token", async () => {
    for (const path of ["/", "/console/app.js", "/docs", "/openapi.json", "/healthz"]) {
      expect((await fetch(`${bound.url}${path}`)).status, path).toBe(200);
    }
  });

  it("documents the bearer token in /openapi.json", async () => {
    const doc = (await (await fetch(`${bound.url}/openapi.json`)).json()) as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    expect(doc.components.securitySchemes.apiToken).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/api/v1/ask"]?.post?.security).toEqual([{ apiToken: [] }]);
    expect(doc.paths["/api/v1/ask"]?.post?.responses["401"]).toBeDefined();
  });
});

describe("where the bot may listen", () => {
  it("refuses to bind beyond loopback without API_TOKENS, naming the variable", async () => {
    await expect(startBound("0.0.0.0", {})).rejects.toThrow(/HOST=0\.0\.0\.0 without API_TOKENS/);
  });

  it("binds beyond loopback with AUTH=none, and the API is open there", async () => {
    const bound = await startBound("0.0.0.0", { AUTH: "none" });
    try {
      const res = await post(`${bound.url}/api/v1/ask`, { text: "help" });
      expect(res.status).toBe(200);
    } finally {
      await bound.close();
    }
  });

  it("defaults to 127.0.0.1 and, there, asks for no token when none is configured", async () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    const bound = await startBound("127.0.0.1", {});
    try {
      expect((await post(`${bound.url}/api/v1/ask`, { text: "help" })).status).toBe(200);
    } finally {
      await bound.close();
    }
  });

  it("asks for a token on loopback too once API_TOKENS is set", async () => {
    const bound = await startBound("127.0.0.1", { API_TOKENS: `alice:${ALICE}` });
    try {
      expect((await post(`${bound.url}/api/v1/ask`, { text: "help" })).status).toBe(401);
      expect((await post(`${bound.url}/api/v1/ask`, { text: "help" }, ALICE)).status).toBe(200);
    } finally {
      await bound.close();
    }
  });
});

describe("/metrics", () => {
  it("asks for METRICS_TOKEN when it is set", async () => {
    const bound = await startBound("127.0.0.1", { METRICS_TOKEN: METRICS });
    try {
      const bare = await fetch(`${bound.url}/metrics`);
      expect(bare.status).toBe(401);
      expect(bare.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
      const wrong = await fetch(`${bound.url}/metrics`, { headers: { authorization: `Bearer ${ALICE}` } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${bound.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain("cloudops_");
    } finally {
      await bound.close();
    }
  });
});

describe("conversations are the caller's own", () => {
  let openai: FakeLlm;
  let bound: Bound;
  beforeAll(async () => {
    openai = await startFakeOpenAi();
    openai.fallback = { text: "Noted\nI have read the question." };
    bound = await startBound("0.0.0.0", {
      API_TOKENS: `alice:${ALICE},bob:${BOB}`,
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: openai.url,
      LLM_PROVIDERS: "openai,builtin",
      LLM_PROVIDER_TIMEOUT: "20s",
      LLM_DEADLINE: "40s",
    });
  });
  afterAll(async () => {
    await bound?.close();
    await openai?.close();
  });

  /** What the model was sent last, as one string. */
  const lastPrompt = () => JSON.stringify(openai.requests.at(-1)?.messages ?? []);

  async function ask(token: string, text: string): Promise<void> {
    const res = await post(`${bound.url}/api/v1/ask`, { text, conversation: "incident-4711" }, token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { provider: string }).provider).toBe("openai");
  }

  it("another token reusing the id does not read the first one's history; the first one does", async () => {
    await ask(ALICE, "is the payments database in trouble?");
    expect(lastPrompt()).toContain("payments database");

    await ask(BOB, "anything else going on?");
    expect(lastPrompt()).toContain("anything else going on?");
    expect(lastPrompt()).not.toContain("payments database");

    // The control: the same caller and id do get their history back.
    await ask(ALICE, "and since when?");
    expect(lastPrompt()).toContain("payments database");
    expect(lastPrompt()).not.toContain("anything else going on?");
  });
});

describe("headers and bounded questions (loopback, no token)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  it.each(["/", "/console/app.js", "/docs", "/docs/init.js", "/openapi.json", "/api/v1/environments"])(
    "%s carries CSP (no inline script, no framing), nosniff and no-referrer",
    async (path) => {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      const directives = new Map(
        csp.split(";").map((d) => {
          const [name = "", ...values] = d.trim().split(/\s+/);
          return [name, values] as const;
        }),
      );
      expect(directives.get("default-src")).toEqual(["'self'"]);
      expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
      expect(directives.get("img-src")).toEqual(["'self'", "data:"]);
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    },
  );

  it("takes a question of 2,000 characters and refuses 2,001 with 400 and a clear message", async () => {
    const fits = await post(`${app.url}/api/v1/ask`, { text: `cpu ${"a".repeat(1996)}` });
    expect(fits.status).toBe(200);
    const res = await post(`${app.url}/api/v1/ask`, { text: "a".repeat(2001) });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("question_too_long");
    expect(error.message).toBe("The question is 2,001 characters; 2,000 at most. Shorten it.");
  });
});
