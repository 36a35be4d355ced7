/**
 * When a channel's digest goes out: daily or weekly at a time of day, in a time zone (UTC unless one
 * is given). Parsed from the words after `digest`, validated (the zone by Intl), and turned into the
 * cron pattern and zone a job scheduler fires on.
 */
import type { z } from "zod";
import { digestScheduleSchema } from "../reply/action.js";

export { digestScheduleSchema };

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const WEEKDAY_NAMES: Record<Weekday, string> = {
  sun: "Sunday",
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
};

export type DigestSchedule = z.infer<typeof digestScheduleSchema>;

/** What a person types after `digest` to set a schedule; said back when the words are not one. */
export const DIGEST_FORMS =
  "`digest daily 09:00` · `digest weekly mon 09:00` · `digest weekly mon 09:00 Europe/Paris` (UTC unless a time zone is given) · `digest` shows this channel's digest · `digest now` posts one now · `digest off` stops it";

/** Whether `tz` is a time zone this runtime knows; returns its canonical spelling. */
export function validZone(tz: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const DAY_ALIASES: Record<string, Weekday> = {
  sun: "sun",
  sunday: "sun",
  mon: "mon",
  monday: "mon",
  tue: "tue",
  tues: "tue",
  tuesday: "tue",
  wed: "wed",
  wednesday: "wed",
  thu: "thu",
  thur: "thu",
  thurs: "thu",
  thursday: "thu",
  fri: "fri",
  friday: "fri",
  sat: "sat",
  saturday: "sat",
};

/** "9:00", "09:00", "9" → "09:00"; undefined when it is not a time of day. */
function timeOfDay(text: string): string | undefined {
  const m = /^(\d{1,2})(?::(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2] ?? "0");
  if (h > 23 || min > 59) return undefined;
  return `${String(h).padStart(2, "0")}:${String(min).padStart(2, "0")}`;
}

/**
 * The schedule in `words` (what follows `digest daily|weekly`), or what is wrong with it.
 * `period` is "daily" or "weekly"; `rest` the words after it.
 */
export function parseSchedule(period: "daily" | "weekly", rest: string[]): DigestSchedule | string {
  const words = [...rest];
  let day: Weekday | undefined;
  if (period === "weekly") {
    const first = (words.shift() ?? "").toLowerCase();
    day = DAY_ALIASES[first];
    if (!day)
      return `A weekly digest needs a day: mon, tue, wed, thu, fri, sat or sun (got "${first.slice(0, 20)}").`;
  }
  const rawTime = words.shift();
  if (!rawTime) return "Give the time of day, e.g. 09:00.";
  const time = timeOfDay(rawTime);
  if (!time)
    return `"${rawTime.slice(0, 20)}" is not a time of day; use HH:MM on a 24-hour clock, e.g. 09:00.`;
  let tz = "UTC";
  const rawZone = words.shift();
  if (rawZone) {
    const zone = validZone(rawZone);
    if (!zone)
      return `"${rawZone.slice(0, 40)}" is not a time zone I know; use a name like UTC or Europe/Paris.`;
    tz = zone;
  }
  if (words.length > 0) return `I did not expect "${words.join(" ").slice(0, 40)}" after the time zone.`;
  return { period, ...(day ? { day } : {}), time, tz };
}

/** The cron pattern (minute hour day-of-month month day-of-week) the schedule fires on, in its zone. */
export function cronPattern(s: DigestSchedule): string {
  const [h, m] = s.time.split(":").map(Number) as [number, number];
  const dow = s.period === "weekly" && s.day ? String(WEEKDAYS.indexOf(s.day)) : "*";
  return `${m} ${h} * * ${dow}`;
}

/** The period a digest covers, ms: the day or the week before it goes out. */
export function periodMs(s: Pick<DigestSchedule, "period">): number {
  return s.period === "weekly" ? 7 * 86_400_000 : 86_400_000;
}

/** "daily at 09:00 UTC", "weekly on Monday at 09:00 Europe/Paris". */
export function describeSchedule(s: DigestSchedule): string {
  return s.period === "weekly" && s.day
    ? `weekly on ${WEEKDAY_NAMES[s.day]} at ${s.time} ${s.tz}`
    : `daily at ${s.time} ${s.tz}`;
}

/** What `digest …` asks for, or undefined when the text is not a digest command at all. */
export type DigestCommand =
  | { kind: "digest.set"; schedule: DigestSchedule }
  | { kind: "digest.off" }
  | { kind: "digest.show" }
  | { kind: "digest.now" }
  | { kind: "digest.usage"; problem: string };

/** Parses typed text (whitespace already collapsed; an optional leading "/"). */
export function parseDigestCommand(text: string): DigestCommand | undefined {
  const m = /^\/?digests?(?:\s+(.*))?$/i.exec(text.trim());
  if (!m) return undefined;
  const words = (m[1] ?? "").split(/\s+/).filter(Boolean);
  const verb = (words.shift() ?? "").toLowerCase();
  if (verb === "" || verb === "show" || verb === "status")
    return words.length === 0 ? { kind: "digest.show" } : usage(`I did not expect "${words.join(" ")}".`);
  if (verb === "off" || verb === "stop" || verb === "delete")
    return words.length === 0 ? { kind: "digest.off" } : usage(`I did not expect "${words.join(" ")}".`);
  if (verb === "now")
    return words.length === 0 ? { kind: "digest.now" } : usage(`I did not expect "${words.join(" ")}".`);
  if (verb === "daily" || verb === "weekly") {
    const schedule = parseSchedule(verb, words);
    return typeof schedule === "string" ? usage(schedule) : { kind: "digest.set", schedule };
  }
  return usage(`"${verb.slice(0, 20)}" is not a digest command.`);
}

function usage(problem: string): DigestCommand {
  return { kind: "digest.usage", problem: problem.slice(0, 300) };
}
