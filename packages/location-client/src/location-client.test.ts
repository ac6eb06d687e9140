import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Binding, BindingChange, SaveBindings } from "@sipfleet/bindings";
import { SaveResponse_Outcome, Transport } from "@sipfleet/proto";
import { GrpcBindingStore, LocationUnavailableError, locationServiceConfig, locationTarget } from "./index.js";
import { isResolverTarget } from "./grpc-binding-store.js";
import { bindingFromWire, bindingToWire, changeFromWire, changeToWire, saveFromWire, saveResultFromWire, saveResultToWire, saveToWire } from "./wire.js";

const flow = { edgeId: "edge-7", connectionId: "tcp:42", transport: "wss", remote: { ip: "::1", port: 50123 }, local: { ip: "127.0.0.1", port: 443 } } as const;

const change: BindingChange = {
  key: "<urn:uuid:1> 1",
  contact: '<sip:a@127.0.0.2;transport=ws>;+sip.instance="<urn:uuid:1>";reg-id=1',
  qMillis: 500,
  instanceId: "<urn:uuid:1>",
  regId: 1,
  path: ["<sip:p1@127.0.0.1;lr>"],
  flow,
  userAgent: "UA/1",
  lifetimeMs: 3_600_000,
};

describe("locationTarget", () => {
  it("uses one address as it is, and makes an address list of several IPs", () => {
    assert.equal(locationTarget(["127.0.0.1:50051"]), "127.0.0.1:50051");
    assert.equal(locationTarget("dns:///location.sipfleet.svc:50051"), "dns:///location.sipfleet.svc:50051");
    assert.equal(locationTarget(["127.0.0.1:50051", "127.0.0.1:50052"]), "ipv4:127.0.0.1:50051,127.0.0.1:50052");
    assert.equal(locationTarget("127.0.0.1:1, 127.0.0.2:2"), "ipv4:127.0.0.1:1,127.0.0.2:2");
    assert.equal(locationTarget(["[::1]:50051", "[::1]:50052"]), "ipv6:[::1]:50051,[::1]:50052");
  });

  it("refuses an empty list and a list of names", () => {
    assert.throws(() => locationTarget([]), /none given/);
    assert.throws(() => locationTarget(["a:1", "b:2"]), /dns:\/\/\//);
  });

  it("tells a resolver target (kept on unary calls) from a host:port (one stream each)", () => {
    for (const t of ["dns:///location.sipfleet.svc:50051", "dns:location:50051", "ipv4:127.0.0.1:1,127.0.0.1:2", "ipv6:[::1]:1", "unix:/run/location.sock"]) assert.equal(isResolverTarget(t), true, t);
    for (const t of ["127.0.0.1:50051", "location-0.location:50051", "localhost:1", "[::1]:50051"]) assert.equal(isResolverTarget(t), false, t);
  });

  it("configures round_robin and retries of UNAVAILABLE only", () => {
    const config = JSON.parse(locationServiceConfig(3));
    assert.deepEqual(config.loadBalancingConfig, [{ round_robin: {} }]);
    assert.deepEqual(config.methodConfig[0].retryPolicy.retryableStatusCodes, ["UNAVAILABLE"]);
    assert.equal(config.methodConfig[0].retryPolicy.maxAttempts, 3);
  });
});

describe("wire mapping", () => {
  it("a change survives the trip, lifetime as expires_in_ms", () => {
    const w = changeToWire(change);
    assert.equal(w.expiresInMs, 3_600_000);
    assert.equal(w.flow?.transport, Transport.TRANSPORT_WSS);
    assert.deepEqual(changeFromWire(w), change);
  });

  it("a binding's expiry travels as time left, read against each side's clock", () => {
    const { lifetimeMs: _, ...fields } = change;
    const b: Binding = { ...fields, callId: "c", cseq: 9, updatedAtMs: 1000, expiresAtMs: 61_000 };
    const w = bindingToWire(b, 1_000);
    assert.equal(w.expiresInMs, 60_000);
    assert.deepEqual(bindingFromWire(w, 5_000), { ...b, expiresAtMs: 65_000 });
    assert.equal(bindingToWire(b, 70_000).expiresInMs, 0);
  });

  it("a save request survives the trip; now_ms 0 takes the receiver's clock; problems are named", () => {
    const request: SaveBindings = { aor: "sip:a@example.test", callId: "c", cseq: 3, changes: [change], removeAll: false, nonceUse: { nonce: "n", nc: 2, ttlMs: 300_000 }, maxBindings: 5, nowMs: 77 };
    assert.deepEqual(saveFromWire(saveToWire(request), 1), request);
    assert.equal((saveFromWire({ ...saveToWire(request), nowMs: 0 }, 1234) as SaveBindings).nowMs, 1234);
    assert.equal(saveFromWire({ ...saveToWire(request), aor: "" }, 0), "aor is required");
    assert.equal(saveFromWire({ ...saveToWire(request), changes: [{ ...changeToWire(change), flow: undefined }] }, 0), "changes[0].flow is missing");
  });

  it("every outcome maps both ways", () => {
    for (const outcome of ["out-of-order", "nonce-replayed", "too-many-bindings"] as const) {
      assert.deepEqual(saveResultFromWire(saveResultToWire({ outcome }, 0), 0), { outcome });
    }
    assert.match(String(saveResultFromWire({ outcome: SaveResponse_Outcome.OUTCOME_UNSPECIFIED, bindings: [] }, 0)), /unknown save outcome/);
  });
});

describe("GrpcBindingStore without a reachable replica", () => {
  it("rejects with LocationUnavailableError, not a crash, within the deadline", async () => {
    const store = new GrpcBindingStore(["127.0.0.1:1", "127.0.0.1:2"], { deadlineMs: 300 });
    try {
      const t0 = Date.now();
      await assert.rejects(store.lookup("sip:a@example.test"), (err: unknown) => err instanceof LocationUnavailableError && err.code > 0);
      assert.ok(Date.now() - t0 < 1000);
    } finally {
      await store.close();
    }
  });
});
