/**
 * The first look at an alert, from live Prometheus data under one deadline. For the environment's
 * whole fleet at once — one query per feature `by (instance)`, never one per host:
 * - what moved: the 18 host features over the last hour against their usual level at that hour (the
 *   anomaly engine's baselines — median and robust spread of the previous days, with the daily profile
 *   where one holds — fitted on the spot from 15-minute points), ranked by robust z;
 * - where else: other hosts whose same features moved in the same window, by the Pearson correlation
 *   of their last hour with the suspect's and their own z;
 * - what changed in the last 6 h: reboots, process and container restarts, `*_build_info` versions,
 *   targets down, config reloads.
 * A part whose query failed is listed in `failures`; the rest is still returned.
 */
import type { FeatureWindow } from "../anomaly/feature-fetch.js";
import { FEATURES, type FeatureSpec, featureQuery } from "../anomaly/features.js";
import { type FeatureBaseline, type HostScore, usualAt } from "../anomaly/host-detector.js";
import { describeFlaggedBy } from "../anomaly/rarity.js";
import { DASHBOARDS, grafanaPanelLink, prometheusGraphLink } from "../grafana/links.js";
import type { PrometheusClient } from "../metrics/prometheus-client.js";
import { isPrometheusError } from "../metrics/prometheus-error.js";
import { escapeLabelValue, hostMatcher, hostOfInstance, renderMatchers } from "../metrics/promql.js";
import { fetchWindow, limiter } from "./feature-window.js";
import {
  CHANGE_RESOURCE,
  FEATURE_RESOURCE,
  type Investigation,
  type InvestigationChange,
  type InvestigationRequest,
  type Investigator,
  type MovedFeature,
} from "./investigation.js";
import { type HostBaselines, MIN_BASELINE_HOURS, UsualLevels } from "./usual-levels.js";

/**
 * |robust z| at or above which a feature counts as moved. The scale is the feature's spread at that
 * hour over the previous days (floored per unit, so a flat series does not turn noise into moves);
 * the value is a 15-minute mean, whose noise stays well under 4 on a quiet host.
 */
export const MOVED_Z = 4;
/** Correlation of the last hour at or above which another host moved "with" the suspect. */
export const ELSEWHERE_MIN_CORRELATION = 0.5;
/** Process or container restarts within the window that make a restart loop. */
const RESTART_LOOP = 3;

const RECENT_SECONDS = 3600;
const RECENT_STEP = 60;
const RECENT_RATE = 300;
/** The value "now": the mean of the last 15 minutes. */
const NOW_SECONDS = 900;
/**
 * The usual levels read one point an hour (a 15-minute rate for counters), over `baselineDays`: a
 * quarter of the samples a 15-minute grid reads, and enough for the daily profile (3 points per hour
 * of the day). A 15-minute grid over 4 days of a 100-host fleet did not answer within 10 s.
 */
const BASELINE_STEP = 3600;
const BASELINE_RATE = 900;
/** Range queries of the last hour in flight at once. */
const QUERY_SLOTS = 8;
/** Range queries of the usual levels in flight at once (read once an hour, shared). */
const HISTORY_SLOTS = 6;
const CHANGES_SECONDS = 6 * 3600;
const RELATED_ALERT_MS = 15 * 60_000;
const MAX_MOVED = 5;
const MAX_ELSEWHERE = 5;
const MAX_CHANGES = 20;
/** Grafana's system-overview panel per resource. */
const PANEL: Record<string, number> = {
  cpu: DASHBOARDS.systemOverview.panels.cpu,
  memory: DASHBOARDS.systemOverview.panels.memory,
  disk: DASHBOARDS.systemOverview.panels.disk,
  filesystem: DASHBOARDS.systemOverview.panels.disk,
  network: DASHBOARDS.systemOverview.panels.network,
};

export interface InvestigatorOptions {
  /** The environments' Prometheus clients (src/metrics/environments.ts Environments). */
  environments: { get(name?: string): PrometheusClient | undefined };
  /** Clock, epoch ms. */
  now?: () => number;
  grafanaUrl?: string;
  /** The whole investigation's deadline, ms (default 10 s). */
  deadlineMs?: number;
  /** Days of history behind the usual level (default 4). */
  baselineDays?: number;
  /** The usual levels' hourly cache; share one between the investigators of a process. */
  usualLevels?: UsualLevels;
  /** The anomaly engine's latest scores of an environment (AnomalyStore.latest). */
  anomalyScores?: (environment: string) => Promise<HostScore[]>;
}

interface HostView {
  instance: string;
  baselines?: FeatureBaseline[];
  /** Hours of history behind the baselines. */
  historyHours: number;
  /** Per feature: value now (15-min mean), usual, robust z. */
  now: Array<{ value: number; usual: number; z: number }>;
}

export function createInvestigator(options: InvestigatorOptions): Investigator {
  const clock = options.now ?? Date.now;
  const deadlineMs = options.deadlineMs ?? 10_000;
  const baselineDays = options.baselineDays ?? 4;
  const usualLevels = options.usualLevels ?? new UsualLevels();

  return {
    async investigate(req: InvestigationRequest, signal?: AbortSignal): Promise<Investigation> {
      const started = performance.now();
      const at = clock();
      const inv: Investigation = {
        request: req,
        at,
        durationMs: 0,
        moved: [],
        elsewhere: [],
        relatedAlerts: relatedAlerts(req),
        changes: [],
        history: req.history,
        checks: [],
        nothingUnusual: false,
        failures: [],
      };
      const done = () => ({ ...inv, durationMs: Math.round(performance.now() - started) });
      const client = options.environments.get(req.environment);
      if (!client) {
        inv.failures.push(`unknown environment "${req.environment}"`);
        return done();
      }
      const deadline = AbortSignal.timeout(deadlineMs);
      const sig = signal ? AbortSignal.any([signal, deadline]) : deadline;
      const end = Math.floor(at / 1000 / RECENT_STEP) * RECENT_STEP;
      const recentStart = end - RECENT_SECONDS;
      const historyEnd = Math.floor(recentStart / BASELINE_STEP) * BASELINE_STEP;

      const failed = new Set<"moved" | "usual" | "changes">();
      const fail = (part: string, key: "moved" | "usual" | "changes") => (e: unknown) => {
        failed.add(key);
        inv.failures.push(`${part}: ${describeError(e, deadline.aborted, deadlineMs)}`);
        return undefined;
      };
      // The last hour first: it is what the look is about; the usual levels read hourly points.
      const run = limiter(QUERY_SLOTS);
      const levelsKey = `${req.environment}\u0000${client.baseUrl}`;
      // Read from Redis while Prometheus answers the queries below.
      const scoresRead = options.anomalyScores?.(req.environment).catch((e: unknown) => {
        inv.failures.push(`anomaly engine: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
      const [recent, history, changes] = await Promise.all([
        fetchWindow(client, { start: recentStart, end, step: RECENT_STEP }, RECENT_RATE, run, sig).catch(
          fail("what moved", "moved"),
        ),
        // Shared by every look within the hour (and read once for them): see usual-levels.ts.
        usualLevels
          .window(
            levelsKey,
            historyEnd,
            (readSignal) =>
              fetchWindow(
                client,
                { start: historyEnd - baselineDays * 86400, end: historyEnd, step: BASELINE_STEP },
                BASELINE_RATE,
                limiter(HISTORY_SLOTS),
                readSignal,
              ),
            sig,
          )
          .catch(fail("usual levels", "usual")),
        readChanges(client, end, sig, (part, e) => fail(`what changed (${part})`, "changes")(e)),
      ]);
      const scores = await scoresRead;
      // The same error for every part (Prometheus down) is said once.
      inv.failures = dedupeFailures(inv.failures);

      const hosts =
        recent && history
          ? hostViews(recent, end, (instance) =>
              usualLevels.baselines(levelsKey, historyEnd, history, instance),
            )
          : new Map<string, HostView>();
      // The alert's host; else the host that moved most; else one still down or restarting in a loop.
      const focus =
        focusInstance(req.instance, hosts, history) ??
        focusInstance(changedInstance(changes ?? []), hosts, history);
      inv.changes = rankChanges(changes ?? [], focus);
      if (focus) {
        const view = hosts.get(focus);
        if (recent && history && view) {
          if (!view.baselines) {
            inv.failures.push(
              `no usual level for ${hostOfInstance(focus)}: ${Math.round(view.historyHours)} h of history (needs ${MIN_BASELINE_HOURS} h)`,
            );
          } else {
            inv.moved = movedFeatures(view, recent, focus);
            const top = inv.moved.slice(0, 3);
            const elsewhere = whereElse(top, focus, recent, hosts);
            inv.elsewhere = elsewhere.slice(0, MAX_ELSEWHERE);
            if (elsewhere.length > MAX_ELSEWHERE) inv.elsewhereTotal = elsewhere.length;
            inv.series = chartSeries(top, recent, focus);
          }
        }
        const stale = recent && history ? staleSince(recent, history, focus) : undefined;
        if (recent && history && !view && stale === undefined)
          inv.failures.push(`no host metrics for ${hostOfInstance(focus)} (node_exporter)`);
        if (
          stale !== undefined &&
          !inv.changes.some((c) => c.kind === "target_down" && sameHost(c.instance, focus))
        )
          inv.changes.unshift({
            kind: "target_down",
            instance: focus,
            at: stale * 1000,
            ongoing: true,
            detail: "node metrics stopped arriving",
          });
      }
      const anomaly = focus ? anomalyOf(scores, focus, end) : undefined;
      if (anomaly) inv.anomaly = anomaly;
      if (failed.size > 0) inv.failedParts = [...failed];
      inv.suspect = suspectOf(inv, focus);
      inv.checks = checksOf(inv, client, focus, options.grafanaUrl, end);
      const focusChanges = inv.changes.filter((c) => !focus || sameHost(c.instance, focus));
      inv.nothingUnusual = inv.failures.length === 0 && inv.moved.length === 0 && focusChanges.length === 0;
      return done();
    },
  };
}

/** A scan older than this is not the host's present state. */
const ANOMALY_FRESH_SECONDS = 15 * 60;

/** The anomaly engine's latest score of the host, when recent, with its leading features. */
function anomalyOf(
  scores: HostScore[] | undefined,
  focus: string,
  end: number,
): Investigation["anomaly"] | undefined {
  const s = scores?.find((x) => x.instance === focus) ?? scores?.find((x) => sameHost(x.instance, focus));
  if (!s || !Number.isFinite(s.score) || end - s.at > ANOMALY_FRESH_SECONDS) return undefined;
  const flaggedBy = describeFlaggedBy(s);
  return {
    at: s.at * 1000,
    score: round2(s.score),
    threshold: round2(s.threshold),
    anomalous: s.anomalous,
    ...(flaggedBy ? { flaggedBy } : {}),
    leading: s.deviations
      .slice(0, 3)
      .map((d) => ({ label: d.label, unit: d.unit, value: d.value, usual: d.baseline })),
  };
}

function relatedAlerts(req: InvestigationRequest): Investigation["relatedAlerts"] {
  return (req.openAlerts ?? [])
    .filter((a) => a.id !== req.groupId && Math.abs(a.startsAt - req.startsAt) <= RELATED_ALERT_MS)
    .sort((a, b) => Math.abs(a.startsAt - req.startsAt) - Math.abs(b.startsAt - req.startsAt))
    .slice(0, 10);
}

function describeError(e: unknown, deadlinePassed: boolean, deadlineMs: number): string {
  if (deadlinePassed) return `no answer within the ${Math.round(deadlineMs / 1000)} s deadline`;
  if (isPrometheusError(e)) {
    if (e.code === "unreachable" || e.code === "timeout") return `Prometheus did not answer (${e.message})`;
    return `Prometheus: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

function dedupeFailures(failures: string[]): string[] {
  const reasons = failures.map((f) => f.slice(f.indexOf(": ") + 2));
  if (failures.length > 1 && reasons.every((r) => r === reasons[0])) return [reasons[0] as string];
  return [...new Set(failures)];
}

const sameHost = (a: string, b: string) => a === b || hostOfInstance(a) === hostOfInstance(b);

/** The host under investigation: the alert's, matched by instance or host name; else the one that moved most. */
function focusInstance(
  named: string | undefined,
  hosts: Map<string, HostView>,
  history: FeatureWindow | undefined,
): string | undefined {
  if (named) {
    const known = [...hosts.keys(), ...(history?.hosts.keys() ?? [])];
    if (known.includes(named)) return named;
    return known.find((instance) => sameHost(instance, named)) ?? named;
  }
  let best: string | undefined;
  let bestZ = 0;
  for (const [instance, view] of hosts) {
    for (const f of view.now) {
      if (Number.isFinite(f.z) && Math.abs(f.z) > bestZ) {
        bestZ = Math.abs(f.z);
        best = instance;
      }
    }
  }
  return bestZ >= MOVED_Z ? best : undefined;
}

/** With no host named and none moved: the host of a target still down, or of a restart loop. */
function changedInstance(changes: InvestigationChange[]): string | undefined {
  const down = changes.find((c) => c.kind === "target_down" && c.ongoing && c.instance);
  if (down) return down.instance;
  return changes.find(isLoop)?.instance;
}

/** Restarts in a loop: a process or container 3 times, a host twice within the window. */
function isLoop(c: InvestigationChange): boolean {
  if (c.kind === "reboot") return (c.count ?? 1) >= 2;
  return (c.kind === "process_restart" || c.kind === "container_restart") && (c.count ?? 1) >= RESTART_LOOP;
}

function nanMean(xs: ArrayLike<number>, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, from); i < to; i++) {
    const v = xs[i] as number;
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : Number.NaN;
}

function hostViews(
  recent: FeatureWindow,
  end: number,
  baselinesOfHost: (instance: string) => HostBaselines,
): Map<string, HostView> {
  const views = new Map<string, HostView>();
  const n = recent.times.length;
  const nowFrom = n - Math.round(NOW_SECONDS / recent.step);
  for (const [instance, series] of recent.hosts) {
    const { baselines, historyHours } = baselinesOfHost(instance);
    const now = FEATURES.map((_, f) => {
      const value = nanMean(series[f] as ArrayLike<number>, nowFrom, n);
      const b = baselines?.[f];
      if (!b?.present || !Number.isFinite(value)) return { value, usual: Number.NaN, z: Number.NaN };
      const usual = usualAt(b, end);
      return { value, usual, z: (value - usual) / b.scale };
    });
    views.set(instance, { instance, ...(baselines ? { baselines } : {}), historyHours, now });
  }
  return views;
}

function movedFeatures(view: HostView, recent: FeatureWindow, instance: string): MovedFeature[] {
  const out: MovedFeature[] = [];
  FEATURES.forEach((spec, f) => {
    const x = view.now[f];
    const b = view.baselines?.[f];
    if (!x || !b || !Number.isFinite(x.z) || Math.abs(x.z) < MOVED_Z) return;
    const since = movedSince(recent, instance, f, b, x.z);
    out.push({
      feature: spec.name,
      label: spec.label,
      value: x.value,
      usual: x.usual,
      unit: spec.unit,
      score: round2(x.z),
      ...(since !== undefined ? { since: since * 1000 } : {}),
    });
  });
  out.sort((a, b) => Math.abs(b.score) - Math.abs(a.score));
  return causeFirst(out).slice(0, MAX_MOVED);
}

/**
 * Load and context switches follow from something else: runnable processes (CPU time) or processes
 * blocked on I/O, which Linux counts in the load average too. When one of them moved most, the
 * strongest of its possible causes that moved as well leads, so an iowait storm is named for the
 * disk and a CPU hog for its CPU time, whatever the load's own z.
 */
const SYMPTOMS = new Set(["load1_per_core", "load5_per_core", "context_switches"]);
const CAUSES_OF_LOAD = new Set([
  "cpu_user",
  "cpu_system",
  "cpu_steal",
  "cpu_iowait",
  "procs_blocked",
  "disk_io_time",
]);

export function causeFirst(moved: MovedFeature[]): MovedFeature[] {
  const top = moved[0];
  if (!top || !SYMPTOMS.has(top.feature) || top.score < 0) return moved;
  const cause = moved.find((m) => CAUSES_OF_LOAD.has(m.feature) && m.score > 0);
  return cause ? [cause, ...moved.filter((m) => m !== cause)] : moved;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** When the feature's current move began: the start of the last run of points past half the threshold. */
function movedSince(
  recent: FeatureWindow,
  instance: string,
  f: number,
  b: FeatureBaseline,
  z: number,
): number | undefined {
  const xs = recent.hosts.get(instance)?.[f];
  if (!xs) return undefined;
  const sign = Math.sign(z);
  let since: number | undefined;
  for (let i = xs.length - 1; i >= 0; i--) {
    const v = xs[i] as number;
    if (!Number.isFinite(v)) continue;
    const t = recent.times[i] as number;
    const zi = (v - usualAt(b, t)) / b.scale;
    if (zi * sign < MOVED_Z / 2) break;
    since = t;
  }
  // Moved for the whole window: it started earlier than this look reaches.
  return since !== undefined && since > (recent.times[0] as number) ? since : undefined;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      n++;
      sa += x;
      sb += y;
    }
  }
  if (n < 10) return Number.NaN;
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    cov += (x - ma) * (y - mb);
    va += (x - ma) ** 2;
    vb += (y - mb) ** 2;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : Number.NaN;
}

function whereElse(
  top: MovedFeature[],
  focus: string,
  recent: FeatureWindow,
  hosts: Map<string, HostView>,
): Investigation["elsewhere"] {
  const mine = recent.hosts.get(focus);
  if (!mine) return [];
  const best = new Map<string, { instance: string; feature: string; correlation: number; z: number }>();
  for (const m of top) {
    const f = FEATURES.findIndex((s) => s.name === m.feature);
    const ref = mine[f];
    if (f < 0 || !ref) continue;
    for (const [instance, view] of hosts) {
      if (sameHost(instance, focus)) continue;
      const z = view.now[f]?.z ?? Number.NaN;
      if (!Number.isFinite(z) || Math.abs(z) < MOVED_Z || Math.sign(z) !== Math.sign(m.score)) continue;
      const other = recent.hosts.get(instance)?.[f];
      const r = other ? pearson(ref, other) : Number.NaN;
      // A step both hosts took together correlates; two flat-but-high lines have no correlation to
      // measure (NaN): their own z counts then.
      const correlation = Number.isFinite(r) ? r : 0;
      if (Number.isFinite(r) && r < ELSEWHERE_MIN_CORRELATION) continue;
      const prev = best.get(instance);
      if (!prev || correlation > prev.correlation)
        best.set(instance, { instance, feature: m.feature, correlation: round2(correlation), z });
    }
  }
  return [...best.values()]
    .sort((a, b) => b.correlation - a.correlation || Math.abs(b.z) - Math.abs(a.z))
    .map(({ instance, feature, correlation }) => ({ instance, feature, correlation }));
}

function chartSeries(top: MovedFeature[], recent: FeatureWindow, focus: string): Investigation["series"] {
  const mine = recent.hosts.get(focus);
  if (!mine || top.length === 0) return undefined;
  return top.map((m) => {
    const f = FEATURES.findIndex((s) => s.name === m.feature);
    const xs = mine[f] ?? new Float64Array(0);
    return {
      feature: m.feature,
      label: m.label,
      unit: m.unit,
      usual: m.usual,
      points: Array.from(recent.times, (t, i) => {
        const v = xs[i] as number;
        return [t * 1000, Number.isFinite(v) ? v : null] as [number, number | null];
      }),
    };
  });
}

/** When the host's node metrics stopped, if they did within the window and are still missing. */
function staleSince(recent: FeatureWindow, history: FeatureWindow, focus: string): number | undefined {
  const series = recent.hosts.get(focus);
  if (!series) return lastSeen(history, focus);
  const n = recent.times.length;
  let last = -1;
  for (let i = n - 1; i >= 0 && last < 0; i--)
    if (series.some((xs) => Number.isFinite(xs[i] as number))) last = i;
  // Rates need a few minutes of samples: a gap of 10 minutes at the end is a real stop.
  if (last < 0 || n - 1 - last < Math.round(600 / recent.step)) return undefined;
  return (recent.times[last] as number) + recent.step;
}

/** The end of the host's last point in a window, when it has any. */
function lastSeen(w: FeatureWindow, instance: string): number | undefined {
  const series = w.hosts.get(instance);
  if (!series) return undefined;
  for (let i = w.times.length - 1; i >= 0; i--)
    if (series.some((xs) => Number.isFinite(xs[i] as number))) return (w.times[i] as number) + w.step;
  return undefined;
}

/** Changes on the focus host first, then the newest. */
function rankChanges(changes: InvestigationChange[], focus: string | undefined): InvestigationChange[] {
  const onFocus = (c: InvestigationChange) => (focus && sameHost(c.instance, focus) ? 1 : 0);
  return [...changes]
    .sort((a, b) => onFocus(b) - onFocus(a) || (b.at ?? 0) - (a.at ?? 0))
    .slice(0, MAX_CHANGES);
}

function suspectOf(inv: Investigation, focus: string | undefined): Investigation["suspect"] {
  if (!focus) return undefined;
  const mine = inv.changes.filter((c) => sameHost(c.instance, focus));
  const down = mine.find((c) => c.kind === "target_down" && c.ongoing);
  if (down) return { instance: focus, resource: CHANGE_RESOURCE.target_down };
  const loop = mine.find((c) => isLoop(c));
  if (loop) return { instance: focus, resource: CHANGE_RESOURCE[loop.kind] };
  const top = inv.moved[0];
  if (top) return { instance: focus, resource: FEATURE_RESOURCE[top.feature] ?? top.feature };
  const first = mine[0];
  if (first) return { instance: focus, resource: CHANGE_RESOURCE[first.kind] };
  return undefined;
}

function checksOf(
  inv: Investigation,
  client: PrometheusClient,
  focus: string | undefined,
  grafanaUrl: string | undefined,
  end: number,
): Investigation["checks"] {
  const checks: Investigation["checks"] = [];
  const seenPanels = new Set<number>();
  for (const m of inv.moved.slice(0, 3)) {
    const spec = FEATURES.find((s) => s.name === m.feature) as FeatureSpec;
    const query = focus
      ? onInstance(featureQuery(spec, RECENT_RATE), focus)
      : featureQuery(spec, RECENT_RATE);
    checks.push({
      label: `${m.label} on ${focus ? hostOfInstance(focus) : "the fleet"} (Prometheus graph)`,
      url: prometheusGraphLink(client.baseUrl, query, 3 * 3600),
      query,
    });
    const panel = PANEL[FEATURE_RESOURCE[m.feature] ?? ""];
    if (grafanaUrl && panel !== undefined && !seenPanels.has(panel)) {
      seenPanels.add(panel);
      checks.push({
        label: `Grafana: ${FEATURE_RESOURCE[m.feature]} on ${focus ? hostOfInstance(focus) : "the fleet"}`,
        url: grafanaPanelLink({
          grafanaUrl,
          dashboardUid: DASHBOARDS.systemOverview.uid,
          panelId: panel,
          fromMs: (end - 3 * 3600) * 1000,
          toMs: end * 1000,
          ...(focus ? { instance: focus } : {}),
          environment: inv.request.environment,
        }),
      });
    }
  }
  if (focus && inv.changes.some((c) => sameHost(c.instance, focus) && c.kind === "target_down")) {
    // Every target of the host (the one down may be another port than its node_exporter's).
    const query = `up{${renderMatchers([hostMatcher(hostOfInstance(focus))])}}`;
    checks.push({
      label: `targets of ${hostOfInstance(focus)}`,
      url: prometheusGraphLink(client.baseUrl, query, 6 * 3600),
      query,
    });
  }
  return checks;
}

/** The fleet-wide feature query restricted to one instance. */
function onInstance(query: string, instance: string): string {
  return `(${query}) and on (instance) up{instance="${escapeLabelValue(instance)}"}`;
}

// ---- What changed --------------------------------------------------------------------------------

const W = "6h";

async function readChanges(
  client: PrometheusClient,
  end: number,
  signal: AbortSignal,
  fail: (part: string, e: unknown) => void,
): Promise<InvestigationChange[] | undefined> {
  const opts = { signal, time: end, noCache: true };
  const safe = <T>(part: string, p: Promise<T>): Promise<T | undefined> =>
    p.catch((e: unknown) => {
      fail(part, e);
      return undefined;
    });
  const since = end - CHANGES_SECONDS;
  const [boots, bootCount, procCount, procLast, contCount, contLast, builds, down, reloads] =
    await Promise.all([
      safe("reboots", client.instant(`max_over_time(node_boot_time_seconds[${W}]) > ${since}`, opts)),
      safe("reboots", client.instant(`changes(node_boot_time_seconds[${W}]) > 0`, opts)),
      safe("process restarts", client.instant(`changes(process_start_time_seconds[${W}]) > 0`, opts)),
      safe(
        "process restarts",
        client.instant(`max_over_time(process_start_time_seconds[${W}]) > ${since}`, opts),
      ),
      safe(
        "container restarts",
        client.instant(`changes(container_start_time_seconds{name!=""}[${W}]) > 0`, opts),
      ),
      safe(
        "container restarts",
        client.instant(`max_over_time(container_start_time_seconds{name!=""}[${W}]) > ${since}`, opts),
      ),
      safe(
        "versions",
        client.range(
          `{__name__=~".+_build_info"}`,
          { start: since, end, step: 300 },
          { signal, noCache: true },
        ),
      ),
      safe(
        "targets down",
        client.range("up == 0", { start: since, end, step: 60 }, { signal, noCache: true }),
      ),
      safe(
        "config reloads",
        client.instant(
          `{__name__=~"(prometheus|alertmanager)_config_last_reload_success_timestamp_seconds"} > ${since}`,
          opts,
        ),
      ),
    ]);
  const all = [boots, bootCount, procCount, procLast, contCount, contLast, builds, down, reloads];
  if (all.every((x) => x === undefined)) return undefined;
  const out: InvestigationChange[] = [];
  const bootChanges = new Map((bootCount ?? []).map((s) => [s.labels.instance ?? "", Math.round(s.value)]));
  for (const s of boots ?? []) {
    const instance = s.labels.instance;
    if (!instance || !Number.isFinite(s.value) || s.value > end + 60) continue;
    // A boot inside the window with no earlier boot time on record counts once.
    const n = Math.max(1, bootChanges.get(instance) ?? 1);
    out.push({
      kind: "reboot",
      instance,
      at: s.value * 1000,
      detail: n === 1 ? "host rebooted" : `host rebooted ${n} times`,
      count: n,
    });
  }
  out.push(...restartChanges("process_restart", procCount, procLast, (l) => l.job ?? "process"));
  out.push(
    ...restartChanges(
      "container_restart",
      contCount,
      contLast,
      (l) => `container ${l.name ?? l.container ?? "?"}`,
    ),
  );
  out.push(...versionChanges(builds ?? []));
  out.push(...downChanges(down ?? [], end));
  for (const s of reloads ?? []) {
    const instance = s.labels.instance ?? "";
    const who = (s.labels.__name__ ?? "").startsWith("alertmanager") ? "Alertmanager" : "Prometheus";
    if (Number.isFinite(s.value))
      out.push({
        kind: "config_reload",
        instance,
        at: s.value * 1000,
        detail: `${who} configuration reloaded`,
      });
  }
  return out;
}

type Sample = { labels: Record<string, string>; value: number };

const identity = (l: Record<string, string>) =>
  JSON.stringify(
    Object.entries(l)
      .filter(([k]) => k !== "__name__")
      .sort(([a], [b]) => a.localeCompare(b)),
  );

function restartChanges(
  kind: "process_restart" | "container_restart",
  counts: Sample[] | undefined,
  lasts: Sample[] | undefined,
  name: (l: Record<string, string>) => string,
): InvestigationChange[] {
  const last = new Map((lasts ?? []).map((s) => [identity(s.labels), s.value]));
  const out: InvestigationChange[] = [];
  const seen = new Set<string>();
  for (const s of counts ?? []) {
    const id = identity(s.labels);
    seen.add(id);
    const instance = s.labels.instance ?? "";
    const n = Math.round(s.value);
    const at = last.get(id);
    out.push({
      kind,
      instance,
      ...(at !== undefined && Number.isFinite(at) ? { at: at * 1000 } : {}),
      detail: n === 1 ? `${name(s.labels)} restarted` : `${name(s.labels)} restarted ${n} times`,
      count: n,
    });
  }
  // Started within the window without an earlier start on record: a new process, or a restart the
  // history does not reach back to.
  for (const s of lasts ?? []) {
    if (seen.has(identity(s.labels)) || !Number.isFinite(s.value)) continue;
    out.push({
      kind,
      instance: s.labels.instance ?? "",
      at: s.value * 1000,
      detail: `${name(s.labels)} started`,
    });
  }
  return out;
}

/** A `*_build_info` whose labels changed: two label sets for one metric, job and instance in the window. */
function versionChanges(
  series: Array<{ labels: Record<string, string>; points: Array<[number, number]> }>,
): InvestigationChange[] {
  const groups = new Map<string, typeof series>();
  for (const s of series) {
    const key = `${s.labels.__name__}\u0000${s.labels.job ?? ""}\u0000${s.labels.instance ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const out: InvestigationChange[] = [];
  for (const list of groups.values()) {
    if (list.length < 2 || list.length > 10) continue;
    const ordered = [...list].sort((a, b) => (a.points[0]?.[0] ?? 0) - (b.points[0]?.[0] ?? 0));
    const before = ordered[ordered.length - 2] as (typeof series)[number];
    const after = ordered[ordered.length - 1] as (typeof series)[number];
    const label =
      after.labels.version !== undefined
        ? "version"
        : (Object.keys(after.labels).find((k) => after.labels[k] !== before.labels[k]) ?? "labels");
    const what = (after.labels.__name__ ?? "").replace(/_build_info$/, "");
    out.push({
      kind: "version",
      instance: after.labels.instance ?? "",
      at: (after.points[0]?.[0] ?? 0) * 1000,
      detail: `${what} ${label} ${before.labels[label] ?? "?"} → ${after.labels[label] ?? "?"}`,
    });
  }
  return out;
}

/** Targets down in the window: since when, and whether still down at the end. */
function downChanges(
  series: Array<{ labels: Record<string, string>; points: Array<[number, number]> }>,
  end: number,
): InvestigationChange[] {
  const out: InvestigationChange[] = [];
  for (const s of series) {
    const pts = s.points;
    const last = pts[pts.length - 1];
    if (!last) continue;
    // The start of the last run of down points (a gap of more than 2 steps ends a run).
    let i = pts.length - 1;
    while (i > 0 && (pts[i] as [number, number])[0] - (pts[i - 1] as [number, number])[0] <= 120) i--;
    const from = (pts[i] as [number, number])[0];
    const still = end - last[0] <= 120;
    const job = s.labels.job ? `${s.labels.job} target` : "target";
    out.push({
      kind: "target_down",
      instance: s.labels.instance ?? "",
      at: from * 1000,
      ...(still ? { ongoing: true } : {}),
      detail: still
        ? `${job} down`
        : `${job} was down until ${new Date(last[0] * 1000).toISOString().slice(11, 16)} UTC`,
    });
  }
  return out;
}
