import { startEngine, type EngineProcess } from "./engine-process.js";
import { freePort } from "./ports.js";

/** A nats-server of the test's own on a free loopback port, with JetStream. */
export async function startNatsServer(options: { port?: number } = {}): Promise<EngineProcess> {
  const port = options.port ?? (await freePort());
  return startEngine({
    name: "nats-server",
    binary: "nats-server",
    host: "127.0.0.1",
    port,
    scheme: "nats",
    args: (dir) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
    startTimeoutMs: 10_000,
  });
}

/** A redis-server of the test's own on a free loopback port, keeping nothing on disk. */
export async function startRedisServer(options: { port?: number } = {}): Promise<EngineProcess> {
  const port = options.port ?? (await freePort());
  return startEngine({
    name: "redis-server",
    binary: "redis-server",
    host: "127.0.0.1",
    port,
    scheme: "redis",
    args: (dir) => ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir],
    startTimeoutMs: 10_000,
  });
}
