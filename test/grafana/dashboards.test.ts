/**
 * The shipped Grafana dashboards: generated from the code (never edited apart from it), every panel
 * the bot links to exists, and every panel's PromQL runs on a real Prometheus.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { buildDashboards, dashboardFile } from "../../src/grafana/dashboards.js";
import { DASHBOARDS, grafanaPanelLink } from "../../src/grafana/links.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dashboards = buildDashboards();

describe("Grafana dashboards", () => {
  it("are the generated ones (run `npm run grafana:dashboards` after changing them)", () => {
    const files = readdirSync(path.join(ROOT, "grafana/dashboards")).sort();
    expect(files).toEqual(dashboards.map(dashboardFile).sort());
    for (const d of dashboards) {
      const committed = JSON.parse(
        readFileSync(path.join(ROOT, "grafana/dashboards", dashboardFile(d)), "utf8"),
      );
      expect(committed).toEqual(JSON.parse(JSON.stringify(d)));
    }
  });

  it("hold every panel the bot links to, with unique ids, and links that open them", () => {
    for (const spec of Object.values(DASHBOARDS)) {
      const d = dashboards.find((x) => x.uid === spec.uid);
      expect(d, spec.uid).toBeDefined();
      const ids = d?.panels.map((p) => p.id) ?? [];
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of Object.values(spec.panels)) {
        expect(ids).toContain(id);
        const link = new URL(
          grafanaPanelLink({
            grafanaUrl: "http://grafana.example:3001/",
            dashboardUid: spec.uid,
            panelId: id,
            fromMs: 1_700_000_000_000,
            toMs: 1_700_003_600_000,
            instance: "web-1:9100",
            environment: "prod",
          }),
        );
        expect(link.pathname).toBe(`/d/${spec.uid}`);
        expect(Number(link.searchParams.get("viewPanel"))).toBe(id);
        // Every variable the link sets is one the dashboard has.
        const vars = d?.templating.list.map((v) => v.name) ?? [];
        for (const key of link.searchParams.keys()) {
          if (key.startsWith("var-")) expect(vars).toContain(key.slice(4));
        }
      }
    }
  });

  it("read from the provisioned data source, mounted where the provider looks", () => {
    const datasources = readFileSync(
      path.join(ROOT, "grafana/provisioning/datasources/prometheus.yml"),
      "utf8",
    );
    const uid = /uid:\s*(\S+)/.exec(datasources)?.[1];
    for (const d of dashboards) {
      const env = d.templating.list.find((v) => v.name === "environment");
      expect(env?.current.value).toBe(uid);
    }
    const provider = readFileSync(path.join(ROOT, "grafana/provisioning/dashboards/cloudops.yml"), "utf8");
    const providerPath = /path:\s*(\S+)/.exec(provider)?.[1];
    const compose = readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8");
    expect(compose).toContain(`./grafana/dashboards:${providerPath}`);
  });

  it("have PromQL that Prometheus accepts", async () => {
    const prometheusUrl = inject("prometheusUrl");
    for (const d of dashboards) {
      for (const p of d.panels) {
        for (const t of p.targets) {
          const query = t.expr.replaceAll("$instance", ".*");
          const res = await fetch(`${prometheusUrl}/api/v1/query`, {
            method: "POST",
            body: new URLSearchParams({ query, time: String(Date.parse(inject("fixtureEnd")) / 1000) }),
          });
          const body = (await res.json()) as { status: string; error?: string };
          expect(body.status, `${d.uid} panel ${p.id}: ${query}: ${body.error ?? ""}`).toBe("success");
        }
      }
    }
  });
});
