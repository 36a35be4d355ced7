/**
 * Predictive alerts end to end, through the real Slack Web API fake and a real Prometheus holding a
 * disk that fills steadily (25 GiB a day on 100 GiB) until someone cleans it up, beside a disk and a
 * volume that never fill and memory that holds steady. The bot's scheduled predictive job forecasts
 * them as its clock walks through the data:
 * - a forecast chat rule (`alert when disk will be full within 3d on pred-1`) fires for the filling
 *   disk two days ahead, and resolves its message when the rule is deleted;
 * - DiskWillFill (window 24 h) fires once the fill is expected within a day, posted once with its
 *   forecast chart, re-sent quietly at every evaluation, and resolves the same message after the
 *   clean-up (two clear evaluations in a row: the hysteresis);
 * - nothing is ever raised for the disks that do not fill or for memory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PREDICTIVE_QUEUE } from "../../src/jobs/predictive-jobs.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { outboxDrained } from "../support/alert-outbox.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { type Labels, OpenMetricsWriter, writeByDay } from "../support/openmetrics-writer.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { FORM, postSigned, SIGNING_SECRET, sign, slashCommand } from "../support/slack-requests.js";
import { until } from "../support/until.js";

const GiB = 1024 ** 3;
const HOUR = 3600;
const DAY = 86_400;
/** The clean-up of the filling disk (85 GiB → 30 GiB), epoch seconds. */
const CLEAN = Math.floor(Date.UTC(2026, 2, 10, 6, 0, 0) / 1000);
const START = CLEAN - 3 * DAY;
const END = CLEAN + 12 * HOUR;
const FILLING = "pred-1:9100";

/** /data on pred-1: 10 GiB at START, +25 GiB a day (full 15 h after the clean-up, had it not come). */
function dataUsed(t: number): number {
  if (t >= CLEAN) return 30 * GiB;
  return 10 * GiB + ((t - START) / DAY) * 25 * GiB + 0.05 * GiB * Math.sin(t / 5000);
}

async function writeFixture(dir: string): Promise<string[]> {
  const times: number[] = [];
  for (let t = START; t <= END; t += 300) times.push(t);
  const w = new OpenMetricsWriter();
  const node = (host: string): Labels => ({ instance: `${host}:9100`, job: "node" });
  const disk = (
    host: string,
    mountpoint: string,
    device: string,
    size: number,
    used: (t: number) => number,
  ) => {
    const labels = { ...node(host), device, fstype: "ext4", mountpoint };
    w.add("node_filesystem_size_bytes", labels, () => size);
    w.add("node_filesystem_avail_bytes", labels, (t) => size - used(t));
  };
  disk("pred-1", "/data", "/dev/sdb1", 100 * GiB, dataUsed);
  // Never fills: root flat at 20 of 50 GiB; a volume on pred-2 growing half a GiB a day at 60 of 200.
  disk("pred-1", "/", "/dev/sda1", 50 * GiB, () => 20 * GiB);
  disk("pred-2", "/var", "/dev/sda2", 200 * GiB, (t) => 60 * GiB + ((t - START) / DAY) * 0.5 * GiB);
  for (const host of ["pred-1", "pred-2"]) {
    w.add("node_memory_MemTotal_bytes", node(host), () => 16 * GiB);
    w.add(
      "node_memory_MemAvailable_bytes",
      node(host),
      (t) => 10 * GiB + 0.5 * GiB * Math.sin((2 * Math.PI * t) / DAY),
    );
  }
  // pred-3 leaks memory: 6 GiB of 16 at START, +2.5 GiB a day, so 95% (15.2 GiB) is about 46 h ahead
  // 30 h before the clean-up and 22 h ahead 6 h before it.
  w.add("node_memory_MemTotal_bytes", node("pred-3"), () => 16 * GiB);
  w.add(
    "node_memory_MemAvailable_bytes",
    node("pred-3"),
    (t) =>
      16 * GiB - (6 * GiB + ((t - START) / DAY) * 2.5 * GiB + 0.2 * GiB * Math.sin((2 * Math.PI * t) / DAY)),
  );
  for (const host of ["pred-1", "pred-2", "pred-3"]) w.add("up", node(host), () => 1);
  return writeByDay(w, dir, times);
}

let prom: PrometheusProcess;
let slack: FakeSlack;
let app: TestApp;
let clock = (CLEAN - 30 * HOUR) * 1000;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-predictive-"));
  try {
    prom = await startBackfilledPrometheus(await writeFixture(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  slack = await startFakeSlack();
  app = await startTestApp(
    {
      PROMETHEUS_URL: prom.url,
      SLACK_BOT_TOKEN: "xoxb-1-predictive",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_ALERT_CHANNEL: "C0PRED",
      PREDICTIVE_ALERT_EVERY: "1s",
      PREDICTIVE_DISK_WITHIN: "24h",
      PREDICTIVE_MEMORY_WITHIN: "24h",
      ALERT_ACTORS: "*",
    },
    undefined,
    () => clock,
  );
}, 120_000);

afterAll(async () => {
  await app?.close();
  await slack?.close();
  await prom?.stop();
});

async function command(text: string): Promise<string> {
  const before = slack.callsOf("response_url").length;
  await postSigned(
    `${app.url}/slack/events`,
    sign(slashCommand(text, { channel: "C0PRED", responseUrl: slack.responseUrl }), FORM),
  );
  const [reply] = (await slack.waitFor("response_url", before + 1)).slice(before);
  return JSON.stringify(reply?.args);
}

/** Moves the bot's clock and waits for a predictive evaluation that started after the move and completed. */
async function advanceTo(seconds: number): Promise<void> {
  clock = seconds * 1000;
  const moved = Date.now();
  const jobs = `${app.redisPrefix}:bull:${PREDICTIVE_QUEUE}`;
  const redis = new Redis(inject("redisUrl"));
  try {
    await until(`a forecast at ${new Date(clock).toISOString()}`, async () => {
      for (const id of await redis.zrangebyscore(`${jobs}:completed`, moved, "+inf"))
        if (Number(await redis.hget(`${jobs}:${id}`, "processedOn")) >= moved) return true;
      return false;
    });
  } finally {
    redis.disconnect();
  }
  await outboxDrained(app);
}

/** Alert messages (not thread lines) whose blocks contain `text`. */
const posts = (text: string): SlackCall[] =>
  slack
    .callsOf("chat.postMessage")
    .filter((c) => !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(text));

describe("predictive alerts", () => {
  it("a forecast rule fires two days ahead for the filling disk only, and resolves when deleted", async () => {
    const created = await command("alert when disk will be full within 3d on pred-1");
    expect(created).toContain("Rule created");
    expect(created).toContain("disk expected full within 3 days on pred-1 (default)");
    const id = /Rule ([0-9a-f]{8}):/.exec(created)?.[1] as string;
    expect(await command("rules")).toContain("disk expected full within 3 days on pred-1 (default)");

    // 30 h before the clean-up, 53.75 GiB used: expected full in about 44 h — within 3 days, not 24 h.
    await advanceTo(CLEAN - 30 * HOUR);
    await until("the rule's alert", () => posts("DiskWillFillRule").length > 0);
    const [post] = posts("DiskWillFillRule");
    const blocks = JSON.stringify(post?.args.blocks);
    expect(blocks).toContain(`DiskWillFillRule on ${FILLING}`);
    expect(blocks).toContain("/data");
    expect(blocks).toMatch(
      /expected full around \w{3} \d+ Mar \d\d:\d\d UTC, in 1 d (1\d|2\d) h \(90% interval between /,
    );
    expect(blocks).toMatch(/backtest error/);
    expect(blocks).toContain("From a chat rule");
    // The built-in 24-hour alerts do not fire yet; the disks that do not fill raise nothing.
    expect(posts("DiskWillFill on")).toEqual([]);
    expect(posts("MemoryWillExhaust")).toEqual([]);
    expect(slack.callsOf("chat.postMessage").some((c) => JSON.stringify(c.args).includes("pred-2"))).toBe(
      false,
    );

    expect(await command(`rule delete ${id}`)).toContain("Rule deleted");
    await until("the rule's message resolved", () =>
      slack
        .callsOf("chat.update")
        .some((c) => c.args.ts === post?.response?.ts && JSON.stringify(c.args.blocks).includes("✅")),
    );
  });

  it("DiskWillFill fires once with its forecast chart and resolves the same message after the clean-up", async () => {
    // 6 h before the clean-up, 78.75 GiB used: expected full in about 20 h.
    await advanceTo(CLEAN - 6 * HOUR);
    await until("DiskWillFill posted", () => posts("DiskWillFill on").length > 0);
    const [post] = posts("DiskWillFill on");
    const blocks = JSON.stringify(post?.args.blocks);
    expect(post?.args.channel).toBe("C0PRED");
    expect(blocks).toContain(`DiskWillFill on ${FILLING}`);
    expect(blocks).toMatch(
      /Disk \/data on pred-1:9100 expected full around \w{3} \d+ Mar \d\d:\d\d UTC, in (1\d|2[0-3]) h/,
    );
    expect(blocks).toMatch(
      /90% interval between \w{3} \d+ Mar \d\d:\d\d and (\d\d:\d\d|\w{3} \d+ Mar \d\d:\d\d) UTC\)/,
    );
    expect(blocks).toMatch(
      /Forecast: [a-z ,:]+, from 2 d \d+ h of history; backtest error ±[\d.]+ [KMG]iB \((0\.\d+|[\d.]+)% of 100 GiB\); alerts when expected full within 24 h/,
    );
    expect(blocks).toMatch(/used of 100 GiB \(7\d%\), \+2\d\.\d GiB a day/);
    expect(blocks).toContain("From the capacity forecast");
    // No Resolve button: it resolves when its source says so.
    expect(blocks).not.toContain('"Resolve"');
    // The forecast chart follows in the thread.
    await until("the disk's forecast chart", () =>
      JSON.stringify(slack.callsOf("files.completeUploadExternal").map((u) => u.args)).includes(
        "Disk /data on pred-1:9100 (default) — forecast 1 d 12 h ahead",
      ),
    );

    // The leaking host's memory is expected at 95% within the day too: its own alert and chart.
    await until("MemoryWillExhaust posted", () => posts("MemoryWillExhaust on").length > 0);
    const memory = JSON.stringify(posts("MemoryWillExhaust on")[0]?.args.blocks);
    expect(memory).toContain("MemoryWillExhaust on pred-3:9100");
    expect(memory).toMatch(
      /Memory on pred-3:9100 expected exhausted around \w{3} \d+ Mar \d\d:\d\d UTC, in (1\d|2[0-3]) h/,
    );
    expect(memory).toContain("alerts when expected exhausted within 24 h");
    await until("the memory chart", () =>
      JSON.stringify(slack.callsOf("files.completeUploadExternal").map((u) => u.args)).includes(
        "Memory on pred-3:9100 (default) — forecast 1 d 12 h ahead",
      ),
    );

    // Still filling: the alert is sent again at each evaluation, never posted again.
    await advanceTo(CLEAN - 3 * HOUR);
    expect(posts("DiskWillFill on")).toHaveLength(1);
    // Four hours after the clean-up the forecast clears: one clear evaluation holds the alert…
    // (Off the forecast's 15-minute grid, as a real clock is: the last value is minutes old.)
    await advanceTo(CLEAN + 4 * HOUR + 420);
    expect(
      slack
        .callsOf("chat.update")
        .filter((c) => c.args.ts === post?.response?.ts && JSON.stringify(c.args.blocks).includes("✅")),
    ).toEqual([]);
    // …the second resolves it, in the same message.
    await advanceTo(CLEAN + 5 * HOUR + 420);
    await until("DiskWillFill resolved in place", () =>
      slack
        .callsOf("chat.update")
        .some(
          (c) =>
            c.args.ts === post?.response?.ts && JSON.stringify(c.args.blocks).includes("✅ DiskWillFill"),
        ),
    );
    const resolved = slack
      .callsOf("chat.update")
      .filter((c) => c.args.ts === post?.response?.ts)
      .at(-1);
    expect(JSON.stringify(resolved?.args.blocks)).toContain("is no longer expected full within 24 h");
    expect(posts("DiskWillFill on")).toHaveLength(1);
    // Nothing for the disks that never fill, nor for memory that holds steady.
    const all = JSON.stringify(slack.callsOf("chat.postMessage").map((c) => c.args));
    expect(all).not.toContain("pred-2");
    expect(all).not.toContain("MemoryWillExhaust on pred-1");
    expect(posts("MemoryWillExhaust on")).toHaveLength(1);
    expect(all).not.toMatch(/Disk \/ on/);
  });
});
