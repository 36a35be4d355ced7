/**
 * A Redis server of the test's own (Debian's redis-server) on a free 127.0.0.1 port, with the
 * append-only file fsynced on every write, that can be killed (SIGKILL) and started again on the same
 * port and data folder: what a crashed and restarted Redis looks like to the bot.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../support/prometheus-process.js";
import { killAll, launch, type Proc, serverArgs, started } from "../support/redis-topology.js";

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
  const args = serverArgs(port, dir, ["--protected-mode", "yes"], true);
  // A server still loading its AOF answers LOADING: `started` waits for PONG.
  const launchServer = async () => {
    const p = launch("redis-server", args, port);
    await started(p, "redis-server").catch(async (e: unknown) => {
      await killAll([p]);
      throw e;
    });
    return p;
  };
  const exit = (p: Proc) =>
    p.child.exitCode !== null || p.child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => p.child.once("exit", () => r()));

  let proc = await launchServer();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill() {
      proc.child.kill("SIGKILL");
    },
    exited: () => exit(proc),
    async restart() {
      await exit(proc);
      proc = await launchServer();
    },
    async stop() {
      await killAll([proc]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
