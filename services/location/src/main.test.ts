import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, startRedisServer } from "@sipfleet/testing";
import { GrpcBindingStore } from "@sipfleet/location-client";
import { locationOptionsFromEnv } from "./location-env.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe("location service settings from the environment", () => {
  it("takes defaults and the documented forms", () => {
    assert.deepEqual(locationOptionsFromEnv({}), { listen: "127.0.0.1:50051", store: "redis://127.0.0.1:6379", redisCluster: false, shutdownGraceMs: 5000 });
    assert.equal(locationOptionsFromEnv({ REDIS_URL: "10.0.0.1:7000,10.0.0.2:7000", REDIS_CLUSTER: "1" }).redisCluster, true);
  });

  it("names the variable in every error", () => {
    assert.throws(() => locationOptionsFromEnv({ LOCATION_LISTEN: "nope" }), /^ConfigError: LOCATION_LISTEN/);
    assert.throws(() => locationOptionsFromEnv({ REDIS_URL: "http://x:1" }), /^RedisConfigError: REDIS_URL: unknown scheme/);
    assert.throws(() => locationOptionsFromEnv({ REDIS_URL: "a:1,b:2" }), /REDIS_URL: several nodes need REDIS_CLUSTER=1/);
    assert.throws(() => locationOptionsFromEnv({ REDIS_CLUSTER: "yes" }), /^RedisConfigError: REDIS_CLUSTER/);
    assert.throws(() => locationOptionsFromEnv({ LOCATION_SHUTDOWN_GRACE_MS: "-1" }), /^ConfigError: LOCATION_SHUTDOWN_GRACE_MS/);
  });
});

describe("location service process (dist/main.js)", () => {
  it("serves from its environment and on SIGTERM finishes, closes Redis and exits 0", async () => {
    const redis = await startRedisServer();
    const port = await freePort();
    const proc = run({ REDIS_URL: redis.url, LOCATION_LISTEN: `127.0.0.1:${port}` });
    const store = new GrpcBindingStore(`127.0.0.1:${port}`, { deadlineMs: 1000 });
    try {
      let served = false;
      for (let i = 0; i < 100 && !served; i++) {
        try {
          await store.lookup("sip:nobody@example.test");
          served = true;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(served, `served: ${proc.stderr()}`);
      const saved = await store.save({
        aor: "sip:main@example.test",
        callId: "c",
        cseq: 1,
        changes: [{ key: "k", contact: "<sip:k@127.0.0.2>", qMillis: 1000, instanceId: "", regId: 0, path: [], flow: { edgeId: "e", connectionId: "c", transport: "udp", remote: { ip: "127.0.0.2", port: 1 }, local: { ip: "127.0.0.1", port: 2 } }, userAgent: "", lifetimeMs: 60_000 }],
        removeAll: false,
        maxBindings: 0,
        nowMs: Date.now(),
      });
      assert.equal(saved.outcome, "saved");
      proc.child.kill("SIGTERM");
      const code = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r("timeout"), 8000).unref())]);
      assert.equal(code, 0, proc.stderr());
      assert.match(proc.stderr(), /location service ready/);
      assert.match(proc.stderr(), /location service stopped/);
    } finally {
      await store.close();
      if (proc.child.exitCode === null) proc.child.kill("SIGKILL");
      await redis.stop();
    }
  });

  it("with HEALTH_LISTEN: /readyz follows Redis (200, then 503 once it is gone) while /livez stays 200", async () => {
    const redis = await startRedisServer();
    const healthPort = await freePort();
    const proc = run({ REDIS_URL: redis.url, LOCATION_LISTEN: `127.0.0.1:${await freePort()}`, HEALTH_LISTEN: `127.0.0.1:${healthPort}` });
    const probe = async (path: string): Promise<{ status: number; body: unknown } | undefined> => {
      try {
        const res = await fetch(`http://127.0.0.1:${healthPort}${path}`, { signal: AbortSignal.timeout(5000) });
        return { status: res.status, body: await res.json() };
      } catch {
        return undefined;
      }
    };
    const waitFor = async (path: string, status: number): Promise<{ status: number; body: unknown } | undefined> => {
      let last: { status: number; body: unknown } | undefined;
      for (let i = 0; i < 100; i++) {
        last = await probe(path);
        if (last?.status === status) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      return last;
    };
    try {
      assert.deepEqual(await waitFor("/readyz", 200), { status: 200, body: { status: "ready", checks: { redis: true } } }, proc.stderr());
      assert.deepEqual(await probe("/livez"), { status: 200, body: { status: "ok" } });
      await redis.stop();
      assert.deepEqual(await waitFor("/readyz", 503), { status: 503, body: { status: "not ready", checks: { redis: false } } }, proc.stderr());
      assert.deepEqual(await probe("/livez"), { status: 200, body: { status: "ok" } });
      proc.child.kill("SIGTERM");
      const code = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r("timeout"), 8000).unref())]);
      assert.equal(code, 0, proc.stderr());
      assert.match(proc.stderr(), /draining: \/readyz answers 503/);
    } finally {
      if (proc.child.exitCode === null) proc.child.kill("SIGKILL");
      await redis.stop();
    }
  });

  it("exits 1 naming the variable on a configuration error", async () => {
    const proc = run({ LOCATION_LISTEN: "not-an-address" });
    assert.equal(await proc.exited, 1);
    assert.match(proc.stderr(), /LOCATION_LISTEN: expected host:port/);
  });
});
