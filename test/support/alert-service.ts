/** An AlertService on real Redis under one test key prefix, routing everything to Slack channel C0ALERTS. */
import type { Redis } from "ioredis";
import { AlertService } from "../../src/alerts/alert-service.js";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { AuditLog } from "../../src/alerts/audit-log.js";
import { AlertRouter } from "../../src/alerts/routing.js";
import { SilenceStore } from "../../src/alerts/silences.js";
import { createLogger } from "../../src/observability/logger.js";

export function testAlertService(
  redis: Redis,
  prefix: string,
  opts: { groupBy: string[]; now: () => number },
) {
  const store = new AlertStore(redis, `${prefix}:alerts`);
  const silences = new SilenceStore(redis, `${prefix}:alerts`);
  const audit = new AuditLog(redis, `${prefix}:audit`);
  const service = new AlertService({
    store,
    silences,
    audit,
    router: new AlertRouter({ defaultSlackChannel: "C0ALERTS", defaultGroupBy: opts.groupBy }),
    logger: createLogger("silent"),
    now: opts.now,
  });
  return { store, silences, audit, service };
}
