/**
 * The label sets real exporters emit, read from recordings: test fleets copy them, so every query is
 * tried against what Prometheus really holds (several CPUs with eight modes each, several network
 * devices each with their own errs/drop/bytes counters, several file systems and disks), not one
 * tidy series per family.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Labels } from "./openmetrics-writer.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Debian 12's prometheus-node-exporter 1.5 on a 2-CPU VM with a bridge, a veth pair and two ext4 mounts. */
export const NODE_EXPORTER_RECORDING = path.resolve(here, "../fixtures/node-exporter-1.5.txt");

export interface RecordedSample {
  name: string;
  labels: Labels;
  value: number;
}

/** Parses Prometheus text exposition (the subset exporters write: no timestamps, no exemplars). */
export function parseExposition(text: string): RecordedSample[] {
  const out: RecordedSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line.slice(0, 80)}`);
    const labels: Labels = {};
    for (const l of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1] as string, labels, value: Number(m[4]) });
  }
  return out;
}

let nodeRecording: RecordedSample[] | undefined;

/** Every sample of the node_exporter recording. */
export function nodeExporterSamples(): RecordedSample[] {
  nodeRecording ??= parseExposition(readFileSync(NODE_EXPORTER_RECORDING, "utf8"));
  return nodeRecording;
}

/** The label sets a real node_exporter emits for one metric family (empty when it has none). */
export function nodeLabelSets(family: string): Labels[] {
  return nodeExporterSamples()
    .filter((s) => s.name === family)
    .map((s) => s.labels);
}

/** Distinct values of one label within a family, in the recording's order. */
export function nodeLabelValues(family: string, label: string): string[] {
  return [...new Set(nodeLabelSets(family).map((l) => l[label] ?? ""))];
}

/** CPUs and modes of node_cpu_seconds_total: a real exporter has eight modes per CPU. */
export const NODE_CPU_MODES = nodeLabelValues("node_cpu_seconds_total", "mode");

/** Network devices of the recording; each has receive/transmit bytes, packets, errs and drop counters. */
export const NODE_NET_DEVICES = nodeLabelValues("node_network_receive_bytes_total", "device");

/** The per-device network counter families a real exporter emits. */
export const NODE_NET_COUNTERS = [
  "node_network_receive_bytes_total",
  "node_network_transmit_bytes_total",
  "node_network_receive_packets_total",
  "node_network_transmit_packets_total",
  "node_network_receive_errs_total",
  "node_network_transmit_errs_total",
  "node_network_receive_drop_total",
  "node_network_transmit_drop_total",
] as const;

/** Block devices of the recording; each has read/written bytes, io time and completed-op counters. */
export const NODE_DISK_DEVICES = nodeLabelValues("node_disk_read_bytes_total", "device");

/**
 * cAdvisor's documented metric names and labels (github.com/google/cadvisor docs/storage/prometheus.md):
 * container series carry `id`, `image` and `name` (plus container_label_* copies of Docker labels);
 * cgroups that are not containers (the root "/", system slices) have empty `image` and `name`;
 * network counters add `interface`, file-system gauges add `device`.
 */
export const CADVISOR = {
  cpu: "container_cpu_usage_seconds_total",
  memoryWorkingSet: "container_memory_working_set_bytes",
  memoryUsage: "container_memory_usage_bytes",
  lastSeen: "container_last_seen",
  startTime: "container_start_time_seconds",
  networkReceive: "container_network_receive_bytes_total",
  networkTransmit: "container_network_transmit_bytes_total",
  fsUsage: "container_fs_usage_bytes",
  /** Non-container cgroups every cAdvisor reports beside the containers. */
  systemCgroups: ["/", "/system.slice", "/system.slice/docker.service", "/user.slice"],
} as const;

/** Labels of one Docker container as cAdvisor writes them. */
export function cadvisorContainerLabels(instance: string, name: string, image: string): Labels {
  const id = `/system.slice/docker-${name.padEnd(12, "0").slice(0, 12)}.scope`;
  return {
    instance,
    job: "cadvisor",
    id,
    image,
    name,
    container_label_com_docker_compose_service: name,
  };
}
