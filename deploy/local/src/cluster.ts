import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/*
 * Cluster mode on one machine: every tier as its own processes, against real NATS, Redis and
 * gRPC — the shape of a Kubernetes deployment, with loopback ports instead of pods. Each child is
 * the service's own `main` (what a container runs); this module only gives each its environment
 * and watches it.
 */

export type Tier = "location" | "registrar" | "proxy" | "edge" | "admin";

export interface ClusterOptions {
  edges: number;
  registrars: number;
  proxies: number;
  locations: number;
  natsUrl: string;
  redisUrl: string;
  /** The YAML every process loads (SIPFLEET_CONFIG). */
  configPath: string;
  /**
   * Where the first edge listens (e.g. `udp:127.0.0.1:5060,tcp:127.0.0.1:5060`); edge k listens
   * on the same addresses with port + k.
   */
  listen: string;
  /** gRPC ports of the location replicas, one per replica. */
  locationPorts: readonly number[];
  /**
   * Shared by every registrar and proxy so that any of them verifies any nonce (and flow token);
   * random when omitted.
   */
  nonceSecret?: string;
  /** Extra environment for every child. */
  env?: Readonly<Record<string, string>>;
  /** Where children's log lines go (each prefixed with its name); default process.stderr. */
  onLog?: (name: string, line: string) => void;
  /** How long each process may take to report ready. */
  readyTimeoutMs?: number;
  /**
   * Every child serves its health server (/livez, /readyz and the Prometheus /metrics) on a free
   * loopback port of its own (HEALTH_LISTEN=127.0.0.1:0); `healthAddress` of each process says
   * where. Off by default: no health server, and metric instruments are no-ops.
   */
  healthServers?: boolean;
  /** One Admin API process (services/admin) on `listen`, accepting `tokens` (ADMIN_TOKENS form); none when omitted. */
  admin?: { listen: string; tokens: string };
}

export interface ClusterProcess {
  readonly name: string;
  readonly tier: Tier;
  readonly index: number;
  /** Of the current incarnation. */
  readonly pid: number;
  /**
   * host:port of the current incarnation's health server (GET /metrics, /livez, /readyz), with
   * `healthServers`; undefined without, and while the process is not running.
   */
  readonly healthAddress: string | undefined;
  readonly running: boolean;
  /** Sends a signal (SIGKILL: a crash; SIGTERM: a graceful stop) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts the process again with the same environment and waits until it is ready. */
  restart(): Promise<void>;
}

export interface Cluster {
  readonly processes: readonly ClusterProcess[];
  /** Per edge, its listen spec (`udp:127.0.0.1:5061,tcp:127.0.0.1:5061`). */
  readonly edgeListen: readonly string[];
  /** host:port of each location replica. */
  readonly locationAddresses: readonly string[];
  /** SIGTERM to every process, the admin API and edges first, then workers, then the location service. */
  stop(): Promise<void>;
}

/**
 * What each service logs once it serves (after its listeners are bound): its own message, not any
 * line with "ready" in it (the edge logs "call event stream ready" before it listens).
 */
const READY: Record<Tier, string> = {
  edge: "edge ready",
  proxy: "proxy ready",
  registrar: "registrar ready",
  location: "location service ready",
  admin: "admin api ready",
};

const MAIN: Record<Tier, string> = {
  location: fileURLToPath(import.meta.resolve("@sipfleet/location/main")),
  registrar: fileURLToPath(import.meta.resolve("@sipfleet/registrar/main")),
  proxy: fileURLToPath(import.meta.resolve("@sipfleet/proxy/main")),
  edge: fileURLToPath(import.meta.resolve("@sipfleet/edge/main")),
  admin: fileURLToPath(import.meta.resolve("@sipfleet/admin/main")),
};

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (options.locationPorts.length !== options.locations) {
    throw new Error(`startCluster: ${options.locations} location replicas need as many ports, got ${options.locationPorts.length}`);
  }
  const nonceSecret = options.nonceSecret ?? randomBytes(32).toString("base64url");
  const locationAddresses = options.locationPorts.map((p) => `127.0.0.1:${p}`);
  const edgeListen = Array.from({ length: options.edges }, (_, k) => shiftPorts(options.listen, k));
  const common: Record<string, string> = {
    SIPFLEET_CONFIG: options.configPath,
    NATS_URL: options.natsUrl,
    REDIS_URL: options.redisUrl,
    SIPFLEET_NONCE_SECRET: nonceSecret,
    LOCATION_ADDRESSES: locationAddresses.join(","),
    ...options.env,
  };
  const log = options.onLog ?? ((name: string, line: string) => process.stderr.write(`[${name}] ${line}\n`));
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;

  // Port 0: each child binds a free port and logs it, so no port is picked here and lost to a race.
  const health: Record<string, string> = options.healthServers === true ? { HEALTH_LISTEN: "127.0.0.1:0" } : {};
  const processes: ManagedProcess[] = [];
  const add = (tier: Tier, index: number, env: Record<string, string>) =>
    processes.push(new ManagedProcess(tier, index, { ...common, ...health, ...env }, log, readyTimeoutMs, options.healthServers === true));
  for (let k = 0; k < options.locations; k++) add("location", k, { LOCATION_LISTEN: locationAddresses[k] as string });
  for (let k = 0; k < options.registrars; k++) add("registrar", k, {});
  for (let k = 0; k < options.proxies; k++) add("proxy", k, {});
  for (let k = 0; k < options.edges; k++) add("edge", k, { SIPFLEET_LISTEN: edgeListen[k] as string, SIPFLEET_EDGE_ID: `edge-${k + 1}` });
  if (options.admin !== undefined) add("admin", 0, { ADMIN_LISTEN: options.admin.listen, ADMIN_TOKENS: options.admin.tokens });

  const stop = async (): Promise<void> => {
    for (const tier of ["admin", "edge", "registrar", "proxy", "location"] as const) {
      await Promise.all(processes.filter((p) => p.tier === tier).map((p) => p.kill("SIGTERM")));
    }
  };
  try {
    // Location first: registrars connect to it; then the workers, so edges find responders.
    for (const tier of ["location", "admin", "registrar", "proxy", "edge"] as const) {
      await Promise.all(processes.filter((p) => p.tier === tier).map((p) => p.start()));
    }
  } catch (e) {
    await Promise.all(processes.map((p) => p.kill("SIGKILL")));
    throw e;
  }
  return { processes, edgeListen, locationAddresses, stop };
}

/** `udp:127.0.0.1:5060,tcp:[::1]:5060` with every port + k. */
export function shiftPorts(listen: string, k: number): string {
  return listen
    .split(",")
    .map((spec) => spec.trim().replace(/:(\d+)$/, (_, port: string) => `:${Number(port) + k}`))
    .join(",");
}

/**
 * A service process: started from its main, ready when it logs its READY message (and, with a
 * health server, the address that server listens on: the services start it after READY).
 */
class ManagedProcess implements ClusterProcess {
  readonly name: string;
  private child: ChildProcess | undefined;
  private health: string | undefined;

  constructor(
    readonly tier: Tier,
    readonly index: number,
    private readonly env: Record<string, string>,
    private readonly log: (name: string, line: string) => void,
    private readonly readyTimeoutMs: number,
    private readonly withHealth: boolean,
  ) {
    this.name = `${tier}-${index + 1}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get healthAddress(): string | undefined {
    return this.running ? this.health : undefined;
  }

  get running(): boolean {
    const c = this.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  start(): Promise<void> {
    const child = spawn(process.execPath, [MAIN[this.tier]], {
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "inherit", "pipe"],
    });
    this.child = child;
    this.health = undefined;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let logged = false;
      const timer = setTimeout(() => {
        if (!ready) reject(new Error(`${this.name} did not report ready${this.withHealth ? " and its health address" : ""} within ${this.readyTimeoutMs} ms`));
      }, this.readyTimeoutMs);
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
        this.log(this.name, line);
        if (ready) return;
        const message = logMessage(line);
        if (message?.msg === READY[this.tier]) logged = true;
        if (this.withHealth && message?.msg === HEALTH_LISTENING && typeof message.address === "string") this.health = message.address;
        if (logged && (!this.withHealth || this.health !== undefined)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`${this.name} exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const c = this.child;
    if (c === undefined || !this.running) return c?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => c.once("exit", (code) => resolve(code)));
    c.kill(signal);
    return exited;
  }

  async restart(): Promise<void> {
    await this.kill("SIGTERM");
    await this.start();
  }
}

/** What @sipfleet/runtime's health server logs once it listens, with its `address`. */
const HEALTH_LISTENING = "health server listening";

/** A pino JSON log line's fields, or undefined for any other line. */
function logMessage(line: string): { msg?: unknown; address?: unknown } | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as { msg?: unknown; address?: unknown };
  } catch {
    return undefined;
  }
}
