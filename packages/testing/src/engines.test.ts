import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { startNatsServer, startRedisServer } from "./engines.js";

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

for (const start of [startNatsServer, startRedisServer]) {
  test(`${start.name}: own port, stops by PID, restarts on the same port`, async () => {
    const engine = await start();
    try {
      assert.ok(engine.pid > 0);
      assert.notEqual(engine.port, 4222);
      assert.notEqual(engine.port, 6379);
      assert.equal(await reachable(engine.port), true);
      await engine.stop(true);
      assert.equal(await reachable(engine.port), false);
      await engine.restart();
      assert.equal(await reachable(engine.port), true);
    } finally {
      await engine.stop();
    }
  });
}
