// Cluster mode for tests: test-owned nats-server and redis-server on free ports, every tier as its
// own processes, and gRPC clients on each location replica.
import { GrpcBindingStore } from "@sipfleet/location-client";
import { startCluster, type Cluster } from "@sipfleet/local";
import { freePort, freePortRun, startNatsServer, startRedisServer, type EngineProcess } from "@sipfleet/testing";
import { listenOn, writeTestConfig, type TestConfigOptions } from "./fixtures.js";

export interface TestCluster {
  readonly nats: EngineProcess;
  readonly redis: EngineProcess;
  readonly cluster: Cluster;
  /** Port of edge k (UDP and TCP). */
  readonly edgePorts: readonly number[];
  /** Per extra transport asked for, the port of edge k on it. */
  readonly transportPorts: Readonly<Partial<Record<StreamTransport, readonly number[]>>>;
  /** One client per location replica, each talking to that replica only. */
  readonly replicaClients: readonly GrpcBindingStore[];
  /** A client balancing over every replica, as the registrars use. */
  readonly client: GrpcBindingStore;
  /** What the children logged, for a failing test's message. */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** Transports an edge may listen on besides UDP and TCP. */
export type StreamTransport = "tls" | "ws" | "wss";

export interface TestClusterOptions {
  /** Transports every edge listens on too, each on a port run of its own. */
  transports?: readonly StreamTransport[];
  /** Extra environment for every child (SIPFLEET_TLS_CERT_FILE, OTEL_*, ...). */
  env?: Readonly<Record<string, string>>;
  /** Every child serves /metrics (and /livez, /readyz) on a loopback port: `cluster.processes[i].healthAddress`. */
  healthServers?: boolean;
}

export async function startTestCluster(
  tiers: { edges: number; registrars: number; locations: number; proxies?: number },
  config: TestConfigOptions = {},
  options: TestClusterOptions = {},
): Promise<TestCluster> {
  const nats = await startNatsServer();
  const redis = await startRedisServer();
  // Edges take consecutive ports (the cluster shifts every listen port by k): one run of free ports,
  // a slice of it per transport, so that no two transports can be handed the same port.
  const transports = options.transports ?? [];
  const base = await freePortRun(tiers.edges * (1 + transports.length));
  const transportBases = transports.map((transport, i): [StreamTransport, number] => [transport, base + tiers.edges * (i + 1)]);
  const listen = [listenOn(base), ...transportBases.map(([transport, port]) => `${transport}:127.0.0.1:${port}`)].join(",");
  const locationPorts: number[] = [];
  for (let k = 0; k < tiers.locations; k++) locationPorts.push(await freePort());
  const logs: string[] = [];
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      ...tiers,
      proxies: tiers.proxies ?? 1,
      natsUrl: nats.url,
      redisUrl: redis.url,
      configPath: writeTestConfig(config),
      listen,
      locationPorts,
      env: { SIPFLEET_LOG_LEVEL: "info", ...options.env },
      healthServers: options.healthServers === true,
      onLog: (name, line) => {
        if (logs.length < 5000) logs.push(`[${name}] ${line}`);
      },
    });
  } catch (e) {
    await Promise.all([nats.stop(), redis.stop()]);
    throw new Error(`${(e as Error).message}\n${logs.slice(-40).join("\n")}`);
  }
  const replicaClients = cluster.locationAddresses.map((a) => new GrpcBindingStore([a]));
  const client = new GrpcBindingStore([...cluster.locationAddresses]);
  return {
    nats,
    redis,
    cluster,
    edgePorts: Array.from({ length: tiers.edges }, (_, k) => base + k),
    transportPorts: Object.fromEntries(
      transportBases.map(([transport, port]) => [transport, Array.from({ length: tiers.edges }, (_, k) => port + k)]),
    ),
    replicaClients,
    client,
    logs,
    async stop() {
      await Promise.all([...replicaClients, client].map((c) => c.close()));
      await cluster.stop();
      await Promise.all([nats.stop(), redis.stop()]);
    },
  };
}

