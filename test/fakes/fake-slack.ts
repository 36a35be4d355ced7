/**
 * A fake Slack Web API that speaks the real wire format (form-encoded or JSON bodies, `{ok: ...}`
 * answers, 429 with Retry-After) and records every call, for Bolt's WebClient behind `slackApiUrl`.
 * It also receives file uploads at the `upload_url` it hands out, as Slack's upload flow does.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** Bytes received, for uploads to the upload URL. */
  bytes?: Buffer;
  /** What the fake answered (e.g. the ts of a posted message). */
  response?: Record<string, unknown>;
  /** A 500 after which the message was posted all the same. */
  kept?: boolean;
}

/** `kept`: the message is posted, but the answer is a 500 (what a timeout looks like to the client). */
export type Fault =
  | { status: 429; retryAfter: number }
  | { status: 500; kept?: boolean }
  | { ok: false; error: string };

export interface FakeSlack {
  /** Base URL for `slackApiUrl` (ends with /api/). */
  apiUrl: string;
  /** A response_url (as in slash command payloads) served by this fake. */
  responseUrl: string;
  calls: SlackCall[];
  /** Queue faults for the next calls of `method` (consumed in order). */
  failNext(method: string, ...faults: Fault[]): void;
  /**
   * Random faults on every call of methods matching `filter`, with probability `p`: half 429s, half
   * 500s, of which the share `keptShare` (default 0) posted the message all the same.
   */
  chaos(p: number, filter?: (method: string) => boolean, keptShare?: number): void;
  callsOf(method: string): SlackCall[];
  /** Resolves when `count` calls of `method` have been recorded. */
  waitFor(method: string, count?: number, timeoutMs?: number): Promise<SlackCall[]>;
  /** Calls `listener` on every recorded call (for benchmarks that time request → post). */
  onCall(listener: (call: SlackCall) => void): void;
  reset(): void;
  close(): Promise<void>;
}

export const BOT_USER_ID = "U0BOT";
export const TEAM_ID = "T0TEAM";
/** Names users.info gives the test users (others are named after their id). */
export const USER_NAMES: Record<string, string> = { U0ANA: "Ana", U0BEN: "Ben", U0EVE: "Eve" };

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseArgs(req: IncomingMessage, raw: Buffer): Record<string, unknown> {
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/json"))
    return JSON.parse(raw.toString("utf8") || "{}") as Record<string, unknown>;
  if (type.includes("application/x-www-form-urlencoded")) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(raw.toString("utf8"))) {
      // The WebClient JSON-encodes structured arguments (blocks, attachments) inside the form.
      out[k] = v.startsWith("[") || v.startsWith("{") ? safeJson(v) : v;
    }
    return out;
  }
  return {};
}

/** The file bytes of an upload: the body itself, or the file part of a multipart form. */
function uploadedFile(req: IncomingMessage, raw: Buffer): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers["content-type"] ?? "");
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return raw;
  const delimiter = Buffer.from(`--${b}`);
  let start = raw.indexOf(delimiter);
  while (start >= 0) {
    const next = raw.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = raw.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd >= 0 && /filename=/i.test(part.subarray(0, headerEnd).toString())) {
      // Drop the header block and the CRLF that precedes the next delimiter.
      return part.subarray(headerEnd + 4, part.length - 2);
    }
    start = next;
  }
  return raw;
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const faults = new Map<string, Fault[]>();
  let chaosP = 0;
  let chaosKept = 0;
  let chaosFilter: (m: string) => boolean = () => true;
  let ts = 0;
  const channels = new Map<
    string,
    { ts: string; text: unknown; blocks: unknown; metadata: unknown; thread_ts: unknown }[]
  >();
  let fileSeq = 0;
  const waiters: Array<() => void> = [];
  const listeners: Array<(call: SlackCall) => void> = [];
  let base = "";
  const record = (call: SlackCall) => {
    calls.push(call);
    for (const l of listeners) l(call);
    for (const w of waiters.splice(0)) w();
  };

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", "http://x");
    let current: SlackCall | undefined;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (current) current.response = body as Record<string, unknown>;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith("/response/")) {
      // response_url of slash commands and interactions: JSON bodies, plain "ok" answers.
      record({
        method: "response_url",
        args: safeJson(raw.toString("utf8")) as Record<string, unknown>,
        at: Date.now(),
      });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
      return;
    }
    if (url.pathname.startsWith("/upload/")) {
      record({
        method: "upload",
        args: { file_id: url.pathname.slice(8) },
        at: Date.now(),
        bytes: uploadedFile(req, raw),
      });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("OK - 200");
      return;
    }
    const method = url.pathname.replace(/^\/api\//, "");
    let args: Record<string, unknown>;
    try {
      args = parseArgs(req, raw);
    } catch {
      send(200, { ok: false, error: "invalid_json" });
      return;
    }
    const queued = faults.get(method)?.shift();
    const fault: Fault | undefined =
      queued ??
      (chaosP > 0 && chaosFilter(method) && Math.random() < chaosP
        ? Math.random() < 0.5
          ? { status: 429, retryAfter: 0 }
          : { status: 500, kept: Math.random() < chaosKept }
        : undefined);
    current = { method, args, at: Date.now() };
    record(current);
    if (fault) {
      if ("status" in fault && fault.status === 429) {
        send(429, { ok: false, error: "ratelimited" }, { "retry-after": String(fault.retryAfter) });
        return;
      }
      if ("status" in fault) {
        if (fault.kept && method === "chat.postMessage") {
          current.kept = true;
          const history = channels.get(String(args.channel)) ?? [];
          history.push({
            ts: `${Math.floor(Date.now() / 1000)}.${String(++ts % 1_000_000).padStart(6, "0")}`,
            text: args.text,
            blocks: args.blocks,
            metadata: args.metadata,
            thread_ts: args.thread_ts,
          });
          channels.set(String(args.channel), history);
        }
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("Internal Server Error");
        return;
      }
      send(200, fault);
      return;
    }
    // Message ts are Slack's: seconds now, and a sequence that keeps them unique.
    const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++ts % 1_000_000).padStart(6, "0")}`;
    switch (method) {
      case "auth.test":
        send(200, {
          ok: true,
          url: "https://fake.slack.com/",
          team: "Fake",
          user: "cloudops",
          team_id: TEAM_ID,
          user_id: BOT_USER_ID,
          bot_id: "B0BOT",
        });
        return;
      case "chat.postMessage": {
        const posted = {
          ts: nextTs(),
          text: args.text,
          blocks: args.blocks,
          metadata: args.metadata,
          thread_ts: args.thread_ts,
        };
        const history = channels.get(String(args.channel)) ?? [];
        history.push(posted);
        channels.set(String(args.channel), history);
        send(200, {
          ok: true,
          channel: args.channel,
          ts: posted.ts,
          message: { text: args.text, blocks: args.blocks },
        });
        return;
      }
      case "conversations.history": {
        // Newest first, from `oldest` on, in pages; metadata only when asked for, as Slack does.
        const oldest = Number(args.oldest ?? 0);
        const limit = Math.min(Number(args.limit ?? 100), 200);
        const offset = Number(args.cursor ?? 0) || 0;
        const all = [...(channels.get(String(args.channel)) ?? [])]
          .filter((m) => !m.thread_ts && Number(m.ts) >= oldest)
          .reverse();
        const messages = all.slice(offset, offset + limit).map((m) => ({
          type: "message",
          ts: m.ts,
          text: m.text,
          ...(String(args.include_all_metadata) === "true" && m.metadata ? { metadata: m.metadata } : {}),
        }));
        const more = offset + limit < all.length;
        send(200, {
          ok: true,
          messages,
          has_more: more,
          ...(more ? { response_metadata: { next_cursor: String(offset + limit) } } : {}),
        });
        return;
      }
      case "chat.update":
        send(200, { ok: true, channel: args.channel, ts: args.ts, text: args.text });
        return;
      case "chat.postEphemeral":
        send(200, { ok: true, message_ts: nextTs() });
        return;
      case "chat.delete":
        send(200, { ok: true, channel: args.channel, ts: args.ts });
        return;
      case "files.getUploadURLExternal": {
        const id = `F${++fileSeq}`;
        send(200, { ok: true, upload_url: `${base}/upload/${id}`, file_id: id });
        return;
      }
      case "files.completeUploadExternal":
        send(200, {
          ok: true,
          files: (safeArray(args.files) as { id: string; title?: string }[]).map((f) => ({
            id: f.id,
            title: f.title,
          })),
        });
        return;
      case "views.publish":
        send(200, { ok: true, view: { id: "V1" } });
        return;
      case "conversations.info":
        send(200, { ok: true, channel: { id: args.channel, name: "ops", is_member: true } });
        return;
      case "users.info": {
        // Each test user has a name of their own, so an audit entry shows whose action it was.
        const id = String(args.user);
        const name = USER_NAMES[id] ?? id.toLowerCase();
        send(200, {
          ok: true,
          user: { id, name: name.toLowerCase(), real_name: name, tz: "UTC", profile: { display_name: "" } },
        });
        return;
      }
      default:
        send(200, { ok: false, error: "unknown_method" });
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    responseUrl: `${base}/response/1`,
    calls,
    failNext(method, ...f) {
      faults.set(method, [...(faults.get(method) ?? []), ...f]);
    },
    chaos(p, filter, keptShare = 0) {
      chaosP = p;
      chaosKept = keptShare;
      if (filter) chaosFilter = filter;
    },
    callsOf(method) {
      return calls.filter((c) => c.method === method);
    },
    onCall(listener) {
      listeners.push(listener);
    },
    async waitFor(method, count = 1, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = calls.filter((c) => c.method === method);
        if (got.length >= count) return got;
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${count} × ${method}; saw ${calls.map((c) => c.method).join(", ")}`,
          );
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    reset() {
      calls.length = 0;
      faults.clear();
      chaosP = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function safeArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "string") {
    const parsed = safeJson(v);
    return Array.isArray(parsed) ? parsed : [];
  }
  return [];
}
