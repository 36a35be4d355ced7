/**
 * A fake Bot Framework connector service: the `serviceUrl` Teams puts in activities. Records
 * `/v3/conversations/{id}/activities[/{activityId}]` calls (POST to send or reply, PUT to update) and
 * answers `{id}` as the real one does; can be told to fail with 429 or 500.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ConnectorCall {
  method: string;
  path: string;
  conversationId: string;
  activityId?: string;
  body: Record<string, unknown>;
  /** The id the connector answered with (a new activity's id, or the updated one's). */
  responseId?: string;
  at: number;
}

export interface FakeConnector {
  url: string;
  calls: ConnectorCall[];
  failNext(...statuses: number[]): void;
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
  const failures: number[] = [];
  const listeners: ((call: ConnectorCall) => void)[] = [];
  let seq = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? "");
    const status = failures.shift();
    if (status) {
      res.writeHead(status, {
        "content-type": "application/json",
        ...(status === 429 ? { "retry-after": "1" } : {}),
      });
      res.end(JSON.stringify({ error: { code: "Throttled", message: "fake failure" } }));
      return;
    }
    if (!m) {
      res.writeHead(404);
      res.end();
      return;
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text || "{}") as Record<string, unknown>;
    } catch {
      // recorded as empty
    }
    const responseId = req.method === "PUT" ? m[2] : `activity-${++seq}`;
    const call: ConnectorCall = {
      method: req.method ?? "",
      path: req.url ?? "",
      conversationId: decodeURIComponent(m[1] ?? ""),
      activityId: m[2] ? decodeURIComponent(m[2]) : undefined,
      body,
      responseId,
      at: Date.now(),
    };
    calls.push(call);
    for (const l of listeners) l(call);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: responseId }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    failNext(...statuses) {
      failures.push(...statuses);
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
      failures.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
