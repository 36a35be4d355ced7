/**
 * Issue 13: with default settings nothing secret reaches an LLM provider. A question carrying a Slack
 * token, an OpenAI key, a URL with a password, an IP address and an e-mail address reaches the fake
 * OpenAI with placeholders instead; only LLM_REDACT=false sends them as typed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLlm, startFakeOpenAi } from "../fakes/fake-llm.js";
import { startTestApp, type TestApp } from "../support/app.js";

const SECRETS = {
  slackToken: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
  openaiKey: "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2",
  password: "hunter2-s3cret",
  ip: "10.20.30.40",
  email: "ana.ops@example.com",
};
const QUESTION = `why is ${SECRETS.ip} slow since the deploy? it uses ${SECRETS.slackToken} and ${SECRETS.openaiKey}, pulls from https://deploy:${SECRETS.password}@git.example/repo, mail ${SECRETS.email}`;

let openai: FakeLlm;

beforeAll(async () => {
  openai = await startFakeOpenAi();
});
afterAll(async () => {
  await openai?.close();
});

async function sentFor(env: Record<string, string>): Promise<string> {
  const app: TestApp = await startTestApp({
    OPENAI_API_KEY: "sk-test-0000000000000000",
    OPENAI_BASE_URL: openai.url,
    LLM_PROVIDERS: "openai,builtin",
    ...env,
  });
  try {
    openai.requests.length = 0;
    openai.script({ text: "Nothing unusual on that host." });
    const res = await fetch(`${app.url}/api/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: QUESTION }),
    });
    expect(res.status).toBe(200);
    expect(openai.requests.length).toBeGreaterThanOrEqual(1);
    return JSON.stringify(openai.requests);
  } finally {
    await app.close();
  }
}

describe("what reaches the LLM provider", () => {
  it("by default: no token, key, password, IP or e-mail address, placeholders instead", async () => {
    const sent = await sentFor({});
    for (const secret of Object.values(SECRETS)) expect(sent).not.toContain(secret);
    expect(sent).toContain("[token]");
    expect(sent).toMatch(/\[ip-\d+\]/);
    expect(sent).toContain("[email]");
    expect(sent).toContain("https://***@git.example/repo");
    // The question itself still reaches the model.
    expect(sent).toContain("slow since the deploy");
  });

  it("with LLM_REDACT=false: the text as typed (the operator's explicit choice)", async () => {
    const sent = await sentFor({ LLM_REDACT: "false" });
    expect(sent).toContain(SECRETS.ip);
    expect(sent).toContain(SECRETS.slackToken);
  });
});

describe("IP addresses as numbered placeholders", () => {
  it("lets the model ask about a host named by its address, and answers with the address, while the provider never sees it", async () => {
    const app: TestApp = await startTestApp({
      OPENAI_API_KEY: "sk-test-0000000000000000",
      OPENAI_BASE_URL: openai.url,
      LLM_PROVIDERS: "openai,builtin",
    });
    try {
      openai.requests.length = 0;
      // The model only knows the placeholder it was given, and uses it in a tool call and its answer.
      openai.script(
        { toolCalls: [{ name: "promql_query", args: { query: 'up{instance="[ip-1]:9100"}' } }] },
        { text: "Host [ip-1]\nIt is [ip-1] that is slow, not [ip-2]." },
      );
      const res = await fetch(`${app.url}/api/v1/ask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "is 10.20.30.40 slower than 10.20.30.41?" }),
      });
      const body = (await res.json()) as { reply: { title: string; text: string } };
      const sent = JSON.stringify(openai.requests);
      expect(sent).not.toContain("10.20.30.4");
      expect(sent).toContain("[ip-1]");
      expect(sent).toContain("[ip-2]");
      // The tool ran on the real address: what came back to the model names the placeholder again.
      const toolResult = JSON.stringify(
        (openai.requests[1] as { messages?: unknown[] } | undefined)?.messages,
      );
      expect(toolResult).toContain('\\"status\\"');
      expect(`${body.reply.title}\n${body.reply.text}`).toContain(
        "It is 10.20.30.40 that is slow, not 10.20.30.41.",
      );
    } finally {
      await app.close();
    }
  });
});
