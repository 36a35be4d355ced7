/**
 * The audit trail: who acknowledged, silenced, resolved or changed what, and when. A capped Redis
 * stream, so it survives restarts and is shared by replicas.
 */
import type { Redis } from "ioredis";
import type { UserRef } from "../reply/reply.js";

export interface AuditEntry {
  at: number;
  actor: string;
  action: string;
  /** What the action was on: a group id, a rule id, a silence id. */
  subject: string;
  detail: string;
}

/** How a person is named in audit entries: their name and the id the platform knows them by. */
export function auditActor(user: UserRef): string {
  return `${user.name.slice(0, 60)} (${user.platform}:${user.id.slice(0, 36)})`;
}

/** Entries kept (approximately: Redis trims streams in whole nodes). */
const MAX_ENTRIES = 10_000;

export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async write(entry: Omit<AuditEntry, "at">, now = Date.now()): Promise<void> {
    await this.redis.xadd(
      this.key,
      "MAXLEN",
      "~",
      MAX_ENTRIES,
      "*",
      "at",
      String(now),
      "actor",
      entry.actor.slice(0, 100),
      "action",
      entry.action.slice(0, 40),
      "subject",
      entry.subject.slice(0, 100),
      "detail",
      entry.detail.slice(0, 500),
    );
  }

  /** Newest first. */
  async recent(limit = 20): Promise<AuditEntry[]> {
    const rows = await this.redis.xrevrange(this.key, "+", "-", "COUNT", Math.min(Math.max(1, limit), 200));
    return rows.map(([, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
      return {
        at: Number(f.at) || 0,
        actor: f.actor ?? "",
        action: f.action ?? "",
        subject: f.subject ?? "",
        detail: f.detail ?? "",
      };
    });
  }
}
