/**
 * Channels' digests as chat commands and as scheduled posts: `digest daily 09:00`, `digest weekly mon
 * 09:00 Europe/Paris`, `digest`, `digest now`, `digest off`. A digest is stored per conversation
 * (digest-store.ts) and has one job scheduler (jobs/digest-jobs.ts) that calls {@link Digests.deliver}
 * when it fires. Who may set or stop one is the dispatcher's access policy, decided before these run.
 */
import type { LineChartSpec } from "../charts/chart-spec.js";
import { makeReply, type Reply, type ReplyChart, type UserRef } from "../reply/reply.js";
import { buildDigest, type DigestSectionProvider, digestWindow } from "./digest.js";
import { digestChartSpec, digestReply } from "./digest-presenter.js";
import { DIGEST_FORMS, type DigestSchedule, describeSchedule } from "./digest-schedule.js";
import type { DigestPlace, DigestStore, StoredDigest } from "./digest-store.js";

/** Draws a chart (the question flow's renderer). */
export type ChartRenderer = (spec: LineChartSpec, signal?: AbortSignal) => Promise<ReplyChart> | ReplyChart;

/** What the dispatcher asks of digests. */
export interface DigestCommands {
  set(place: DigestPlace, schedule: DigestSchedule, actor: UserRef): Promise<Reply>;
  off(place: DigestPlace, actor: UserRef): Promise<Reply>;
  show(place: DigestPlace): Promise<Reply>;
  /** A digest now: the channel's own period when it has one, else the last 24 h. */
  now(place?: DigestPlace, signal?: AbortSignal): Promise<Reply>;
  /** The answer to `digest …` in a form not understood. */
  usage(problem: string): Reply;
}

/** Where job schedulers live (BullMQ in jobs/digest-jobs.ts). */
export interface DigestScheduler {
  schedule(digest: StoredDigest): Promise<void>;
  unschedule(place: DigestPlace): Promise<void>;
}

export interface DigestsDeps {
  store: DigestStore;
  /** Resolves the scheduler once the job queue is up; rejects (or undefined) when it could not start. */
  scheduler: () => Promise<DigestScheduler | undefined>;
  providers: readonly DigestSectionProvider[];
  environments: () => string[];
  /** Draws the digest's chart; without it the digest has none. */
  renderChart?: ChartRenderer;
  /** Posts a digest into its conversation (the chat platforms). */
  post?: (place: DigestPlace, reply: Reply) => Promise<void>;
  audit: (entry: { actor: string; action: string; subject: string; detail: string }) => Promise<void>;
  auditActor: (user: UserRef) => string;
  now?: () => number;
}

const subject = (p: DigestPlace) => `${p.platform}:${p.channel}`.slice(0, 100);

export class Digests implements DigestCommands {
  constructor(private readonly deps: DigestsDeps) {}

  private get clock(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private async scheduler(): Promise<DigestScheduler> {
    const s = await this.deps.scheduler().catch(() => undefined);
    if (!s)
      throw new Error("Digests cannot be scheduled right now: the job queue in Redis is not reachable.");
    return s;
  }

  async set(place: DigestPlace, schedule: DigestSchedule, actor: UserRef): Promise<Reply> {
    const scheduler = await this.scheduler();
    const digest: StoredDigest = {
      ...place,
      schedule,
      setBy: this.deps.auditActor(actor),
      setAt: this.clock,
    };
    const had = await this.deps.store.get(place);
    if (!(await this.deps.store.put(digest)))
      return makeReply({
        title: "Too many digests",
        text: "This bot already posts the most digests it keeps; stop one with `digest off` in its channel first.",
        tone: "error",
      });
    await scheduler.schedule(digest);
    await this.deps.audit({
      actor: this.deps.auditActor(actor),
      action: "digest-set",
      subject: subject(place),
      detail: describeSchedule(schedule),
    });
    return makeReply({
      title: had ? "Digest changed" : "Digest set",
      text: `This channel gets a digest ${describeSchedule(schedule)}: ${this.deps.providers.map((p) => p.title.toLowerCase()).join(", ")}, over the ${schedule.period === "weekly" ? "week" : "day"} before.`,
      tone: "ok",
      context: ["`digest now` posts one now · `digest off` stops it"],
    });
  }

  async off(place: DigestPlace, actor: UserRef): Promise<Reply> {
    const had = await this.deps.store.get(place);
    const scheduler = await this.scheduler();
    await this.deps.store.remove(place);
    await scheduler.unschedule(place);
    if (!had)
      return makeReply({
        title: "No digest here",
        text: "This channel has no digest to stop.",
        tone: "info",
      });
    await this.deps.audit({
      actor: this.deps.auditActor(actor),
      action: "digest-off",
      subject: subject(place),
      detail: describeSchedule(had.schedule),
    });
    return makeReply({
      title: "Digest stopped",
      text: `This channel's digest (${describeSchedule(had.schedule)}) is stopped.`,
      tone: "ok",
    });
  }

  async show(place: DigestPlace): Promise<Reply> {
    const d = await this.deps.store.get(place);
    if (!d)
      return makeReply({
        title: "No digest in this channel",
        text: `Set one with ${DIGEST_FORMS.split(" · ").slice(0, 3).join(", ")}.`,
        tone: "info",
      });
    const by = d.setBy.replace(/ \([^)]*\)$/, "");
    return makeReply({
      title: `Digest ${describeSchedule(d.schedule)}`,
      text: `This channel gets a ${d.schedule.period} digest ${describeSchedule(d.schedule).replace(/^(daily|weekly) /, "")}; set by ${by} on ${new Date(d.setAt).toISOString().slice(0, 10)}.`,
      context: ["`digest now` posts one now · `digest off` stops it"],
    });
  }

  async now(place?: DigestPlace, signal?: AbortSignal): Promise<Reply> {
    const stored = place ? await this.deps.store.get(place) : undefined;
    return this.compose(stored?.schedule, signal);
  }

  usage(problem: string): Reply {
    return makeReply({
      title: "I could not read that digest command",
      text: `${problem}\n${DIGEST_FORMS}`,
      tone: "error",
    });
  }

  /**
   * What a digest's scheduler calls when it fires: the digest composed and posted in its channel.
   * A digest stopped meanwhile posts nothing (and its scheduler is removed).
   */
  async deliver(place: DigestPlace): Promise<"posted" | "gone"> {
    const digest = await this.deps.store.get(place);
    if (!digest) {
      await (await this.deps.scheduler().catch(() => undefined))?.unschedule(place);
      return "gone";
    }
    if (!this.deps.post) throw new Error(`no chat platform to post a ${place.platform} digest with`);
    await this.deps.post(place, await this.compose(digest.schedule));
    return "posted";
  }

  /** Every stored digest (the job scheduler re-creates theirs at start). */
  all(): Promise<StoredDigest[]> {
    return this.deps.store.all();
  }

  private async compose(schedule?: DigestSchedule, signal?: AbortSignal): Promise<Reply> {
    const window = digestWindow(schedule?.period ?? "daily", this.clock);
    const data = await buildDigest(this.deps.providers, {
      ...window,
      environments: this.deps.environments(),
      ...(signal ? { signal } : {}),
    });
    const spec = digestChartSpec(data);
    let chart: Awaited<ReturnType<ChartRenderer>> | undefined;
    let chartNote: string | undefined;
    if (spec && this.deps.renderChart) {
      try {
        chart = await this.deps.renderChart(spec, signal);
      } catch (e) {
        chartNote = `Chart unavailable: ${e instanceof Error ? e.message : String(e)}`.slice(0, 200);
      }
    }
    const reply = digestReply(data, { ...(schedule ? { schedule } : {}), ...(chart ? { chart } : {}) });
    return chartNote ? { ...reply, context: [...reply.context, chartNote] } : reply;
  }
}
