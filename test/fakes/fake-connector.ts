/**
 * A fake Bot Framework connector service: the `serviceUrl` Teams puts in activities. Records
 * `/v3/conversations/{id}/activities[/{activityId}]` calls (POST to send or reply, PUT to update) and
 * answers `{id}` as the real one does; `POST /v3/conversations` opens a 1:1 chat (the same id for the
 * same member, as Teams answers) and is recorded too. Can be told to fail a call with any status, or
 * to answer a post without an id.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ConnectorCall {
  method: string;
  path: string;
  conversationId: string;
  activityId?: string;
  body: Record<string, unknown>;
  /** The id the connector answered with (a new activity's id, the updated one's, a new conversation's). */
  responseId?: string;
  at: number;
}

/** A call the connector was told to fail (not in `calls`). */
export interface FailedCall {
  method: string;
  path: string;
  status: number;
}

/** The request line a failure may be aimed at. */
export type CallMatcher = (call: { method: string; path: string }) => boolean;

/** The path of "create conversation" (a 1:1 chat opened by the bot). */
export const CREATE_CONVERSATION = "/v3/conversations";

export interface FakeConnector {
  url: string;
  calls: ConnectorCall[];
  failed: FailedCall[];
  /** Fails the next calls, whatever they are, with these statuses. */
  failNext(...statuses: number[]): void;
  /** Fails the next calls that `match`, with these statuses; others pass. */
  failNextMatching(match: CallMatcher, ...statuses: number[]): void;
  /** Answers the next successful post of an activity (that `match`, if given) with `{}` (no id). */
  answerNextPostWithoutId(match?: CallMatcher): void;
  waitFor(
    predicate: (c: ConnectorCall) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<ConnectorCall[]>;
  /** Calls `listener` on every recorded call (for benchmarks that time activity → reply). */
  onCall(listener: (call: ConnectorCall) => void): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const calls: ConnectorCall[] = [];
  const failed: FailedCall[] = [];
  const failures: { status: number; match?: CallMatcher }[] = [];
  const listeners: ((call: ConnectorCall) => void)[] = [];
  const withoutId: (CallMatcher | undefined)[] = [];
  let seq = 0;
  const record = (call: ConnectorCall) => {
    calls.push(call);
    for (const l of listeners) l(call);
  };
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {
      "content-type": "application/json",
      ...(status === 429 ? { "retry-after": "1" } : {}),
    });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const method = req.method ?? "";
    const path = req.url ?? "";
    const failure = failures.findIndex((f) => !f.match || f.match({ method, path }));
    if (failure >= 0) {
      const [{ status }] = failures.splice(failure, 1) as [{ status: number }];
      failed.push({ method, path, status });
      answer(res, status, { error: { code: "Throttled", message: "fake failure" } });
      return;
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text || "{}") as Record<string, unknown>;
    } catch {
      // recorded as empty
    }
    if (method === "POST" && path.split("?")[0] === CREATE_CONVERSATION) {
      // Teams answers with the existing 1:1 chat when there is one: the same id for the same member.
      const member = (body.members as { id?: string }[] | undefined)?.[0]?.id;
      const id = `a:1-${member ?? `chat-${++seq}`}`;
      record({ method, path, conversationId: id, body, responseId: id, at: Date.now() });
      answer(res, 201, { id });
      return;
    }
    const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(path);
    if (!m) {
      res.writeHead(404);
      res.end();
      return;
    }
    const unnamed = method === "POST" ? withoutId.findIndex((m) => !m || m({ method, path })) : -1;
    const noId = unnamed >= 0;
    if (noId) withoutId.splice(unnamed, 1);
    const responseId = noId ? undefined : method === "PUT" ? m[2] : `activity-${++seq}`;
    record({
      method,
      path,
      conversationId: decodeURIComponent(m[1] ?? ""),
      activityId: m[2] ? decodeURIComponent(m[2]) : undefined,
      body,
      responseId,
      at: Date.now(),
    });
    answer(res, 200, responseId ? { id: responseId } : {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    failed,
    failNext(...statuses) {
      failures.push(...statuses.map((status) => ({ status })));
    },
    failNextMatching(match, ...statuses) {
      failures.push(...statuses.map((status) => ({ status, match })));
    },
    answerNextPostWithoutId(match) {
      withoutId.push(match);
    },
    async waitFor(predicate, count = 1, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = calls.filter(predicate);
        if (got.length >= count) return got;
        if (Date.now() > deadline)
          throw new Error(`timed out; saw ${calls.map((c) => `${c.method} ${c.path}`).join(", ")}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    onCall(listener) {
      listeners.push(listener);
    },
    reset() {
      calls.length = 0;
      failed.length = 0;
      failures.length = 0;
      withoutId.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
