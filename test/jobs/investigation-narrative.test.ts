/**
 * The first look with an LLM configured, through the real app, the real `openai` SDK against a fake
 * OpenAI server and the fake Slack Web API: the model gets the findings as a tool result and its
 * account goes on top of the data in the thread; an account that cites nothing from the findings is
 * dropped and the data stands alone.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type FakeLlm, startFakeOpenAi } from "../fakes/fake-llm.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { alertmanagerAccepts, alertmanagerWebhook } from "../support/alertmanager.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { SIGNING_SECRET } from "../support/slack-requests.js";
import { until } from "../support/until.js";

let slack: FakeSlack;
let openai: FakeLlm;
let app: TestApp;
let seq = 0;
// In the middle of web-2's CPU spike (node-fixture.ts).
const AT = Date.parse(inject("fixtureEnd")) - 2.75 * 3600_000;

beforeAll(async () => {
  [slack, openai] = await Promise.all([startFakeSlack(), startFakeOpenAi()]);
  app = await startTestApp(
    {
      SLACK_BOT_TOKEN: "xoxb-1-first-look-llm",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_ALERT_CHANNEL: "C0ALERTS",
      ALERTMANAGER_WEBHOOK_OPEN: "true",
      ALERT_POSTS_PER_MINUTE: "1000",
      ALERT_FIRST_LOOK: "true",
      OPENAI_API_KEY: "sk-test-0000000000000000",
      OPENAI_BASE_URL: openai.url,
      LLM_PROVIDERS: "openai,builtin",
      LLM_PROVIDER_TIMEOUT: "10s",
      LLM_DEADLINE: "20s",
    },
    undefined,
    () => AT,
  );
});
afterAll(async () => {
  await app?.close();
  await Promise.all([slack?.close(), openai?.close()]);
});

async function fire(): Promise<string> {
  seq++;
  const name = `CpuBusyLlm${seq}`;
  await alertmanagerAccepts(
    app.url,
    alertmanagerWebhook(
      [
        {
          labels: { alertname: name, severity: "warning", instance: "web-2:9100", job: "node" },
          startsAt: new Date(AT - 10 * 60_000).toISOString(),
          generatorURL: "http://prometheus:9090/graph?g0.expr=up",
          fingerprint: `11a0${seq.toString(16).padStart(12, "0")}`,
        },
      ],
      {
        groupKey: `{}:{alertname="${name}"}`,
        groupLabels: { alertname: name },
        commonLabels: { alertname: name },
      },
    ),
  );
  let message: SlackCall | undefined;
  await until("the alert message", () => {
    message = slack
      .callsOf("chat.postMessage")
      .find(
        (p) => p.args.channel === "C0ALERTS" && !p.args.thread_ts && JSON.stringify(p.args).includes(name),
      );
    return message !== undefined;
  });
  const ts = String(message?.response?.ts);
  let look: SlackCall | undefined;
  await until("the first look in the thread", () => {
    look = slack
      .callsOf("chat.postMessage")
      .find((c) => c.args.thread_ts === ts && JSON.stringify(c.args.blocks).includes("First look"));
    return look !== undefined;
  });
  return JSON.stringify(look?.args.blocks);
}

/** The findings the model was given, from its request. */
function findingsOf(request: Record<string, unknown>): { headline: string; findings: string[] } {
  const messages = (request.messages ?? []) as { role: string; content: string }[];
  const tool = messages.find((m) => m.role === "tool");
  return JSON.parse(tool?.content ?? "{}");
}

describe("first look with an LLM", () => {
  it("puts the model's account, citing the findings, on top of the data", async () => {
    let given: { headline: string; findings: string[] } | undefined;
    openai.script({
      reply: (req) => {
        given = findingsOf(req);
        // The model cites the first finding's line as written: its value, usual level and time.
        const line = given.findings.find((l) => l.startsWith("• CPU")) ?? "";
        return `The CPU is the likely cause: ${line.replace(/^• /, "")}. A noisy neighbour would also explain it.`;
      },
    });
    const blocks = await fire();
    expect(given?.headline).toMatch(/^🔎 First look: CPU/);
    expect(blocks).toContain("🤖 The CPU is the likely cause: CPU");
    expect(blocks).toContain("written by openai");
    // The sentence citing nothing from the findings was dropped; the data is still below.
    expect(blocks).not.toContain("noisy neighbour");
    expect(blocks).toContain("What moved on web-2");
  });

  it("drops an account that cites nothing from the findings: the data stands alone", async () => {
    openai.script({ text: "Everything is probably fine, check the logs." });
    const asked = openai.requests.length;
    const blocks = await fire();
    // The model was asked and answered; its account was what got dropped.
    expect(openai.requests.length).toBe(asked + 1);
    expect(blocks).not.toContain("🤖");
    expect(blocks).not.toContain("check the logs");
    expect(blocks).toContain("What moved on web-2");
  });
});
