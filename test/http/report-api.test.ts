/**
 * The report and export API on the real app: bearer tokens, clear 400s, availability from the fixture
 * Prometheus, alert history and audit as JSON and CSV (RFC 4180, formula-safe), bounded.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { AlertStore, RESOLVED_RETENTION_MS } from "../../src/alerts/alert-store.js";
import { AuditLog } from "../../src/alerts/audit-log.js";
import type { Target } from "../../src/alerts/routing.js";
import { ALERT_RETENTION_MS } from "../../src/insights/report-alerts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { testRedis } from "../support/redis.js";

const TOKEN = "r".repeat(32);
const auth = { authorization: `Bearer ${TOKEN}` };
const MIN = 60_000;
const SLACK: Target = { platform: "slack", channel: "C0ALERTS", route: "default", groupBy: ["alertname"] };

let t: TestApp;
let now: number;

function alert(fp: string, over: Partial<Alert>): Alert {
  return {
    fingerprint: fp,
    status: "firing",
    labels: { alertname: "HostDiskFull", severity: "critical", instance: "db-1:9100", job: "node" },
    annotations: { summary: "Disk /data on db-1 is 93% full" },
    startsAt: now - 3 * 3_600_000,
    source: "alertmanager",
    ...over,
  };
}

beforeAll(async () => {
  t = await startTestApp({ API_TOKENS: `ops:${TOKEN}`, SLO_TARGET: "99.5" });
  // The app's clock (pinned to the fixture's end): its periods end at that hour, whatever the wall clock.
  now = Date.parse(inject("fixtureEnd"));
  const redis = testRedis();
  try {
    const store = new AlertStore(redis, `${t.redisPrefix}:alerts`);
    const disk = alert("00000000000000a1", {});
    await store.receive(disk, [SLACK], { now: disk.startsAt });
    const groupId = (await store.getAlert(disk.fingerprint))?.groups[0] as string;
    await store.acknowledge(
      groupId,
      { platform: "slack", id: "U0ANA", name: "Ana" },
      disk.startsAt + 5 * MIN,
    );
    await store.receive({ ...disk, status: "resolved", endsAt: disk.startsAt + 60 * MIN }, [SLACK], {
      now: disk.startsAt + 60 * MIN,
    });
    // Outside text shaped as a spreadsheet formula, with quotes and commas.
    const evil = alert("00000000000000a2", {
      labels: { alertname: '=HYPERLINK("http://evil.example")', severity: "warning", instance: "web-1:9100" },
      annotations: { summary: 'Disk "full", now' },
      startsAt: now - 3_600_000,
    });
    await store.receive(evil, [SLACK], { now: evil.startsAt });
    const old = alert("00000000000000a3", {
      startsAt: now - 5 * 86_400_000,
      endsAt: now - 5 * 86_400_000 + 10 * MIN,
    });
    await store.receive({ ...old, status: "firing" }, [SLACK], { now: old.startsAt });
    await store.receive({ ...old, status: "resolved" }, [SLACK], { now: old.endsAt });
    const audit = new AuditLog(redis, `${t.redisPrefix}:audit`);
    await audit.write(
      { actor: "Ana (slack:U0ANA)", action: "ack", subject: groupId, detail: "HostDiskFull" },
      now - 2 * 3_600_000,
    );
    await audit.write(
      { actor: "@bob", action: "silence", subject: groupId, detail: "-1+2, for 2h" },
      now - 3_600_000,
    );
    await audit.write({ actor: "old", action: "ack", subject: "x", detail: "" }, now - 3 * 86_400_000);
  } finally {
    redis.disconnect();
  }
});

afterAll(async () => {
  await t?.close();
});

const get = (path: string, headers: Record<string, string> = auth) => fetch(`${t.url}${path}`, { headers });
const iso = (ms: number) => new Date(ms).toISOString();

describe("report and export routes", () => {
  it("need the API token", async () => {
    for (const path of [
      "/api/v1/reports/availability?period=7d",
      `/api/v1/alerts/history?from=${iso(now - 86_400_000)}`,
      `/api/v1/audit?from=${iso(now - 86_400_000)}`,
    ]) {
      const res = await get(path, {});
      expect(res.status, path).toBe(401);
      const wrong = await get(path, { authorization: `Bearer ${"x".repeat(32)}` });
      expect(wrong.status, path).toBe(401);
    }
  });

  it("answer a query they do not understand with 400 and what is expected", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/api/v1/reports/availability?period=banana", /not a period.*2026-11/],
      ["/api/v1/reports/availability?period=2099-01", /has not started yet/],
      ["/api/v1/reports/availability?period=500d", /92 days at most/],
      ["/api/v1/reports/availability?period=7d&environment=nope", /Unknown environment "nope"; known: /],
      ["/api/v1/reports/availability?period=7d&format=xml", /format/],
      ["/api/v1/reports/availability?period=7d&color=red", /unknown parameter "color"/],
      ["/api/v1/reports/availability?from=2026-11-01", /both "from" and "to"/],
      ["/api/v1/alerts/history", /from: .*Expected \?from=/],
      ["/api/v1/alerts/history?from=yesterday", /from: not a date/],
      ["/api/v1/alerts/history?from=2026-11-02&to=2026-11-01", /"to" must be after "from"/],
      ["/api/v1/audit?from=2026-11-01&limit=0", /limit/],
      ["/api/v1/audit?from=2026-11-01&limit=20000", /limit/],
      ["/api/v1/audit?from=2026-11-01&from=2026-11-02", /from/],
    ];
    for (const [path, message] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message, path).toMatch(message);
    }
  });

  it("report availability per target and job from the fixture Prometheus, with the SLO and the queries", async () => {
    const res = await get("/api/v1/reports/availability?period=24h");
    expect(res.status).toBe(200);
    const r = (await res.json()) as {
      slo: { targetPct: number };
      targets: Array<{
        instance: string;
        job: string;
        availabilityPct: number;
        sloMet: boolean;
        downtimeMinutes: number;
      }>;
      jobs: Array<{ job: string; targets: number; targetsMissingSlo: number }>;
      queries: Record<string, { promql: string }>;
    };
    expect(r.slo.targetPct).toBe(99.5);
    const down = r.targets.find((x) => x.instance === "db-2:9100");
    expect(down).toMatchObject({ job: "node", availabilityPct: 0, sloMet: false, downtimeMinutes: 1440 });
    expect(r.targets.find((x) => x.instance === "web-1:9100")).toMatchObject({
      availabilityPct: 100,
      sloMet: true,
    });
    expect(r.jobs.find((j) => j.job === "node")).toMatchObject({ targets: 4, targetsMissingSlo: 1 });
    expect(r.queries.samplesPerHour?.promql).toContain("count_over_time(up[59m59s999ms])");
  });

  it("give availability as CSV, one row per target", async () => {
    const res = await get("/api/v1/reports/availability?period=24h&format=csv&job=node");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toMatch(
      /attachment; filename="availability-24h-default\.csv"/,
    );
    const lines = (await res.text()).split("\r\n");
    expect(lines[0]).toBe(
      "job,instance,availability_pct,downtime_minutes,outages,observed_minutes,coverage_pct,slo_met,allowed_downtime_minutes,error_budget_used_pct,first_seen,last_seen",
    );
    expect(lines.filter((l) => l.startsWith("node,"))).toHaveLength(4);
    expect(lines.find((l) => l.startsWith("node,db-2:9100,0,1440,"))).toBeDefined();
    expect(lines.at(-1)).toBe("");
  });

  it("export alert history for a window with times to acknowledge and resolve", async () => {
    const res = await get(`/api/v1/alerts/history?from=${iso(now - 86_400_000)}&to=${iso(now + MIN)}`);
    expect(res.status).toBe(200);
    const h = (await res.json()) as {
      rows: Array<{
        fingerprint: string;
        minutesToAcknowledge: number | null;
        minutesToResolve: number | null;
        acknowledgedBy: string | null;
      }>;
      summary: {
        count: number;
        bySeverity: Record<string, number>;
        medianMinutesToAcknowledge: number;
        medianMinutesToResolve: number;
        partial: boolean;
      };
    };
    expect(h.rows.map((r) => r.fingerprint)).toEqual(["00000000000000a1", "00000000000000a2"]);
    expect(h.rows[0]).toMatchObject({ minutesToAcknowledge: 5, minutesToResolve: 60, acknowledgedBy: "Ana" });
    expect(h.rows[1]).toMatchObject({ minutesToAcknowledge: null, minutesToResolve: null });
    expect(h.summary).toMatchObject({
      count: 2,
      bySeverity: { critical: 1, warning: 1 },
      medianMinutesToAcknowledge: 5,
      medianMinutesToResolve: 60,
      partial: false,
    });
    const all = (await (await get(`/api/v1/alerts/history?from=${iso(now - 30 * 86_400_000)}`)).json()) as {
      rows: unknown[];
      summary: { partial: boolean; retentionDays: number };
    };
    expect(all.rows).toHaveLength(3);
    expect(all.summary).toMatchObject({ partial: true, retentionDays: 7 });
  });

  it("export alert history as CSV that a spreadsheet cannot run", async () => {
    const res = await get(`/api/v1/alerts/history?from=${iso(now - 86_400_000)}&format=csv`);
    const text = await res.text();
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const evil = text.split("\r\n").find((l) => l.includes("HYPERLINK"));
    expect(evil).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    expect(evil).toContain(`"Disk ""full"", now"`);
    expect(text).not.toMatch(/(^|,)=HYPERLINK/m);
  });

  it("export the audit trail, bounded, as JSON and CSV", async () => {
    const json = (await (await get(`/api/v1/audit?from=${iso(now - 86_400_000)}`)).json()) as {
      rows: Array<{ actor: string }>;
      total: number;
      truncated: boolean;
    };
    expect(json.rows.map((r) => r.actor)).toEqual(["Ana (slack:U0ANA)", "@bob"]);
    expect(json).toMatchObject({ total: 2, truncated: false });
    const res = await get(`/api/v1/audit?from=${iso(now - 86_400_000)}&format=csv&limit=1`);
    expect(res.headers.get("x-truncated")).toBe("true");
    expect(res.headers.get("x-total-rows")).toBe("2");
    const lines = (await res.text()).split("\r\n");
    expect(lines[0]).toBe("at,actor,action,subject,detail");
    expect(lines).toHaveLength(3);
    const csv = await (await get(`/api/v1/audit?from=${iso(now - 86_400_000)}&format=csv`)).text();
    expect(csv).toContain(`"'-1+2, for 2h"`);
    expect(csv).toContain(",'@bob,");
  });

  it("are in the OpenAPI document, and the report page is served under the CSP", async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const p of ["/api/v1/reports/availability", "/api/v1/alerts/history", "/api/v1/audit"])
      expect(Object.keys(doc.paths)).toContain(p);
    const page = await fetch(`${t.url}/report?period=2026-11`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="/console/report.js"');
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
  });

  it("answer `report` in chat with a short summary and the way to the printable report", async () => {
    const ask = async (text: string) => {
      const res = await fetch(`${t.url}/api/v1/ask`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });
      expect(res.status).toBe(200);
      return JSON.stringify(((await res.json()) as { reply: unknown }).reply);
    };
    const reply = await ask("report 24h");
    expect(reply).toContain("Report: last 24 hours (default)");
    expect(reply).toContain("Availability 80.00% over 5 targets, last 24 hours (SLO 99.5%).");
    expect(reply).toContain("1 of 5 targets missed the SLO.");
    expect(reply).toContain("db-2:9100 (node): 0.00%, down 24.0 h in 1 outage");
    expect(reply).toContain("Alerts: 2, median 5 min to acknowledge, 60 min to resolve");
    expect(reply).toContain("Printable report: /report?period=24h&environment=default");
    expect(await ask("help")).toContain("Reports: report (last 7 days) · report november");
    const refused = await ask("report 2099-01");
    expect(refused).toContain("Which period?");
    expect(refused).toContain("January 2099 has not started yet");
  });

  it("reads alerts kept as long as the alert store keeps them", () => {
    expect(ALERT_RETENTION_MS).toBe(RESOLVED_RETENTION_MS);
  });
});
