import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { startRedisSentinel, type RedisSentinelSet } from "@sipfleet/testing";
import { createRedisConnection, parseRedisTarget } from "./redis-target.js";

describe("Redis with Sentinel (redis+sentinel://)", () => {
  it("parses sentinels, master name, database and credentials", () => {
    assert.deepEqual(parseRedisTarget("redis+sentinel://u:p%40ss@h1:26379,h2:26380/my%20master/2"), {
      kind: "sentinel",
      sentinels: [{ host: "h1", port: 26379 }, { host: "h2", port: 26380 }],
      masterName: "my master",
      db: 2,
      username: "u",
      password: "p@ss",
      tls: false,
    });
    assert.deepEqual(parseRedisTarget("rediss+sentinel://h1:26379/m"), { kind: "sentinel", sentinels: [{ host: "h1", port: 26379 }], masterName: "m", db: 0, username: undefined, password: undefined, tls: true });
    assert.throws(() => parseRedisTarget("redis+sentinel://h1:26379"), /REDIS_URL: expected redis\+sentinel:\/\/host:port,...\/master-name/);
    assert.throws(() => parseRedisTarget("redis+sentinel://h1:26379/m/x"), /database "x" is not a number/);
  });

  let set: RedisSentinelSet | undefined;
  after(async () => set?.stop());

  it("writes to the master the sentinels name, and to its replica once they have promoted it (the old master killed)", async () => {
    set = await startRedisSentinel({ replicas: 1, sentinels: 3 });
    const redis = createRedisConnection(parseRedisTarget(set.url));
    try {
      const before = await set.master();
      assert.equal(await redis.set("before", "1"), "OK");
      // Replicated before the master dies: asynchronous replication could lose a write in flight.
      assert.equal(await redis.wait(1, 2000), 1);
      const { killed, promoted, tookMs } = await set.failover();
      assert.equal(killed.port, before.port);
      assert.notEqual(promoted.port, killed.port);
      // Writes fail while the client finds the new master; then they succeed (no timing asserted).
      let failed = 0;
      for (;;) {
        try {
          assert.equal(await redis.set("after", "2"), "OK");
          break;
        } catch {
          failed++;
          assert.ok(failed < 200, "writes never succeeded after the failover");
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.equal(await redis.get("before"), "1");
      const role = (await redis.info("replication")).match(/role:(\w+)/)?.[1];
      assert.equal(role, "master");
      assert.equal(Number((await redis.info("server")).match(/tcp_port:(\d+)/)?.[1]), promoted.port);
      console.log(`# sentinel failover: promoted after ${tookMs} ms; ${failed} write attempts failed meanwhile`);
    } finally {
      redis.disconnect();
    }
  });
});
