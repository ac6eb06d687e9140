import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineMissingError, hasBinary } from "./engine-process.js";
import { freePort } from "./ports.js";
import { waitFor } from "./engine-helpers.js";

/**
 * A NATS cluster of the test's own: `nodes` nats-server processes on free loopback ports, routed
 * to each other (one cluster name, every node listing every other's route), each with its own
 * JetStream store directory and server_name (clustered JetStream needs both). Stopped by PID.
 */
export interface NatsClusterOptions {
  nodes: number;
  jetstream: boolean;
  /** How long start and restart wait for the routes (and the JetStream meta leader). */
  timeoutMs: number;
}

export const DEFAULT_NATS_CLUSTER_OPTIONS: NatsClusterOptions = {
  nodes: 3,
  jetstream: true,
  timeoutMs: 30_000,
};

export interface NatsClusterNode {
  /** server_name, e.g. "n1". */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** nats://127.0.0.1:port */
  readonly url: string;
  /** The monitoring port (/varz, /routez, /jsz). */
  readonly httpPort: number;
  /** Of the running process; -1 while stopped. */
  readonly pid: number;
  readonly running: boolean;
}

export interface NatsCluster {
  readonly nodes: readonly NatsClusterNode[];
  /** Every node's client URL, comma-separated (NATS_URL for the services). */
  readonly url: string;
  /** SIGKILLs node i (a crash) and waits for its exit. */
  kill(i: number): Promise<void>;
  /** Starts node i again (same ports and store) and waits until it is routed to the live nodes. */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

interface Node extends NatsClusterNode {
  child: ChildProcess | undefined;
  readonly config: string;
}

export async function startNatsCluster(options: Partial<NatsClusterOptions> = {}): Promise<NatsCluster> {
  const o = { ...DEFAULT_NATS_CLUSTER_OPTIONS, ...options };
  if (!hasBinary("nats-server")) throw new EngineMissingError("nats-server");
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-nats-cluster-"));
  const ports: { client: number; route: number; http: number }[] = [];
  for (let i = 0; i < o.nodes; i++) ports.push({ client: await freePort(), route: await freePort(), http: await freePort() });
  const nodes: Node[] = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const store = join(dir, name);
    mkdirSync(store);
    const routes = ports.filter((_, k) => k !== i).map((q) => `nats-route://127.0.0.1:${q.route}`);
    const config = join(dir, `${name}.conf`);
    writeFileSync(
      config,
      [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${p.client}`,
        `http: 127.0.0.1:${p.http}`,
        ...(o.jetstream ? [`jetstream { store_dir: "${store}" }`] : []),
        `cluster { name: sipfleet-test, listen: 127.0.0.1:${p.route}, routes: [${routes.join(", ")}] }`,
        "",
      ].join("\n"),
    );
    const node: Node = {
      name,
      host: "127.0.0.1",
      port: p.client,
      url: `nats://127.0.0.1:${p.client}`,
      httpPort: p.http,
      child: undefined,
      config,
      get pid() {
        return this.running ? (this.child?.pid ?? -1) : -1;
      },
      get running() {
        return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
      },
    };
    return node;
  });
  const launch = (n: Node): void => {
    n.child = spawn("nats-server", ["-c", n.config], { stdio: "ignore" });
  };
  const kill = async (n: Node): Promise<void> => {
    const c = n.child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    process.kill(c.pid as number, "SIGKILL");
    await gone;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => nodes.forEach((n) => n.running && n.child?.kill("SIGKILL")));
  const settled = () => waitFor(() => routed(nodes, o.jetstream), "the NATS cluster's routes" + (o.jetstream ? " and JetStream meta leader" : ""), o.timeoutMs);
  try {
    nodes.forEach(launch);
    await settled();
  } catch (err) {
    await stop();
    throw err;
  }
  const at = (i: number): Node => {
    const n = nodes[i];
    if (n === undefined) throw new Error(`no NATS node #${i} (${nodes.length} nodes)`);
    return n;
  };
  return {
    nodes,
    url: nodes.map((n) => n.url).join(","),
    kill: (i) => kill(at(i)),
    async restart(i) {
      const n = at(i);
      if (n.running) throw new Error(`NATS node #${i} is running`);
      launch(n);
      await settled();
    },
    stop,
  };
}

/** Every running node has a route to every other running node (and, with JetStream, sees a meta leader). */
async function routed(nodes: readonly Node[], jetstream: boolean): Promise<boolean> {
  const live = nodes.filter((n) => n.running);
  for (const n of live) {
    const routez = (await monitor(n, "/routez")) as { num_routes?: number };
    if ((routez.num_routes ?? 0) < live.length - 1) return false;
    if (jetstream) {
      const jsz = (await monitor(n, "/jsz")) as { meta_cluster?: { leader?: string } };
      if ((jsz.meta_cluster?.leader ?? "") === "") return false;
    }
  }
  return true;
}

function monitor(n: NatsClusterNode, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = get({ host: n.host, port: n.httpPort, path, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

