/**
 * The rightsizing answers — savings, the full table, idle hosts — asked as questions of the built-in
 * engine over a real Prometheus holding the rightsizing fixture fleet; and what they say when
 * Prometheus does not answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
import { type Answer, plainText } from "../../src/reply/reply.js";
import { type RightsizingPrometheus, startRightsizingPrometheus } from "../insights/rightsizing-fixture.js";

let prom: RightsizingPrometheus;
let engine: BuiltinEngine;

function engineFor(
  url: string,
  costs?: ConstructorParameters<typeof BuiltinEngine>[0]["costs"],
): BuiltinEngine {
  const config = loadConfig({ PROMETHEUS_URL: url, PROMETHEUS_TIMEOUT_MS: "30000" });
  return new BuiltinEngine({
    environments: new Environments(prometheusSettings(config)),
    renderChart: renderLineChart,
    deadlineMs: 60_000,
    now: () => prom.end * 1000,
    ...(costs ? { costs } : {}),
  });
}

beforeAll(async () => {
  prom = await startRightsizingPrometheus();
  engine = engineFor(prom.url, {
    prices: { cpuCoreMonth: 24, gbMonth: 3, origin: "configured" },
    queryTimeoutMs: 30_000,
  });
  // Writing and backfilling three days of a fleet takes a while on a loaded machine.
}, 600_000);

afterAll(async () => {
  await prom?.stop();
});

async function ask(text: string, e = engine): Promise<Answer> {
  return e.answer({ platform: "api", user: "t", channel: "t", text });
}

const body = (a: Answer) => plainText(a.reply.text);

describe("rightsizing answers on the fixture fleet", () => {
  it("“where can we save?”: the total a month first, then the top recommendations with their money", async () => {
    const a = await ask("where can we save?");
    expect(a.intent).toBe("rightsizing");
    // rs-big 4 cores + 25 GiB (171), rs-proxy 1 core + 3 GiB (33), rs-idle retired (60).
    expect(a.reply.title).toBe("💰 ~$264/month to save");
    expect(a.reply.tone).toBe("warning");
    const lines = body(a).split("\n");
    expect(lines[0]).toBe("~$204/month from resizing 2 hosts; ~$60/month from retiring 1 idle host");
    expect(lines[1]).toBe(
      "1. Resize rs-big 8 → 4 cores, 32 GiB → 7 GiB (p95 CPU 3.2 cores, peak memory 6.0 GiB): ~$171/month",
    );
    expect(lines[2]).toMatch(
      /^2\. Retire or merge rs-idle \(p95 CPU 0\.010 cores, network 2\.0 KiB\/s\): ~\$60\/month$/,
    );
    expect(lines[3]).toMatch(/^3\. Resize rs-proxy 2 → 1 cores, 4 GiB → 1 GiB .*: ~\$33\/month$/);
    expect(body(a)).toContain("1 host needs more (+$27/month): rs-hot 4 → 5 cores, 8 GiB → 9 GiB");
    expect(body(a)).toMatch(/Based on 3 d of data \(of the 14 d asked for\)/);
    expect(body(a)).toMatch(/1 host too young to size \(under 1 d of data\): rs-young \(6 h/);
    expect(a.reply.context.join("\n")).toContain("Prices: yours, $24 a core and $3 a GiB per month");
    expect(a.reply.context.join("\n")).toMatch(/Window: last 14 d, evaluated every 5 min/);
    expect(a.reply.context.join("\n")).toContain("quantile_over_time(0.95,");
    expect(a.reply.links[0]?.url).toContain(`${prom.url}/graph?`);
  });

  it("“rightsizing”: every host with its verdict, and the containers to change", async () => {
    const a = await ask("rightsizing");
    expect(a.intent).toBe("rightsizing");
    expect(a.reply.title).toBe("📐 Rightsizing: 2 hosts to shrink, 1 to grow, 1 idle");
    const text = body(a);
    expect(text).toContain(
      "rs-big: SHRINK — CPU 8 → 4 cores (p95 3.2); memory 32.0 GiB → 7.0 GiB (peak 6.0 GiB): ~$171/month",
    );
    expect(text).toContain(
      "rs-hot: GROW — CPU 4 → 5 cores (p95 3.8); memory 8.0 GiB → 9.0 GiB (peak 7.5 GiB): +$27/month",
    );
    expect(text).toMatch(/rs-idle: IDLE — .*: ~\$60\/month if retired/);
    expect(text).toContain("rs-fit: KEEP — CPU 4 cores fits (p95 2.8); memory 16.0 GiB fits (peak 12.0 GiB)");
    expect(text).toMatch(/rs-young: TOO YOUNG to size \(6 h/);
    expect(text).toContain("Containers (3 of 3 to change):");
    expect(text).toContain(
      "api on rs-big: SHRINK — CPU limit 2 → 0.40 cores (p95 0.30); memory limit 2.0 GiB → 384 MiB (peak 300 MiB)",
    );
    expect(text).toContain(
      "worker on rs-big: SET LIMIT — CPU limit: none, needs ~0.60 cores (p95 0.50); memory limit: none, set 832 MiB (peak 700 MiB)",
    );
    expect(text).toMatch(
      /cache on rs-big: GROW — CPU limit 1 → 1.1 cores \(p95 0\.95\); memory limit 512 MiB → 576 MiB/,
    );
    expect(text).not.toContain("old-job");
  });

  it("“idle hosts”: the idle one with its numbers and the rule", async () => {
    const a = await ask("idle hosts");
    expect(a.intent).toBe("rightsizing");
    expect(a.reply.title).toBe("💤 1 idle host: ~$60/month");
    expect(body(a)).toMatch(/^• rs-idle: p95 CPU 0\.010 cores, network 2\.0 KiB\/s, 2 cores: ~\$60\/month$/m);
    expect(body(a)).toContain(
      "Idle: p95 CPU under 0.050 cores and network (in + out, real NICs) under 64.0 KiB/s",
    );
    expect(body(a)).not.toContain("rs-proxy");
  });

  it("one host too young to size: says so and how much history it has, recommends nothing", async () => {
    const a = await ask("right-size rs-young");
    expect(a.intent).toBe("rightsizing");
    expect(a.reply.title).toBe("⏳ Too little history to size on rs-young yet");
    expect(body(a)).toMatch(/^1 host with at most 6 h( \d+ min)? of data; recommendations need 1 d/);
    expect(body(a)).not.toMatch(/SHRINK|save/);
  });

  it("without configured prices, the money is labelled an estimate at list prices", async () => {
    const a = await ask("where can we save?", engineFor(prom.url));
    expect(a.reply.context.join("\n")).toMatch(
      /Prices: an estimate at \$23 a core and \$3\.1 a GiB per month \(Google Cloud N2/,
    );
  });

  it("Prometheus down: the headline says so, no savings claimed", async () => {
    const a = await ask("where can we save?", engineFor("http://127.0.0.1:9"));
    expect(a.reply.tone).toBe("error");
    expect(a.reply.title).toMatch(/Prometheus did not answer|Prometheus query failed/);
    expect(a.reply.title).not.toMatch(/save/);
  });
});
