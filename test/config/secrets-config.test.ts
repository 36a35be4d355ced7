/**
 * Issue 13, "Secrets stay secret" and "Teams" at start-up: redaction on by default, Prometheus
 * credentials by their own variables (a URL with user:pass@ refused, naming where they go instead,
 * and never echoing the password), the Teams emulator only on a loopback bind, and a single-tenant
 * app serving its own tenant unless told otherwise.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { isLoopbackHost } from "../../src/config/loopback.js";

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const PASSWORD = "hunter2-s3cret";

describe("LLM_REDACT", () => {
  it("is on by default and off only when set to false", () => {
    expect(loadConfig({}).llm.redact).toBe(true);
    expect(loadConfig({ LLM_REDACT: "false" }).llm.redact).toBe(false);
    expect(loadConfig({ LLM_REDACT: "true" }).llm.redact).toBe(true);
  });
});

describe("Prometheus credentials", () => {
  it("refuses PROMETHEUS_URL with user:pass@, naming the variables to use, without the password", () => {
    const e = errorOf({ PROMETHEUS_URL: `http://admin:${PASSWORD}@prom:9090` });
    expect(e.variable).toBe("PROMETHEUS_URL");
    expect(e.message).toMatch(/must not contain a user name or password/);
    expect(e.message).toContain("PROMETHEUS_BASIC_AUTH_USER and PROMETHEUS_BASIC_AUTH_PASSWORD");
    expect(e.message).toContain("PROMETHEUS_BEARER_TOKEN");
    expect(e.message).not.toContain(PASSWORD);
    expect(e.message).not.toContain("admin");
  });

  it("refuses an environment's URL with credentials, naming that environment's own variables", () => {
    const e = errorOf({
      PROMETHEUS_ENVIRONMENTS: `prod=https://ops:${PASSWORD}@prom-a:9090,eu-west=http://prom-b:9090`,
    });
    expect(e.variable).toBe("PROMETHEUS_ENVIRONMENTS");
    expect(e.message).toContain("PROMETHEUS_BASIC_AUTH_USER_PROD and PROMETHEUS_BASIC_AUTH_PASSWORD_PROD");
    expect(e.message).toContain("PROMETHEUS_BEARER_TOKEN_PROD");
    expect(e.message).not.toContain(PASSWORD);
  });

  it("never echoes a password from a URL that is wrong for another reason", () => {
    const e = errorOf({ PROMETHEUS_ENVIRONMENTS: `prod=ftp://ops:${PASSWORD}@prom-a` });
    expect(e.message).not.toContain(PASSWORD);
    const g = errorOf({ GRAFANA_URL: `https://viewer:${PASSWORD}@grafana.example` });
    expect(g.variable).toBe("GRAFANA_URL");
    expect(g.message).not.toContain(PASSWORD);
  });

  it("takes a bearer token or basic auth for every environment", () => {
    expect(loadConfig({ PROMETHEUS_BEARER_TOKEN: "tok-123" }).environments).toEqual([
      { name: "default", url: "http://127.0.0.1:9090", auth: { kind: "bearer", token: "tok-123" } },
    ]);
    const c = loadConfig({
      PROMETHEUS_ENVIRONMENTS: "prod=http://a:9090,staging=http://b:9090",
      PROMETHEUS_BASIC_AUTH_USER: "bot",
      PROMETHEUS_BASIC_AUTH_PASSWORD: PASSWORD,
    });
    for (const env of c.environments) {
      expect(env.auth).toEqual({ kind: "basic", user: "bot", password: PASSWORD });
    }
    expect(loadConfig({}).environments[0]?.auth).toBeUndefined();
  });

  it("lets one environment have its own, which replace the shared ones there", () => {
    const c = loadConfig({
      PROMETHEUS_ENVIRONMENTS: "prod=http://a:9090,eu-west=http://b:9090,lab=http://c:9090",
      PROMETHEUS_BEARER_TOKEN: "shared-token",
      PROMETHEUS_BASIC_AUTH_USER_EU_WEST: "eu",
      PROMETHEUS_BASIC_AUTH_PASSWORD_EU_WEST: PASSWORD,
      PROMETHEUS_BEARER_TOKEN_LAB: "lab-token",
    });
    expect(Object.fromEntries(c.environments.map((e) => [e.name, e.auth]))).toEqual({
      prod: { kind: "bearer", token: "shared-token" },
      "eu-west": { kind: "basic", user: "eu", password: PASSWORD },
      lab: { kind: "bearer", token: "lab-token" },
    });
  });

  it.each([
    [{ PROMETHEUS_BASIC_AUTH_USER: "bot" }, "PROMETHEUS_BASIC_AUTH_PASSWORD", /is required with/],
    [{ PROMETHEUS_BASIC_AUTH_PASSWORD: PASSWORD }, "PROMETHEUS_BASIC_AUTH_USER", /is required with/],
    [
      { PROMETHEUS_BEARER_TOKEN: "t", PROMETHEUS_BASIC_AUTH_USER: "u", PROMETHEUS_BASIC_AUTH_PASSWORD: "p" },
      "PROMETHEUS_BEARER_TOKEN",
      /not both/,
    ],
    [{ PROMETHEUS_BEARER_TOKEN: "two words" }, "PROMETHEUS_BEARER_TOKEN", /without spaces/],
    [
      { PROMETHEUS_BASIC_AUTH_USER: "a:b", PROMETHEUS_BASIC_AUTH_PASSWORD: "p" },
      "PROMETHEUS_BASIC_AUTH_USER",
      /without a colon/,
    ],
    [
      { PROMETHEUS_BEARER_TOKEN_PROD: "t" },
      "PROMETHEUS_BEARER_TOKEN_PROD",
      /PROMETHEUS_ENVIRONMENTS is not set/,
    ],
    [
      { PROMETHEUS_ENVIRONMENTS: "prod=http://a:9090", PROMETHEUS_BEARER_TOKEN_PRDO: "t" },
      "PROMETHEUS_BEARER_TOKEN_PRDO",
      /names no environment of PROMETHEUS_ENVIRONMENTS \(known: PROD\)/,
    ],
    [
      { PROMETHEUS_ENVIRONMENTS: "prod-eu=http://a:9090,prod_eu=http://b:9090" },
      "PROMETHEUS_ENVIRONMENTS",
      /would both end in _PROD_EU/,
    ],
  ])("refuses %o naming %s", (env, variable, problem) => {
    const e = errorOf(env);
    expect(e.variable).toBe(variable);
    expect(e.message).toMatch(problem);
    expect(e.message).not.toContain(PASSWORD);
  });
});

describe("Teams", () => {
  it("allows the emulator only on a loopback HOST, with a message that says why", () => {
    const e = errorOf({ TEAMS_EMULATOR: "true", HOST: "0.0.0.0" });
    expect(e.variable).toBe("TEAMS_EMULATOR");
    expect(e.message).toMatch(/needs a loopback HOST .*HOST is "0\.0\.0\.0"/);
    expect(e.message).toContain("TEAMS_APP_ID and TEAMS_APP_PASSWORD");
    for (const host of ["127.0.0.1", "::1", "localhost"]) {
      expect(loadConfig({ TEAMS_EMULATOR: "true", HOST: host }).teams.emulator).toBe(true);
    }
  });

  it("serves only the app's own tenant when the app is SingleTenant and no list is given", () => {
    const own = "11111111-2222-3333-4444-555555555555";
    const single = { TEAMS_APP_ID: "app", TEAMS_APP_PASSWORD: "pw", TEAMS_APP_TENANT_ID: own };
    expect(loadConfig({ ...single, TEAMS_APP_TYPE: "SingleTenant" }).teams.allowedTenants).toEqual([own]);
    // A tenant id without a type is a SingleTenant app (the adapter reads it so).
    expect(loadConfig(single).teams.allowedTenants).toEqual([own]);
    // An explicit list is the operator's.
    expect(loadConfig({ ...single, TEAMS_ALLOWED_TENANTS: "t-1,t-2" }).teams.allowedTenants).toEqual([
      "t-1",
      "t-2",
    ]);
    // MultiTenant stays open unless listed (the adapter warns at start).
    expect(
      loadConfig({ TEAMS_APP_ID: "app", TEAMS_APP_PASSWORD: "pw", TEAMS_APP_TYPE: "MultiTenant" }).teams
        .allowedTenants,
    ).toEqual([]);
  });

  it("needs the tenant of a SingleTenant app", () => {
    const e = errorOf({ TEAMS_APP_ID: "app", TEAMS_APP_PASSWORD: "pw", TEAMS_APP_TYPE: "SingleTenant" });
    expect(e.variable).toBe("TEAMS_APP_TENANT_ID");
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["localhost", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.1", false],
    ["evil.localhost", false],
    ["127.0.0.1.nip.io", false],
    ["attacker.example", false],
  ])("%s → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
