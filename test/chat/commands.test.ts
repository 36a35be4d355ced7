/** Typed commands: the same text gives the same action on every platform. */
import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/chat/commands.js";
import { decodeAction, encodeAction } from "../../src/reply/action.js";

describe("parseCommand", () => {
  it.each([
    ["", { kind: "help" }],
    ["help", { kind: "help" }],
    ["?", { kind: "help" }],
    ["alerts", { kind: "alerts.list" }],
    ["Alert", { kind: "alerts.list" }],
    ["audit", { kind: "alerts.audit" }],
    ["ack 3fa2c19b", { kind: "alert.ack", id: "3fa2c19b" }],
    ["acknowledge   3fa2c19b", { kind: "alert.ack", id: "3fa2c19b" }],
    ["silence 3fa2c19b 2h", { kind: "alert.silence", id: "3fa2c19b", for: "2h" }],
    ["silence 3fa2c19b for 30m", { kind: "alert.silence", id: "3fa2c19b", for: "30m" }],
    ["silence 3fa2c19b", { kind: "alert.silence", id: "3fa2c19b", for: "1h" }],
    ["unsilence 3fa2c19b", { kind: "alert.unsilence", id: "3fa2c19b" }],
    ["resolve 3fa2c19b", { kind: "alert.resolve", id: "3fa2c19b" }],
    ["details 3fa2c19b", { kind: "alert.details", id: "3fa2c19b" }],
    ["ack", { kind: "alert.which", verb: "ack" }],
    ["silence web-2", { kind: "alert.which", verb: "silence" }],
    ["alert when disk > 90% for 10m", { kind: "rule.create", text: "disk > 90% for 10m" }],
    ["rules", { kind: "rules.list" }],
    ["rule pause 0a1b2c3d", { kind: "rule.change", op: "pause", id: "0a1b2c3d" }],
    ["what's the current system health?", { kind: "ask", text: "what's the current system health?" }],
    ["alerts on web-2 last hour", { kind: "ask", text: "alerts on web-2 last hour" }],
    ["ACK 3FA2C19B", { kind: "alert.ack", id: "3fa2c19b" }],
    ["rule delete 0A1B2C3D", { kind: "rule.change", op: "delete", id: "0a1b2c3d" }],
  ])("%j → %j", (text, action) => {
    expect(parseCommand(text)).toEqual(action);
  });
});

describe("text longer than a question may be", () => {
  it("is answered as too long, never cut to fit", () => {
    expect(parseCommand(`cpu ${"x".repeat(2000)}`)).toEqual({ kind: "too-long", length: 2004 });
    expect(parseCommand(`cpu ${"x".repeat(1996)}`).kind).toBe("ask");
  });
});

describe("button payloads", () => {
  it("round-trip every kind of action", () => {
    for (const text of ["ack 3fa2c19b", "silence 3fa2c19b 4h", "rule delete 0a1b2c3d", "cpu trend"]) {
      const action = parseCommand(text);
      expect(decodeAction(encodeAction(action))).toEqual(action);
    }
  });

  it.each([
    ["not json", "ack 3fa2c19b"],
    ["an unknown kind", JSON.stringify({ kind: "alert.delete", id: "3fa2c19b" })],
    ["an id that is not a group id", JSON.stringify({ kind: "alert.ack", id: "../../x" })],
    [
      "a silence duration too long to be one",
      JSON.stringify({ kind: "alert.silence", id: "3fa2c19b", for: "x".repeat(50) }),
    ],
    ["a huge payload", JSON.stringify({ kind: "ask", text: "x".repeat(5000) })],
    ["not an object", JSON.stringify(["alert.ack", "3fa2c19b"])],
  ])("refuse %s", (_why, payload) => {
    expect(decodeAction(payload)).toBeUndefined();
  });
});
