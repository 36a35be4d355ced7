/**
 * A Redis server of the test's own (Debian's redis-server) on a free 127.0.0.1 port, with the
 * append-only file fsynced on every write, that can be killed (SIGKILL) and started again on the same
 * port and data folder: what a crashed and restarted Redis looks like to the bot.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../support/prometheus-process.js";

export interface RedisProcess {
  url: string;
  port: number;
  /** SIGKILL: no shutdown, no final save; what was fsynced to the AOF is all that survives. */
  kill(): void;
  /** Resolves once the killed server has exited. */
  exited(): Promise<void>;
  /** Starts the server again on the same port and folder and waits until it answers PING. */
  restart(): Promise<void>;
  /** Stops the server (if running) and removes its folder. */
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-redis-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let stderr = "";

  const launch = async () => {
    const p = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--protected-mode",
        "yes",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    p.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    proc = p;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`redis-server exited with ${p.exitCode}: ${stderr}`);
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => {});
      try {
        await probe.connect();
        // A server still loading its AOF answers LOADING: ready means PONG.
        if ((await probe.ping()) === "PONG") return;
      } catch {
        // not listening or still loading
      } finally {
        probe.disconnect();
      }
      if (Date.now() > deadline) {
        p.kill("SIGKILL");
        throw new Error(`redis-server did not answer within 20 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const exit = (p: ChildProcess | undefined) =>
    !p || p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => p.once("exit", () => r()));

  await launch();
  return {
    url,
    port,
    kill() {
      proc?.kill("SIGKILL");
    },
    exited: () => exit(proc),
    async restart() {
      await exit(proc);
      await launch();
    },
    async stop() {
      const p = proc;
      if (p && p.exitCode === null && p.signalCode === null) {
        p.kill("SIGKILL");
        await exit(p);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
