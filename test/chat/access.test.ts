/** One access policy for every platform: allow-lists, and who may act on alerts. */
import { describe, expect, it } from "vitest";
import { type AccessLists, actorsWarning, refuse } from "../../src/chat/access.js";
import type { ActionRequest, PlaceKind } from "../../src/chat/platform.js";
import type { Action } from "../../src/reply/action.js";
import type { Platform } from "../../src/reply/reply.js";

const open: AccessLists = {
  slack: { channels: [], users: [] },
  teams: { tenants: [], users: [] },
  actors: "*",
};

function request(
  platform: Platform,
  user: string,
  action: Action,
  place: { id: string; kind: PlaceKind } = { id: "C1", kind: "channel" },
  tenant?: string,
): ActionRequest {
  return {
    actor: { platform, id: user, name: user },
    place,
    via: "message",
    action,
    ...(tenant ? { tenant } : {}),
  };
}

const ask: Action = { kind: "ask", text: "health" };
const ack: Action = { kind: "alert.ack", id: "3fa2c19b" };

describe("access policy", () => {
  it("lets everyone in when no list is set, and Slack and Teams users act with ALERT_ACTORS=*", () => {
    expect(refuse(open, request("slack", "U1", ack))).toBeUndefined();
    expect(refuse(open, request("teams", "aad-1", ack))).toBeUndefined();
  });

  it("never lets the console or the API act: nobody is signed in there", () => {
    expect(refuse(open, request("api", "anonymous", ask, { id: "api", kind: "console" }))).toBeUndefined();
    expect(refuse(open, request("api", "anonymous", ack, { id: "api", kind: "console" }))?.text).toMatch(
      /signed-in person/,
    );
  });

  it("applies Slack's user list everywhere, its channel list in channels only", () => {
    const lists = { ...open, slack: { channels: ["C1"], users: ["U1", "U2"] } };
    expect(refuse(lists, request("slack", "U3", ask))?.text).toMatch(/SLACK_ALLOWED_USERS/);
    expect(refuse(lists, request("slack", "U3", { kind: "home" }, { id: "U3", kind: "home" }))).toBeDefined();
    expect(refuse(lists, request("slack", "U1", ask, { id: "C9", kind: "channel" }))?.text).toMatch(
      /SLACK_ALLOWED_CHANNELS/,
    );
    expect(refuse(lists, request("slack", "U1", ask, { id: "D9", kind: "direct" }))).toBeUndefined();
    expect(
      refuse(lists, request("slack", "U1", { kind: "home" }, { id: "U1", kind: "home" })),
    ).toBeUndefined();
  });

  it("applies Teams' tenant and user lists", () => {
    const lists = { ...open, teams: { tenants: ["t-1"], users: ["aad-1"] } };
    expect(refuse(lists, request("teams", "aad-1", ask, undefined, "t-1"))).toBeUndefined();
    expect(refuse(lists, request("teams", "aad-1", ask, undefined, "t-2"))?.text).toMatch(
      /TEAMS_ALLOWED_TENANTS/,
    );
    expect(refuse(lists, request("teams", "aad-1", ask))?.text).toMatch(/TEAMS_ALLOWED_TENANTS/);
    expect(refuse(lists, request("teams", "aad-2", ask, undefined, "t-1"))?.text).toMatch(
      /TEAMS_ALLOWED_USERS/,
    );
  });

  it("lets only ALERT_ACTORS act, while everyone allowed may still read", () => {
    const lists = { ...open, actors: ["U1"] };
    expect(refuse(lists, request("slack", "U1", ack))).toBeUndefined();
    expect(refuse(lists, request("slack", "U2", ack))?.text).toMatch(/ALERT_ACTORS/);
    expect(refuse(lists, request("slack", "U2", { kind: "alerts.list" }))).toBeUndefined();
    expect(
      refuse(lists, request("teams", "aad-9", { kind: "rule.create", text: "cpu > 90%" }))?.text,
    ).toMatch(/ALERT_ACTORS/);
  });

  it("lets nobody act while ALERT_ACTORS is empty, says so, and warns at start-up", () => {
    const nobody = { ...open, actors: [] };
    // Issue 13: with the default (empty) ALERT_ACTORS anyone could silence every alert.
    expect(refuse(nobody, request("slack", "U1", ack))?.text).toMatch(/ALERT_ACTORS is empty/);
    expect(
      refuse(nobody, request("teams", "aad-1", { kind: "alert.silence", id: "3fa2c19b", for: "1h" })),
    ).toBeDefined();
    expect(refuse(nobody, request("slack", "U1", ask))).toBeUndefined();
    expect(refuse(nobody, request("slack", "U1", { kind: "alerts.list" }))).toBeUndefined();
    expect(actorsWarning([])).toMatch(/ALERT_ACTORS=\*/);
    expect(actorsWarning("*")).toBeUndefined();
    expect(actorsWarning(["U1"])).toBeUndefined();
  });

  it("lets ALERT_ACTORS=* act only where the allow-lists admit", () => {
    const lists = { ...open, slack: { channels: ["C1"], users: ["U1"] } };
    expect(refuse(lists, request("slack", "U1", ack))).toBeUndefined();
    expect(refuse(lists, request("slack", "U2", ack))?.text).toMatch(/SLACK_ALLOWED_USERS/);
    expect(refuse(lists, request("api", "anonymous", ack, { id: "api", kind: "console" }))).toBeDefined();
  });

  it("keeps alerts and the audit log from the console once the bot serves only listed people", () => {
    const console = { id: "api", kind: "console" as const };
    const read = (lists: AccessLists, action: Action) =>
      refuse(lists, request("api", "anonymous", action, console));
    expect(read(open, { kind: "alerts.list" })).toBeUndefined();
    const listed = { ...open, slack: { channels: [], users: ["U1"] } };
    for (const kind of ["alerts.list", "alerts.audit", "rules.list", "digest.now"] as const)
      expect(read(listed, { kind })?.text).toMatch(/allow-lists/);
    expect(read(listed, { kind: "alert.details", id: "3fa2c19b" })?.text).toMatch(/allow-lists/);
    expect(read({ ...open, teams: { tenants: ["t-1"], users: [] } }, { kind: "alerts.audit" })).toBeDefined();
    // Questions about the systems stay open to the console (API tokens are a separate setting).
    expect(read(listed, ask)).toBeUndefined();
  });

  it("lets a caller with a named API token act as ALERT_ACTORS allows, never an anonymous one", () => {
    const console = { id: "api", kind: "console" as const };
    const named = { ...request("api", "oncall-bot", ack, console), signedIn: true };
    expect(refuse({ ...open, actors: "*" }, named)).toBeUndefined();
    expect(refuse({ ...open, actors: ["oncall-bot"] }, named)).toBeUndefined();
    expect(refuse({ ...open, actors: ["U1"] }, named)?.text).toMatch(/ALERT_ACTORS/);
    const anonymous = { ...request("api", "anonymous", ack, console), signedIn: false };
    expect(refuse({ ...open, actors: "*" }, anonymous)?.text).toMatch(/signed-in person/);
  });
});
