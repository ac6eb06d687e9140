import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineMissingError, hasBinary } from "./engine-process.js";
import { freePort } from "./ports.js";
import { waitFor, killChild, redisCli } from "./engine-helpers.js";


/**
 * Redis with Sentinel, of the test's own: one master, `replicas` replicas and `sentinels`
 * sentinels (`redis-server <config> --sentinel`, each with its own config file it rewrites), on
 * free loopback ports, stopped by PID. A sentinel deems the master down after `downAfterMs`; a
 * majority of them (the quorum) starts the failover.
 */
export interface RedisSentinelOptions {
  replicas: number;
  sentinels: number;
  masterName: string;
  downAfterMs: number;
  /** How long start and failover wait. */
  timeoutMs: number;
}

export const DEFAULT_REDIS_SENTINEL_OPTIONS: RedisSentinelOptions = {
  replicas: 1,
  sentinels: 3,
  masterName: "sipfleet",
  downAfterMs: 1000,
  timeoutMs: 30_000,
};

export interface RedisSentinelNode {
  readonly host: string;
  readonly port: number;
  /** -1 once killed. */
  readonly pid: number;
  readonly running: boolean;
}

export interface RedisSentinelSet {
  /** The data servers, the initial master first. */
  readonly servers: readonly RedisSentinelNode[];
  readonly sentinels: readonly RedisSentinelNode[];
  readonly masterName: string;
  /** `redis+sentinel://h:p,h:p,h:p/<masterName>` (REDIS_URL for the services). */
  readonly url: string;
  /** The server every live sentinel names as master now. */
  master(): Promise<RedisSentinelNode>;
  /**
   * SIGKILLs the current master and waits until every live sentinel names a replica as master
   * and that replica says it is master.
   */
  failover(): Promise<{ killed: RedisSentinelNode; promoted: RedisSentinelNode; tookMs: number }>;
  stop(): Promise<void>;
}

interface Proc extends RedisSentinelNode {
  child: ChildProcess;
}

export async function startRedisSentinel(options: Partial<RedisSentinelOptions> = {}): Promise<RedisSentinelSet> {
  const o = { ...DEFAULT_REDIS_SENTINEL_OPTIONS, ...options };
  if (!hasBinary("redis-server")) throw new EngineMissingError("redis-server");
  if (!hasBinary("redis-cli")) throw new EngineMissingError("redis-cli");
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-redis-sentinel-"));
  const procs: Proc[] = [];
  const spawnRedis = (port: number, args: string[]): Proc => {
    const child = spawn("redis-server", args, { stdio: "ignore" });
    const p: Proc = {
      host: "127.0.0.1",
      port,
      child,
      get running() {
        return child.exitCode === null && child.signalCode === null;
      },
      get pid() {
        return this.running ? (child.pid ?? -1) : -1;
      },
    };
    procs.push(p);
    return p;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => killChild(p.child)));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => procs.forEach((p) => p.running && p.child.kill("SIGKILL")));

  const servers: Proc[] = [];
  const sentinels: Proc[] = [];
  try {
    const common = (port: number) => ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir, "--repl-diskless-sync-delay", "0"];
    const masterPort = await freePort();
    servers.push(spawnRedis(masterPort, common(masterPort)));
    for (let i = 0; i < o.replicas; i++) {
      const port = await freePort();
      servers.push(spawnRedis(port, [...common(port), "--replicaof", "127.0.0.1", String(masterPort)]));
    }
    for (const s of servers) await waitFor(async () => (await redisCli(s, "ping")).trim() === "PONG", `redis-server on ${s.port}`, o.timeoutMs);
    await waitFor(async () => (await Promise.all(servers.slice(1).map((s) => redisCli(s, "info", "replication")))).every((r) => /master_link_status:up/.test(r)), "the replicas to sync", o.timeoutMs);
    const quorum = Math.floor(o.sentinels / 2) + 1;
    for (let i = 0; i < o.sentinels; i++) {
      const port = await freePort();
      const config = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        config,
        [
          `bind 127.0.0.1`,
          `port ${port}`,
          `dir ${dir}`,
          `sentinel monitor ${o.masterName} 127.0.0.1 ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMs}`,
          `sentinel failover-timeout ${o.masterName} ${Math.max(3 * o.downAfterMs, 3000)}`,
          `sentinel parallel-syncs ${o.masterName} 1`,
          "",
        ].join("\n"),
      );
      sentinels.push(spawnRedis(port, [config, "--sentinel"]));
    }
    // Every sentinel sees the replicas and the other sentinels: only then can they agree on a failover.
    await waitFor(
      async () => {
        for (const s of sentinels) {
          const info = await redisCli(s, "sentinel", "master", o.masterName);
          const field = (name: string) => Number(new RegExp(`(?:^|\\n)${name}\\n(\\d+)`).exec(info)?.[1]);
          if (field("num-slaves") < o.replicas || field("num-other-sentinels") < o.sentinels - 1) return false;
        }
        return true;
      },
      "the sentinels to find the replicas and each other",
      o.timeoutMs,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const named = async (): Promise<Proc | undefined> => {
    let port: number | undefined;
    for (const s of sentinels) {
      if (!s.running) continue;
      const addr = (await redisCli(s, "sentinel", "get-master-addr-by-name", o.masterName)).trim().split("\n");
      const p = Number(addr[1]);
      if (port !== undefined && p !== port) return undefined;
      port = p;
    }
    return servers.find((s) => s.port === port);
  };
  const master = async (): Promise<RedisSentinelNode> => {
    const m = await named();
    if (m === undefined) throw new Error("the sentinels do not agree on a master");
    return m;
  };
  return {
    servers,
    sentinels,
    masterName: o.masterName,
    url: `redis+sentinel://${sentinels.map((s) => `${s.host}:${s.port}`).join(",")}/${o.masterName}`,
    master,
    async failover() {
      const killed = (await master()) as Proc;
      const started = Date.now();
      await killChild(killed.child);
      let promoted: Proc | undefined;
      await waitFor(
        async () => {
          const m = await named();
          if (m === undefined || m === killed || !m.running) return false;
          promoted = m;
          return /role:master/.test(await redisCli(m, "info", "replication"));
        },
        `a replica to replace master ${killed.port}`,
        o.timeoutMs,
      );
      return { killed, promoted: promoted as Proc, tookMs: Date.now() - started };
    },
    stop,
  };
}



