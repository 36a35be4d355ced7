/** The chart under an alert is asked for as data: what the alert is about, on its one host. */
import { describe, expect, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { alertChart, chartRequest } from "../../src/alerts/alert-chart.js";
import type { GroupState } from "../../src/alerts/alert-store.js";

const alert = (alertname: string, instance: string, parts: Partial<Alert> = {}): Alert => ({
  fingerprint: `${alertname}-${instance}`,
  status: "firing",
  labels: { alertname, instance, environment: "prod" },
  annotations: {},
  startsAt: 0,
  source: "alertmanager",
  ...parts,
});

const state = (alerts: Alert[]): GroupState => ({
  group: {
    id: "0123abcd",
    target: { platform: "slack", channel: "C0", route: "default" },
    labels: {},
    createdAt: 0,
  },
  alerts,
  events: [],
  rev: 1,
});

describe("alert chart", () => {
  it("charts the signal the alert is about on its host, the last 3 hours", () => {
    expect(chartRequest(state([alert("HostDiskFull", "db-1:9100")]))).toEqual({
      topic: "disk",
      host: "db-1:9100",
      rangeSeconds: 10_800,
      environment: "prod",
    });
    expect(chartRequest(state([alert("ContainerRestarting", "db-1:8080")]))).toMatchObject({
      query: "containers_cpu_percent",
    });
  });

  it("draws nothing for a group spread over hosts or with nothing firing", async () => {
    expect(chartRequest(state([alert("HighCpu", "a:9100"), alert("HighCpu", "b:9100")]))).toBeUndefined();
    expect(chartRequest(state([alert("HighCpu", "a:9100", { status: "resolved" })]))).toBeUndefined();
    let asked = 0;
    const draw = alertChart({
      chart: async () => {
        asked++;
        return undefined;
      },
    });
    expect(await draw(state([]))).toBeUndefined();
    expect(asked).toBe(0);
  });

  it("gives an alert's chart more time than a question's answer: nobody is waiting on it", async () => {
    let deadline: number | undefined;
    const draw = alertChart({
      chart: async (_request, _signal, deadlineMs) => {
        deadline = deadlineMs;
        return undefined;
      },
    });
    await draw(state([alert("HostDiskFull", "db-1:9100")]));
    expect(deadline).toBeGreaterThanOrEqual(10_000);
  });
});
