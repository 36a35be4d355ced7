/**
 * The first look of an alert group, kept with the group in Redis: the investigation itself (for the
 * API and `details`), and where its reply was posted (so a later run edits that reply rather than
 * posting another). It lives as long as the group's own keys; what is read back is validated, and
 * anything of another shape reads as absent.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { parseStored } from "../redis/parse-stored.js";
import type { Investigation } from "./investigation.js";

/** Where the investigation's reply is: the thread of the group's message `threadOf`. */
export interface InvestigationReplyRef {
  platform: "slack" | "teams";
  channel: string;
  /** The group's message it replies to (Slack ts / Teams activity id). */
  threadOf: string;
  /** The reply itself (Slack ts / Teams activity id). */
  id: string;
}

export interface StoredInvestigation {
  investigation: Investigation;
  /** Firing alerts of the group when it ran (a group that grows well past it is looked at again). */
  firing: number;
  /** How many times it was redone because the group grew (bounded). */
  redone: number;
  reply?: InvestigationReplyRef;
}

const text = (max: number) => z.string().max(max);
const time = z.number().finite();
const historySchema = z
  .array(
    z.object({
      id: text(64),
      startsAt: time,
      endsAt: time.optional(),
      ackBy: text(200).optional(),
      endUnknown: z.boolean().optional(),
      silenced: z.boolean().optional(),
      notes: z.array(text(2000)).max(20).optional(),
    }),
  )
  .max(50);
const alertRefSchema = z.object({
  id: text(64),
  name: text(300),
  instance: text(300).optional(),
  startsAt: time,
});
const requestSchema = z.object({
  environment: text(100),
  instance: text(300).optional(),
  job: text(300).optional(),
  alertName: text(300),
  startsAt: time,
  groupId: text(64).optional(),
  openAlerts: z.array(alertRefSchema).max(200).optional(),
  history: historySchema.optional(),
});

/** The shape of an {@link Investigation} (the API documents it from this; fields a newer version adds pass through). */
export const investigationObject = z
  .object({
    request: requestSchema,
    at: time,
    durationMs: z.number().nonnegative(),
    suspect: z.object({ instance: text(300), resource: text(200) }).optional(),
    moved: z
      .array(
        z.object({
          feature: text(100),
          label: text(200),
          value: z.number(),
          usual: z.number(),
          unit: text(40),
          score: z.number(),
          since: time.optional(),
        }),
      )
      .max(20),
    elsewhere: z
      .array(z.object({ instance: text(300), feature: text(100), correlation: z.number() }))
      .max(50),
    elsewhereTotal: z.number().int().nonnegative().optional(),
    relatedAlerts: z.array(alertRefSchema).max(50),
    changes: z
      .array(
        z.object({
          kind: z.enum([
            "reboot",
            "process_restart",
            "container_restart",
            "version",
            "target_down",
            "config_reload",
          ]),
          instance: text(300),
          at: time.optional(),
          detail: text(2000),
          count: z.number().int().nonnegative().optional(),
          ongoing: z.boolean().optional(),
        }),
      )
      .max(50),
    history: historySchema.optional(),
    checks: z
      .array(z.object({ label: text(300), url: text(4000).optional(), query: text(4000).optional() }))
      .max(20),
    nothingUnusual: z.boolean(),
    failures: z.array(text(2000)).max(20),
    anomaly: z
      .object({
        at: time,
        score: z.number(),
        threshold: z.number(),
        anomalous: z.boolean(),
        flaggedBy: text(300).optional(),
        leading: z
          .array(z.object({ label: text(200), unit: text(40), value: z.number(), usual: z.number() }))
          .max(5),
      })
      .optional(),
    failedParts: z
      .array(z.enum(["moved", "usual", "changes"]))
      .max(3)
      .optional(),
    series: z
      .array(
        z.object({
          feature: text(100),
          label: text(200),
          unit: text(40),
          usual: z.number(),
          points: z.array(z.tuple([time, z.number().nullable()])).max(2000),
        }),
      )
      .max(10)
      .optional(),
  })
  .passthrough();

/** An {@link Investigation} as read back from Redis. */
export const investigationSchema = investigationObject as unknown as z.ZodType<Investigation>;

const storedSchema = z.object({
  investigation: investigationSchema,
  firing: z.number().int().nonnegative(),
  redone: z.number().int().nonnegative(),
  reply: z
    .object({
      platform: z.enum(["slack", "teams"]),
      channel: text(200),
      threadOf: text(200),
      id: text(200),
    })
    .optional(),
}) as z.ZodType<StoredInvestigation>;

/** How long it is kept when the group's keys carry no TTL (they always should): a week. */
const FALLBACK_TTL_MS = 7 * 86_400_000;
/** How long the incidents of an alert on a target are remembered, and how many of them. */
export const INCIDENT_MEMORY_MS = 30 * 86_400_000;
const MAX_INCIDENTS = 20;

/**
 * One incident of an alert on a target: the group it was (groups keep their id when an alert fires
 * again after resolving, so its creation tells the incidents apart) and when it started.
 */
export interface IncidentRecord {
  groupId: string;
  createdAt: number;
  startsAt: number;
  /** Filled when the group resolved: when, and who had acknowledged it or silenced it. */
  endsAt?: number;
  ackBy?: string;
  silenced?: boolean;
}

const incidentEndSchema = z.object({
  endsAt: time,
  ackBy: text(200).optional(),
  silenced: z.boolean().optional(),
});

export class InvestigationStore {
  /** `alertsPrefix` is the alert store's prefix: the record sits beside the group's own keys. */
  constructor(
    private readonly redis: Redis,
    private readonly alertsPrefix: string,
  ) {}

  private groupKey(id: string) {
    return `${this.alertsPrefix}:group:${id}`;
  }
  private key(id: string) {
    return `${this.groupKey(id)}:investigation`;
  }

  async get(groupId: string): Promise<StoredInvestigation | undefined> {
    if (!/^[0-9a-f]{8}$/.test(groupId)) return undefined;
    return parseStored(storedSchema, await this.redis.get(this.key(groupId)));
  }

  /** Stores it with the group's TTL (what remains of it now). */
  async put(groupId: string, stored: StoredInvestigation): Promise<void> {
    const ttl = await this.redis.pttl(this.groupKey(groupId));
    await this.redis.set(this.key(groupId), JSON.stringify(stored), "PX", ttl > 0 ? ttl : FALLBACK_TTL_MS);
  }

  /**
   * One investigation of a group at a time across replicas (two runs of the same group must not
   * both post a first reply). True when taken; the lock passes after `ttlMs` if its holder dies.
   */
  async lock(groupId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.key(groupId)}:lock`, owner, "PX", ttlMs, "NX")) === "OK";
  }

  private incidentsKey(alertName: string, target: string) {
    const id = createHash("sha256").update(`${alertName}\u0000${target}`).digest("hex").slice(0, 32);
    return `${this.alertsPrefix}:incidents:${id}`;
  }

  /**
   * Remembers an incident of `alertName` on `target` (an instance or a job) for 30 days, the 20
   * newest: the alert store keeps one record per alert, so an alert that fires again replaces its
   * earlier record, and the first look's "last time" would otherwise never see it.
   */
  async recordIncident(
    alertName: string,
    target: string,
    incident: Pick<IncidentRecord, "groupId" | "createdAt" | "startsAt">,
  ): Promise<void> {
    const key = this.incidentsKey(alertName, target);
    await this.redis.zadd(key, incident.startsAt, `${incident.groupId}.${incident.createdAt}`);
    // Beyond the 20 newest or older than 30 days: forgotten, with how they ended.
    const [beyond, old] = await Promise.all([
      this.redis.zrange(key, "0", String(-(MAX_INCIDENTS + 1))),
      this.redis.zrangebyscore(key, "-inf", `(${incident.startsAt - INCIDENT_MEMORY_MS}`),
    ]);
    const forgotten = [...new Set([...beyond, ...old])];
    const tx = this.redis.multi();
    if (forgotten.length > 0) tx.zrem(key, ...forgotten).hdel(`${key}:ends`, ...forgotten);
    await tx.pexpire(key, INCIDENT_MEMORY_MS).pexpire(`${key}:ends`, INCIDENT_MEMORY_MS).exec();
  }

  /** Records how a remembered incident ended (its group resolved); unknown incidents are left alone. */
  async recordIncidentEnd(
    alertName: string,
    target: string,
    incident: Pick<IncidentRecord, "groupId" | "createdAt"> & z.infer<typeof incidentEndSchema>,
  ): Promise<void> {
    const key = this.incidentsKey(alertName, target);
    const member = `${incident.groupId}.${incident.createdAt}`;
    if ((await this.redis.zscore(key, member)) === null) return;
    const { endsAt, ackBy, silenced } = incident;
    await this.redis
      .multi()
      .hset(`${key}:ends`, member, JSON.stringify({ endsAt, ackBy, silenced }))
      .pexpire(`${key}:ends`, INCIDENT_MEMORY_MS)
      .exec();
  }

  /** The incidents remembered for `alertName` on `target`, newest first (entries of another shape are skipped). */
  async incidents(alertName: string, target: string): Promise<IncidentRecord[]> {
    const key = this.incidentsKey(alertName, target);
    const [raw, ends] = await Promise.all([
      this.redis.zrevrange(key, 0, MAX_INCIDENTS - 1, "WITHSCORES"),
      this.redis.hgetall(`${key}:ends`),
    ]);
    const out: IncidentRecord[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const member = raw[i] as string;
      const m = /^([0-9a-f]{8})\.(\d{1,15})$/.exec(member);
      const startsAt = Number(raw[i + 1]);
      if (!m || !Number.isFinite(startsAt)) continue;
      const end = parseStored(incidentEndSchema, ends[member] ?? null);
      out.push({
        groupId: m[1] as string,
        createdAt: Number(m[2]),
        startsAt,
        ...(end?.endsAt !== undefined ? { endsAt: end.endsAt } : {}),
        ...(end?.ackBy ? { ackBy: end.ackBy } : {}),
        ...(end?.silenced ? { silenced: true } : {}),
      });
    }
    return out;
  }

  async unlock(groupId: string, owner: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      `${this.key(groupId)}:lock`,
      owner,
    );
  }
}
