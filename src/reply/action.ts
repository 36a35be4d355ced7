/**
 * What a person can ask the bot to do, as data. Every platform turns its typed commands, buttons and
 * card actions into one of these; the dispatcher in `chat/` carries them out. A button carries its
 * action encoded by {@link encodeAction}; what comes back from the wire is checked by
 * {@link decodeAction}, so a forged or stale payload is refused, never guessed at.
 */
import { z } from "zod";

/** Alert group ids as shown on alert messages: 8 hex digits. */
const groupId = z.string().regex(/^[0-9a-f]{8}$/);

/** When a channel's digest goes out (see insights/digest-schedule.ts, which parses and describes it). */
export const digestScheduleSchema = z.object({
  period: z.enum(["daily", "weekly"]),
  /** Weekly digests only. */
  day: z.enum(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]).optional(),
  /** "HH:MM", 24-hour clock. */
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  /** IANA zone name ("UTC", "Europe/Paris"), checked by the parser. */
  tz: z.string().min(1).max(64),
});

const actionSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ask"), text: z.string().max(2000) }),
  z.object({ kind: z.literal("help") }),
  z.object({ kind: z.literal("home") }),
  z.object({ kind: z.literal("alerts.list") }),
  z.object({ kind: z.literal("alerts.audit") }),
  z.object({ kind: z.literal("alert.ack"), id: groupId }),
  z.object({ kind: z.literal("alert.silence"), id: groupId, for: z.string().max(20) }),
  z.object({ kind: z.literal("alert.unsilence"), id: groupId }),
  z.object({ kind: z.literal("alert.resolve"), id: groupId }),
  z.object({ kind: z.literal("alert.details"), id: groupId }),
  /** The first look at an alert (what moved, where else, what changed), run now. */
  z.object({ kind: z.literal("alert.investigate"), id: groupId }),
  z.object({ kind: z.literal("rule.create"), text: z.string().max(2000) }),
  z.object({ kind: z.literal("rules.list") }),
  z.object({
    kind: z.literal("rule.change"),
    op: z.enum(["pause", "resume", "delete"]),
    id: z.string().regex(/^[0-9a-f]{8}$/),
  }),
  /** Typed text longer than a question may be: answered with how long it is and the limit. */
  z.object({ kind: z.literal("too-long"), length: z.number().int().nonnegative() }),
  /** A command that names no alert ("ack" alone): answered with how to say it. */
  z.object({ kind: z.literal("alert.which"), verb: z.string().max(20) }),
  /** This channel's digest: set its schedule, stop it, show it, or post one now. */
  z.object({ kind: z.literal("digest.set"), schedule: digestScheduleSchema }),
  z.object({ kind: z.literal("digest.off") }),
  z.object({ kind: z.literal("digest.show") }),
  z.object({ kind: z.literal("digest.now") }),
  /** `digest …` in a form not understood: answered with what is wrong and the accepted forms. */
  z.object({ kind: z.literal("digest.usage"), problem: z.string().max(300) }),
  /** `report [period]`: availability against the SLO and alerts, with a link to the printable report. */
  z.object({ kind: z.literal("report"), period: z.string().max(60).optional() }),
]);

export type Action = z.infer<typeof actionSchema>;
export type ActionKind = Action["kind"];

/** Actions that change state: only people allowed to act on alerts (ALERT_ACTORS) may take them. */
export const ACTING_KINDS: ReadonlySet<ActionKind> = new Set([
  "alert.ack",
  "alert.silence",
  "alert.unsilence",
  "alert.resolve",
  "rule.create",
  "rule.change",
  "digest.set",
  "digest.off",
]);

export function isActing(action: Action): boolean {
  return ACTING_KINDS.has(action.kind);
}

/** The action as a button payload (compact JSON; Slack allows 2,000 characters, Teams more). */
export function encodeAction(action: Action): string {
  return JSON.stringify(action);
}

/** The action a button payload carries, or undefined for anything that is not one we made. */
export function decodeAction(payload: unknown): Action | undefined {
  let value: unknown = payload;
  if (typeof payload === "string") {
    if (payload.length > 4000) return undefined;
    try {
      value = JSON.parse(payload);
    } catch {
      return undefined;
    }
  }
  const parsed = actionSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
