import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EngineMissingError, hasBinary } from "./engine-process.js";
import { freePort } from "./ports.js";
import { waitFor, killChild, redisCli } from "./engine-helpers.js";

const run = promisify(execFile);

/**
 * A Redis Cluster of the test's own: `masters` redis-server processes with --cluster-enabled on
 * free loopback ports, each with `replicasPerMaster` replicas, joined with `redis-cli --cluster
 * create`, stopped by PID. A short cluster-node-timeout makes a killed master's replica take over
 * within a few seconds (the production default, 15 s, would dwarf a test).
 */
export interface RedisClusterOptions {
  masters: number;
  replicasPerMaster: number;
  /** cluster-node-timeout: how long a silent master is tolerated before its replica takes over. */
  nodeTimeoutMs: number;
  /** How long start and failover wait for the cluster to report state ok. */
  timeoutMs: number;
}

export const DEFAULT_REDIS_CLUSTER_OPTIONS: RedisClusterOptions = {
  masters: 3,
  replicasPerMaster: 1,
  nodeTimeoutMs: 1000,
  timeoutMs: 30_000,
};

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
  /** Of the running process; -1 once killed. */
  readonly pid: number;
  readonly running: boolean;
}

export interface RedisFailover {
  /** The killed master. */
  readonly killed: RedisClusterNode;
  /** Its replica, now master of its slots. */
  readonly promoted: RedisClusterNode;
  /** From the kill until every live node reported the cluster state ok with the replica promoted. */
  readonly tookMs: number;
}

export interface RedisCluster {
  /** Every process, masters and replicas, in start order. */
  readonly nodes: readonly RedisClusterNode[];
  /** `redis+cluster://h:p,h:p,...` over every node (REDIS_URL for the services). */
  readonly url: string;
  /** The running nodes that are masters now, ordered by the first slot they serve. */
  masters(): Promise<RedisClusterNode[]>;
  /**
   * SIGKILLs the master that serves the `masterIndex`-th slot range (see masters()) and waits
   * until one of its replicas is master of those slots and every live node reports the cluster
   * state ok.
   */
  failover(masterIndex: number): Promise<RedisFailover>;
  stop(): Promise<void>;
}

interface NodeProcess extends RedisClusterNode {
  child: ChildProcess;
}

export async function startRedisCluster(options: Partial<RedisClusterOptions> = {}): Promise<RedisCluster> {
  const o = { ...DEFAULT_REDIS_CLUSTER_OPTIONS, ...options };
  for (const binary of ["redis-server", "redis-cli"]) if (!hasBinary(binary)) throw new EngineMissingError(binary);
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-redis-cluster-"));
  const nodes: NodeProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => killChild(n.child)));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => nodes.forEach((n) => n.child.exitCode === null && n.child.signalCode === null && n.child.kill("SIGKILL")));
  try {
    const count = o.masters * (1 + o.replicasPerMaster);
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const args = ["--bind", "127.0.0.1", "--port", String(port), "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`)];
      // Replicas sync at once (no 5 s wait for more replicas to share one diskless transfer), and a
      // replica takes over however long its link was down: a test cluster values availability
      // over the freshness check that cluster-replica-validity-factor makes.
      args.push("--repl-diskless-sync-delay", "0", "--cluster-replica-validity-factor", "0");
      args.push("--cluster-node-timeout", String(o.nodeTimeoutMs), "--logfile", join(dir, `redis-${port}.log`), "--save", "", "--appendonly", "no", "--dir", dir);
      const child = spawn("redis-server", args, { stdio: "ignore" });
      nodes.push({
        host: "127.0.0.1",
        port,
        child,
        get pid() {
          return child.exitCode === null && child.signalCode === null ? (child.pid ?? -1) : -1;
        },
        get running() {
          return child.exitCode === null && child.signalCode === null;
        },
      });
    }
    for (const n of nodes) await waitFor(async () => (await redisCli(n, "ping")).trim() === "PONG", `redis-server on ${n.port}`, o.timeoutMs);
    const create = await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `${n.host}:${n.port}`), "--cluster-replicas", String(o.replicasPerMaster), "--cluster-yes"], {
      encoding: "utf8",
    }).catch((e: { stdout?: string; stderr?: string }) => {
      throw new Error(`redis-cli --cluster create failed: ${e.stdout ?? ""} ${e.stderr ?? ""}`);
    });
    void create;
    await waitFor(() => healthy(nodes, o.masters), "cluster state ok with every master and replica", o.timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }

  const masters = async (): Promise<RedisClusterNode[]> => (await view(nodes)).masters.map((m) => m.node);
  return {
    nodes,
    url: `redis+cluster://${nodes.map((n) => `${n.host}:${n.port}`).join(",")}`,
    masters,
    async failover(masterIndex: number): Promise<RedisFailover> {
      const before = await view(nodes);
      const master = before.masters[masterIndex];
      if (master === undefined) throw new Error(`failover: no master #${masterIndex} (${before.masters.length} masters)`);
      const started = Date.now();
      await killChild((master.node as NodeProcess).child);
      let promoted: RedisClusterNode | undefined;
      await waitFor(
        async () => {
          const after = await view(nodes);
          const successor = after.masters.find((m) => m.firstSlot === master.firstSlot);
          if (successor === undefined || successor.node === master.node) return false;
          promoted = successor.node;
          return healthy(nodes, before.masters.length);
        },
        `a replica of ${master.node.port} to take over its slots`,
        o.timeoutMs,
      );
      return { killed: master.node, promoted: promoted as RedisClusterNode, tookMs: Date.now() - started };
    },
    stop,
  };
}

interface ClusterView {
  masters: { node: RedisClusterNode; firstSlot: number }[];
}

/** Masters as the first live node sees them (CLUSTER NODES), each with the first slot it serves. */
async function view(nodes: readonly NodeProcess[]): Promise<ClusterView> {
  for (const n of nodes) {
    if (!n.running) continue;
    const text = await redisCli(n, "cluster", "nodes").catch(() => "");
    if (text === "") continue;
    const masters: ClusterView["masters"] = [];
    for (const line of text.split("\n")) {
      const f = line.trim().split(" ");
      if (f.length < 9 || !/(^|,)master(,|$)/.test(f[2] ?? "") || /fail/.test(f[2] ?? "")) continue;
      const port = Number(/:(\d+)@/.exec(f[1] ?? "")?.[1]);
      const node = nodes.find((x) => x.port === port);
      const firstSlot = Number(/^(\d+)/.exec(f[8] ?? "")?.[1]);
      if (node !== undefined && Number.isFinite(firstSlot)) masters.push({ node, firstSlot });
    }
    return { masters: masters.sort((a, b) => a.firstSlot - b.firstSlot) };
  }
  throw new Error("no Redis Cluster node answers");
}

/** Every live node reports state ok and sees `masters` masters serving slots. */
async function healthy(nodes: readonly NodeProcess[], masters: number): Promise<boolean> {
  for (const n of nodes) {
    if (!n.running) continue;
    const info = await redisCli(n, "cluster", "info").catch(() => "");
    if (!/cluster_state:ok/.test(info)) return false;
    if (Number(/cluster_size:(\d+)/.exec(info)?.[1]) !== masters) return false;
    // A replica that has not synced yet could not take over from its master.
    const replication = await redisCli(n, "info", "replication").catch(() => "");
    if (/role:slave/.test(replication) && !/master_link_status:up/.test(replication)) return false;
  }
  return (await view(nodes)).masters.length === masters;
}



