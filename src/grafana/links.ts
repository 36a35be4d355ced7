/**
 * Links to the Grafana panel or Prometheus graph showing what an answer is about, so the person on
 * call can go from the chat to the full picture in one tap.
 */

/** Dashboards shipped in grafana/dashboards, by uid, with the panel ids the bot links to. */
export const DASHBOARDS = {
  systemOverview: {
    uid: "system-overview",
    panels: { cpu: 2, memory: 3, disk: 4, network: 5, load: 6 },
  },
  dockerContainers: { uid: "docker-containers", panels: { cpu: 2, memory: 3, restarts: 4 } },
  anomalies: { uid: "ml-anomaly-detection", panels: { score: 2, features: 3, findings: 4, scanFailing: 5 } },
} as const;

export interface PanelLinkParams {
  grafanaUrl: string;
  dashboardUid: string;
  panelId: number;
  /** Range in epoch milliseconds. */
  fromMs: number;
  toMs: number;
  /** Instance label value to select, when the answer is about one host. */
  instance?: string;
  environment?: string;
}

/** `GRAFANA_URL/d/UID?viewPanel=N&from=..&to=..&var-instance=..` */
export function grafanaPanelLink(p: PanelLinkParams): string {
  const q = new URLSearchParams({
    viewPanel: String(p.panelId),
    from: String(Math.floor(p.fromMs)),
    to: String(Math.ceil(p.toMs)),
  });
  if (p.instance) q.set("var-instance", p.instance);
  if (p.environment && p.environment !== "default") q.set("var-environment", p.environment);
  return `${p.grafanaUrl.replace(/\/+$/, "")}/d/${encodeURIComponent(p.dashboardUid)}?${q}`;
}

/** A Prometheus expression browser link: `/graph?g0.expr=...&g0.tab=0&g0.range_input=1h`. */
export function prometheusGraphLink(prometheusUrl: string, expr: string, rangeSeconds: number): string {
  const q = new URLSearchParams({
    "g0.expr": expr,
    "g0.tab": "0",
    "g0.range_input": `${Math.max(1, Math.round(rangeSeconds / 60))}m`,
  });
  return `${prometheusUrl.replace(/\/+$/, "")}/graph?${q}`;
}
