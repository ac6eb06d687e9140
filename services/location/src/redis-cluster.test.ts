import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "ioredis";
import { startRedisCluster, type RedisCluster } from "@sipfleet/testing";
import { bindingStoreContract } from "@sipfleet/bindings/testing";
import { RedisBindingStore } from "./redis-binding-store.js";

// A 3-master Redis Cluster of this test's own (no replicas: failover is tests/e2e's engine-failover).
let cluster: Promise<RedisCluster> | undefined;
const redisCluster = () => (cluster ??= startRedisCluster({ masters: 3, replicasPerMaster: 0 }));
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
