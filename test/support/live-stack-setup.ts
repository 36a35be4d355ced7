/**
 * Once per test run: the live tier's stack — `cloudops stack up` with Debian's real Prometheus (our
 * prometheus.yml and rules), node_exporter on this machine and Alertmanager routed to a bot port the
 * live tests listen on. Started first so it gathers history while the rest of the suite runs.
 * Scrapes and rule evaluations every second; Alertmanager groups within seconds.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { stackDown, stackUp } from "../../src/stack/stack.js";
import { freePort } from "./prometheus-process.js";

/** The alert the live tests fire by writing `cloudops_live_test_trigger 1` to `textfileDir`. */
export const LIVE_TEST_ALERT = "CloudOpsLiveTestTrigger";

export interface LiveStack {
  /** node_exporter exports the *.prom files of this folder (its textfile collector). */
  textfileDir: string;
  home: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** The `instance` label of this machine's node_exporter target. */
  nodeInstance: string;
  /** Port Alertmanager's webhook and Prometheus's `cloudops` job point at; a live test's bot listens here. */
  botPort: number;
  /** When the stack started, epoch ms. */
  startedAt: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    liveStack: LiveStack;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const home = mkdtempSync(path.join(tmpdir(), "cloudops-live-"));
  const redisPort = Number(new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379").port || 6379);
  const ports = {
    // The run's Redis, reused as it is (the stack never stops what it did not start).
    redis: redisPort,
    prometheus: await freePort(),
    nodeExporter: await freePort(),
    alertmanager: await freePort(),
  };
  const opts = {
    home,
    log: () => {},
    ports,
    botPort: await freePort(),
    scrapeInterval: "1s",
    alertTiming: { groupWait: "1s", groupInterval: "2s" },
  };
  // A rule the live tests can fire and resolve through node_exporter's textfile collector, loaded
  // with the shipped rules (the stack keeps extra files in its rules folder).
  mkdirSync(path.join(home, "config/rules"), { recursive: true });
  writeFileSync(
    path.join(home, "config/rules/live-test.yml"),
    [
      "groups:",
      "  - name: live-test",
      "    rules:",
      `      - alert: ${LIVE_TEST_ALERT}`,
      "        expr: cloudops_live_test_trigger == 1",
      "        labels:",
      "          severity: warning",
      "        annotations:",
      '          summary: "Live test trigger set on {{ $labels.instance }}"',
      "",
    ].join("\n"),
  );
  const startedAt = Date.now();
  await stackUp(opts);
  project.provide("liveStack", {
    home,
    textfileDir: path.join(home, "data/nodeExporter"),
    prometheusUrl: `http://127.0.0.1:${ports.prometheus}`,
    alertmanagerUrl: `http://127.0.0.1:${ports.alertmanager}`,
    nodeInstance: `127.0.0.1:${ports.nodeExporter}`,
    botPort: opts.botPort,
    startedAt,
  });
  return async () => {
    await stackDown(opts).catch(() => {});
    rmSync(home, { recursive: true, force: true });
  };
}
