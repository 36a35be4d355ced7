/**
 * `npm run bench -- incidents`: ten generated incidents on a 100-host fleet (fleet.ts, scenarios.ts)
 * backfilled with promtool into a real Prometheus; for each, the alert it would raise is checked
 * against the data (its rule holds for the incident's host at the alert time), then the investigator
 * runs with its clock a minute after the alert, as the alert job would run it. Prints the scenario
 * table: expected host and resource, what was named first, top-1 and top-3, time per investigation.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type {
  Investigation,
  InvestigationRequest,
  Investigator,
} from "../../src/investigate/investigation.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { hostOfInstance } from "../../src/metrics/promql.js";
import { startBackfilledPrometheus, waitForCompaction } from "../../test/support/prometheus-process.js";
import { writeIncidentFleet } from "./fleet.js";
import { DAYS, HOSTS, host, nodeInstance, resourceClass, SCENARIOS, type Scenario } from "./scenarios.js";
import { type Named, scoreInvestigation } from "./scoring.js";

/** The investigation runs this long after the alert fired, as the alert job runs it. */
const AFTER_ALERT_SECONDS = 60;

export type CreateInvestigator = (options: {
  environments: { get(name?: string): PrometheusClient | undefined };
  now?: () => number;
}) => Investigator;

/** The investigator, read at run time so the bench's fleet and checks work before it exists. */
export async function loadInvestigator(): Promise<CreateInvestigator> {
  const modulePath = "../../src/investigate/investigator.js";
  const mod = (await import(modulePath)) as { createInvestigator?: CreateInvestigator };
  if (typeof mod.createInvestigator !== "function")
    throw new Error("src/investigate/investigator.ts exports no createInvestigator");
  return mod.createInvestigator;
}

/** Throws unless the scenario's rule holds for its host at the alert time: the fleet drew the incident. */
async function checkRule(client: PrometheusClient, s: Scenario): Promise<void> {
  const samples = await client.instant(s.rule, { time: s.startsAt, noCache: true });
  const hosts = samples.map((x) => hostOfInstance(x.labels.instance ?? ""));
  if (!hosts.includes(host(s.host)))
    throw new Error(
      `${s.kind}: "${s.rule}" does not hold for ${host(s.host)} at the alert time (holds for ${hosts.slice(0, 5).join(", ") || "no host"})`,
    );
}

const describe = (n: Named | undefined) =>
  n ? `${hostOfInstance(n.instance)} ${resourceClass(n.resource) ?? n.resource} (${n.resource})` : "—";

export const benchClient = (baseUrl: string) =>
  new PrometheusClient({ environment: "bench", baseUrl, timeoutMs: 30_000, retries: 0, cacheTtlMs: 0 });

/**
 * Checks every scenario's rule against the data, then investigates each alert and scores it. Needs a
 * Prometheus holding the fleet (`writeIncidentFleet`).
 */
export async function investigateAll(
  client: PrometheusClient,
  createInvestigator: CreateInvestigator,
): Promise<{ table: string; top1: number; top3: number; seconds: number[]; warmSeconds: number[] }> {
  for (const s of SCENARIOS) await checkRule(client, s);
  const rows: string[] = [];
  let top1 = 0;
  let top3 = 0;
  const seconds: number[] = [];
  const warmSeconds: number[] = [];
  for (const [k, s] of SCENARIOS.entries()) {
    const at = (s.startsAt + AFTER_ALERT_SECONDS) * 1000;
    const investigator = createInvestigator({ environments: { get: () => client }, now: () => at });
    const req: InvestigationRequest = {
      environment: "bench",
      alertName: s.alertName,
      startsAt: s.startsAt * 1000,
      groupId: (0x16000000 + k).toString(16),
      ...(s.job ? { job: s.job } : { instance: nodeInstance(s.host), job: "node" }),
    };
    const t = performance.now();
    const inv: Investigation = await investigator.investigate(req);
    const wall = (performance.now() - t) / 1000;
    seconds.push(wall);
    // A second look within the hour (the group grew, or someone asked): the usual levels are cached.
    const t2 = performance.now();
    await investigator.investigate(req);
    const warm = (performance.now() - t2) / 1000;
    warmSeconds.push(warm);
    const score = scoreInvestigation(s, inv);
    if (score.top1) top1++;
    if (score.top3) top3++;
    const moved = inv.moved
      .slice(0, 3)
      .map((m) => `${m.feature} ${m.score > 0 ? "+" : ""}${m.score.toFixed(1)}`)
      .join(", ");
    const first =
      s.expected.length === 0
        ? inv.nothingUnusual
          ? "nothing unusual"
          : `${describe(score.named[0])}`
        : describe(score.named[0]);
    rows.push(
      `| ${s.title} | ${s.alertName}${s.job ? ` (job ${s.job})` : ` on ${host(s.host)}`} | ${s.expected.length === 0 ? `${host(s.host)}: nothing unusual` : `${host(s.host)} ${s.expectedLabel}`} | ${first} | ${score.named.slice(1).map(describe).join("; ") || "—"} | ${moved || "—"} | ${inv.failures.join("; ") || "—"} | ${score.top1 ? "yes" : "no"} | ${score.top3 ? "yes" : "no"} | ${wall.toFixed(2)} | ${warm.toFixed(2)} |`,
    );
  }
  const spread = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return `median ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(2)}, max ${(sorted.at(-1) ?? 0).toFixed(2)}`;
  };
  const table = [
    "| scenario | alert | expected | named first | then | moved (robust z) | failures | top-1 | top-3 | seconds | again, s |",
    "|---|---|---|---|---|---|---|:-:|:-:|---:|---:|",
    ...rows,
    "",
    `Top-1: ${top1}/${SCENARIOS.length}; top-3: ${top3}/${SCENARIOS.length}; seconds per investigation: ${spread(seconds)} (the first look of the hour, reading the usual levels); ${spread(warmSeconds)} for a second look within the hour (usual levels cached).`,
  ].join("\n");
  return { table, top1, top3, seconds, warmSeconds };
}

export async function incidentsBench(): Promise<string> {
  const createInvestigator = await loadInvestigator();
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-incidents-"));
  try {
    let t0 = performance.now();
    const files = await writeIncidentFleet(dir);
    const writeSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const prom = await startBackfilledPrometheus(files);
    const backfillSeconds = (performance.now() - t0) / 1000;
    try {
      const merged = await waitForCompaction(prom.url, 360_000);
      const client = benchClient(prom.url);
      // Investigation times depend on what else the machine runs: its load is said with them.
      const load = loadavg()[0] ?? 0;
      const r = await investigateAll(client, createInvestigator);
      return [
        `${HOSTS} hosts × ${DAYS} days of node_exporter series (1 min over the last 26 h, 5 min before), written in ${writeSeconds.toFixed(0)} s and backfilled by promtool in ${backfillSeconds.toFixed(0)} s, merged by Prometheus into ${merged.blocks} blocks in ${merged.seconds.toFixed(0)} s (none of it timed below). Each incident on its own host and 2-hour slot of the last day; each alert's rule checked against the data at its start; the investigation runs ${AFTER_ALERT_SECONDS} s after the alert (its clock; one at a time; 1-minute load average ${load.toFixed(1)} when they began).`,
        "",
        r.table,
      ].join("\n");
    } finally {
      await prom.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  incidentsBench().then(
    (s) => process.stdout.write(`${s}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
