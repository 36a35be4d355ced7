/**
 * The health server of `cloudops worker` (WORKER_HEALTH_PORT, 3001): GET /healthz answers 200 while
 * the process runs; GET /readyz answers 200 when Redis answers PING and the anomaly workers run, else
 * 503 with the reason. Nothing else is served on that port (404), so it needs no token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { withoutCredentials } from "../observability/redact-url.js";

export interface WorkerHealthDeps {
  /** Resolves when Redis answers PING; rejects with a reason otherwise. */
  pingRedis: () => Promise<void>;
  /** undefined while the workers run; otherwise why they do not ("starting", "stopping"). */
  workersProblem: () => string | undefined;
  /** How long /readyz waits for PING (default 1.5 s). */
  pingTimeoutMs?: number;
}

export interface WorkerHealth {
  /** The port it listens on (the one asked for, or the one the system chose for 0 in tests). */
  port: number;
  close(): Promise<void>;
}

interface Readiness {
  status: "ok" | "unavailable";
  checks: Record<string, string>;
  reason?: string;
}

export async function readiness(deps: WorkerHealthDeps): Promise<Readiness> {
  const checks: Record<string, string> = {};
  const timeoutMs = deps.pingTimeoutMs ?? 1500;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      deps.pingRedis(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`PING timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    checks.redis = "ok";
  } catch (e) {
    checks.redis = `unreachable (${withoutCredentials(e instanceof Error ? e.message : String(e))})`;
  } finally {
    clearTimeout(timer);
  }
  const problem = deps.workersProblem();
  checks.workers = problem === undefined ? "ok" : problem;
  const failing = Object.entries(checks).filter(([, v]) => v !== "ok");
  if (failing.length === 0) return { status: "ok", checks };
  return {
    status: "unavailable",
    checks,
    reason: failing.map(([name, v]) => `${name}: ${v}`).join("; "),
  };
}

function send(res: ServerResponse, status: number, body: object, head: boolean): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(head ? undefined : text);
}

export function createWorkerHealthServer(deps: WorkerHealthDeps): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    const known = path === "/healthz" || path === "/readyz";
    if (!known) {
      send(res, 404, { status: "not_found", message: "Only /healthz and /readyz are served here" }, false);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      send(res, 405, { status: "method_not_allowed", message: "Use GET" }, false);
      return;
    }
    const head = req.method === "HEAD";
    if (path === "/healthz") {
      send(res, 200, { status: "ok" }, head);
      return;
    }
    readiness(deps).then(
      (r) => send(res, r.status === "ok" ? 200 : 503, r, head),
      (e: unknown) => send(res, 503, { status: "unavailable", checks: {}, reason: String(e) }, head),
    );
  });
}

/** Listens on host:port; rejects with the listen error (EADDRINUSE) so the caller can say which variable to change. */
export async function startWorkerHealth(
  deps: WorkerHealthDeps,
  host: string,
  port: number,
): Promise<WorkerHealth> {
  const server = createWorkerHealthServer(deps);
  // Probes come every few seconds: keep-alive sockets must not hold close() up.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
