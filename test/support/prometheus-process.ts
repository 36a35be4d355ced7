/**
 * Real Prometheus processes for tests and benchmarks: backfill OpenMetrics with promtool, start
 * Prometheus on a free 127.0.0.1 port over that TSDB, stop it afterwards.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PrometheusProcess {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Writes OpenMetrics `text` into blocks under `dataDir` with promtool. */
export async function backfill(openMetricsFile: string, dataDir: string): Promise<void> {
  try {
    await run("promtool", ["tsdb", "create-blocks-from", "openmetrics", openMetricsFile, dataDir], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`promtool backfill failed: ${(err.stderr ?? err.message).slice(-2000)}`);
  }
}

export async function startPrometheus(
  opts: { dataDir?: string; configYaml?: string } = {},
): Promise<PrometheusProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), "cloudops-prom-"));
  const configFile = path.join(dataDir, "prometheus.yml");
  writeFileSync(configFile, opts.configYaml ?? "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
  const port = await freePort();
  const proc: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      "--storage.tsdb.retention.time=400d",
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`prometheus did not become ready within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    dataDir,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        const killer = setTimeout(() => proc.kill("SIGKILL"), 3000);
        await new Promise((r) => proc.once("exit", r));
        clearTimeout(killer);
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Backfills OpenMetrics files into a fresh TSDB (two promtool runs at a time) and starts Prometheus on
 * it. Each file is deleted once backfilled: they are read once, and a fleet's week is gigabytes.
 */
export async function startBackfilledPrometheus(openMetricsFiles: string[]): Promise<PrometheusProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "cloudops-prom-"));
  const queue = [...openMetricsFiles];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      await backfill(f, dataDir);
      rmSync(f, { force: true });
    }
  };
  await Promise.all([worker(), worker()]);
  const prom = await startPrometheus({ dataDir });
  return {
    ...prom,
    async stop() {
      await prom.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until Prometheus has merged its blocks (it compacts once a minute for a while after it starts,
 * and merges backfilled or overlapping blocks): a query timed during the merge would measure the
 * merge. Settled when the block and compaction counts have not changed for 70 s; gives up after
 * `maxMs`. For benches: their setup, not their timing.
 */
export async function waitForCompaction(
  url: string,
  maxMs = 1_200_000,
): Promise<{ blocks: number; seconds: number }> {
  const t0 = performance.now();
  const read = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
    return `${value("prometheus_tsdb_blocks_loaded")}/${value("prometheus_tsdb_compactions_total")}`;
  };
  let last = await read();
  let since = performance.now();
  while (performance.now() - since < 70_000 && performance.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 5000));
    const now = await read();
    if (now !== last) {
      last = now;
      since = performance.now();
    }
  }
  return { blocks: Number(last.split("/")[0]), seconds: (performance.now() - t0) / 1000 };
}
