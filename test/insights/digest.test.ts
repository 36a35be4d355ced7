/**
 * Digests without the network: the command forms and their schedules (cron pattern, time zone checked
 * by Intl), the alerts section's counts and medians, sections that fail or hang on their own while
 * the digest still goes out, and the Reply the presenter makes of it.
 */
import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/chat/commands.js";
import {
  alertsSection,
  anomaliesSection,
  buildDigest,
  type DigestAlert,
  type DigestAlertGroup,
  type DigestSectionData,
  type DigestSectionProvider,
  digestWindow,
} from "../../src/insights/digest.js";
import { digestChartSpec, digestReply } from "../../src/insights/digest-presenter.js";
import { cronPattern, describeSchedule, parseDigestCommand } from "../../src/insights/digest-schedule.js";
import { digestRepeat, digestSchedulerId } from "../../src/jobs/digest-jobs.js";
import { decodeAction, encodeAction } from "../../src/reply/action.js";
import { plainText } from "../../src/reply/reply.js";

const H = 3_600_000;
const TO = Date.UTC(2026, 10, 30, 9, 0);

describe("digest commands", () => {
  it("reads the accepted forms", () => {
    expect(parseCommand("digest daily 09:00")).toEqual({
      kind: "digest.set",
      schedule: { period: "daily", time: "09:00", tz: "UTC" },
    });
    expect(parseCommand("/digest weekly Monday 9:30 Europe/Paris")).toEqual({
      kind: "digest.set",
      schedule: { period: "weekly", day: "mon", time: "09:30", tz: "Europe/Paris" },
    });
    expect(parseCommand("digest")).toEqual({ kind: "digest.show" });
    expect(parseCommand("Digest OFF")).toEqual({ kind: "digest.off" });
    expect(parseCommand("digest now")).toEqual({ kind: "digest.now" });
  });

  it("says what is wrong with anything else that starts with digest", () => {
    const bad = (t: string) => {
      const a = parseDigestCommand(t);
      return a?.kind === "digest.usage" ? a.problem : `not usage: ${JSON.stringify(a)}`;
    };
    expect(bad("digest daily 9:00 Mars/Olympus")).toContain("not a time zone I know");
    expect(bad("digest daily 24:00")).toContain("not a time of day");
    expect(bad("digest daily")).toContain("Give the time of day");
    expect(bad("digest weekly 09:00")).toContain("needs a day");
    expect(bad("digest hourly 09:00")).toContain("is not a digest command");
    expect(bad("digest daily 09:00 UTC please")).toContain('did not expect "please"');
    // Not a digest command at all: a question goes on to the assistant.
    expect(parseCommand("digestion issues on web-1?").kind).toBe("ask");
  });

  it("turns a schedule into a cron pattern in its zone", () => {
    expect(cronPattern({ period: "daily", time: "09:00", tz: "UTC" })).toBe("0 9 * * *");
    expect(cronPattern({ period: "weekly", day: "sun", time: "23:45", tz: "UTC" })).toBe("45 23 * * 0");
    const weekly = { period: "weekly" as const, day: "mon" as const, time: "09:00", tz: "Europe/Paris" };
    expect(
      digestRepeat({ platform: "slack", channel: "C1", schedule: weekly, setBy: "a", setAt: 0 }),
    ).toEqual({ pattern: "0 9 * * 1", tz: "Europe/Paris" });
    expect(describeSchedule(weekly)).toBe("weekly on Monday at 09:00 Europe/Paris");
  });

  it("refuses a forged digest action whose schedule is not one", () => {
    const good = { kind: "digest.set", schedule: { period: "daily", time: "09:00", tz: "UTC" } } as const;
    expect(decodeAction(encodeAction(good))).toEqual(good);
    expect(decodeAction(JSON.stringify({ ...good, schedule: { ...good.schedule, time: "9am" } }))).toBe(
      undefined,
    );
  });

  it("gives each conversation its own scheduler id, safe for BullMQ keys", () => {
    const a = digestSchedulerId({ platform: "teams", channel: "19:abc@thread.tacv2" });
    expect(a).toMatch(/^digest-[0-9a-f]{24}$/);
    expect(digestSchedulerId({ platform: "slack", channel: "19:abc@thread.tacv2" })).not.toBe(a);
  });
});

const alert = (over: Partial<DigestAlert>): DigestAlert => ({
  status: "firing",
  labels: { severity: "warning" },
  startsAt: TO - H,
  ...over,
});

describe("alerts section", () => {
  const w = digestWindow("daily", TO);

  it("counts what fired and resolved in the window, and the median times to acknowledge and resolve", () => {
    const alerts = [
      alert({ labels: { severity: "critical" } }),
      alert({ status: "resolved", startsAt: TO - 5 * H, endsAt: TO - 4 * H }),
      alert({ status: "resolved", startsAt: TO - 30 * H, endsAt: TO - 20 * H }),
      // Before the window, resolved before it: not counted at all.
      alert({ status: "resolved", startsAt: TO - 40 * H, endsAt: TO - 30 * H }),
      alert({ labels: {} }),
    ];
    const groups: DigestAlertGroup[] = [
      { createdAt: TO - 5 * H, ack: { at: TO - 5 * H + 10 * 60_000 } },
      { createdAt: TO - 3 * H, ack: { at: TO - 3 * H + 30 * 60_000 }, resolvedAt: TO - H },
      { createdAt: TO - 2 * H, ack: { at: TO - 2 * H + 20 * 60_000 } },
      // Acknowledged the day before: not this window's.
      { createdAt: TO - 30 * H, ack: { at: TO - 29 * H } },
    ];
    const s = alertsSection(alerts, groups, w);
    expect(s.fired).toBe(3);
    expect(s.bySeverity).toEqual({ critical: 1, warning: 1, none: 1 });
    expect(s.resolved).toBe(2);
    expect(s.stillFiring).toBe(2);
    expect(s.acknowledged).toBe(3);
    expect(s.medianAckMs).toBe(20 * 60_000);
    expect(s.closed).toBe(1);
    expect(s.medianResolveMs).toBe(2 * H);
    expect(s.perDay).toEqual([[w.from, 3]]);
  });
});

const provider = (name: string, collect: DigestSectionProvider["collect"]): DigestSectionProvider => ({
  name,
  title: name === "capacity" ? "Capacity risks" : name,
  collect,
});

describe("building and presenting a digest", () => {
  const ctx = { ...digestWindow("daily", TO), environments: ["prod"] };

  it("goes out when a section fails or hangs, saying which and why in one line", async () => {
    const data = await buildDigest(
      [
        provider("alerts", async () => alertsSection([alert({})], [], ctx)),
        provider("capacity", async () => {
          throw new Error("Prometheus at http://prom:9090 did not answer within 2 s");
        }),
        provider("slow", () => new Promise(() => {})),
      ],
      ctx,
      200,
    );
    expect(data.sections.map((s) => s.ok)).toEqual([true, false, false]);
    const reply = digestReply(data);
    expect(reply.tone).toBe("warning");
    expect(reply.title).toBe("🟠 Daily digest: 1 alert (2 parts unavailable)");
    const lines = plainText(reply.text).split("\n");
    expect(lines).toContain(
      "Capacity risks: unavailable (Prometheus at http://prom:9090 did not answer within 2 s)",
    );
    expect(lines).toContain("slow: unavailable (no answer within 0.2 s)");
    expect(lines[0]).toBe("Alerts: 1 fired (1 warning) · 0 resolved · 1 still firing");
  });

  it("says the numbers first, compares the fleet with the period before, and charts it", async () => {
    const data = await buildDigest(
      [
        provider("anomalies", async () =>
          anomaliesSection(
            ["web-1:9100", "web-1:9100", "db-1:9100"].map((instance, i) => ({
              instance,
              environment: "prod",
              detectedAt: TO - i * H,
              id: String(i),
            })) as never,
          ),
        ),
        provider("changes", async () => ({
          kind: "changes",
          changes: [
            { environment: "prod", metric: "cpu", now: 42, before: 30 },
            { environment: "prod", metric: "memory", now: 55, before: 55.2 },
          ],
          series: [
            {
              name: "CPU",
              points: [
                [TO - H, 40],
                [TO, 44],
              ],
            },
          ],
          source: "fleet averages",
        })),
      ],
      ctx,
    );
    const reply = digestReply(data, { schedule: { period: "daily", time: "09:00", tz: "UTC" } });
    expect(reply.title).toBe("📋 Daily digest: 3 anomalies");
    expect(reply.tone).toBe("info");
    expect(plainText(reply.text).split("\n")).toEqual([
      "Anomalies: 3 findings on 2 hosts: web-1 (2), db-1 (1)",
      "Fleet CPU 42.0% on average, up from 30.0% the day before (+12.0 pts)",
      "Fleet memory 55.0% on average, about the same as 55.2% the day before",
    ]);
    expect(reply.context[0]).toBe("24 h to 30 Nov 09:00 UTC · environment prod");
    expect(reply.context).toContain(
      "This channel's digest goes out daily at 09:00 UTC · `digest off` stops it",
    );
    expect(digestChartSpec(data)?.title).toBe("Fleet average CPU and memory — last 24 h");
  });

  it("charts alerts per day when Prometheus gave nothing, and nothing when there is nothing", async () => {
    const week = { ...digestWindow("weekly", TO), environments: ["prod"] };
    const withAlerts = await buildDigest(
      [
        provider("alerts", async () =>
          alertsSection([alert({}), alert({ startsAt: TO - 50 * H })], [], week),
        ),
      ],
      week,
    );
    const spec = digestChartSpec(withAlerts);
    expect(spec?.title).toBe("Alerts fired per day — last 7 days");
    expect(spec?.series[0]?.points).toHaveLength(7);
    expect(spec?.series[0]?.points.reduce((s, [, v]) => s + (v ?? 0), 0)).toBe(2);
    const empty = await buildDigest([provider("alerts", async () => alertsSection([], [], week))], week);
    expect(digestChartSpec(empty)).toBeUndefined();
    expect(plainText(digestReply(empty).text)).toBe("Alerts: none fired in the last 7 days");
  });
});

describe("planning sections", () => {
  const ctx = { ...digestWindow("daily", TO), environments: ["prod"] };
  const lines = async (...providers: DigestSectionProvider[]) =>
    plainText(digestReply(await buildDigest(providers, ctx)).text).split("\n");

  it("names what may fill, soonest first, and how many series were too young to forecast", async () => {
    expect(
      await lines(
        provider("capacity", async () => ({
          kind: "capacity",
          risks: [
            { what: "db-1 /data", environment: "prod", fullAt: TO + 30 * H },
            { what: "web-2 memory", environment: "prod", fullAt: TO + 5 * 24 * H },
          ],
          withinMs: 7 * 24 * H,
          checked: 12,
          insufficient: 2,
        })),
      ),
    ).toEqual([
      "Capacity: 2 risks within 7 days: db-1 /data in ~30 h, web-2 memory in ~5 days; 2 with too little history to forecast",
    ]);
    expect(
      await lines(
        provider("capacity", async () => ({
          kind: "capacity",
          risks: [],
          withinMs: 7 * 24 * H,
          checked: 0,
          insufficient: 0,
        })),
      ),
    ).toEqual(["Capacity: no disk or memory series to forecast"]);
  });

  it("puts a monthly number on savings, and never says 'nothing to save' without the history", async () => {
    const savings = (over: Partial<Extract<DigestSectionData, { kind: "savings" }>>) =>
      provider("savings", async () => ({
        kind: "savings",
        items: [],
        totalMonthly: 0,
        currency: "€",
        checked: 4,
        insufficient: 0,
        ...over,
      }));
    expect(
      await lines(
        savings({
          items: [
            { what: "web-3 resize", environment: "prod", monthly: 171.2 },
            { what: "old-1 (idle)", environment: "prod", monthly: 96 },
          ],
          totalMonthly: 267.2,
        }),
      ),
    ).toEqual(["Savings: ~€267/month possible: web-3 resize €171, old-1 (idle) €96"]);
    expect(
      await lines(
        savings({
          items: [{ what: "web-3 resize", environment: "prod", monthly: 50 }],
          totalMonthly: 50,
          estimated: true,
        }),
      ),
    ).toEqual(["Savings: ~€50/month possible (at estimated list prices): web-3 resize €50"]);
    expect(await lines(savings({ insufficient: 4 }))).toEqual([
      "Savings: not known yet (4 hosts with under a day of history)",
    ]);
    expect(await lines(savings({ insufficient: 1 }))).toEqual([
      "Savings: nothing to resize or retire (3 hosts sized, 1 too young)",
    ]);
  });
});
