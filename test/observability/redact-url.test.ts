/**
 * URL credentials never shown: the one helper (answers, errors, /readyz) and every log line, whatever
 * field or message the URL sits in.
 */
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logger.js";
import { hasCredentials, withoutCredentials } from "../../src/observability/redact-url.js";
import { until } from "../support/until.js";

describe("withoutCredentials", () => {
  it.each([
    ["http://admin:s3cret@prom:9090/api", "http://***@prom:9090/api"],
    ["redis://:s3cret@cache:6380/2", "redis://***@cache:6380/2"],
    ["https://token@grafana.example/d/x?a=b@c", "https://***@grafana.example/d/x?a=b@c"],
    // A raw @ in the password: URL parsers take the last @ of the authority.
    ["http://u:p@ss@host:1", "http://***@host:1"],
    ['failed: "http://u:pw@a:1" and http://v:pw2@b:2/x', 'failed: "http://***@a:1" and http://***@b:2/x'],
    ["no URL here, mail ops@example.com", "no URL here, mail ops@example.com"],
    ["http://prom:9090/api/v1/query", "http://prom:9090/api/v1/query"],
  ])("%s → %s", (text, shown) => {
    expect(withoutCredentials(text)).toBe(shown);
  });

  it("tells a URL with credentials apart", () => {
    expect(hasCredentials("http://a:b@h")).toBe(true);
    expect(hasCredentials("http://a@h")).toBe(true);
    expect(hasCredentials("http://h:9090")).toBe(false);
  });
});

describe("logger", () => {
  it("removes URL credentials from messages, fields and errors", async () => {
    const lines: string[] = [];
    const log = createLogger("info", { write: (line: string) => lines.push(line) });
    log.warn({ url: "http://bot:pw-1@prom:9090" }, "cannot reach redis://:pw-2@cache:6379");
    log.error({ err: new Error("connect ECONNREFUSED http://x:pw-3@alertmanager:9093") }, "failed");
    await until("both lines", () => lines.length >= 2);
    const all = lines.join("");
    for (const pw of ["pw-1", "pw-2", "pw-3"]) expect(all).not.toContain(pw);
    expect(all).toContain("http://***@prom:9090");
    expect(all).toContain("redis://***@cache:6379");
    expect(all).toContain("http://***@alertmanager:9093");
  });
});
