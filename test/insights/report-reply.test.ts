/**
 * The chat summary of a report never calls a period with no data, or barely any, a met SLO: it says
 * there is no data, or how much of the period was observed, in the headline.
 */
import { describe, expect, it } from "vitest";
import type { AvailabilityReport, TargetAvailability } from "../../src/insights/availability.js";
import { reportReply } from "../../src/insights/report-reply.js";
import { plainText } from "../../src/reply/reply.js";

function target(coveragePct: number, observedMinutes: number): TargetAvailability {
  return {
    job: "node",
    instance: "web-1:9100",
    availabilityPct: observedMinutes > 0 ? 100 : null,
    downtimeMinutes: 0,
    observedMinutes,
    coveragePct,
    outages: 0,
    firstSeen: null,
    lastSeen: null,
    appeared: false,
    disappeared: false,
    sloMet: observedMinutes > 0 ? true : null,
    allowedDowntimeMinutes: 0,
    errorBudgetUsedPct: observedMinutes > 0 ? 0 : null,
  };
}

function report(targets: TargetAvailability[]): AvailabilityReport {
  const observed = targets.reduce((s, t) => s + t.observedMinutes, 0);
  return {
    environment: "default",
    period: { label: "November 2026", from: "", to: "", complete: true, param: "2026-11" },
    slo: { targetPct: 99.9 },
    method: [],
    queries: {} as AvailabilityReport["queries"],
    numbers: {},
    jobs:
      targets.length > 0
        ? [
            {
              job: "node",
              availabilityPct: observed > 0 ? 100 : null,
              downtimeMinutes: 0,
              observedMinutes: observed,
              outages: 0,
              sloMet: observed > 0 ? true : null,
              allowedDowntimeMinutes: 0,
              errorBudgetUsedPct: null,
              targets: targets.length,
              targetsMissingSlo: 0,
            },
          ]
        : [],
    targets,
    targetCount: targets.length,
    truncated: false,
    problems: [],
  };
}

const alerts = { error: "not asked" };

describe("report summary", () => {
  it("with no data says so, and no SLO verdict", () => {
    const r = reportReply(report([]), alerts, "/report?period=2026-11");
    expect(r.title).toMatch(/no data$/);
    expect(r.tone).toBe("warning");
    expect(plainText(r.text)).not.toMatch(/met the SLO/);
  });

  it("with a tenth of the month observed says how much, in the headline", () => {
    const r = reportReply(report([target(10, 4320)]), alerts, "/report?period=2026-11");
    expect(r.title).toMatch(/10% of the period observed$/);
    expect(plainText(r.text)).toMatch(/Only 10\.0% of the period was observed/);
    expect(r.tone).toBe("warning");
  });

  it("with the whole month observed gives the verdict plainly", () => {
    const r = reportReply(report([target(100, 43_200)]), alerts, "/report?period=2026-11");
    expect(r.title).toBe("📄 Report: November 2026 (default)");
    expect(plainText(r.text)).toMatch(/Every target met the SLO\./);
    expect(r.tone).toBe("ok");
  });
});
