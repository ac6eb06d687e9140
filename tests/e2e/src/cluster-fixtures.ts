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
  /** One client per location replica, each talking to that replica only. */
  readonly replicaClients: readonly GrpcBindingStore[];
  /** A client balancing over every replica, as the registrars use. */
  readonly client: GrpcBindingStore;
  /** What the children logged, for a failing test's message. */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** Listeners beyond UDP and TCP (e.g. WebSocket), for tests that need them. */
export interface TestClusterListen {
  /**
   * The first edge's SIPFLEET_LISTEN given the base port (edge k gets every port + k). Its UDP
   * and TCP port must be `base`: edgePorts assume so.
   */
  listen: (base: number) => string;
  /** How many consecutive free ports to reserve from base (default: one per edge). */
  ports: number;
}

export async function startTestCluster(
  tiers: { edges: number; registrars: number; locations: number; proxies?: number },
  config: TestConfigOptions = {},
  listen?: TestClusterListen,
): Promise<TestCluster> {
  const nats = await startNatsServer();
  const redis = await startRedisServer();
  // Edges take consecutive ports: find a run of free ones.
  const base = await freePortRun(Math.max(tiers.edges, listen?.ports ?? 0));
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
      listen: listen?.listen(base) ?? listenOn(base),
      locationPorts,
      env: { SIPFLEET_LOG_LEVEL: "info" },
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
