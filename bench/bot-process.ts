/**
 * Starts the built bot (dist/cli.js start) as its own process, as in production, so a benchmark's
 * load generator never shares its event loop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "../test/support/prometheus-process.js";

export interface BotProcess {
  url: string;
  stop(): Promise<void>;
  /** SIGKILL: the process dies wherever it is, as in a crash. */
  kill(): Promise<void>;
}

export async function startBot(env: Record<string, string>): Promise<BotProcess> {
  const port = await freePort();
  // BENCH_BOT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the bot under load.
  const nodeArgs = (process.env.BENCH_BOT_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, "dist/cli.js", "start"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      API_RATE_LIMIT_PER_MIN: "0",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null) return;
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
  };
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGKILL");
    await new Promise((r) => proc.once("exit", r));
  };
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, stop, kill };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error("the bot did not start; run `npm run build` first");
}
