/**
 * Throwaway Redis topologies for tests, from Debian's redis-server and redis-sentinel: a 3-master
 * Redis Cluster, and a Sentinel set (one master, one replica, one sentinel). Every process runs in
 * a temporary folder on free 127.0.0.1 ports, with no persistence; `stop()` kills them all and
 * removes the folders (their data goes with them: nothing is left to clean).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { until } from "./until.js";

const run = promisify(execFile);

/** A port free on 127.0.0.1 whose cluster bus port (+10000) is free too. */
async function freePortPair(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await free(port)) && (await free(port + 10_000))) return port;
  }
  throw new Error("no free port pair found");
}

/** `redis-cli -p port …`, its output trimmed; rejects when redis-cli fails. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
    timeout: 10_000,
  });
  return stdout.trim();
}

const answers = (port: number) =>
  cli(port, "ping").then(
    (o) => o === "PONG",
    () => false,
  );

export interface Proc {
  port: number;
  child: ChildProcess;
  log: () => string;
}

export function launch(cmd: string, args: string[], port: number): Proc {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { port, child, log: () => out };
}

export async function started(p: Proc, what: string): Promise<void> {
  await until(
    `${what} on port ${p.port} to answer PING`,
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${what} exited with ${p.child.exitCode}: ${p.log()}`);
      return answers(p.port);
    },
    20_000,
    50,
  );
}

export async function killAll(procs: Proc[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          p.child.once("exit", () => resolve());
          p.child.kill("SIGKILL");
        }),
    ),
  );
}

/** redis-server on `port` in `dir`, no snapshots; `aof` keeps an append-only file fsynced on every write. */
export const serverArgs = (port: number, dir: string, extra: string[] = [], aof = false) => [
  "--port",
  String(port),
  "--bind",
  "127.0.0.1",
  "--dir",
  dir,
  "--save",
  "",
  ...(aof ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
  ...extra,
];

export interface RedisCluster {
  /** `127.0.0.1:port,…` for REDIS_CLUSTER_NODES. */
  nodes: string;
  ports: number[];
  stop(): Promise<void>;
}

/** Three masters (no replicas) holding all 16384 slots; resolves once every node says cluster_state:ok. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-cluster-"));
  const procs: Proc[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePortPair();
      procs.push(
        launch(
          "redis-server",
          // One folder for the three: each has its own nodes file, and none saves data.
          serverArgs(port, dir, [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            `nodes-${port}.conf`,
            "--cluster-node-timeout",
            "2000",
          ]),
          port,
        ),
      );
    }
    await Promise.all(procs.map((p) => started(p, "cluster node")));
    const ports = procs.map((p) => p.port);
    await run(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...ports.map((p) => `127.0.0.1:${p}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { timeout: 30_000 },
    );
    await until(
      "cluster_state:ok on every node",
      async () => {
        const infos = await Promise.all(ports.map((p) => cli(p, "cluster", "info").catch(() => "")));
        return infos.every((i) => i.includes("cluster_state:ok"));
      },
      30_000,
      100,
    );
    return {
      nodes: ports.map((p) => `127.0.0.1:${p}`).join(","),
      ports,
      async stop() {
        await killAll(procs);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface SentinelSet {
  /** `127.0.0.1:port` for REDIS_SENTINELS. */
  sentinels: string;
  name: string;
  masterPort: number;
  replicaPort: number;
  sentinelPort: number;
  /** The port the sentinel currently names as master. */
  currentMaster(): Promise<number>;
  /** SENTINEL FAILOVER, resolved once the sentinel names the other node, which is master, and the old master is its replica. */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

/** A master, its replica (in sync) and one sentinel (quorum 1) that knows both. */
export async function startSentinelSet(name = "mymaster"): Promise<SentinelSet> {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-sentinel-"));
  const procs: Proc[] = [];
  try {
    const masterPort = await freePortPair();
    const replicaPort = await freePortPair();
    const sentinelPort = await freePortPair();
    const master = launch(
      "redis-server",
      serverArgs(masterPort, dir, ["--dbfilename", "master.rdb"]),
      masterPort,
    );
    procs.push(master);
    await started(master, "master");
    const replica = launch(
      "redis-server",
      serverArgs(replicaPort, dir, [
        "--dbfilename",
        "replica.rdb",
        "--replicaof",
        "127.0.0.1",
        String(masterPort),
      ]),
      replicaPort,
    );
    procs.push(replica);
    await started(replica, "replica");
    await until(
      "the replica in sync with the master",
      async () => (await cli(replicaPort, "info", "replication")).includes("master_link_status:up"),
      20_000,
      50,
    );
    const conf = path.join(dir, "sentinel.conf");
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${name} 2000`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        "",
      ].join("\n"),
    );
    const sentinel = launch("redis-sentinel", [conf], sentinelPort);
    procs.push(sentinel);
    await started(sentinel, "sentinel");
    await until(
      "the sentinel to know the replica",
      async () => {
        const out = await cli(sentinelPort, "sentinel", "replicas", name).catch(() => "");
        return out.includes(String(replicaPort)) && !out.includes("disconnected") && !out.includes("s_down");
      },
      30_000,
      100,
    );
    const currentMaster = async () =>
      Number((await cli(sentinelPort, "sentinel", "get-master-addr-by-name", name)).split("\n")[1]);
    return {
      sentinels: `127.0.0.1:${sentinelPort}`,
      name,
      masterPort,
      replicaPort,
      sentinelPort,
      currentMaster,
      async failover() {
        const before = await currentMaster();
        const other = before === masterPort ? replicaPort : masterPort;
        // Replication is asynchronous: fail over once the replica has everything the master has.
        const offset = async (port: number, field: string) =>
          new RegExp(`${field}:(\\d+)`).exec(await cli(port, "info", "replication"))?.[1];
        await until(
          "the replica caught up with the master",
          async () =>
            (await offset(before, "master_repl_offset")) === (await offset(other, "slave_repl_offset")),
          20_000,
          50,
        );
        const reply = await cli(sentinelPort, "sentinel", "failover", name);
        if (reply !== "OK") throw new Error(`SENTINEL FAILOVER answered ${reply}`);
        let after = before;
        await until(
          "the sentinel to name a new master, and the old one to be its replica",
          async () => {
            after = await currentMaster();
            // Complete: the old master is a replica of the new one (it refuses writes from now on).
            return (
              after !== before &&
              (await cli(after, "role")).startsWith("master") &&
              (await cli(before, "role")).startsWith("slave")
            );
          },
          30_000,
          100,
        );
        return after;
      },
      async stop() {
        await killAll(procs);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
