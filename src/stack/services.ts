/**
 * The services `cloudops stack` runs locally without Docker, from Debian's packages: how to start
 * each, and how to tell it is ready.
 */

export type ServiceName = "redis" | "prometheus" | "nodeExporter" | "alertmanager";

export interface ServiceSpec {
  name: ServiceName;
  /** Debian package providing the binary. */
  pkg: string;
  binary: string;
  defaultPort: number;
  /** Readiness check: "redis" (PING) or an HTTP path. */
  ready: "redis" | string;
  args: (ctx: {
    port: number;
    dataDir: string;
    configDir: string;
    ports: Record<ServiceName, number>;
  }) => string[];
}

export const SERVICES: readonly ServiceSpec[] = [
  {
    name: "redis",
    pkg: "redis-server",
    binary: "redis-server",
    defaultPort: 6379,
    ready: "redis",
    // AOF on: alerts, silences and acknowledgements survive a restart.
    args: ({ port, dataDir }) => [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "yes",
      "--dir",
      dataDir,
    ],
  },
  {
    name: "nodeExporter",
    pkg: "prometheus-node-exporter",
    binary: "prometheus-node-exporter",
    defaultPort: 9100,
    ready: "/metrics",
    // *.prom files in its data folder are exported too (the textfile collector): custom metrics of
    // this machine, such as a backup job's last success.
    args: ({ port, dataDir }) => [
      `--web.listen-address=127.0.0.1:${port}`,
      "--no-collector.systemd",
      `--collector.textfile.directory=${dataDir}`,
    ],
  },
  {
    name: "alertmanager",
    pkg: "prometheus-alertmanager",
    binary: "prometheus-alertmanager",
    defaultPort: 9093,
    ready: "/-/ready",
    args: ({ port, dataDir, configDir }) => [
      `--config.file=${configDir}/alertmanager.yml`,
      `--storage.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
  },
  {
    name: "prometheus",
    pkg: "prometheus",
    binary: "prometheus",
    defaultPort: 9090,
    ready: "/-/ready",
    args: ({ port, dataDir, configDir }) => [
      `--config.file=${configDir}/prometheus.yml`,
      `--storage.tsdb.path=${dataDir}`,
      "--storage.tsdb.retention.time=15d",
      `--web.listen-address=127.0.0.1:${port}`,
    ],
  },
];
