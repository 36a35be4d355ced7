/**
 * The chat rules' evaluation on BullMQ: one scheduler, `alert-rules`, every ALERT_RULE_EVERY. Bot
 * replicas share the queue, so each evaluation runs once however many processes are up.
 */
import { type ConnectionOptions, Queue, Worker } from "bullmq";
import type { ChatRules } from "../alerts/chat-rules.js";
import type { Logger } from "../observability/logger.js";

export const RULES_QUEUE = "alert-rules";

export interface RuleJobs {
  close(): Promise<void>;
}

export async function startRuleJobs(
  rules: ChatRules,
  logger: Logger,
  opts: { connection: ConnectionOptions; prefix: string; everyMs: number },
): Promise<RuleJobs> {
  const log = logger.child({ component: "rule-jobs" });
  const queue = new Queue(RULES_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  await queue.upsertJobScheduler(
    "rules",
    { every: opts.everyMs },
    { name: "evaluate", data: {}, opts: { removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } },
  );
  const worker = new Worker(
    RULES_QUEUE,
    async () => {
      const r = await rules.evaluate();
      if (r.errors.length > 0)
        log.warn({ errors: r.errors.slice(0, 10) }, "some alert rules could not be evaluated");
      return r;
    },
    // An evaluation is a few instant queries: a short lock, so a dead replica's turn passes quickly.
    { connection: opts.connection, prefix: opts.prefix, concurrency: 1, lockDuration: 30_000 },
  );
  worker.on("error", (err) => log.error({ err: err.message }, "rule worker error"));
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
