/**
 * An HTTP proxy in front of a real server that can hold matching requests for a while — a slow
 * Prometheus, so a test can act while a job is known to be in the middle of its queries.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlowProxy {
  url: string;
  /** Requests seen whose path matched. */
  matched: number;
  delayMs: number;
  close(): Promise<void>;
}

export async function startSlowProxy(
  target: string,
  pathPrefix: string,
  delayMs: number,
): Promise<SlowProxy> {
  const to = new URL(target);
  const state = { matched: 0, delayMs };
  const server: Server = createServer((req, res) => {
    const slow = (req.url ?? "").startsWith(pathPrefix);
    if (slow) state.matched++;
    const forward = () => {
      const up = request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(up);
    };
    if (slow && state.delayMs > 0) setTimeout(forward, state.delayMs);
    else forward();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get matched() {
      return state.matched;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v: number) {
      state.delayMs = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
