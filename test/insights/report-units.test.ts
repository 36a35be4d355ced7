/** Report periods as people write them, and CSV as spreadsheets read it. */
import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/chat/commands.js";
import { Reports } from "../../src/insights/report.js";
import { summarize } from "../../src/insights/report-alerts.js";
import { csvCell, toCsv } from "../../src/insights/report-csv.js";
import { parsePeriod, type ReportPeriod } from "../../src/insights/report-period.js";
import { Environments } from "../../src/metrics/environments.js";
import { freePort } from "../support/prometheus-process.js";

const NOW = Date.parse("2026-11-30T22:47:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function period(text: string): ReportPeriod {
  const p = parsePeriod(text, NOW);
  if (typeof p === "string") throw new Error(p);
  return p;
}

describe("report periods", () => {
  it("reads a past month in every usual form as the whole month", () => {
    for (const text of ["2026-10", "october", "Oct", "october 2026", "last month", "for october"]) {
      const p = period(text);
      expect([iso(p.start), iso(p.end), p.complete, p.label, p.param], text).toEqual([
        "2026-10-01T00:00:00.000Z",
        "2026-11-01T00:00:00.000Z",
        true,
        "October 2026",
        "2026-10",
      ]);
    }
  });

  it("cuts the running month at the last whole hour and says so", () => {
    const p = period("november");
    expect([iso(p.start), iso(p.end), p.complete, p.label]).toEqual([
      "2026-11-01T00:00:00.000Z",
      "2026-11-30T22:00:00.000Z",
      false,
      "November 2026 (so far)",
    ]);
    expect(period("this month").end).toBe(p.end);
  });

  it("takes a month named alone as its latest start", () => {
    expect(iso(period("december").start)).toBe("2025-12-01T00:00:00.000Z");
  });

  it("reads spans back from the last whole hour", () => {
    const p = period("last 7 days");
    expect([iso(p.start), iso(p.end), p.label, p.param]).toEqual([
      "2026-11-23T22:00:00.000Z",
      "2026-11-30T22:00:00.000Z",
      "last 7 days",
      "7d",
    ]);
    expect(period("24h").label).toBe("last 24 hours");
    expect(period("2w").end - period("2w").start).toBe(14 * 86_400_000);
  });

  it("reads two dates, a date alone as the end including that day", () => {
    const p = period("2026-11-01..2026-11-15");
    expect([iso(p.start), iso(p.end), p.label, p.complete]).toEqual([
      "2026-11-01T00:00:00.000Z",
      "2026-11-16T00:00:00.000Z",
      "2026-11-01 – 2026-11-15",
      true,
    ]);
  });

  it("refuses what is not a period with the reason and the accepted forms", () => {
    expect(parsePeriod("banana", NOW)).toMatch(/"banana" is not a period; use a month \("2026-11"/);
    expect(parsePeriod("2026-13", NOW)).toMatch(/not a month/);
    expect(parsePeriod("2027-01", NOW)).toMatch(/January 2027 has not started yet/);
    expect(parsePeriod("30m", NOW)).toMatch(/is not a period/);
    expect(parsePeriod("0h", NOW)).toMatch(/one hour at least/);
    expect(parsePeriod("100d", NOW)).toMatch(/92 days at most/);
    expect(parsePeriod("2026-11-15..2026-11-01", NOW)).toMatch(/at least an hour before/);
    expect(parsePeriod("x".repeat(100), NOW)).toMatch(/too long/);
  });
});

describe("the report command", () => {
  it("is `report` with an optional period; other text stays a question", () => {
    expect(parseCommand("report")).toEqual({ kind: "report" });
    expect(parseCommand("/report for November")).toEqual({ kind: "report", period: "November" });
    expect(parseCommand("report 2026-11")).toEqual({ kind: "report", period: "2026-11" });
    expect(parseCommand("report last 30 days")).toEqual({ kind: "report", period: "last 30 days" });
    expect(parseCommand("report 2026-11-01..2026-11-15")).toEqual({
      kind: "report",
      period: "2026-11-01..2026-11-15",
    });
    expect(parseCommand("report disk usage on web-1").kind).toBe("ask");
  });
});

describe("CSV", () => {
  it("quotes only what needs it and doubles quotes (RFC 4180)", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(" padded")).toBe('" padded"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(true)).toBe("true");
  });

  it("keeps cells a spreadsheet would run as formulas as text, numbers as numbers", () => {
    expect(csvCell("=SUM(A1:A9)")).toBe("'=SUM(A1:A9)");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell("\t=1")).toBe("'\t=1");
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(99.93)).toBe("99.93");
    expect(csvCell(Number.NaN)).toBe("");
  });

  it("writes a header and CRLF-ended rows", () => {
    const csv = toCsv(
      [
        { header: "name", value: (r: { n: string; v: number }) => r.n },
        { header: "value", value: (r) => r.v },
      ],
      [
        { n: "a", v: 1 },
        { n: "b,c", v: -1 },
      ],
    );
    expect(csv).toBe('name,value\r\na,1\r\n"b,c",-1\r\n');
  });
});

describe("a report when Prometheus does not answer", () => {
  it("says so in the headline, with where", async () => {
    const port = await freePort();
    const reports = new Reports({
      environments: new Environments({
        environments: [{ name: "prod", url: `http://127.0.0.1:${port}` }],
        timeoutMs: 2000,
        retries: 0,
        cacheTtlMs: 0,
      }),
      sloPct: 99.9,
      history: {
        history: async () => ({
          from: "",
          to: "",
          rows: [],
          total: 0,
          truncated: false,
          summary: summarize([], 0, 0),
        }),
      },
      now: () => NOW,
    });
    const reply = await reports.chatReply("november");
    expect(reply.title).toBe("⚠️ Prometheus did not answer: no report for November 2026 (so far)");
    expect(reply.tone).toBe("error");
    expect(String(reply.text)).toContain(`http://127.0.0.1:${port}`);
    const unknown = await reports.chatReply("7d", "staging");
    expect(unknown.title).toBe("Which environment?");
    expect(String(unknown.text)).toContain('Unknown environment "staging"; known: prod');
  });
});
