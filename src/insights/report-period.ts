/**
 * The period a report covers, from what a person or an API client wrote: a month ("2026-11",
 * "november", "nov 2026", "last month", "this month"), a span back from now ("7d", "last 7 days",
 * "24h"), or two dates ("2026-11-01..2026-11-15"; a date alone as `to` includes that day).
 *
 * Periods are whole hours (availability is counted hour by hour): a span back from now ends at the
 * last whole hour, a month still running ends there too and is marked incomplete.
 */

export interface ReportPeriod {
  /** As shown: "November 2026", "last 7 days", "2026-11-01 – 2026-11-15". */
  label: string;
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  /** False when the period reaches past now and was cut at the last whole hour. */
  complete: boolean;
  /** The period as a query parameter that names it again ("2026-11", "7d", "2026-11-01..2026-11-15"). */
  param: string;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The longest period a report covers: a quarter. Hourly counts of a quarter stay small. */
export const MAX_PERIOD_DAYS = 92;

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
] as const;

export const PERIOD_FORMS =
  'a month ("2026-11", "november", "last month"), a span ("7d", "24h", "last 30 days") or dates ("2026-11-01..2026-11-15")';

const floorHour = (ms: number) => Math.floor(ms / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const isoDay = (ms: number) => iso(ms).slice(0, 10);

function monthPeriod(year: number, month: number, now: number): ReportPeriod | string {
  const start = Date.UTC(year, month, 1);
  const fullEnd = Date.UTC(year, month + 1, 1);
  const name = `${MONTHS[month]?.replace(/^./, (c) => c.toUpperCase())} ${year}`;
  const cut = floorHour(now);
  if (start >= cut) return `${name} has not started yet (now is ${iso(now).slice(0, 16)} UTC).`;
  const complete = fullEnd <= cut;
  return {
    label: complete ? name : `${name} (so far)`,
    start,
    end: complete ? fullEnd : cut,
    complete,
    param: `${year}-${String(month + 1).padStart(2, "0")}`,
  };
}

function spanPeriod(ms: number, words: string, param: string, now: number): ReportPeriod | string {
  if (ms < HOUR) return "A period is one hour at least.";
  if (ms > MAX_PERIOD_DAYS * DAY) return `A period is ${MAX_PERIOD_DAYS} days at most.`;
  const end = floorHour(now);
  return { label: `last ${words}`, start: end - ms, end, complete: true, param };
}

/** A date or an ISO date-time with a zone as epoch ms; a bare date as an end is the end of that day. */
export function parseInstant(s: string, asEnd: boolean): number | undefined {
  const t = s.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const ms = Date.parse(`${t}T00:00:00Z`);
    return Number.isFinite(ms) ? ms + (asEnd ? DAY : 0) : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A period between two instants (dates or ISO date-times with a zone), rounded out to whole hours.
 * Returns the reason when it is not one.
 */
export function periodBetween(fromText: string, toText: string, now: number): ReportPeriod | string {
  const from = parseInstant(fromText, false);
  const to = parseInstant(toText, true);
  if (from === undefined)
    return `"from" is not a date: "${fromText.slice(0, 40)}" (write 2026-11-01 or 2026-11-01T00:00Z).`;
  if (to === undefined)
    return `"to" is not a date: "${toText.slice(0, 40)}" (write 2026-11-15 or 2026-11-15T12:00Z).`;
  const start = floorHour(from);
  const cut = floorHour(now);
  const wanted = Math.ceil(to / HOUR) * HOUR;
  const end = Math.min(wanted, cut);
  if (end - start < HOUR) return '"from" must be at least an hour before "to" and before now.';
  if (end - start > MAX_PERIOD_DAYS * DAY) return `A period is ${MAX_PERIOD_DAYS} days at most.`;
  const dayOnly = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s.trim());
  const show = (ms: number, text: string, isEnd: boolean) =>
    dayOnly(text) ? isoDay(isEnd ? ms - 1 : ms) : `${iso(ms).slice(0, 16).replace("T", " ")} UTC`;
  return {
    label: `${show(start, fromText, false)} – ${show(end, toText, true)}`,
    start,
    end,
    complete: end === wanted,
    param: `${fromText.trim()}..${toText.trim()}`,
  };
}

/** Parses a period as people write it; returns the reason (with the accepted forms) when it is none. */
export function parsePeriod(raw: string, now: number): ReportPeriod | string {
  const t = raw.trim().toLowerCase().replace(/\s+/g, " ").replace(/^for /, "");
  if (t.length > 60) return `That period is too long to be one; use ${PERIOD_FORMS}.`;
  const today = new Date(now);
  const ym = /^(\d{4})-(\d{2})$/.exec(t);
  if (ym) {
    const month = Number(ym[2]) - 1;
    if (month < 0 || month > 11) return `"${t}" is not a month; use ${PERIOD_FORMS}.`;
    return monthPeriod(Number(ym[1]), month, now);
  }
  if (t === "this month") return monthPeriod(today.getUTCFullYear(), today.getUTCMonth(), now);
  if (t === "last month" || t === "previous month") {
    const m = today.getUTCMonth() - 1;
    return monthPeriod(today.getUTCFullYear() + (m < 0 ? -1 : 0), (m + 12) % 12, now);
  }
  const named = /^([a-z]+)(?: (\d{4}))?$/.exec(t);
  const monthIndex = named ? MONTHS.findIndex((m) => named[1] === m || named[1] === m.slice(0, 3)) : -1;
  if (named && monthIndex >= 0) {
    if (named[2]) return monthPeriod(Number(named[2]), monthIndex, now);
    // A month named alone is its latest start: "november" in March is last November.
    const year = today.getUTCFullYear() - (monthIndex > today.getUTCMonth() ? 1 : 0);
    return monthPeriod(year, monthIndex, now);
  }
  const span = /^(?:last |past )?(\d{1,4}) ?(h|hours?|d|days?|w|weeks?)$/.exec(t);
  if (span) {
    const n = Number(span[1]);
    const unit = (span[2] as string)[0] as "h" | "d" | "w";
    const ms = n * (unit === "h" ? HOUR : unit === "d" ? DAY : 7 * DAY);
    const word = unit === "h" ? "hour" : unit === "d" ? "day" : "week";
    return spanPeriod(ms, `${n} ${word}${n === 1 ? "" : "s"}`, `${n}${unit}`, now);
  }
  const between = /^(\S+) ?(?:\.\.|–| to ) ?(\S+)$/.exec(raw.trim());
  if (between) return periodBetween(between[1] as string, between[2] as string, now);
  return `"${raw.trim().slice(0, 40)}" is not a period; use ${PERIOD_FORMS}.`;
}
