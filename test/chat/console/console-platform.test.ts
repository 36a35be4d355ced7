/** The console platform hands the dispatcher who asked (the API token's name) and scopes conversations to them. */
import { describe, expect, it } from "vitest";
import { ConsoleChatPlatform } from "../../../src/chat/console/console-platform.js";
import type { ActionDispatcher, Outcome } from "../../../src/chat/dispatcher.js";
import type { ActionRequest } from "../../../src/chat/platform.js";
import { makeReply } from "../../../src/reply/reply.js";

function recordingPlatform(): { platform: ConsoleChatPlatform; requests: ActionRequest[] } {
  const requests: ActionRequest[] = [];
  const dispatcher = {
    async dispatch(request: ActionRequest): Promise<Outcome> {
      requests.push(request);
      return {
        reply: makeReply({ title: "ok", text: `answer ${requests.length}` }),
        more: [],
        audience: "conversation",
        ok: true,
        quiet: false,
      };
    },
  } as unknown as ActionDispatcher; // only dispatch() is called by the console
  return { platform: new ConsoleChatPlatform(dispatcher), requests };
}

describe("ConsoleChatPlatform callers", () => {
  it("names the token's owner as the actor, so audit and memory know who asked", async () => {
    const { platform, requests } = recordingPlatform();
    await platform.receive({ caller: "alice", text: "cpu" });
    expect(requests[0]?.actor).toEqual({ platform: "api", id: "alice", name: "alice" });
    expect(requests[0]?.place).toEqual({ id: "api", kind: "console" });
  });

  it("keeps an anonymous actor where no token is asked", async () => {
    const { platform, requests } = recordingPlatform();
    await platform.receive({ text: "cpu" });
    expect(requests[0]?.actor).toEqual({ platform: "api", id: "anonymous", name: "console user" });
  });

  it("gives two callers naming the same conversation id two conversations", async () => {
    const { platform, requests } = recordingPlatform();
    await platform.receive({ caller: "alice", text: "cpu", conversation: "incident-4711" });
    await platform.receive({ caller: "bob", text: "memory", conversation: "incident-4711" });
    await platform.receive({ text: "disk", conversation: "incident-4711" });
    expect(requests.map((r) => r.place.id)).toEqual([
      "conversation:alice:incident-4711",
      "conversation:bob:incident-4711",
      "conversation:anonymous:incident-4711",
    ]);
    expect(platform.transcript("conversation:alice:incident-4711")).toHaveLength(1);
    expect(platform.transcript("conversation:bob:incident-4711")).toHaveLength(1);
    expect(platform.transcript("conversation:incident-4711")).toHaveLength(0);
  });
});
