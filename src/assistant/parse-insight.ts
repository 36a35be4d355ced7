/**
 * The cues of the planning questions (forecasts, capacity, rightsizing, comparisons), read from the
 * parser's normalised text: lower-case words joined by single spaces, with a space at each end.
 * Kept apart from parse-question.ts so the question parser stays one reading of one question; these
 * are pure functions of the text and the clock.
 */
import * as chrono from "chrono-node/en";

/** Longest horizon a forecast question may ask for: beyond it the history we read says little. */
export const MAX_FORECAST_HORIZON_SECONDS = 90 * 86_400;
/** What "capacity report" covers when no window is said. */
export const DEFAULT_CAPACITY_WINDOW_SECONDS = 30 * 86_400;
/** The longest a before/after comparison may reach back. */
const MAX_CHANGE_AGE_SECONDS = 31 * 86_400;

/** Numbers people spell out in questions ("top five", "last two hours", "within a week"). */
export const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fourteen: 14,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  ninety: 90,
};
const UNITS: Array<[RegExp, number]> = [
  [/^(h|hr|hrs|hour|hours)$/, 3600],
  [/^(d|day|days)$/, 86_400],
  [/^(w|wk|wks|week|weeks)$/, 7 * 86_400],
  [/^(month|months|mo)$/, 30 * 86_400],
];

function unitSeconds(unit: string): number | undefined {
  return UNITS.find(([re]) => re.test(unit))?.[1];
}

/**
 * A window ahead: "within 3d", "in the next 7 days", "next week", "over the coming month", "in 2
 * weeks". Undefined when the text names none.
 */
export function parseHorizon(text: string): number | undefined {
  const m =
    / (?:within|in|next|coming|over|for|ahead) (?:the )?(?:next |coming )?(\d{1,3}|a|an|one|two|three|four|five|six|seven|ten|fourteen|thirty|ninety) ?(h|hrs?|hours?|d|days?|w|wks?|weeks?|months?|mo)(?= )/.exec(
      text,
    ) ?? / (\d{1,3}) ?(h|d|w)(?= (?:ahead|out|from now) )/.exec(text);
  if (m?.[1] && m[2]) {
    const n = NUMBER_WORDS[m[1]] ?? Number(m[1]);
    const unit = unitSeconds(m[2]);
    if (unit && n > 0) return Math.min(MAX_FORECAST_HORIZON_SECONDS, n * unit);
  }
  const few =
    / (?:in|within|next|over) (?:the next )?(?:a )?(few|couple|couple of|several) (hours|days|weeks)(?= )/.exec(
      text,
    );
  if (few?.[1] && few[2]) {
    const n = few[1] === "several" ? 4 : few[1] === "few" ? 3 : 2;
    return n * (unitSeconds(few[2]) ?? 86_400);
  }
  const next = / (?:next|coming|within (?:a|the next)|in (?:a|the next)) (day|week|month|quarter)(?= )/.exec(
    text,
  );
  if (next?.[1])
    return { day: 86_400, week: 7 * 86_400, month: 30 * 86_400, quarter: 90 * 86_400 }[next[1] as "day"];
  return undefined;
}

/** Words that ask for a forecast by name. */
const FORECAST_WORDS =
  / (forecast|forecasts|forecasting|forcast|predict|predicted|prediction|predictions|projection|projections|projected|extrapolate|extrapolated|outlook) /;
/** A question about the future of a level: when it fills, runs out, how long is left. */
const FILL_CUES = [
  / (will|would|gonna|going to|about to|likely to) (\S+ ){0,4}(be full|fill|run out|be exhausted|exhaust|hit 100|max out|be out of|oom)/,
  / (when|how long|how soon|how many (days|hours|weeks)|what date|which day|by when) (\S+ ){0,8}(full|fill|fills|filled|run out|runs out|exhausted|exhaust|out of|hit 100|oom)/,
  / (time|days|hours|weeks) (to|till|until|before) (full|fill|filling|exhaustion|oom|run out|running out)/,
  / (days|hours|weeks|time) (\S+ ){0,3}(left|remaining) /,
  / (until|till|before) (\S+ ){0,4}(is |are |gets |runs )?(full|out of|exhausted)/,
  / (fill|filling|fills) up (in|within|by|soon) /,
  / (eta|date) (to|of|till|until) (full|fill|exhaustion) /,
  / (fill|exhaustion) (date|time|eta) /,
  / (full|fill|exhaustion|oom) (\S+ )?(eta|date|when) /,
  / eta (\S+ ){0,3}(full|fill|exhaustion|oom) /,
];

/** "where will cpu be next week", "what will disk look like in a month": a level asked of the future. */
const FUTURE_LEVEL =
  / (will|gonna|going to) (\S+ ){0,4}(be|look|looks|reach|hit|grow|go|end up|sit|stand|land)( |$)/;

/** "when will disk be full", "disk forecast", "how many days until memory runs out". */
export function asksForecast(text: string): boolean {
  return (
    FORECAST_WORDS.test(text) ||
    FILL_CUES.some((re) => re.test(text)) ||
    (FUTURE_LEVEL.test(text) && parseHorizon(text) !== undefined)
  );
}

/** "capacity report", "capacity planning", "what will fill up in the next 30 days", "disks at risk". */
export function asksCapacityReport(
  text: string,
  namesHost: boolean,
  saysCapacity: boolean,
  namesSignal: boolean,
): boolean {
  // "capacity report", "capacity headroom across the fleet" (the word may be misspelt: the parser's
  // vocabulary reads it), but not "cpu capacity on web-1".
  if (saysCapacity && !namesHost && !namesSignal) return true;
  if (saysCapacity && / (report|planning|plan|review|risks?|outlook|forecast|overview|summary) /.test(text))
    return true;
  if (namesHost) return false;
  const ahead =
    parseHorizon(text) !== undefined || / (this|next|coming) (week|month|quarter) | soon /.test(text);
  return (
    / (what|which|anything|any \S+) (\S+ ){0,4}(will|going to|gonna|about to|likely to) (fill|run out|be full)/.test(
      text,
    ) ||
    (ahead &&
      / (what|which|anything|any \S+) (\S+ ){0,4}(fills?|filling|runs? out|running out|full|at risk)( |$)/.test(
        text,
      )) ||
    / at risk (of )?(filling|running out|being full)/.test(text) ||
    / (what|anything|everything|what's|whats) (\S+ ){0,3}(close to|near|nearly|about to) (running out|run out|full|filling)/.test(
      text,
    ) ||
    / (what|anything|what's|whats) (is |s )?at risk /.test(text) ||
    / (at risk|risks?) (in|within|over) (the )?(next|coming) /.test(text) ||
    / (mounts?|disks?|volumes?|filesystems?|partitions?|hosts?|servers?) (\S+ ){0,2}at risk /.test(text)
  );
}

/** "where can we save?", "rightsizing for prod", "idle hosts", "overprovisioned servers". */
export function rightsizingView(text: string): "savings" | "rightsizing" | "idle" | undefined {
  if (
    / (idle|unused|unutili[sz]ed|doing nothing|zombie|forgotten|orphaned) (\S+ )?(hosts?|servers?|nodes?|machines?|instances?|vms?|boxes|boxen) /.test(
      text,
    ) ||
    / (hosts?|servers?|nodes?|machines?|instances?|vms?|boxes) (\S+ ){0,3}(idle|unused|doing nothing|sitting idle) /.test(
      text,
    ) ||
    / (which|what|any) (\S+ ){0,3}(are|is) idle /.test(text) ||
    / idle (ones|capacity) /.test(text) ||
    / (turn|switch|shut) (\S+ )?(off|down) (\S+ ){0,5}(nobody|no one|noone|unused|not used|idle)/.test(
      text,
    ) ||
    / (nobody|no one|noone) (uses|is using|needs) /.test(text) ||
    / (decommission|decom) /.test(text) ||
    / (sitting|sit|sits) (\S+ ){0,2}idle /.test(text) ||
    / (who|what|which)('s| is| are)? (\S+ ){0,3}idle /.test(text)
  )
    return "idle";
  // Money first: "what could we save by downsizing" asks for the savings, not the table.
  if (
    (/ (save|saving|savings|cost|costs|costing|waste|wasted|wasting|money|cheaper|bill|billing|expensive|economi[sz]e|\$) /.test(
      text,
    ) ||
      / (cloud|monthly|infra|infrastructure|aws|gcp|azure|our) (spend|spending|bill) /.test(text) ||
      / (reduce|cut|lower|trim) (\S+ ){0,2}(spend|spending|costs?|bill|footprint) /.test(text) ||
      / (spend|spending) (less|too much) /.test(text)) &&
    !/ (time|minutes|seconds) to save /.test(text)
  )
    return "savings";
  if (
    / (right ?siz\w*|right-siz\w*|rightsiz\w*|downsiz\w*|over ?provision\w*|over-provision\w*|under ?provision\w*|under-provision\w*|oversized|undersized|too big|too small|shrink|resize|resizing) /.test(
      text,
    ) ||
    / (requests?|limits?) (are |is )?(too )?(high|low|big|generous) /.test(text) ||
    / recommend\w* (sizes?|sizing|instance|cores|limits?) /.test(text) ||
    / (limits?|requests?|sizing|sizes?) (\S+ )?recommend\w* /.test(text) ||
    / (no|without|missing|lack|lacking) (\S+ )?(memory |cpu )?limits? /.test(text)
  )
    return "rightsizing";
  return undefined;
}

/** "than the others", "vs the fleet", "compared to the rest": the named host against its peers. */
export function asksAgainstFleet(text: string): boolean {
  const peers =
    "(the )?(others|other ones|rest|rest of the (fleet|hosts|servers|nodes|cluster)|fleet|fleet average|average|pack|peers|its peers|other (hosts|servers|nodes|machines|boxes|instances|web ?servers|webs|dbs|databases)|everyone else|everything else|the cluster)";
  return (
    // "then" for "than" is a common slip.
    new RegExp(
      ` (than|then|vs|versus|against|compared? (to|with)|with|relative to|next to|like) ${peers}( |$)`,
    ).test(text) ||
    new RegExp(` (outlier|odd one out|stand out|stands out|different from) (\\S+ )?${peers}?`).test(text) ||
    / (slower|faster|busier|worse|better) (\S+ )?(than|then) (usual )?(the )?(others|other|rest|fleet) /.test(
      text,
    ) ||
    / (just|only) (\S+ ){0,2}or (is )?(it )?(the whole|whole|all|every|everyone|everything|the rest|the fleet|the others|others) /.test(
      text,
    )
  );
}

/**
 * "why is web-2 slow?", "investigate db-1", "look into web-1", "root cause on web-2", "what happened
 * on db-1": a request to find out what is behind a host's state, not for one number.
 */
export function asksInvestigation(text: string): boolean {
  return (
    /^ (why|how come|whys) /.test(text) ||
    / (investigate|investigation|troubleshoot|diagnose|diagnosis|root cause|rca|first look) /.test(text) ||
    / (look|dig|drill) (into|at what) /.test(text) ||
    / what (happened|went wrong|broke|is causing|causes|caused|s causing) /.test(text)
  );
}

/** Words that say "slow" without naming a signal: read as CPU, the signal "slow" most often means. */
export function saysSlow(text: string): boolean {
  return / (slow|slower|slowest|sluggish|laggy|lagging|faster|quicker) /.test(text);
}

/** A moment a before/after comparison turns on, in seconds ago, and how the user said it. */
export interface ChangeMoment {
  atSecondsAgo: number;
  label: string;
}

/**
 * "since the deploy at 14:00", "before and after 3pm", "did memory go up after the 09:30 release",
 * "cpu since the restart 2 hours ago". Undefined when the text is no before/after question or names
 * no moment we can place (a deploy with no time).
 */
export function parseChangeMoment(text: string, now: Date): ChangeMoment | undefined {
  const event =
    "(deploy|deployment|deploys|release|rollout|roll out|upgrade|update|change|migration|incident|restart|reboot|patch|cutover|failover|push|ship|config change)";
  const cue =
    / befo?re? (and|&|vs|versus) after | before\/after | (compared (to|with)|vs|versus|than) before /.test(
      text,
    ) ||
    new RegExp(` (since|after|from) (the |our |that |this |today's |yesterday's )?(\\S+ )?${event} `).test(
      text,
    ) ||
    new RegExp(` ${event} (at|@|around|~) `).test(text) ||
    / (did|has|have|is|was) (\S+ ){0,6}(change|changed|go up|gone up|went up|increase|increased|rise|risen|jump|jumped|drop|dropped|go down|gone down|decrease|decreased|get worse|got worse|improve|improved|regress|regressed|differ|different) (\S+ ){0,3}(since|after) /.test(
      text,
    ) ||
    / (impact|effect) of (the |our )?(\S+ )?/.test(text) ||
    / (deployed|shipped|released|rolled out|upgraded|restarted|rebooted|patched|migrated|changed|pushed) (\S+ )?(at|@|around|~) /.test(
      text,
    ) ||
    / since then /.test(text) ||
    / (what|anything) (has |have )?(changed|moved|different) /.test(text) ||
    / (higher|lower|worse|better|more|less|up|down|different) (since|after) /.test(text) ||
    / before after /.test(text) ||
    (new RegExp(` ${event} `).test(text) &&
      / \d{1,2}(:\d{2}| ?(am|pm)) /.test(text) &&
      / (did|has|have|after|since|before|worse|better|make|made|cause|caused|affect|affected) /.test(text));
  if (!cue) return undefined;
  const at = findMoment(text, now);
  if (at === undefined) return undefined;
  const ago = Math.round(now.getTime() / 1000 - at.time / 1000);
  if (ago < 60 || ago > MAX_CHANGE_AGE_SECONDS) return undefined;
  return { atSecondsAgo: ago, label: at.label };
}

/** The first clock time or relative moment in the text ("14:00", "3pm", "2 hours ago", "yesterday at 9"). */
function findMoment(text: string, now: Date): { time: number; label: string } | undefined {
  const ago =
    / (\d{1,3}|an|a|one|two|three|four|five|six) ?(m|mins?|minutes?|h|hrs?|hours?|d|days?) ago /.exec(text);
  if (ago?.[1] && ago[2]) {
    const n = NUMBER_WORDS[ago[1]] ?? Number(ago[1]);
    const unit = /^m/.test(ago[2]) ? 60 : /^h/.test(ago[2]) ? 3600 : 86_400;
    return { time: now.getTime() - n * unit * 1000, label: `${ago[1]} ${ago[2]} ago` };
  }
  // A clock time needs a colon or am/pm: a bare "14" is more often a count than an hour.
  if (!/ \d{1,2}(:\d{2}| ?(am|pm)) |(^| )(noon|midnight)( |$)/.test(text)) return undefined;
  const [found] = chrono.parse(text, { instant: now, timezone: 0 }, { forwardDate: false });
  if (!found?.start.isCertain("hour")) return undefined;
  let date = found.start.date();
  // "at 14:00" said at 10:30 (or at 14:00 itself) means yesterday's 14:00 unless a day is named.
  if (date.getTime() > now.getTime() - 60_000 && !found.start.isCertain("day"))
    date = new Date(date.getTime() - 86_400_000);
  if (date.getTime() > now.getTime()) return undefined;
  const hh = String(date.getUTCHours()).padStart(2, "0");
  const mm = String(date.getUTCMinutes()).padStart(2, "0");
  const sameDay = date.toISOString().slice(0, 10) === now.toISOString().slice(0, 10);
  return {
    time: date.getTime(),
    label: sameDay ? `${hh}:${mm} UTC` : `${date.toISOString().slice(0, 10)} ${hh}:${mm} UTC`,
  };
}
