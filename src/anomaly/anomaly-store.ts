/**
 * Anomaly state in Redis: models per host, the latest score of every host, findings and scan status.
 * Everything read back is validated: Redis data is input like any other.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { parseStored } from "../redis/parse-stored.js";
import type { HostModel, HostScore } from "./host-detector.js";
import { PART_NAMES } from "./host-ensemble.js";
import { shardOf } from "./shards.js";

const FINDING_TTL_SECONDS = 7 * 86400;
const MAX_FINDINGS = 1000;

const deviationSchema = z.object({
  feature: z.string(),
  label: z.string(),
  unit: z.enum(["percent", "bytes", "bytes_per_second", "ratio", "count", "seconds"]),
  value: z.number(),
  baseline: z.number(),
  z: z.number(),
  direction: z.enum(["up", "down"]),
  score: z.number(),
});

const hostScoreSchema = z.object({
  instance: z.string(),
  at: z.number(),
  score: z.number(),
  threshold: z.number(),
  anomalous: z.boolean(),
  deviations: z.array(deviationSchema),
  flaggedBy: z.array(z.enum(PART_NAMES)).optional(),
});

const modelSchema = z.object({
  instance: z.string(),
  kind: z.enum(["host", "pooled"]),
  baselines: z.array(
    z.object({
      name: z.string(),
      present: z.boolean(),
      median: z.number().nullable(),
      scale: z.number(),
      coverage: z.number(),
      hourly: z.array(z.number()).length(24).optional(),
    }),
  ),
  // Older model versions (no ensemble) fail here and are retrained at the next training run. The
  // ensemble and the forest's header are checked in full when the model is decoded.
  ensemble: z.object({ version: z.literal(1), parts: z.array(z.enum(PART_NAMES)).min(1) }).passthrough(),
  forest: z
    .object({
      version: z.literal(3),
      trees: z.number(),
      sampleSize: z.number(),
      seed: z.number(),
      columns: z.number(),
      nodes: z.array(z.number()),
    })
    .optional(),
  threshold: z.number(),
  trainedAt: z.number(),
  rows: z.number(),
});

export interface Finding extends HostScore {
  id: string;
  environment: string;
  detectedAt: number;
}

const learningSchema = z.object({
  historySeconds: z.number().nonnegative(),
  minHistorySeconds: z.number().positive(),
  firstModelDueAt: z.number(),
  checkedAt: z.number(),
});

const findingSchema = hostScoreSchema.extend({
  id: z.string(),
  environment: z.string(),
  detectedAt: z.number(),
});

/** What a scan changed: anomaly episodes that began, and those that ended. */
export interface ScanChanges {
  opened: Finding[];
  ended: Finding[];
}

/** Opens a host's episode and stores its finding in one step, or does nothing when one is open. */
const OPEN_EPISODE = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[2])
return 1
`;

export interface ScanStatus {
  environment: string;
  lastScanAt?: number;
  lastTrainAt?: number;
  lastError?: string;
  lastErrorAt?: number;
  hosts?: number;
  /** Hosts scored by the last scan. */
  scoredHosts?: number;
  /** Seconds of history behind the models of the last training run. */
  trainedHistorySeconds?: number;
  /** The training window the models aim for, seconds (lower confidence below it). */
  trainWindowSeconds?: number;
  /** Set while the environment has too little history for a first model. */
  learning?: LearningStatus;
}

/** Not enough history yet: how much there is, how much is needed, and when the first model is due. */
export interface LearningStatus {
  /** Seconds of history found at `checkedAt`. */
  historySeconds: number;
  minHistorySeconds: number;
  /** Epoch ms at which the history reaches the minimum. */
  firstModelDueAt: number;
  checkedAt: number;
}

/**
 * A model's JSON, with its forest's header only: the nodes go to Redis as raw bytes beside it, which
 * is a quarter smaller than base64 and neither encoded nor decoded. JSON has no NaN: JSON.stringify
 * writes null, so medians of missing features travel as null.
 */
function modelToJson(model: HostModel): string {
  const { forest, ...rest } = model;
  return JSON.stringify(forest ? { ...rest, forest: forest.header } : rest);
}

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export class AnomalyStore {
  /** `prefix` keeps separate deployments (and tests) on one Redis apart. */
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "cloudops:anomaly",
  ) {}

  /** Saves (replaces) the models of some hosts; training saves in batches so memory stays bounded. */
  async saveModels(environment: string, models: HostModel[]): Promise<void> {
    if (models.length === 0) return;
    const multi = this.redis.multi();
    for (const m of models) {
      multi.hset(`${this.prefix}:${environment}:models`, m.instance, modelToJson(m));
      if (m.forest) multi.hset(`${this.prefix}:${environment}:forests`, m.instance, asBuffer(m.forest.bytes));
      else multi.hdel(`${this.prefix}:${environment}:forests`, m.instance);
      multi.hset(`${this.prefix}:${environment}:model-versions`, m.instance, String(m.trainedAt));
    }
    await multi.exec();
  }

  /** When each host's stored model was trained: scans reuse decoded models until this changes. */
  async modelVersions(environment: string, instances: string[]): Promise<(number | undefined)[]> {
    if (instances.length === 0) return [];
    const raw = await this.redis.hmget(`${this.prefix}:${environment}:model-versions`, ...instances);
    return raw.map((v) => (v && /^\d+$/.test(v) ? Number(v) : undefined));
  }

  /** Records a completed training run (and ends the learning phase). */
  async markTrained(
    environment: string,
    hosts: number,
    at = Date.now(),
    history?: { historySeconds: number; trainWindowSeconds: number },
  ): Promise<void> {
    const key = `${this.prefix}:${environment}:status`;
    const multi = this.redis.multi();
    multi.hset(key, "lastTrainAt", String(at), "hosts", String(hosts));
    if (history)
      multi.hset(
        key,
        "trainedHistorySeconds",
        String(Math.round(history.historySeconds)),
        "trainWindowSeconds",
        String(Math.round(history.trainWindowSeconds)),
      );
    multi.hdel(key, "learning");
    // A successful run clears a training failure recorded before it.
    multi.hdel(key, "lastError", "lastErrorAt");
    await multi.exec();
  }

  /** Records that the environment is still gathering history for its first model. */
  async markLearning(environment: string, learning: LearningStatus): Promise<void> {
    await this.redis.hset(`${this.prefix}:${environment}:status`, "learning", JSON.stringify(learning));
    await this.redis.hdel(`${this.prefix}:${environment}:status`, "lastError", "lastErrorAt");
  }

  async modelCount(environment: string): Promise<number> {
    return this.redis.hlen(`${this.prefix}:${environment}:models`);
  }

  /** Models of the environment, or of the given hosts only; invalid entries are skipped. */
  async loadModels(environment: string, instances?: string[]): Promise<Map<string, HostModel>> {
    const key = `${this.prefix}:${environment}:models`;
    const names = instances ?? (await this.redis.hkeys(key));
    if (names.length === 0) return new Map();
    const [texts, forests] = await Promise.all([
      this.redis.hmget(key, ...names),
      this.redis.hmgetBuffer(`${this.prefix}:${environment}:forests`, ...names),
    ]);
    const out = new Map<string, HostModel>();
    names.forEach((instance, k) => {
      const m = parseStored(modelSchema, texts[k]);
      const bytes = forests[k];
      // A model whose forest header has no bytes beside it (or the reverse) is incomplete: skipped.
      if (!m || (m.forest !== undefined) !== (bytes !== null && bytes !== undefined)) return;
      const { forest, ...rest } = m;
      out.set(instance, {
        ...rest,
        ensemble: m.ensemble as unknown as HostModel["ensemble"],
        baselines: m.baselines.map((b) => ({ ...b, median: b.median ?? Number.NaN })),
        ...(forest && bytes
          ? { forest: { header: forest as NonNullable<HostModel["forest"]>["header"], bytes } }
          : {}),
      });
    });
    return out;
  }

  /**
   * Records a scan: the latest score of each host, and the anomaly episodes it opens and ends. A host
   * stays in one episode while it scores anomalous, so a burst that lasts an hour is one finding, and a
   * retried, resumed or concurrent scan never opens it twice.
   */
  async recordScan(environment: string, scores: HostScore[], now = Date.now()): Promise<ScanChanges> {
    const multi = this.redis.multi();
    multi.del(`${this.prefix}:${environment}:latest`);
    for (const s of scores) {
      multi.hset(
        `${this.prefix}:${environment}:latest`,
        s.instance,
        JSON.stringify({ ...s, deviations: s.deviations.slice(0, 18) }),
      );
    }
    multi.hset(
      `${this.prefix}:${environment}:status`,
      "lastScanAt",
      String(now),
      "scoredHosts",
      String(scores.length),
    );
    multi.hdel(`${this.prefix}:${environment}:status`, "lastError", "lastErrorAt");
    await multi.exec();
    return this.recordEpisodes(environment, scores, now, () => true);
  }

  /**
   * Records one shard of a sharded scan: the latest scores of its hosts (those of its hosts no longer
   * scored are dropped), and the episodes it opens and ends. Only episodes of hosts the shard owns
   * (by `shardOf`) can end here: another shard's hosts are never ended for not being in this one.
   * The scan's status is written once every shard is in ({@link markScanned}).
   */
  async recordShardScan(
    environment: string,
    shard: { index: number; count: number },
    scores: HostScore[],
    now = Date.now(),
  ): Promise<ScanChanges> {
    const owns = (instance: string) => shardOf(instance, shard.count) === shard.index;
    const latestKey = `${this.prefix}:${environment}:latest`;
    const scored = new Set(scores.map((s) => s.instance));
    const gone = (await this.redis.hkeys(latestKey)).filter((i) => owns(i) && !scored.has(i));
    const multi = this.redis.multi();
    if (gone.length > 0) multi.hdel(latestKey, ...gone);
    for (const s of scores)
      multi.hset(latestKey, s.instance, JSON.stringify({ ...s, deviations: s.deviations.slice(0, 18) }));
    await multi.exec();
    return this.recordEpisodes(environment, scores, now, owns);
  }

  /** Records a completed sharded scan: when, and how many hosts its shards scored together. */
  async markScanned(environment: string, scoredHosts: number, now = Date.now()): Promise<void> {
    const key = `${this.prefix}:${environment}:status`;
    const multi = this.redis.multi();
    multi.hset(key, "lastScanAt", String(now), "scoredHosts", String(scoredHosts));
    multi.hdel(key, "lastError", "lastErrorAt");
    await multi.exec();
  }

  /** Opens the episodes of anomalous scores; ends the open ones of hosts `owns` that are not anomalous. */
  private async recordEpisodes(
    environment: string,
    scores: HostScore[],
    now: number,
    owns: (instance: string) => boolean,
  ): Promise<ScanChanges> {
    const openKey = `${this.prefix}:${environment}:open`;
    const opened: Finding[] = [];
    for (const s of scores.filter((x) => x.anomalous)) {
      const id = `${environment}:${s.instance}:${s.at}`;
      const finding: Finding = {
        ...s,
        id,
        environment,
        detectedAt: now,
        deviations: s.deviations.slice(0, 5),
      };
      const created = await this.redis.eval(
        OPEN_EPISODE,
        3,
        openKey,
        `${this.prefix}:finding:${id}`,
        `${this.prefix}:findings`,
        s.instance,
        id,
        JSON.stringify(finding),
        String(FINDING_TTL_SECONDS),
        String(s.at),
      );
      if (created === 1) opened.push(finding);
    }
    if (opened.length > 0) await this.redis.zremrangebyrank(`${this.prefix}:findings`, 0, -MAX_FINDINGS - 1);
    // Episodes end when their host scores normal again, or is no longer scored at all.
    const stillAnomalous = new Set(scores.filter((x) => x.anomalous).map((x) => x.instance));
    const ended: Finding[] = [];
    for (const [instance, id] of Object.entries(await this.redis.hgetall(openKey))) {
      if (stillAnomalous.has(instance) || !owns(instance)) continue;
      // Only the scan whose HDEL removes the episode reports its end.
      if ((await this.redis.hdel(openKey, instance)) !== 1) continue;
      const finding = parseStored(findingSchema, await this.redis.get(`${this.prefix}:finding:${id}`));
      if (finding) ended.push(finding);
    }
    return { opened, ended };
  }

  async recordError(environment: string, message: string): Promise<void> {
    await this.redis.hset(
      `${this.prefix}:${environment}:status`,
      "lastError",
      message.slice(0, 500),
      "lastErrorAt",
      String(Date.now()),
    );
  }

  async latest(environment: string): Promise<HostScore[]> {
    const raw = await this.redis.hgetall(`${this.prefix}:${environment}:latest`);
    return Object.values(raw)
      .map((t) => parseStored(hostScoreSchema, t))
      .filter((s): s is HostScore => s !== undefined)
      .sort((a, b) => b.score - a.score);
  }

  async status(environment: string): Promise<ScanStatus> {
    const raw = await this.redis.hgetall(`${this.prefix}:${environment}:status`);
    const num = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
    return {
      environment,
      lastScanAt: num(raw.lastScanAt),
      lastTrainAt: num(raw.lastTrainAt),
      lastError: raw.lastError,
      lastErrorAt: num(raw.lastErrorAt),
      hosts: num(raw.hosts),
      scoredHosts: num(raw.scoredHosts),
      trainedHistorySeconds: num(raw.trainedHistorySeconds),
      trainWindowSeconds: num(raw.trainWindowSeconds),
      learning: parseStored(learningSchema, raw.learning),
    };
  }

  /** Findings, newest first. */
  async findings(limit = 50, environment?: string): Promise<Finding[]> {
    const ids = await this.redis.zrevrange(
      `${this.prefix}:findings`,
      0,
      Math.max(0, Math.min(limit * 4, MAX_FINDINGS) - 1),
    );
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map((id) => `${this.prefix}:finding:${id}`));
    return texts
      .map((t) => parseStored(findingSchema, t))
      .filter((f): f is Finding => f !== undefined && (!environment || f.environment === environment))
      .slice(0, limit);
  }

  /** Deletes everything of an environment (tests and re-training from scratch). */
  async clear(environment: string): Promise<void> {
    await this.redis.del(
      `${this.prefix}:${environment}:models`,
      `${this.prefix}:${environment}:forests`,
      `${this.prefix}:${environment}:model-versions`,
      `${this.prefix}:${environment}:latest`,
      `${this.prefix}:${environment}:status`,
      `${this.prefix}:${environment}:open`,
    );
  }
}
