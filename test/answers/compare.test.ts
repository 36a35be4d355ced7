/**
 * Comparison answers with a judgement, against a real Prometheus holding compare-fixture.ts's noisy
 * fleet: host vs host, host vs the rest, before vs after a moment, and period vs period.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerCompareChange } from "../../src/assistant/answers/compare.js";
import { answerResourceCompare } from "../../src/assistant/answers/resource-trend.js";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
import { formatClock } from "../../src/metrics/units.js";
import { plainText, type Reply } from "../../src/reply/reply.js";
import {
  type CompareFixture,
  type ComparePrometheus,
  startCompareFixturePrometheus,
} from "./compare-fixture.js";

let prom: ComparePrometheus;
let f: CompareFixture;
let engine: BuiltinEngine;
let environments: Environments;

beforeAll(async () => {
  prom = await startCompareFixturePrometheus();
  f = prom.fixture;
  environments = new Environments(prometheusSettings(loadConfig({ PROMETHEUS_URL: prom.url })));
  engine = new BuiltinEngine({
    environments,
    renderChart: renderLineChart,
    deadlineMs: 20_000,
    now: () => f.now * 1000,
  });
}, 120_000);

afterAll(async () => {
  await prom?.stop();
});

async function ask(text: string, intent?: string): Promise<Reply & { text: string }> {
  const a = await engine.answer({ platform: "api", user: "t", channel: "t", text });
  const reply = { ...a.reply, text: plainText(a.reply.text) };
  expect(reply.tone, `${reply.title}\n${reply.text}`).not.toBe("error");
  if (intent) expect(a.intent, `${text} → ${reply.title}`).toBe(intent);
  return reply;
}

const num = (s: string | undefined) => Number(s);

describe("host vs host", () => {
  it("calls a host at 70% against one at 40% clearly higher, with both numbers, a chart and the query", async () => {
    const r = await ask("memory on slow-1 vs web-2 last 24h", "compare_hosts");
    const m = /slow-1 avg ([\d.]+)% vs web-2 ([\d.]+)% \(\+([\d.]+) pts\): higher by (\d+)% \(clear\)/.exec(
      r.text,
    );
    expect(m, r.text).not.toBeNull();
    // Levels 70 and 40 with noise of 2 points around them.
    expect(Math.abs(num(m?.[1]) - 70)).toBeLessThan(1.5);
    expect(Math.abs(num(m?.[2]) - 40)).toBeLessThan(1.5);
    expect(num(m?.[4])).toBeGreaterThanOrEqual(70);
    expect(num(m?.[4])).toBeLessThanOrEqual(80);
    expect(r.title).toMatch(/^Memory last 24h: slow-1 (69|7\d)\.\d% vs web-2 [34]\d\.\d%$/);
    expect(r.chart?.png.subarray(1, 4).toString()).toBe("PNG");
    expect(r.chart?.title).toBe("Memory: slow-1 vs web-2 — last 24h");
    expect(r.context.join("\n")).toMatch(/Judged on \d+ and \d+ points .* resampled in blocks of \d+/);
    expect(r.context.join("\n")).toContain(
      "From node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
    );
  });

  it("says no real change for two hosts half a point apart", async () => {
    const r = await ask("compare memory on web-2 and web-3 last 24h", "compare_hosts");
    expect(r.text, r.text).toMatch(
      /^web-2 avg [34]\d\.\d% vs web-3 [34]\d\.\d% \([^)]*\): no (real|clear) change/,
    );
    expect(r.text).not.toMatch(/\((clear|likely)\)/);
  });

  it("answers an unknown host by name, with the closest known ones", async () => {
    const a = await engine.answer({ platform: "api", user: "t", channel: "t", text: "web-1 vs nope-9 cpu" });
    expect(a.intent).toBe("compare_hosts");
    expect(a.reply.title).toBe("Unknown host “nope-9”");
    expect(plainText(a.reply.text)).toContain("Known hosts:");
  });
});

describe("host vs the rest", () => {
  it("finds the busy host clearly above every other, ranked first", async () => {
    const r = await ask("is slow-1 slower than the others?", "compare_fleet");
    expect(r.text).toMatch(
      /^slow-1 avg 7\d\.\d% vs the others' median [23]\d\.\d% \(\+\d+\.\d pts\): higher by \d+% \(clear\)$/m,
    );
    expect(r.text).toMatch(
      /^Rank: 1st highest of 5 hosts, above every other host \(the others [23]\d\.\d%–4\d\.\d%\)$/m,
    );
    expect(r.fields[0]?.label).toBe("1. slow-1 ◀");
    expect(r.chart?.alt).toMatch(/median of 4 other hosts/);
    // Its button asks the same question over a day, and is understood as such.
    const next = r.actions[0]?.action;
    expect(next?.kind === "ask" && next.text).toBe("is slow-1 different from the others for cpu last 24h");
    const day = await ask(next?.kind === "ask" ? next.text : "", "compare_fleet");
    expect(day.title).toMatch(/^CPU last 24h: slow-1 7\d\.\d% vs others [23]\d\.\d%$/);
  });

  it("finds a typical host no different from its peers, within their range", async () => {
    const r = await ask("is web-2 using more memory than the other hosts", "compare_fleet");
    expect(r.text).toMatch(
      /^web-2 avg [34]\d\.\d% vs the others' median [34]\d\.\d% .*: no (real|clear) change/m,
    );
    expect(r.text).toMatch(/within the others' range/);
  });
});

describe("before vs after a moment", () => {
  it("sees web-1's CPU step up at the deploy, and no change elsewhere", async () => {
    const clock = formatClock(f.changeAt).replace(" UTC", "");
    const r = await ask(`cpu since the deploy at ${clock}`, "compare_change");
    expect(r.text).toMatch(/^1 of 5 hosts changed after /);
    expect(r.text).toMatch(
      /biggest: web-1: avg 4\d\.\d% after vs [23]\d\.\d% before \(\+1\d\.\d pts\): higher by \d+% \(clear\)/,
    );
    // Three hours since: three hours each side.
    expect(r.text).toContain("Compared 3 h each side");
    for (const host of ["web-2", "web-3", "web-4", "slow-1"]) {
      expect(r.fields.find((x) => x.label === host)?.value, host).toMatch(/no (real|clear) change/);
    }
    expect(r.chart?.alt).toMatch(/web-1 before/);
    expect(r.context.join("\n")).toMatch(/the first \d+ min after left out/);
  });

  it("on one host, the number after the moment is the title", async () => {
    const clock = formatClock(f.changeAt).replace(" UTC", "");
    const r = await ask(`did cpu on web-1 go up after the ${clock} release`, "compare_change");
    expect(r.title).toMatch(/^CPU 4\d\.\d% on web-1 since .*: higher by \d+% \(clear\)$/);
  });

  it("says when the moment is too recent to judge", async () => {
    const ctx = {
      environment: "default",
      showEnvironment: false,
      client: environments.get("default") as NonNullable<ReturnType<Environments["get"]>>,
      hosts: [],
      now: f.now,
      signal: AbortSignal.timeout(20_000),
      renderChart: renderLineChart,
    };
    const r = await answerCompareChange(ctx, {
      kind: "compare_change",
      resource: "memory",
      atSecondsAgo: 60,
      label: "1 min ago",
    });
    expect(r.title).toBe("Memory since 1 min ago: too little data");
    expect(plainText(r.text)).toMatch(/too little data to judge: too few points/);
    expect(r.tone).toBe("warning");
  });
});

describe("period vs period", () => {
  it("judges each host's change, today against yesterday", async () => {
    const r = await ask("compare cpu on web-1 today with yesterday", "metric_compare");
    // web-1's CPU rose for the last three hours only: the judgement is given, whatever it is.
    expect(r.fields.find((x) => x.label === "web-1")?.value).toMatch(
      /^avg \d+\.\d% vs \d+\.\d% \([+−]\d+\.\d pts\): (higher by \d+% \((clear|likely)\)|no (real|clear) change.*)/,
    );
    const fleet = await ask("compare memory today with yesterday", "metric_compare");
    expect(fleet.text).toMatch(/^No real change on any of 5 hosts$/m);
    expect(fleet.context.join("\n")).toMatch(/Real or not: judged on each period's \d+ and \d+ points/);
  });

  it("calls web-1's last three hours clearly higher than the same hours the day before, and only web-1", async () => {
    const ctx = {
      environment: "default",
      showEnvironment: false,
      client: environments.get("default") as NonNullable<ReturnType<Environments["get"]>>,
      hosts: [],
      now: f.now,
      signal: AbortSignal.timeout(20_000),
      renderChart: renderLineChart,
    };
    const r = await answerResourceCompare(
      ctx,
      "cpu",
      { fromSecondsAgo: 3 * 3600 - 600, toSecondsAgo: 0, label: "last 2h 50m" },
      86_400,
    );
    const text = plainText(r.text);
    expect(text).toMatch(
      /^Biggest change: web-1 avg 4\d\.\d% last 2h 50m vs [23]\d\.\d% the day before \(\+1\d\.\d pts\): higher by \d+% \(clear\)$/m,
    );
    expect(text).toMatch(/^Real changes on 1 of 5 hosts: web-1 higher \(clear\)$/m);
    expect(r.fields.find((x) => x.label === "web-2")?.value).toMatch(/no (real|clear) change/);
  });
});
