/** The first look's presenter: headline, one idea per line, outside text kept literal. */
import { describe, expect, it } from "vitest";
import type { Investigation } from "../../src/investigate/investigation.js";
import { investigationChart, investigationReply } from "../../src/investigate/investigation-reply.js";
import { plainText } from "../../src/reply/reply.js";

const AT = Date.UTC(2026, 0, 15, 3, 30);

function investigation(over: Partial<Investigation>): Investigation {
  return {
    request: {
      environment: "prod",
      instance: "web-2:9100",
      alertName: "HighIowait",
      startsAt: AT - 10 * 60_000,
    },
    at: AT,
    durationMs: 1234,
    moved: [],
    elsewhere: [],
    relatedAlerts: [],
    changes: [],
    history: undefined,
    checks: [],
    nothingUnusual: false,
    failures: [],
    ...over,
  };
}

describe("investigationReply", () => {
  it("names what moved most in the headline, value vs usual and since when", () => {
    const reply = investigationReply(
      investigation({
        suspect: { instance: "web-2:9100", resource: "disk" },
        moved: [
          {
            feature: "cpu_iowait",
            label: "iowait",
            value: 38.2,
            usual: 2.04,
            unit: "percent",
            score: 17.5,
            since: Date.UTC(2026, 0, 15, 3, 12),
          },
          {
            feature: "procs_blocked",
            label: "blocked processes",
            value: 6,
            usual: 0,
            unit: "count",
            score: 6,
          },
        ],
        elsewhere: [{ instance: "web-5:9100", feature: "cpu_iowait", correlation: 0.91 }],
        elsewhereTotal: 8,
        history: [],
      }),
    );
    expect(reply.title).toBe("🔎 First look: iowait is 38.2% vs usual 2.0% on web-2 (since 03:12 UTC)");
    expect(reply.tone).toBe("warning");
    const text = plainText(reply.text);
    expect(text).toContain("• blocked processes is 6 vs usual 0 (6.0σ above)");
    expect(text).toContain("• web-5: iowait moved too (correlation 0.91)");
    expect(text).toContain("• and 7 more hosts");
    expect(text).toContain("Earlier times: none on record");
  });

  it("keeps alert names and notes literal: no code span, no new line", () => {
    const reply = investigationReply(
      investigation({
        nothingUnusual: true,
        relatedAlerts: [
          { id: "b", name: "Evil`<!channel>`\nname", instance: "web-3", startsAt: AT - 60_000 },
        ],
        history: [{ id: "c", startsAt: AT - 86400_000, notes: ["restarted `nginx`\n@here"] }],
      }),
    );
    expect(reply.title).toBe("🔎 First look: nothing unusual found on web-2");
    const text = plainText(reply.text);
    expect(text).not.toContain("`");
    expect(text).toContain("• Evil'<!channel>' name on web-3 (since 03:29 UTC)");
    expect(text).toContain("still open; “restarted 'nginx' @here”");
  });

  it("draws no chart when nothing moved, and one when a feature did", async () => {
    expect(
      await investigationChart(investigation({}), () => Promise.reject(new Error("not called"))),
    ).toBeUndefined();
    const chart = await investigationChart(
      investigation({
        series: [
          { feature: "cpu_user", label: "CPU user", unit: "percent", usual: 20, points: [[AT, 80]] },
          {
            feature: "load1_per_core",
            label: "load1 per core",
            unit: "ratio",
            usual: 0.3,
            points: [[AT, 1.5]],
          },
        ],
      }),
      (spec) => ({
        title: spec.title,
        alt: `${spec.series.length} series`,
        png: Buffer.from(""),
        width: 1,
        height: 1,
      }),
    );
    expect(chart?.title).toBe("CPU user on web-2 — last hour");
    expect(chart?.alt).toBe("1 series");
  });
});
