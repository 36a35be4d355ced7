/**
 * The Grafana dashboards shipped in grafana/dashboards, built from the same query catalogue the bot
 * answers from and the same panel ids its links use, so a link from chat always opens a panel that
 * exists and shows the number the bot gave. `npm run grafana:dashboards` writes them.
 */
import { type NamedQuery, namedQuery, type QueryName, type Unit } from "../metrics/catalogue.js";
import type { LabelMatcher } from "../metrics/promql.js";
import { DASHBOARDS } from "./links.js";

/** Panels read from the Prometheus data source picked by the `environment` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JavaScript template.
const DATASOURCE = { type: "prometheus", uid: "${environment}" };
const INSTANCE: LabelMatcher[] = [{ label: "instance", op: "=~", value: "$instance" }];

const GRAFANA_UNIT: Record<Unit, string> = {
  percent: "percent",
  bytes: "bytes",
  bytes_per_second: "Bps",
  ratio: "none",
  count: "short",
  seconds: "s",
};

interface Target {
  expr: string;
  legend: string;
}

interface PanelSpec {
  id: number;
  title: string;
  description: string;
  unit: Unit;
  targets: Target[];
  /** A horizontal line: warning level. */
  threshold?: number;
  max?: number;
}

function catalogueTarget(name: QueryName, legend = "{{instance}}"): Target {
  const q: NamedQuery = namedQuery(name);
  return { expr: q.build({ matchers: INSTANCE, windowSeconds: 300 }), legend };
}

function panel(p: PanelSpec, x: number, y: number) {
  return {
    id: p.id,
    type: "timeseries",
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { h: 8, w: 12, x, y },
    targets: p.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: t.expr,
      legendFormat: t.legend,
      range: true,
    })),
    fieldConfig: {
      defaults: {
        unit: GRAFANA_UNIT[p.unit],
        min: 0,
        ...(p.max !== undefined ? { max: p.max } : {}),
        custom: {
          lineWidth: 2,
          fillOpacity: 10,
          showPoints: "never",
          ...(p.threshold !== undefined ? { thresholdsStyle: { mode: "line+area" } } : {}),
        },
        thresholds: {
          mode: "absolute",
          steps: [
            { color: "green", value: null },
            ...(p.threshold !== undefined ? [{ color: "orange", value: p.threshold }] : []),
          ],
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: "table", placement: "bottom", calcs: ["mean", "max", "lastNotNull"] },
      tooltip: { mode: "multi", sort: "desc" },
    },
  };
}

function dashboard(
  uid: string,
  title: string,
  description: string,
  instanceQuery: string,
  panels: PanelSpec[],
) {
  return {
    uid,
    title,
    description,
    tags: ["cloudops"],
    timezone: "utc",
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: "1m",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "environment",
          label: "Environment",
          type: "datasource",
          query: "prometheus",
          // The bot's default environment is the provisioned "Prometheus" data source.
          current: { selected: true, text: "Prometheus", value: "prometheus" },
          hide: 0,
        },
        {
          name: "instance",
          label: "Host",
          type: "query",
          datasource: DATASOURCE,
          query: { query: `label_values(${instanceQuery}, instance)`, refId: "instance" },
          definition: `label_values(${instanceQuery}, instance)`,
          refresh: 2,
          includeAll: true,
          multi: true,
          allValue: ".*",
          current: { selected: true, text: ["All"], value: ["$__all"] },
          sort: 1,
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    panels: panels.map((p, i) => panel(p, (i % 2) * 12, Math.floor(i / 2) * 8)),
  };
}

export type Dashboard = ReturnType<typeof dashboard>;

export function buildDashboards(): Dashboard[] {
  const so = DASHBOARDS.systemOverview.panels;
  const dc = DASHBOARDS.dockerContainers.panels;
  const an = DASHBOARDS.anomalies.panels;
  return [
    dashboard(
      DASHBOARDS.systemOverview.uid,
      "System overview",
      "CPU, memory, disk, network and load of every host, as the CloudOps bot reports them.",
      "node_uname_info",
      [
        {
          id: so.cpu,
          title: "CPU busy %",
          description: namedQuery("cpu_busy_percent").description,
          unit: "percent",
          max: 100,
          threshold: 80,
          targets: [catalogueTarget("cpu_busy_percent")],
        },
        {
          id: so.memory,
          title: "Memory used %",
          description: namedQuery("memory_used_percent").description,
          unit: "percent",
          max: 100,
          threshold: 85,
          targets: [catalogueTarget("memory_used_percent")],
        },
        {
          id: so.disk,
          title: "Fullest file system, used %",
          description: namedQuery("disk_used_percent").description,
          unit: "percent",
          max: 100,
          threshold: 85,
          targets: [catalogueTarget("disk_used_percent")],
        },
        {
          id: so.network,
          title: "Network in / out",
          description: "Bytes per second received and sent, all real interfaces",
          unit: "bytes_per_second",
          targets: [
            catalogueTarget("network_receive_bytes", "{{instance}} in"),
            catalogueTarget("network_transmit_bytes", "{{instance}} out"),
          ],
        },
        {
          id: so.load,
          title: "Load per core (1 min)",
          description: namedQuery("load1_per_core").description,
          unit: "ratio",
          threshold: 1.5,
          targets: [catalogueTarget("load1_per_core")],
        },
      ],
    ),
    dashboard(
      DASHBOARDS.dockerContainers.uid,
      "Docker containers",
      "Per-container CPU, memory and restarts from cAdvisor.",
      "container_last_seen",
      [
        {
          id: dc.cpu,
          title: "Container CPU, % of one core",
          description: namedQuery("containers_cpu_percent").description,
          unit: "percent",
          targets: [catalogueTarget("containers_cpu_percent", "{{name}} on {{instance}}")],
        },
        {
          id: dc.memory,
          title: "Container memory (working set)",
          description: namedQuery("containers_memory_bytes").description,
          unit: "bytes",
          targets: [catalogueTarget("containers_memory_bytes", "{{name}} on {{instance}}")],
        },
        {
          id: dc.restarts,
          title: "Container restarts (last hour)",
          description: namedQuery("containers_restarts").description,
          unit: "count",
          targets: [catalogueTarget("containers_restarts", "{{name}} on {{instance}}")],
        },
      ],
    ),
    dashboard(
      DASHBOARDS.anomalies.uid,
      "ML anomaly detection",
      "Host detector scores of every host against its own history (rarity in decades: its usual level at each hour and its change over the last minutes), per-feature deviations, and scan health.",
      "cloudops_anomaly_score",
      [
        {
          id: an.score,
          title: "Anomaly score and threshold",
          description:
            "Rarity of each host's newest point for that host, in decades (5 ≈ one scan in 100,000); at or above its threshold (set from ANOMALY_FALSE_ALARMS_PER_DAY) the bot reports a finding.",
          unit: "ratio",
          targets: [
            {
              expr: 'cloudops_anomaly_score{instance=~"$instance"}',
              legend: "{{instance}} ({{environment}})",
            },
            {
              expr: 'cloudops_anomaly_threshold{instance=~"$instance"}',
              legend: "{{instance}} threshold",
            },
          ],
        },
        {
          id: an.features,
          title: "Feature deviations",
          description:
            "How far each of the 18 features is from the host's usual level (0.5 = 3 robust standard deviations).",
          unit: "ratio",
          max: 1,
          targets: [
            {
              expr: 'cloudops_anomaly_feature_score{instance=~"$instance"} > 0.3',
              legend: "{{instance}} {{feature}}",
            },
          ],
        },
        {
          id: an.findings,
          title: "Hosts over their threshold",
          description: "1 while a host's score is above its threshold: the findings the bot posts.",
          unit: "count",
          targets: [
            {
              expr: 'count by (environment) (cloudops_anomaly_score{instance=~"$instance"} > on (instance, environment) cloudops_anomaly_threshold)',
              legend: "{{environment}}",
            },
          ],
        },
        {
          id: an.scanFailing,
          title: "Scan failing",
          description:
            "1 when the environment's last anomaly job failed; the reason is in GET /api/v1/anomalies.",
          unit: "count",
          max: 1,
          targets: [{ expr: "cloudops_anomaly_scan_failing", legend: "{{environment}}" }],
        },
      ],
    ),
  ];
}

/** The file each dashboard is written to, under grafana/dashboards. */
export function dashboardFile(d: Dashboard): string {
  return `${d.uid}.json`;
}
