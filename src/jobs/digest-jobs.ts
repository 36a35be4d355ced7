/**
 * Digests on BullMQ: one job scheduler per channel's digest on the `digests` queue, firing on the
 * digest's cron pattern in its time zone, removed when the digest is stopped. The schedulers live in
 * Redis, so they outlive a restart; at start each process re-creates those of the stored digests and
 * removes any left without one. Bot replicas share the queue: each firing is one job, taken by one
 * worker, posted once.
 */
import { createHash } from "node:crypto";
import { type ConnectionOptions, type Job, Queue, type RepeatOptions, Worker } from "bullmq";
import { z } from "zod";
import type { DigestScheduler } from "../insights/digest-commands.js";
import { cronPattern } from "../insights/digest-schedule.js";
import type { DigestPlace, StoredDigest } from "../insights/digest-store.js";
import type { Logger } from "../observability/logger.js";

export const DIGEST_QUEUE = "digests";

const SCHEDULER_PREFIX = "digest-";

/** A scheduler's id for a place: a hash, since channel ids carry characters BullMQ keys use. */
export function digestSchedulerId(place: DigestPlace): string {
  const h = createHash("sha256").update(`${place.platform}\u0000${place.channel}`).digest("hex");
  return `${SCHEDULER_PREFIX}${h.slice(0, 24)}`;
}

const jobDataSchema = z.object({ platform: z.enum(["slack", "teams"]), channel: z.string().min(1).max(400) });

export interface DigestJobs extends DigestScheduler {
  close(): Promise<void>;
}

export interface DigestJobsOptions {
  connection: ConnectionOptions;
  prefix: string;
  /**
   * When a digest fires: its cron pattern in its zone. Tests replace it with a few seconds' `every`;
   * the composition never sets it.
   */
  repeatFor?: (digest: StoredDigest) => Omit<RepeatOptions, "key">;
}

/** The repeat options of a digest: its cron pattern in its time zone. */
export function digestRepeat(digest: StoredDigest): Omit<RepeatOptions, "key"> {
  return { pattern: cronPattern(digest.schedule), tz: digest.schedule.tz };
}

export async function startDigestJobs(
  digests: {
    deliver(place: DigestPlace): Promise<"posted" | "gone">;
    all(): Promise<StoredDigest[]>;
  },
  logger: Logger,
  opts: DigestJobsOptions,
): Promise<DigestJobs> {
  const log = logger.child({ component: "digest-jobs" });
  const queue = new Queue(DIGEST_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  const repeatFor = opts.repeatFor ?? digestRepeat;
  const schedule = async (digest: StoredDigest) => {
    await queue.upsertJobScheduler(digestSchedulerId(digest), repeatFor(digest), {
      name: "digest",
      data: { platform: digest.platform, channel: digest.channel },
      // One attempt: a digest that failed after posting must not be posted twice.
      opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 100 } },
    });
  };
  const unschedule = async (place: DigestPlace) => {
    await queue.removeJobScheduler(digestSchedulerId(place));
  };

  // Reconcile: every stored digest has its scheduler (as it is stored now), and no scheduler outlives its digest.
  const stored = await digests.all();
  for (const d of stored) await schedule(d);
  const wanted = new Set(stored.map(digestSchedulerId));
  for (const s of await queue.getJobSchedulers(0, -1)) {
    const id = s.key;
    if (id.startsWith(SCHEDULER_PREFIX) && !wanted.has(id)) await queue.removeJobScheduler(id);
  }

  const worker = new Worker(
    DIGEST_QUEUE,
    async (job: Job) => {
      const place = jobDataSchema.safeParse(job.data);
      if (!place.success) return "invalid";
      const result = await digests.deliver(place.data);
      log.info({ platform: place.data.platform, channel: place.data.channel, result }, "digest");
      return result;
    },
    // A digest reads a day or a week of data and draws a chart: a lock long enough for a slow Prometheus.
    { connection: opts.connection, prefix: opts.prefix, concurrency: 2, lockDuration: 120_000 },
  );
  worker.on("failed", (job, err) =>
    log.warn(
      { err: err.message, channel: (job?.data as { channel?: string } | undefined)?.channel },
      "digest not posted",
    ),
  );
  worker.on("error", (err) => log.error({ err: err.message }, "digest worker error"));
  log.debug({ digests: stored.length }, "digest schedulers in place");
  return {
    schedule,
    unschedule,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
