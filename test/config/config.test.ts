import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_FALSE_ALARMS_PER_DAY } from "../../src/anomaly/alarm-budget.js";
import { ConfigError, loadConfig } from "../../src/config/config.js";

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has defaults that work on a laptop", () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.environments).toEqual([{ name: "default", url: "http://127.0.0.1:9090" }]);
    expect(c.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(c.llm.providers).toEqual(["builtin"]);
  });

  it("reads the false-alarm budget as a positive number and names the variable when it is not", () => {
    expect(loadConfig({}).anomaly.falseAlarmsPerDay).toBe(DEFAULT_FALSE_ALARMS_PER_DAY);
    expect(loadConfig({ ANOMALY_FALSE_ALARMS_PER_DAY: "0.05" }).anomaly.falseAlarmsPerDay).toBe(0.05);
    for (const bad of ["0", "-1", "often", "1e9", "2000"])
      expect(errorOf({ ANOMALY_FALSE_ALARMS_PER_DAY: bad })).toMatch(/ANOMALY_FALSE_ALARMS_PER_DAY/);
  });

  it("treats empty variables as unset, like an env file copied from .env.example", () => {
    const c = loadConfig({ PORT: "", TEAMS_APP_TYPE: "", PROMETHEUS_ENVIRONMENTS: " " });
    expect(c.port).toBe(3000);
    expect(c.teams.appType).toBeUndefined();
  });

  it("parses several environments in order, the first being the default", () => {
    const c = loadConfig({ PROMETHEUS_ENVIRONMENTS: "prod=http://prom-a:9090/, staging=https://prom-b" });
    expect(c.environments).toEqual([
      { name: "prod", url: "http://prom-a:9090" },
      { name: "staging", url: "https://prom-b" },
    ]);
  });

  it.each([
    [
      { PORT: "abc" },
      /^Invalid configuration: PORT must be a whole number between 1 and 65535 \(got "abc"\)$/,
    ],
    [{ PORT: "70000" }, /^Invalid configuration: PORT must be at most 65535/],
    [{ PROMETHEUS_URL: "ftp://x" }, /PROMETHEUS_URL must be an http\(s\) URL/],
    [{ PROMETHEUS_ENVIRONMENTS: "prod" }, /PROMETHEUS_ENVIRONMENTS entry "prod" must look like name=http/],
    [
      { PROMETHEUS_ENVIRONMENTS: "prod=http://a,prod=http://b" },
      /PROMETHEUS_ENVIRONMENTS names "prod" twice/,
    ],
    [{ PROMETHEUS_ENVIRONMENTS: "prod=nope" }, /PROMETHEUS_ENVIRONMENTS URL of "prod" must be an http/],
    [{ REDIS_URL: "http://x" }, /REDIS_URL must start with redis:\/\//],
    [{ LOG_LEVEL: "loud" }, /^Invalid configuration: LOG_LEVEL/],
    [{ LLM_PROVIDERS: "openai,foo" }, /LLM_PROVIDERS has unknown provider "foo"/],
    [
      { SLACK_BOT_TOKEN: "abc", SLACK_SIGNING_SECRET: "s" },
      /SLACK_BOT_TOKEN must be a bot token starting with "xoxb-"/,
    ],
    [{ SLACK_BOT_TOKEN: "xoxb-1" }, /SLACK_SIGNING_SECRET is required/],
    [{ TEAMS_APP_ID: "id" }, /TEAMS_APP_PASSWORD is required/],
    [{ PROMETHEUS_TIMEOUT_MS: "5" }, /PROMETHEUS_TIMEOUT_MS must be at least 100/],
    [{ CONSOLE_ENABLED: "maybe" }, /CONSOLE_ENABLED must be true or false/],
    [
      { ALERT_ROUTES_FILE: "/nonexistent/routes.yml" },
      /^Invalid configuration: ALERT_ROUTES_FILE cannot read/,
    ],
    [{ ALERT_GROUP_BY: "alertname,bad-label" }, /ALERT_GROUP_BY must be label names/],
    [{ ALERT_REPEAT_INTERVAL: "often" }, /ALERT_REPEAT_INTERVAL must be a duration/],
    [{ ALERT_ACTORS: "U1,<script>" }, /ALERT_ACTORS has an invalid id/],
    [{ TEAMS_ALLOWED_TENANTS: "a b" }, /TEAMS_ALLOWED_TENANTS has an invalid id "a b"/],
    [{ TEAMS_ALLOWED_USERS: "29:1abc,<at>x</at>" }, /TEAMS_ALLOWED_USERS has an invalid id/],
  ])("rejects %j with one line naming the variable", (env, pattern) => {
    const msg = errorOf(env as Record<string, string>);
    expect(msg).toMatch(pattern);
    expect(msg).not.toContain("\n");
  });

  it("reads the Teams allow-lists like Slack's: comma lists, empty meaning everyone", () => {
    expect(loadConfig({}).teams).toMatchObject({ allowedTenants: [], allowedUsers: [] });
    const c = loadConfig({
      TEAMS_ALLOWED_TENANTS: " 11111111-2222-3333-4444-555555555555 , contoso.onmicrosoft.com",
      TEAMS_ALLOWED_USERS: "00000000-0000-0000-0000-000000000001,29:1AbC-d_e",
    });
    expect(c.teams.allowedTenants).toEqual([
      "11111111-2222-3333-4444-555555555555",
      "contoso.onmicrosoft.com",
    ]);
    expect(c.teams.allowedUsers).toEqual(["00000000-0000-0000-0000-000000000001", "29:1AbC-d_e"]);
  });

  it("reads and validates the alert routes file at start-up, naming the variable and the place", () => {
    const dir = mkdtempSync(join(tmpdir(), "routes-"));
    const file = join(dir, "routes.yml");
    writeFileSync(file, "routes:\n  - slack_channel: general\n");
    expect(() => loadConfig({ ALERT_ROUTES_FILE: file })).toThrow(
      /^Invalid configuration: ALERT_ROUTES_FILE routes.0.slack_channel: a Slack channel id/,
    );
    writeFileSync(file, "routes:\n  - slack_channel: C0PAGE\n    severity: [critical]\n");
    expect(loadConfig({ ALERT_ROUTES_FILE: file }).alerts.routesText).toContain("C0PAGE");
  });

  it("never echoes secret values in errors", () => {
    const msg = errorOf({ SLACK_BOT_TOKEN: "super-secret-value", SLACK_SIGNING_SECRET: "x" });
    expect(msg).not.toContain("super-secret-value");
  });

  it("orders configured LLM providers and always ends with builtin", () => {
    const c = loadConfig({ OPENAI_API_KEY: "k", LOCAL_LLM_URL: "http://127.0.0.1:11434/v1" });
    expect(c.llm.providers).toEqual(["openai", "local", "builtin"]);
    expect(loadConfig({ LLM_PROVIDERS: "gemini" }).llm.providers).toEqual(["gemini", "builtin"]);
  });
});

describe("ALERTMANAGER_WEBHOOK_TOKEN_FILE", () => {
  const dir = mkdtempSync(join(tmpdir(), "cloudops-token-"));
  const file = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it("reads the webhook token from the file Alertmanager reads too", () => {
    const token = "0123456789abcdef0123456789abcdef";
    const c = loadConfig({ ALERTMANAGER_WEBHOOK_TOKEN_FILE: file("ok", `${token}\n`) });
    expect(c.alertmanagerWebhookToken).toBe(token);
  });

  it("prefers ALERTMANAGER_WEBHOOK_TOKEN when both are set", () => {
    const c = loadConfig({
      ALERTMANAGER_WEBHOOK_TOKEN: "from-the-environment-0000",
      ALERTMANAGER_WEBHOOK_TOKEN_FILE: file("other", "from-the-file-00000000"),
    });
    expect(c.alertmanagerWebhookToken).toBe("from-the-environment-0000");
  });

  it.each([
    ["a missing file", join(dir, "absent"), /cannot read/],
    ["a short token", "short", /at least 16 characters/],
    ["two words", "two words in the token file", /no spaces/],
  ])("refuses %s, naming the variable", (_what, content, why) => {
    const path = content.startsWith(dir) ? content : file(`bad-${content.length}`, content);
    const message = errorOf({ ALERTMANAGER_WEBHOOK_TOKEN_FILE: path });
    expect(message).toMatch(/ALERTMANAGER_WEBHOOK_TOKEN_FILE/);
    expect(message).toMatch(why);
  });
});
