import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startRedisServer, type EngineProcess } from "@sipfleet/testing";
import { bindingStoreContract } from "@sipfleet/bindings/testing";
import type { BindingChange, BindingStore, SaveBindings, UseNonce } from "@sipfleet/bindings";
import { GrpcBindingStore, LocationRequestError, LocationUnavailableError } from "@sipfleet/location-client";
import { startLocationService, type RunningLocationService } from "./location-service.js";
import { RedisBindingStore } from "./redis-binding-store.js";

/** Counts the calls a replica served. */
class CountingStore implements BindingStore {
  calls = 0;
  constructor(private readonly inner: BindingStore) {}
  save(r: SaveBindings) {
    this.calls++;
    return this.inner.save(r);
  }
  useNonce(r: UseNonce) {
    this.calls++;
    return this.inner.useNonce(r);
  }
  lookup(aor: string) {
    this.calls++;
    return this.inner.lookup(aor);
  }
  remove(aor: string, keys: readonly string[]) {
    this.calls++;
    return this.inner.remove(aor, keys);
  }
  list(size: number, token: string | undefined) {
    this.calls++;
    return this.inner.list(size, token);
  }
  close() {
    return this.inner.close();
  }
}

interface Replica {
  service: RunningLocationService;
  counter: CountingStore;
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

let redis: Promise<EngineProcess> | undefined;
const redisServer = () =>
  (redis ??= startRedisServer().then((e) => {
    cleanups.unshift(() => e.stop());
    return e;
  }));

async function startReplica(shutdownGraceMs = 5000): Promise<Replica> {
  const store = new RedisBindingStore((await redisServer()).url);
  const counter = new CountingStore(store);
  const service = await startLocationService({ listen: "127.0.0.1:0", store: counter, shutdownGraceMs });
  cleanups.push(async () => {
    await service.stop();
    await store.close();
  });
  return { service, counter };
}

let pair: Promise<[Replica, Replica]> | undefined;
const replicas = () => (pair ??= Promise.all([startReplica(), startReplica()]));

bindingStoreContract("GrpcBindingStore → 2 location replicas → Redis", async () => {
  const [a, b] = await replicas();
  const store = new GrpcBindingStore([a.service.address, b.service.address]);
  return { store, cleanup: () => store.close() };
});

bindingStoreContract("GrpcBindingStore unary (transport: unary) → 2 location replicas → Redis", async () => {
  const [a, b] = await replicas();
  const store = new GrpcBindingStore([a.service.address, b.service.address], { transport: "unary" });
  return { store, cleanup: () => store.close() };
});

const FLOW = { edgeId: "e1", connectionId: "c1", transport: "udp", remote: { ip: "127.0.0.2", port: 5070 }, local: { ip: "127.0.0.1", port: 5060 } } as const;

function change(key: string): BindingChange {
  return { key, contact: `<${key}>`, qMillis: 1000, instanceId: "", regId: 0, path: [], flow: FLOW, userAgent: "t", lifetimeMs: 60_000 };
}

function save(aor: string, cseq: number, key = "sip:a@127.0.0.2"): SaveBindings {
  return { aor, callId: "call", cseq, changes: [change(key)], removeAll: false, maxBindings: 0, nowMs: Date.now() };
}

describe("GrpcBindingStore over several replicas", () => {
  it("a save through one replica is visible through the other", async () => {
    const [a, b] = await replicas();
    const one = new GrpcBindingStore([a.service.address]);
    const two = new GrpcBindingStore(b.service.address);
    try {
      const aor = `sip:visible-${Date.now()}@example.test`;
      assert.equal((await one.save(save(aor, 1))).outcome, "saved");
      assert.deepEqual((await two.lookup(aor)).map((x) => x.key), ["sip:a@127.0.0.2"]);
      assert.equal(await two.remove(aor, []), 1);
      assert.deepEqual(await one.lookup(aor), []);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("balances calls round-robin across the replicas", async () => {
    const [a, b] = await replicas();
    const store = new GrpcBindingStore([a.service.address, b.service.address]);
    try {
      await store.lookup("sip:warmup@example.test");
      await new Promise((r) => setTimeout(r, 200)); // both subchannels connected
      const before = [a.counter.calls, b.counter.calls];
      for (let i = 0; i < 40; i++) await store.lookup("sip:rr@example.test");
      const served = [a.counter.calls - before[0]!, b.counter.calls - before[1]!];
      assert.equal(served[0]! + served[1]!, 40);
      assert.ok(served[0]! >= 15 && served[1]! >= 15, `served ${served.join(" / ")}`);
    } finally {
      await store.close();
    }
  });

  for (const how of ["tryShutdown (graceful)", "forceShutdown (in-flight calls cut)"] as const) {
    it(`keeps saving through the other replica when one stops: ${how}`, async () => {
      const graceful = how.startsWith("try");
      const a = await startReplica(graceful ? 5000 : 0);
      const b = await startReplica();
      const store = new GrpcBindingStore([a.service.address, b.service.address]);
      try {
        const aor = `sip:failover-${Date.now()}@example.test`;
        let cseq = 0;
        let failures = 0;
        const errors: string[] = [];
        let stopped: Promise<void> | undefined;
        const servedByA = () => a.counter.calls;
        const worker = async () => {
          for (let i = 0; i < 60; i++) {
            const n = ++cseq;
            if (n === 150) stopped = a.service.stop();
            try {
              const r = await store.save(save(aor, n, `sip:${n % 8}@127.0.0.2`));
              assert.ok(r.outcome === "saved" || r.outcome === "out-of-order", r.outcome);
            } catch (err) {
              failures++;
              errors.push(String(err));
            }
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        await stopped;
        assert.equal(failures, 0, errors.slice(0, 3).join("\n"));
        assert.ok(servedByA() > 10, `replica A served ${servedByA()} before stopping`);
        const before = b.counter.calls;
        assert.ok((await store.lookup(aor)).length > 0);
        assert.equal(b.counter.calls, before + 1, "the surviving replica serves");
      } finally {
        await store.close();
      }
    });
  }

  it("reports LocationUnavailableError within the deadline when no replica is up", async () => {
    const a = await startReplica();
    await a.service.stop();
    const store = new GrpcBindingStore([a.service.address, "127.0.0.1:1"], { deadlineMs: 500 });
    try {
      const t0 = Date.now();
      await assert.rejects(store.lookup("sip:nobody@example.test"), LocationUnavailableError);
      assert.ok(Date.now() - t0 < 1500, `${Date.now() - t0} ms`);
    } finally {
      await store.close();
    }
  });

  it("reports a malformed request as LocationRequestError", async () => {
    const [a] = await replicas();
    const store = new GrpcBindingStore(a.service.address);
    try {
      await assert.rejects(store.save({ ...save("sip:x@example.test", 1), aor: "" }), (err: unknown) => err instanceof LocationRequestError && /aor/.test(err.message));
      await assert.rejects(store.lookup(""), LocationRequestError);
    } finally {
      await store.close();
    }
  });
});

describe("GrpcBindingStore.reachable (readiness probes)", () => {
  it("is false, without rejecting, when no replica answers", async () => {
    const store = new GrpcBindingStore(["127.0.0.1:1"], { deadlineMs: 300 });
    try {
      assert.equal(await store.reachable(), false);
    } finally {
      await store.close();
    }
  });
});
