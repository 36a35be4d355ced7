/**
 * Scores one investigation against its scenario: is the host and resource it names first the
 * incident's (top-1), or among the first three things it names (top-3)? The false alarm scores only
 * when the investigation says nothing unusual was found and names no suspect.
 */
import type { Investigation } from "../../src/investigate/investigation.js";
import { hostOfInstance } from "../../src/metrics/promql.js";
import { host, resourceClass, type Scenario } from "./scenarios.js";

export interface Named {
  instance: string;
  resource: string;
}

export interface Score {
  /** The first three distinct (host, resource class) pairs the investigation names, in its order. */
  named: Named[];
  top1: boolean;
  top3: boolean;
}

/**
 * What the investigation names, in order: its suspect, then the features that moved on the host it
 * looked at, then the changes on that host, then the other hosts that moved. Pairs of the same host
 * and resource class count once.
 */
export function namedInOrder(inv: Investigation): Named[] {
  const focus = inv.suspect?.instance ?? inv.request.instance;
  const all: Named[] = [];
  if (inv.suspect) all.push(inv.suspect);
  if (focus) for (const m of inv.moved) all.push({ instance: focus, resource: m.feature });
  const onFocus = inv.changes.filter((c) => focus && hostOfInstance(c.instance) === hostOfInstance(focus));
  for (const c of onFocus) all.push({ instance: c.instance, resource: c.kind });
  for (const e of inv.elsewhere) all.push({ instance: e.instance, resource: e.feature });
  const seen = new Set<string>();
  const out: Named[] = [];
  for (const n of all) {
    const key = `${hostOfInstance(n.instance)}\u0000${resourceClass(n.resource) ?? n.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(n);
  }
  return out;
}

export function scoreInvestigation(s: Scenario, inv: Investigation): Score {
  const named = namedInOrder(inv).slice(0, 3);
  if (s.expected.length === 0) {
    const quiet = inv.nothingUnusual && inv.suspect === undefined;
    return { named, top1: quiet, top3: quiet };
  }
  const right = (n: Named) => {
    const cls = resourceClass(n.resource);
    return hostOfInstance(n.instance) === host(s.host) && cls !== undefined && s.expected.includes(cls);
  };
  return { named, top1: named[0] !== undefined && right(named[0]), top3: named.some(right) };
}
