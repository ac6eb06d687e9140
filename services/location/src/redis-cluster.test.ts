import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster } from "ioredis";
import { freePort, hasBinary } from "@sipfleet/testing";
import { bindingStoreContract } from "@sipfleet/bindings/testing";
import { RedisBindingStore } from "./redis-binding-store.js";

/**
 * A 3-master Redis Cluster of this test's own (redis-server --cluster-enabled, joined with
 * redis-cli --cluster create), on free loopback ports, stopped by PID.
 */
interface TestCluster {
  readonly nodes: readonly { host: string; port: number }[];
  stop(): Promise<void>;
}

async function startRedisCluster(): Promise<TestCluster> {
  for (const binary of ["redis-server", "redis-cli"]) {
    if (!hasBinary(binary)) throw new Error(`${binary} is not installed (not found on PATH): the Redis Cluster test needs it (Debian: apt-get install redis-server)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-redis-cluster-"));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once("exit", () => resolve());
            process.kill(c.pid as number, "SIGKILL");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL")));
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      const args = ["--bind", "127.0.0.1", "--port", String(port), "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--save", "", "--appendonly", "no", "--dir", dir];
      children.push(spawn("redis-server", args, { stdio: "ignore" }));
    }
    for (const port of ports) await waitFor(() => spawnSync("redis-cli", ["-p", String(port), "ping"]).stdout?.toString().trim() === "PONG", `redis-server on ${port}`);
    const create = spawnSync("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], { encoding: "utf8" });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout} ${create.stderr}`);
    for (const port of ports) await waitFor(() => /cluster_state:ok/.test(spawnSync("redis-cli", ["-p", String(port), "cluster", "info"]).stdout?.toString() ?? ""), `cluster state ok on ${port}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((port) => ({ host: "127.0.0.1", port })), stop };
}

async function waitFor(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let cluster: Promise<TestCluster> | undefined;
const redisCluster = () => (cluster ??= startRedisCluster());
after(async () => {
  if (cluster !== undefined) await (await cluster).stop();
});

bindingStoreContract("RedisBindingStore on a 3-master Redis Cluster (redis+cluster:// URL)", async () => {
  const { nodes } = await redisCluster();
  const store = new RedisBindingStore(`redis+cluster://${nodes.map((n) => `${n.host}:${n.port}`).join(",")}`);
  return { store, cleanup: () => store.close() };
});

describe("RedisBindingStore on Redis Cluster", () => {
  it("spreads AORs over every master, each AOR's keys in one slot, and lists them all", async () => {
    const { nodes } = await redisCluster();
    const connection = new Cluster([...nodes], { enableAutoPipelining: true });
    const store = new RedisBindingStore(connection);
    try {
      const tag = Date.now();
      const aors = Array.from({ length: 60 }, (_, i) => `sip:spread${i}-${tag}@example.test`);
      const flow = { edgeId: "e", connectionId: "c", transport: "udp", remote: { ip: "127.0.0.2", port: 1 }, local: { ip: "127.0.0.1", port: 2 } } as const;
      for (const aor of aors) {
        const r = await store.save({
          aor,
          callId: "c",
          cseq: 1,
          changes: [1, 2].map((n) => ({ key: `sip:${n}@127.0.0.2`, contact: `<sip:${n}@127.0.0.2>`, qMillis: 1000, instanceId: "", regId: 0, path: [], flow, userAgent: "", lifetimeMs: 60_000 })),
          removeAll: false,
          nonceUse: { nonce: "n", nc: 1, ttlMs: 60_000 },
          maxBindings: 0,
          nowMs: Date.now(),
        });
        assert.equal(r.outcome, "saved");
      }
      const perMaster = await Promise.all(connection.nodes("master").map((n) => n.dbsize()));
      assert.equal(perMaster.length, 3);
      for (const n of perMaster) assert.ok(n > 0, `keys per master: ${perMaster.join(", ")}`);
      const seen = new Set<string>();
      let token: string | undefined;
      do {
        const page = await store.list(7, token);
        assert.ok(page.entries.length <= 7);
        for (const e of page.entries) {
          assert.ok(!seen.has(e.aor), `${e.aor} listed twice`);
          seen.add(e.aor);
        }
        token = page.nextPageToken;
      } while (token !== undefined);
      for (const aor of aors) assert.ok(seen.has(aor), `${aor} not listed`);
    } finally {
      await store.close();
      await connection.quit();
    }
  });
});
