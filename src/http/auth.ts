/**
 * Who may call the API, and where the bot may listen. `API_TOKENS` names bearer tokens for
 * `/api/v1/*` (the console's API too); the name is the caller, so the dispatcher, the audit log and
 * conversation memory know who asked. Without tokens the API is open, which is allowed on a loopback
 * bind only, or anywhere when the operator says `AUTH=none`. The rule is about the bind, not the
 * caller: a request arriving over 127.0.0.1 at a bot bound to 0.0.0.0 still needs a token.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Express, NextFunction, Request, RequestHandler, Response } from "express";
import type { ApiToken, Config } from "../config/config.js";
import { isLoopbackHost } from "../config/loopback.js";

/**
 * 127.0.0.0/8, ::1 (and IPv4-mapped 127.x), `localhost`; any other name counts as reachable from
 * outside. The one rule the Teams emulator guard uses too.
 */
export const isLoopback = isLoopbackHost;

/** What binding `host` with these settings means: refused (with the operator's message), open, or tokens. */
export type BindDecision =
  | { ok: false; message: string }
  | { ok: true; mode: "tokens" | "open" | "open-by-choice"; warning?: string };

export function decideBind(auth: Config["auth"], host: string): BindDecision {
  if (auth.tokens.length > 0) return { ok: true, mode: "tokens" };
  if (isLoopback(host)) return { ok: true, mode: "open" };
  if (auth.none)
    return {
      ok: true,
      mode: "open-by-choice",
      warning: `AUTH=none: the API and console on HOST=${host} answer ANYONE who can reach this port, with no token. Set API_TOKENS to require one.`,
    };
  return {
    ok: false,
    message: `Refusing to listen on HOST=${host} without API_TOKENS: anyone reaching the port could use the API. Set API_TOKENS=name:token (tokens of 24+ characters), or HOST=127.0.0.1, or AUTH=none to run open on purpose.`,
  };
}

/** Thrown by the listening code when `decideBind` refuses. */
export class BindRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BindRefusedError";
  }
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/**
 * Checks presented tokens against the configured ones in constant time: each comparison is of two
 * SHA-256 digests (equal length whatever was sent), and every token is compared, so neither the
 * length nor the position of a match shows in the timing.
 */
export class TokenVerifier {
  private readonly known: { name: string; digest: Buffer }[];

  constructor(tokens: readonly ApiToken[]) {
    this.known = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  }

  get size(): number {
    return this.known.length;
  }

  /** The token's name, or undefined when it is none of ours. */
  verify(presented: string): string | undefined {
    const d = digest(presented);
    let found: string | undefined;
    for (const k of this.known) if (timingSafeEqual(d, k.digest) && found === undefined) found = k.name;
    return found;
  }
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== "string") return undefined;
  const m = /^Bearer[ \t]+([^\s]{1,4096})[ \t]*$/i.exec(header);
  return m?.[1];
}

function unauthorized(res: Response, realm: string, message: string): void {
  res
    .status(401)
    .set("www-authenticate", `Bearer realm="${realm}"`)
    .json({ error: { code: "unauthorized", message } });
}

/** Where the app is listening, recorded when it binds: the open mode depends on it. */
const BIND_KEY = "cloudopsBindHost";

/**
 * Records the host the app is about to listen on, refusing a bind that `decideBind` refuses.
 * @throws {BindRefusedError}
 */
export function recordBind(app: Express, auth: Config["auth"], host: string): BindDecision & { ok: true } {
  const decision = decideBind(auth, host);
  if (!decision.ok) throw new BindRefusedError(decision.message);
  app.locals[BIND_KEY] = host;
  return decision;
}

/** The caller's token name, set by `requireApiToken`; undefined where the API asks for no token. */
export function callerOf(res: Response): string | undefined {
  const caller = res.locals.caller;
  return typeof caller === "string" ? caller : undefined;
}

/**
 * `/api/v1/*` guard. With tokens, a valid bearer token is required and its name becomes the caller.
 * Without tokens, callers are anonymous, but only while the app is bound to loopback (or AUTH=none):
 * an app served on another address without tokens answers 401 rather than run open by accident.
 */
export function requireApiToken(auth: Config["auth"], skip: (req: Request) => boolean): RequestHandler {
  const verifier = new TokenVerifier(auth.tokens);
  return (req: Request, res: Response, next: NextFunction) => {
    if (skip(req)) {
      next();
      return;
    }
    if (verifier.size === 0) {
      const host = req.app.locals[BIND_KEY];
      const decision = typeof host === "string" ? decideBind(auth, host) : undefined;
      if (decision?.ok) {
        next();
        return;
      }
      unauthorized(
        res,
        "api",
        "This bot listens beyond loopback without API_TOKENS; the API is closed until tokens are set.",
      );
      return;
    }
    const token = bearerToken(req);
    const name = token === undefined ? undefined : verifier.verify(token);
    if (name === undefined) {
      unauthorized(
        res,
        "api",
        token === undefined
          ? "This API needs a token: send Authorization: Bearer <token> (one of API_TOKENS)."
          : "The bearer token is not one of API_TOKENS.",
      );
      return;
    }
    res.locals.caller = name;
    next();
  };
}

/** `/metrics` guard: the bearer METRICS_TOKEN when one is set, open otherwise. */
export function requireMetricsToken(token: string | undefined): RequestHandler {
  const verifier = new TokenVerifier(token ? [{ name: "metrics", token }] : []);
  return (req, res, next) => {
    const presented = bearerToken(req);
    if (verifier.size === 0 || (presented !== undefined && verifier.verify(presented))) {
      next();
      return;
    }
    unauthorized(res, "metrics", "/metrics needs Authorization: Bearer <METRICS_TOKEN>.");
  };
}

/**
 * Content-Security-Policy for the console and /docs (and harmless on JSON): scripts and styles from
 * this origin only (no inline script), images also as data: URLs (Swagger UI's icons), never framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers every answer of this server carries. */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set({
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
    });
    next();
  };
}
