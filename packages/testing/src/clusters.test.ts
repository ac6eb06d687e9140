import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { get } from "node:http";
import { startRedisCluster } from "./redis-cluster.js";
import { startNatsCluster } from "./nats-cluster.js";

test("startRedisCluster: 3 masters with a replica each; failover() kills a master by PID and its replica takes its slots", async () => {
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  try {
    assert.equal(cluster.nodes.length, 6);
    const masters = await cluster.masters();
    assert.equal(masters.length, 3);
    const { killed, promoted } = await cluster.failover(1);
    assert.equal(killed.port, masters[1]!.port);
    assert.equal(killed.running, false);
    assert.equal(killed.pid, -1);
    assert.ok(promoted.running);
    assert.notEqual(promoted.port, killed.port);
    const after = await cluster.masters();
    assert.deepEqual(
      after.map((m) => m.port),
      masters.map((m) => (m === masters[1] ? promoted.port : m.port)),
    );
    // A key of every slot range is writable again (-c follows MOVED to the promoted replica).
    for (let k = 0; k < 20; k++) {
      const out = execFileSync("redis-cli", ["-c", "-p", String(after[0]!.port), "set", `k${k}`, "v"], { encoding: "utf8" });
      assert.equal(out.trim(), "OK");
    }
  } finally {
    await cluster.stop();
  }
  assert.ok(cluster.nodes.every((n) => !n.running));
});

function routes(httpPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port: httpPort, path: "/routez" }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve((JSON.parse(body) as { num_routes: number }).num_routes));
    }).on("error", reject);
  });
}

test("startNatsCluster: 3 routed nodes with JetStream; kill(i) by PID, restart(i) rejoins", async () => {
  const cluster = await startNatsCluster({ nodes: 3, jetstream: true });
  try {
    assert.equal(cluster.url.split(",").length, 3);
    for (const n of cluster.nodes) assert.equal(await routes(n.httpPort), 2, `${n.name} routes`);
    const pid = cluster.nodes[1]!.pid;
    await cluster.kill(1);
    assert.equal(cluster.nodes[1]!.running, false);
    assert.throws(() => process.kill(pid, 0));
    await cluster.restart(1);
    assert.ok(cluster.nodes[1]!.running);
    assert.notEqual(cluster.nodes[1]!.pid, pid);
    for (const n of cluster.nodes) assert.equal(await routes(n.httpPort), 2, `${n.name} routes after the restart`);
  } finally {
    await cluster.stop();
  }
});
