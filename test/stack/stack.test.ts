/** `cloudops stack` with real Debian binaries on free ports: start, reuse, status, stop. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stackDown, stackStatus, stackUp } from "../../src/stack/stack.js";
import { freePort } from "../support/prometheus-process.js";

const home = mkdtempSync(path.join(tmpdir(), "cloudops-stack-"));
const lines: string[] = [];
let opts: Parameters<typeof stackUp>[0];

afterAll(async () => {
  await stackDown(opts).catch(() => {});
  rmSync(home, { recursive: true, force: true });
});

describe("cloudops stack", () => {
  it("starts all four services, reuses them on a second run, reports and stops them", async () => {
    opts = {
      home,
      log: (l) => lines.push(l),
      ports: { redis: await freePort(), prometheus: await freePort(), nodeExporter: await freePort(), alertmanager: await freePort() },
      botPort: await freePort(),
    };
    const up = await stackUp(opts);
    expect(up.map((s) => [s.name, s.state])).toEqual([
      ["redis", "started"],
      ["nodeExporter", "started"],
      ["alertmanager", "started"],
      ["prometheus", "started"],
    ]);
    // Prometheus scrapes the stack's node_exporter.
    const targets = (await (await fetch(`http://127.0.0.1:${opts.ports?.prometheus}/api/v1/targets`)).json()) as {
      data: { activeTargets: { scrapeUrl: string }[] };
    };
    expect(targets.data.activeTargets.map((t) => t.scrapeUrl)).toContain(`http://127.0.0.1:${opts.ports?.nodeExporter}/metrics`);

    const again = await stackUp(opts);
    expect(again.every((s) => s.state === "reused")).toBe(true);
    expect(again.map((s) => s.pid)).toEqual(up.map((s) => s.pid));

    const status = await stackStatus(opts);
    expect(status.every((s) => s.state === "running")).toBe(true);

    const down = await stackDown(opts);
    expect(down.every((s) => s.state === "stopped")).toBe(true);
    const after = await stackStatus(opts);
    expect(after.every((s) => s.state === "stopped")).toBe(true);
    expect(lines.some((l) => /prometheus\s+started on 127\.0\.0\.1:\d+/.test(l))).toBe(true);
  });

  it("leaves services it did not start alone", async () => {
    const other = mkdtempSync(path.join(tmpdir(), "cloudops-stack-other-"));
    const ports = { redis: await freePort(), prometheus: await freePort(), nodeExporter: await freePort(), alertmanager: await freePort() };
    const first = { home: other, log: () => {}, ports };
    await stackUp(first);
    // A second stack home sees them as external: it reuses them and stops nothing.
    const second = { home: mkdtempSync(path.join(tmpdir(), "cloudops-stack-b-")), log: () => {}, ports };
    expect((await stackUp(second)).every((s) => s.state === "reused")).toBe(true);
    await stackDown(second);
    expect((await stackStatus(second)).every((s) => s.state === "running-external")).toBe(true);
    await stackDown(first);
    rmSync(other, { recursive: true, force: true });
    rmSync(second.home, { recursive: true, force: true });
  });
});
