/**
 * Open alerts and the audit trail as data, and their presenters: the services return these; the
 * dispatcher, the App Home and the LLM's get_alerts tool read the data, chat shows the replies.
 */
import { type Inline, makeReply, type Reply, type UserRef } from "../reply/reply.js";
import type { AuditEntry } from "./audit-log.js";
import { clock } from "./group-message.js";

/** One open alert group, as `alerts` lists it. */
export interface OpenAlertGroup {
  id: string;
  /** The alert's name (alertname, or the first firing alert's). */
  name: string;
  /** The one instance firing, when there is one. */
  instance?: string;
  /** Alerts of the group firing now. */
  firing: number;
  /** Epoch ms the earliest firing alert started. */
  since: number;
  severity: string;
  environment?: string;
  ack?: { by: UserRef; at: number };
  /** Epoch ms a silence on the group ends, when one is in force. */
  silencedUntil?: number;
}

export interface AlertListing {
  /** The open alert groups, oldest first (at most 30). */
  list(): Promise<OpenAlertGroup[]>;
}

export interface AuditListing {
  /** The latest audit entries, newest first. */
  auditEntries(limit: number): Promise<AuditEntry[]>;
}

export function alertListReply(groups: OpenAlertGroup[]): Reply {
  const lines: Inline[] = [];
  for (const [i, g] of groups.entries()) {
    if (i > 0) lines.push("\n");
    lines.push({ code: g.id }, ` ${g.name} ${g.firing === 1 ? (g.instance ?? "") : `${g.firing} firing`}`);
    lines.push(` · since ${clock(g.since)}`);
    if (g.ack) lines.push(" · acked by ", { mention: g.ack.by });
    if (g.silencedUntil !== undefined) lines.push(` · silenced until ${clock(g.silencedUntil)}`);
  }
  return makeReply({
    title: groups.length ? `${groups.length} open alert${groups.length === 1 ? "" : "s"}` : "No open alerts",
    text: groups.length ? lines : "Nothing is firing.",
    tone: groups.length ? "warning" : "ok",
    context: ["ack ID · silence ID 2h · unsilence ID · details ID · audit"],
  });
}

export function auditReply(entries: AuditEntry[]): Reply {
  return makeReply({
    title: "Audit log",
    text: entries.length
      ? entries
          .map((e) => `${clock(e.at)} ${e.actor} ${e.action} ${e.subject}${e.detail ? ` (${e.detail})` : ""}`)
          .join("\n")
      : "No actions recorded yet.",
  });
}
