import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { startHealthServer, type HealthCheck } from "./health-server.js";
import { withHealth } from "./process-lifecycle.js";

const logger = pino({ level: "silent" });

async function get(address: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${address}${path}`);
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

async function withServer(checks: Record<string, HealthCheck>, timeoutMs: number | undefined, body: (address: string, server: Awaited<ReturnType<typeof startHealthServer>>) => Promise<void>): Promise<void> {
  const server = await startHealthServer({ listen: "127.0.0.1:0", checks, logger, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  try {
    await body(server.address, server);
  } finally {
    await server.stop();
  }
}

describe("health server", () => {
  it("answers ready when every check passes, and /livez without running checks", async () => {
    let calls = 0;
    await withServer({ redis: () => (calls++, true), nats: async () => true }, undefined, async (address) => {
      assert.deepEqual(await get(address, "/readyz"), { status: 200, body: { status: "ready", checks: { redis: true, nats: true } } });
      assert.equal(calls, 1);
      assert.deepEqual(await get(address, "/livez"), { status: 200, body: { status: "ok" } });
      assert.equal(calls, 1, "liveness runs no dependency check");
      assert.equal((await get(address, "/metrics-not-yet")).status, 404);
    });
  });

  it("answers 503 naming the failing check; a throwing check is false", async () => {
    await withServer({ redis: () => false, nats: () => true, grpc: () => { throw new Error("boom"); } }, undefined, async (address) => {
      assert.deepEqual(await get(address, "/readyz"), { status: 503, body: { status: "not ready", checks: { redis: false, nats: true, grpc: false } } });
      assert.deepEqual(await get(address, "/livez"), { status: 200, body: { status: "ok" } });
    });
  });

  it("counts a check that hangs past timeoutMs as failed, and still answers", async () => {
    await withServer({ hangs: () => new Promise<boolean>(() => undefined), rejects: () => Promise.reject(new Error("x")), ok: () => true }, 200, async (address) => {
      assert.deepEqual(await get(address, "/readyz"), { status: 503, body: { status: "not ready", checks: { hangs: false, rejects: false, ok: true } } });
    });
  });

  it("answers 503 once draining, with the checks still passing; /livez stays 200", async () => {
    await withServer({ ok: () => true }, undefined, async (address, server) => {
      assert.equal((await get(address, "/readyz")).status, 200);
      server.draining();
      assert.deepEqual(await get(address, "/readyz"), { status: 503, body: { status: "not ready", draining: true, checks: { ok: true } } });
      assert.equal((await get(address, "/livez")).status, 200);
    });
  });

  it("withHealth: stop() drains the health server before the service stops, and closes it after", async () => {
    const server = await startHealthServer({ listen: "127.0.0.1:0", checks: {}, logger });
    const seen: number[] = [];
    const service = withHealth({ stop: async () => void seen.push((await get(server.address, "/readyz")).status) }, server);
    assert.equal(service.health, server);
    await service.stop();
    assert.deepEqual(seen, [503]);
    await assert.rejects(fetch(`http://${server.address}/livez`));
  });

  it("rejects a listen address that is not host:port", async () => {
    await assert.rejects(startHealthServer({ listen: "nope", checks: {}, logger }), /HEALTH_LISTEN: expected host:port/);
  });
});

describe("stop timeout from the environment", () => {
  it("reads SIPFLEET_STOP_TIMEOUT_MS, and refuses a value that is not whole positive milliseconds", async () => {
    const { stopTimeoutFromEnv } = await import("./process-lifecycle.js");
    assert.deepEqual(stopTimeoutFromEnv({}), {});
    assert.deepEqual(stopTimeoutFromEnv({ SIPFLEET_STOP_TIMEOUT_MS: "55000" }), { stopTimeoutMs: 55_000 });
    assert.throws(() => stopTimeoutFromEnv({ SIPFLEET_STOP_TIMEOUT_MS: "30s" }), /SIPFLEET_STOP_TIMEOUT_MS/);
    assert.throws(() => stopTimeoutFromEnv({ SIPFLEET_STOP_TIMEOUT_MS: "0" }), /SIPFLEET_STOP_TIMEOUT_MS/);
  });
});
