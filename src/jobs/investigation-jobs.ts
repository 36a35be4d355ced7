/**
 * The first look at an alert on BullMQ (queue `investigations`): when a group's message is first
 * posted, one job gathers what moved on its host, where else, what changed and what happened before,
 * and posts ONE reply in the message's thread (Slack) or under its card (Teams). When the group grows
 * to twice the alerts it was looked at with, it is looked at again (at most {@link MAX_REDOS} times)
 * and that same reply is edited. `investigate ID` runs the same thing on demand.
 *
 * Replicas share the queue: a job's id names the group and its message (and the size it grew to), so
 * however many replicas see the group, BullMQ holds one job; a per-group lock in Redis keeps two runs
 * of one group (the first look and a growth, or a typed `investigate`) from both posting a reply.
 */
import { randomUUID } from "node:crypto";
import { type ConnectionOptions, Queue, Worker } from "bullmq";
import type { AlertNotifier } from "../alerts/alert-delivery.js";
import type { AlertStore, GroupState, MessageRef } from "../alerts/alert-store.js";
import type { TargetPlatform } from "../alerts/routing.js";
import type { Investigation, InvestigationRequest, Investigator } from "../investigate/investigation.js";
import type { InvestigationStore, StoredInvestigation } from "../investigate/investigation-store.js";
import type { BotMetrics } from "../observability/bot-metrics.js";
import type { Logger } from "../observability/logger.js";
import type { Reply } from "../reply/reply.js";

export const INVESTIGATION_QUEUE = "investigations";

/** How many times a growing group is looked at again after its first look. */
export const MAX_REDOS = 3;
/** A first look that takes longer than this is cut off and says what it could not finish. */
export const INVESTIGATION_TIMEOUT_MS = 60_000;
/** Other open groups handed to the investigator (the rest are not named). */
const MAX_OPEN = 50;
/** Two records of an alert on a target starting this close are one incident. */
const SAME_INCIDENT_MS = 10 * 60_000;

export type InvestigationOutcome = "ok" | "nothing_unusual" | "failed";

/** Why an investigation runs. */
export type InvestigationReason = "new" | "grew" | "asked";

export interface InvestigationRunnerDeps {
  investigator: Investigator;
  alerts: Pick<AlertStore, "groupState">;
  store: InvestigationStore;
  /** The platforms' alert notifiers (known once chat has started). */
  notifiers: () => Partial<Record<TargetPlatform, AlertNotifier>>;
  /** Renders an investigation as a reply (with its chart, when one can be drawn). */
  present: (inv: Investigation, signal?: AbortSignal) => Reply | Promise<Reply>;
  /** Other open groups (the alert list). */
  openAlerts: () => Promise<Array<{ id: string; name: string; instance?: string; since: number }>>;
  /** Earlier times of the same alert on the same host or job, newest first (the alert history). */
  history?: (req: InvestigationRequest) => Promise<NonNullable<InvestigationRequest["history"]>>;
  /** The environment of an alert that names none. */
  defaultEnvironment: () => string;
  metrics: Pick<BotMetrics, "investigationSeconds" | "investigations">;
  logger: Logger;
  timeoutMs?: number;
  now?: () => number;
}

/** Another run of the same group holds its lock: the job is tried again shortly. */
export class InvestigationBusy extends Error {
  constructor(groupId: string) {
    super(`alert ${groupId} is being investigated`);
    this.name = "InvestigationBusy";
  }
}

const firingOf = (state: GroupState) => state.alerts.filter((a) => a.status === "firing").length;

/** The outcome a metric counts an investigation under. */
export function outcomeOf(inv: Investigation): InvestigationOutcome {
  if (inv.failures.length > 0 && inv.moved.length === 0 && inv.changes.length === 0) return "failed";
  return inv.nothingUnusual ? "nothing_unusual" : "ok";
}

/** Runs investigations and posts or edits their reply; used by the job worker and by `investigate ID`. */
export class InvestigationRunner {
  constructor(private readonly deps: InvestigationRunnerDeps) {}

  /** What the investigator is asked about the group, from what the alert store holds. */
  async requestFor(state: GroupState): Promise<InvestigationRequest> {
    const { group } = state;
    const firing = state.alerts.filter((a) => a.status === "firing");
    const shown = firing.length > 0 ? firing : state.alerts;
    const first = shown[0];
    const open = await this.deps
      .openAlerts()
      .catch((): Awaited<ReturnType<InvestigationRunnerDeps["openAlerts"]>> => []);
    const environment =
      group.labels.environment || first?.labels.environment || this.deps.defaultEnvironment();
    const request: InvestigationRequest = {
      environment,
      ...(first?.labels.instance ? { instance: first.labels.instance } : {}),
      ...(first?.labels.job ? { job: first.labels.job } : {}),
      alertName: group.labels.alertname || first?.labels.alertname || "alert",
      startsAt: shown.length > 0 ? Math.min(...shown.map((a) => a.startsAt)) : group.createdAt,
      groupId: group.id,
      openAlerts: open
        .filter((o) => o.id !== group.id)
        .slice(0, MAX_OPEN)
        .map((o) => ({
          id: o.id,
          name: o.name,
          ...(o.instance ? { instance: o.instance } : {}),
          startsAt: o.since,
        })),
    };
    const history = await this.historyOf(state, request);
    if (history) request.history = history.slice(0, 10);
    return request;
  }

  /**
   * Earlier incidents of the same alert on the same host (or job), newest first: the incidents this
   * runner remembered (30 days, with how they ended) and the alert history the store still holds (a
   * week), one entry per incident. Undefined when neither could be read: the reply then says nothing
   * of earlier times rather than "first time".
   */
  private async historyOf(
    state: GroupState,
    request: InvestigationRequest,
  ): Promise<InvestigationRequest["history"]> {
    const { group } = state;
    const target = request.instance ?? request.job;
    const warn = (e: unknown) => {
      this.deps.logger.warn({ group: group.id, err: String(e) }, "alert history unreadable for a first look");
      return undefined;
    };
    const [remembered, stored] = await Promise.all([
      target ? this.deps.store.incidents(request.alertName, target).catch(warn) : Promise.resolve([]),
      this.deps.history ? this.deps.history(request).catch(warn) : Promise.resolve([]),
    ]);
    if (remembered === undefined && stored === undefined) return undefined;
    const out: NonNullable<InvestigationRequest["history"]> = [];
    for (const r of remembered ?? []) {
      if ((r.groupId === group.id && r.createdAt === group.createdAt) || r.startsAt >= request.startsAt)
        continue;
      let { endsAt, ackBy, silenced } = r;
      let endUnknown = false;
      if (endsAt === undefined) {
        // Not ended on record: the group as it is now tells, when it is still that incident.
        const now = await this.deps.alerts.groupState(r.groupId).catch(() => undefined);
        if (now && now.group.createdAt === r.createdAt) {
          endsAt = now.group.resolvedAt;
          ackBy ??= now.group.ack?.by.name;
          silenced ??= now.group.silence !== undefined;
        } else endUnknown = true;
      }
      out.push({
        id: r.groupId,
        startsAt: r.startsAt,
        ...(endsAt !== undefined ? { endsAt } : {}),
        ...(endUnknown ? { endUnknown } : {}),
        ...(ackBy ? { ackBy } : {}),
        ...(silenced ? { silenced } : {}),
      });
    }
    // The store's rows of the same incidents (within 10 minutes of one remembered) only fill gaps.
    for (const h of stored ?? []) {
      const same = out.find((o) => Math.abs(o.startsAt - h.startsAt) <= SAME_INCIDENT_MS);
      if (!same) out.push(h);
      else {
        if (same.ackBy === undefined && h.ackBy) same.ackBy = h.ackBy;
        if (same.endsAt === undefined && h.endsAt !== undefined) {
          same.endsAt = h.endsAt;
          delete same.endUnknown;
        }
      }
    }
    return out.sort((a, b) => b.startsAt - a.startsAt);
  }

  /** Remembers the group's incident (the alert on its target) for later first looks' history. */
  private async remember(state: GroupState, request: InvestigationRequest): Promise<void> {
    const target = request.instance ?? request.job;
    if (!target) return;
    await this.deps.store
      .recordIncident(request.alertName, target, {
        groupId: state.group.id,
        createdAt: state.group.createdAt,
        startsAt: request.startsAt,
      })
      .catch((e: unknown) =>
        this.deps.logger.warn({ group: state.group.id, err: String(e) }, "incident not remembered"),
      );
  }

  /** A resolved group: how its incident ended, for the next first look's history. */
  async resolved(state: GroupState): Promise<void> {
    const { group } = state;
    if (group.resolvedAt === undefined || group.kind === "summary" || group.kind === "overflow") return;
    const first = state.alerts[0];
    const alertName = group.labels.alertname || first?.labels.alertname || "alert";
    const target = first?.labels.instance || first?.labels.job;
    if (!target) return;
    await this.deps.store.recordIncidentEnd(alertName, target, {
      groupId: group.id,
      createdAt: group.createdAt,
      endsAt: group.resolvedAt,
      ...(group.ack ? { ackBy: group.ack.by.name.slice(0, 200) } : {}),
      ...(group.silence ? { silenced: true } : {}),
    });
  }

  /**
   * Investigates the group, stores the result with it and posts (or edits) its reply in the thread of
   * the group's message. Undefined when the group does not exist. `asked` runs never wait for another
   * run of the group: they answer the person and leave the thread to the run in progress.
   */
  async run(
    groupId: string,
    reason: InvestigationReason,
    signal?: AbortSignal,
  ): Promise<{ investigation: Investigation; reply: Reply } | undefined> {
    const state = await this.deps.alerts.groupState(groupId);
    if (!state) return undefined;
    const owner = randomUUID();
    const timeoutMs = this.deps.timeoutMs ?? INVESTIGATION_TIMEOUT_MS;
    const locked = await this.deps.store.lock(groupId, owner, timeoutMs + 30_000);
    if (!locked && reason !== "asked") throw new InvestigationBusy(groupId);
    try {
      const investigation = await this.investigate(state, signal);
      const reply = await this.deps.present(investigation, signal);
      if (locked) await this.deliver(groupId, state, investigation, reply, reason);
      return { investigation, reply };
    } finally {
      if (locked) await this.deps.store.unlock(groupId, owner);
    }
  }

  private async investigate(state: GroupState, signal?: AbortSignal): Promise<Investigation> {
    const now = this.deps.now ?? Date.now;
    const started = Date.now();
    const request = await this.requestFor(state);
    await this.remember(state, request);
    const timeout = AbortSignal.timeout(this.deps.timeoutMs ?? INVESTIGATION_TIMEOUT_MS);
    let investigation: Investigation;
    try {
      investigation = await this.deps.investigator.investigate(
        request,
        signal ? AbortSignal.any([signal, timeout]) : timeout,
      );
    } catch (e) {
      const reason = timeout.aborted
        ? `the first look took longer than ${Math.round((this.deps.timeoutMs ?? INVESTIGATION_TIMEOUT_MS) / 1000)} s`
        : e instanceof Error
          ? e.message
          : String(e);
      this.deps.logger.warn({ group: state.group.id, reason }, "alert investigation failed");
      investigation = {
        request,
        at: now(),
        durationMs: Date.now() - started,
        moved: [],
        elsewhere: [],
        relatedAlerts: [],
        changes: [],
        history: request.history ?? [],
        checks: [],
        nothingUnusual: false,
        failures: [`Investigation failed: ${reason.slice(0, 300)}`],
      };
    }
    const outcome = outcomeOf(investigation);
    this.deps.metrics.investigations.inc({ outcome });
    this.deps.metrics.investigationSeconds.observe({ outcome }, (Date.now() - started) / 1000);
    return investigation;
  }

  /** Stores the investigation with the group and posts its reply, or edits the one already posted. */
  private async deliver(
    groupId: string,
    state: GroupState,
    investigation: Investigation,
    reply: Reply,
    reason: InvestigationReason,
  ): Promise<void> {
    const before = await this.deps.store.get(groupId);
    // The message as it is now (posted since the state was read, or replaced by a new incident's).
    const message = (await this.deps.alerts.groupState(groupId))?.message ?? state.message;
    const notifier = this.deps.notifiers()[state.group.target.platform];
    let ref = before?.reply;
    if (ref && (!message || ref.threadOf !== message.ts)) ref = undefined;
    const stored: StoredInvestigation = {
      investigation,
      firing: firingOf(state),
      redone: (before?.redone ?? 0) + (reason === "grew" ? 1 : 0),
      ...(ref ? { reply: ref } : {}),
    };
    // A silenced group keeps quiet: its first look is stored (API, `investigate ID`), not posted.
    const silenced = (state.group.silence?.until ?? 0) > (this.deps.now ?? Date.now)();
    if (message && notifier?.reply && !silenced) {
      // Where charts go in the thread as files of their own (Slack), the reply is the text and its
      // chart follows it; an edit changes the text. Elsewhere (Teams) the chart is in the card.
      const { chart, ...text } = reply;
      const separateChart = chart !== undefined && notifier.attachChart !== undefined;
      const body = separateChart ? text : reply;
      if (ref && notifier.editReply) await notifier.editReply(message, ref.id, body);
      else {
        const id = await notifier.reply(message, body);
        stored.reply = { platform: message.platform, channel: message.channel, threadOf: message.ts, id };
        // Stored at once: a run that dies after this edits the reply when retried, never posts another.
        await this.deps.store.put(groupId, stored);
        if (separateChart && chart)
          await notifier.attachChart?.(message, chart).catch((e: unknown) =>
            // The reply is posted: retrying the job for its chart would post the reply again.
            this.deps.logger.warn({ group: groupId, err: String(e) }, "first look's chart not uploaded"),
          );
      }
    }
    await this.deps.store.put(groupId, stored);
  }

  /**
   * What a group's message being posted or updated asks for: its first look when it has none for this
   * message, another when it has grown to twice the alerts of the last (bounded); else nothing.
   */
  async wanted(
    state: GroupState,
    ref: MessageRef,
    first: boolean,
  ): Promise<{ jobId: string; reason: InvestigationReason } | undefined> {
    const { group } = state;
    if (group.kind === "summary" || group.kind === "overflow" || group.resolvedAt !== undefined)
      return undefined;
    const firing = firingOf(state);
    if (firing === 0) return undefined;
    // BullMQ refuses ids that are integers or hold ':'; the group's creation tells a reopened incident apart.
    const base = `inv-${group.id}-${group.createdAt}`;
    if (first) return { jobId: base, reason: "new" };
    const stored = await this.deps.store.get(group.id);
    if (!stored || stored.reply?.threadOf !== ref.ts) return { jobId: base, reason: "new" };
    if (stored.redone >= MAX_REDOS || firing < Math.max(2, stored.firing * 2)) return undefined;
    return { jobId: `${base}-${firing}`, reason: "grew" };
  }
}

export interface InvestigationJobs {
  /** Called by alert delivery when a group's message was posted (`first`) or updated. */
  messagePosted(state: GroupState, ref: MessageRef, first: boolean): Promise<void>;
  close(): Promise<void>;
}

interface JobData {
  groupId: string;
  reason: InvestigationReason;
}

export async function startInvestigationJobs(
  runner: InvestigationRunner,
  logger: Logger,
  opts: { connection: ConnectionOptions; prefix: string; concurrency?: number },
): Promise<InvestigationJobs> {
  const log = logger.child({ component: "investigation-jobs" });
  const queue = new Queue<JobData>(INVESTIGATION_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  const worker = new Worker<JobData>(
    INVESTIGATION_QUEUE,
    async (job) => {
      const data = job.data;
      if (!/^[0-9a-f]{8}$/.test(String(data?.groupId))) return { skipped: "bad job" };
      const done = await runner.run(data.groupId, data.reason === "grew" ? "grew" : "new");
      return done
        ? { outcome: outcomeOf(done.investigation), ms: done.investigation.durationMs }
        : { skipped: "gone" };
    },
    // A first look runs some range queries (a minute at most); the lock is renewed while the worker lives.
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency ?? 2,
      lockDuration: 120_000,
    },
  );
  worker.on("failed", (job, err) =>
    log.warn({ job: job?.id, attempts: job?.attemptsMade, reason: err.message }, "investigation job failed"),
  );
  worker.on("error", (err) => log.error({ err: err.message }, "investigation worker error"));
  return {
    async messagePosted(state, ref, first) {
      if (state.group.resolvedAt !== undefined) {
        await runner
          .resolved(state)
          .catch((e: unknown) =>
            log.warn({ group: state.group.id, err: String(e) }, "incident end not kept"),
          );
        return;
      }
      const want = await runner.wanted(state, ref, first);
      if (!want) return;
      await queue.add(
        want.reason,
        { groupId: state.group.id, reason: want.reason },
        {
          jobId: want.jobId,
          attempts: 5,
          backoff: { type: "exponential", delay: 2000 },
          // Kept a week (as long as a resolved group): the job's id is what keeps replicas from adding it again.
          removeOnComplete: { age: 7 * 86_400, count: 10_000 },
          removeOnFail: { age: 7 * 86_400, count: 10_000 },
        },
      );
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
