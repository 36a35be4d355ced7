/** The turn's redactor: one placeholder per address, mapped back in what the model writes. */
import { describe, expect, it } from "vitest";
import { Redactor } from "../../src/assistant/llm/redact.js";

describe("Redactor", () => {
  it("numbers each address once, in the order met, and maps the numbers back", () => {
    const r = new Redactor();
    expect(r.redact("10.0.0.5:9100 and 10.0.0.6:9100")).toBe("[ip-1]:9100 and [ip-2]:9100");
    expect(r.redact("again 10.0.0.6, then fe80:0:0:0:0:0:0:1")).toBe("again [ip-2], then [ip-3]");
    expect(r.restore("[ip-2] is slow; [ip-9] is not one of ours")).toBe(
      "10.0.0.6 is slow; [ip-9] is not one of ours",
    );
    expect(r.restoreArgs({ host: "[ip-1]", list: ["[ip-3]", 4] })).toEqual({
      host: "10.0.0.5",
      list: ["fe80:0:0:0:0:0:0:1", 4],
    });
  });

  it("still replaces tokens, passwords and e-mail addresses with fixed placeholders", () => {
    const r = new Redactor();
    expect(r.redact("xoxb-123456789012-abcdef mail a@b.example https://u:p@h.example/x")).toBe(
      "[token] mail [email] https://***@h.example/x",
    );
  });
});
