import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRedisTarget, redisClusterFlag } from "./redis-target.js";

describe("where Redis is (REDIS_URL, REDIS_CLUSTER)", () => {
  it("parses Redis targets: one server, a redis+cluster:// list, a node list with REDIS_CLUSTER", () => {
    assert.deepEqual(parseRedisTarget("redis://127.0.0.1:6400/2"), { kind: "standalone", url: "redis://127.0.0.1:6400/2" });
    assert.deepEqual(parseRedisTarget("127.0.0.1:6400"), { kind: "standalone", url: "redis://127.0.0.1:6400" });
    assert.deepEqual(parseRedisTarget("redis+cluster://u:p%40ss@h1:7000,h2:7001"), {
      kind: "cluster",
      nodes: [{ host: "h1", port: 7000 }, { host: "h2", port: 7001 }],
      username: "u",
      password: "p@ss",
      tls: false,
    });
    assert.deepEqual(parseRedisTarget("redis://:secret@h1:7000, h2:7001", true), {
      kind: "cluster",
      nodes: [{ host: "h1", port: 7000 }, { host: "h2", port: 7001 }],
      username: undefined,
      password: "secret",
      tls: false,
    });
    assert.throws(() => parseRedisTarget("redis+cluster://h1"), /REDIS_URL: expected host:port/);
  });

  it("reads REDIS_CLUSTER, naming it when it is neither on nor off", () => {
    assert.equal(redisClusterFlag({}), false);
    assert.equal(redisClusterFlag({ REDIS_CLUSTER: " TRUE " }), true);
    assert.equal(redisClusterFlag({ REDIS_CLUSTER: "0" }), false);
    assert.throws(() => redisClusterFlag({ REDIS_CLUSTER: "yes" }), /^RedisConfigError: REDIS_CLUSTER: expected 1 or 0/);
  });
});
