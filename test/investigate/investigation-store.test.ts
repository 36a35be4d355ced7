/**
 * What the first look keeps in Redis reads back as it was written: the changes' counts and whether
 * they still hold, the parts that failed; and the incidents of an alert on a target are remembered,
 * the 20 newest, with how each ended.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Investigation } from "../../src/investigate/investigation.js";
import { InvestigationStore } from "../../src/investigate/investigation-store.js";
import { dropKeysAndDisconnect, testPrefix, testRedis } from "../support/redis.js";

const redis = testRedis();
const prefix = testPrefix("inv-store");
const store = new InvestigationStore(redis, `${prefix}:alerts`);
afterAll(() => dropKeysAndDisconnect(redis, prefix));

const T = Date.parse("2026-11-30T10:00:00Z");

describe("investigation store", () => {
  it("keeps a target still down, a restart count and the parts that failed", async () => {
    const investigation: Investigation = {
      request: { environment: "prod", instance: "db-1:9100", alertName: "Down", startsAt: T },
      at: T,
      durationMs: 1200,
      moved: [],
      elsewhere: [],
      relatedAlerts: [],
      changes: [
        {
          kind: "target_down",
          instance: "db-1:9100",
          at: T - 60_000,
          ongoing: true,
          detail: "node target down",
        },
        {
          kind: "process_restart",
          instance: "db-1:8080",
          at: T - 120_000,
          count: 4,
          detail: "app restarted 4 times",
        },
      ],
      history: [],
      checks: [],
      nothingUnusual: false,
      failures: ["usual levels: no answer within the 10 s deadline"],
      failedParts: ["usual"],
    };
    await store.put("0a0b0c0d", { investigation, firing: 1, redone: 0 });
    const back = await store.get("0a0b0c0d");
    expect(back?.investigation.changes).toEqual(investigation.changes);
    expect(back?.investigation.failedParts).toEqual(["usual"]);
  });

  it("remembers the 20 newest incidents of an alert on a target, with how they ended", async () => {
    for (let i = 0; i < 25; i++)
      await store.recordIncident("DiskFull", "db-1:9100", {
        groupId: "1a2b3c4d",
        createdAt: T + i * 3600_000,
        startsAt: T + i * 3600_000,
      });
    await store.recordIncidentEnd("DiskFull", "db-1:9100", {
      groupId: "1a2b3c4d",
      createdAt: T + 24 * 3600_000,
      endsAt: T + 24 * 3600_000 + 15 * 60_000,
      ackBy: "Ana",
    });
    // An incident never remembered gets no end.
    await store.recordIncidentEnd("DiskFull", "db-1:9100", {
      groupId: "ffffffff",
      createdAt: T,
      endsAt: T + 1,
    });
    const incidents = await store.incidents("DiskFull", "db-1:9100");
    expect(incidents).toHaveLength(20);
    expect(incidents[0]).toEqual({
      groupId: "1a2b3c4d",
      createdAt: T + 24 * 3600_000,
      startsAt: T + 24 * 3600_000,
      endsAt: T + 24 * 3600_000 + 15 * 60_000,
      ackBy: "Ana",
    });
    expect(incidents.at(-1)?.startsAt).toBe(T + 5 * 3600_000);
    expect(incidents.some((i) => i.groupId === "ffffffff")).toBe(false);
    // Another alert on the same target, or the same alert elsewhere, is another history.
    expect(await store.incidents("DiskFull", "db-2:9100")).toEqual([]);
    expect(await store.incidents("DiskSlow", "db-1:9100")).toEqual([]);
  });
});
