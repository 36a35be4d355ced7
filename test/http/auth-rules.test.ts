/** The rules of src/http/auth.ts on their own: loopback, the bind decision, token checks, API_TOKENS. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { decideBind, isLoopback, TokenVerifier } from "../../src/http/auth.js";

const TOKEN = "a".repeat(24);

describe("isLoopback", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["0.0.0.0", false],
    ["::", false],
    ["128.0.0.1", false],
    ["10.0.0.5", false],
    ["192.168.1.10", false],
    ["localhost.example.com", false],
    ["bot.internal", false],
  ])("%s → %s", (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});

describe("decideBind", () => {
  const none = { tokens: [], none: false };
  it("lets loopback run without tokens", () => {
    expect(decideBind(none, "127.0.0.1")).toEqual({ ok: true, mode: "open" });
  });
  it("refuses any other address without tokens, naming HOST and API_TOKENS once", () => {
    const d = decideBind(none, "0.0.0.0");
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.message).toBe(
      "Refusing to listen on HOST=0.0.0.0 without API_TOKENS: anyone reaching the port could use the API. Set API_TOKENS=name:token (tokens of 24+ characters), or HOST=127.0.0.1, or AUTH=none to run open on purpose.",
    );
    expect(d.message.split("\n")).toHaveLength(1);
  });
  it("runs open beyond loopback only when AUTH=none says so, with a warning", () => {
    const d = decideBind({ tokens: [], none: true }, "0.0.0.0");
    expect(d).toMatchObject({ ok: true, mode: "open-by-choice" });
    expect(d.ok && d.warning).toMatch(/^AUTH=none: .*ANYONE/);
  });
  it("asks for tokens wherever they are configured", () => {
    const tokens = [{ name: "ops", token: TOKEN }];
    expect(decideBind({ tokens, none: false }, "0.0.0.0")).toEqual({ ok: true, mode: "tokens" });
    expect(decideBind({ tokens, none: false }, "127.0.0.1")).toEqual({ ok: true, mode: "tokens" });
  });
});

describe("TokenVerifier", () => {
  const verifier = new TokenVerifier([
    { name: "ops", token: TOKEN },
    { name: "ci", token: "b".repeat(40) },
  ]);
  it("names the token's owner", () => {
    expect(verifier.verify(TOKEN)).toBe("ops");
    expect(verifier.verify("b".repeat(40))).toBe("ci");
  });
  it.each(["", "a".repeat(23), "a".repeat(25), TOKEN.toUpperCase(), "ops", `${TOKEN} `])(
    "refuses %j",
    (presented) => {
      expect(verifier.verify(presented)).toBeUndefined();
    },
  );
});

describe("API_TOKENS, METRICS_TOKEN and AUTH", () => {
  const fails = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };

  it("reads named tokens in order", () => {
    const c = loadConfig({ API_TOKENS: ` ops:${TOKEN} , ci-bot_2:${"c".repeat(30)} ` });
    expect(c.auth.tokens).toEqual([
      { name: "ops", token: TOKEN },
      { name: "ci-bot_2", token: "c".repeat(30) },
    ]);
    expect(c.auth.none).toBe(false);
  });

  it.each([
    ["a short token", `ops:${"a".repeat(23)}`, 'token of "ops" must be at least 24 characters'],
    ["no name", TOKEN, "entry 1 must look like name:token"],
    ["an upper-case name", `Ops:${TOKEN}`, "entry 1 must look like name:token"],
    ["a name twice", `ops:${TOKEN},ops:${"b".repeat(24)}`, 'names "ops" twice'],
    ["one token for two names", `ops:${TOKEN},ci:${TOKEN}`, 'gives "ci" a token another name has'],
  ])("refuses %s with one line naming API_TOKENS and never the token", (_name, value, problem) => {
    const message = fails({ API_TOKENS: value });
    expect(message.startsWith(`Invalid configuration: API_TOKENS ${problem}`)).toBe(true);
    expect(message.split("\n")).toHaveLength(1);
    expect(message).not.toContain("aaaaaaaaaaaaaaaaaaaaaaa");
  });

  it("refuses a short METRICS_TOKEN, an unknown AUTH, and AUTH=none with tokens", () => {
    expect(fails({ METRICS_TOKEN: "short" })).toBe(
      "Invalid configuration: METRICS_TOKEN must be at least 24 characters",
    );
    expect(fails({ AUTH: "maybe" })).toBe(
      'Invalid configuration: AUTH must be "token" or "none" (got "maybe")',
    );
    expect(fails({ AUTH: "none", API_TOKENS: `ops:${TOKEN}` })).toBe(
      "Invalid configuration: AUTH is none but API_TOKENS is set: unset one of them",
    );
  });
});
