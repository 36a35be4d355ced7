/**
 * A server in Prometheus's place that misbehaves the ways real ones do: too slow, answering garbage,
 * failing with 5xx. Used to prove the bot always replies clearly and never crashes or hangs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Misbehaviour = "slow" | "garbage" | "error500" | "wrong-shape";

export interface BrokenPrometheus {
  url: string;
  requests: number;
  close(): Promise<void>;
}

export async function startBrokenPrometheus(mode: Misbehaviour): Promise<BrokenPrometheus> {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    req.resume();
    switch (mode) {
      case "slow":
        // Answers long after any deadline; the socket is destroyed when the test closes the server.
        setTimeout(() => res.end("{}"), 30_000).unref();
        return;
      case "garbage":
        res.setHeader("content-type", "text/html");
        res.end("<html><body>502 Bad Gateway from a proxy</body></html>\u0000\u0001");
        return;
      case "error500":
        res.statusCode = 500;
        res.end(JSON.stringify({ status: "error", errorType: "internal", error: "storage is on fire" }));
        return;
      case "wrong-shape":
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: "nope" } }));
        return;
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A URL where nothing listens (a port that was free a moment ago). */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}
