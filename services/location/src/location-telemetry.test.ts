import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { SaveBindings } from "@sipfleet/bindings";
import { GrpcBindingStore, LocationRequestError, LocationUnavailableError } from "@sipfleet/location-client";
import { METRIC_GRPC_ERRORS, METRIC_LOCATION_AORS, METRIC_LOCATION_OPERATION_DURATION, METRIC_LOCATION_OPERATIONS } from "@sipfleet/telemetry";
import { captureMetrics, type CapturedMetrics } from "@sipfleet/telemetry/testing";
import { freePort, startRedisServer, type EngineProcess } from "@sipfleet/testing";
import { startLocationService, type RunningLocationService } from "./location-service.js";

/* The location service's operation metrics and AOR gauge (its own Redis server, so the gauge sees only this test's AORs), and the client's error counter. */

const flow = { edgeId: "edge-1", connectionId: "udp:1", transport: "udp", remote: { ip: "127.0.0.1", port: 40000 }, local: { ip: "127.0.0.1", port: 5060 } } as const;

function save(aor: string, contact: string, lifetimeMs = 3_600_000): SaveBindings {
  return {
    aor,
    callId: `reg-${aor}`,
    cseq: 1,
    changes: [{ key: contact, contact, qMillis: 1000, instanceId: "", regId: 0, path: [], flow, userAgent: "test", lifetimeMs }],
    removeAll: false,
    maxBindings: 0,
    nowMs: Date.now(),
  };
}

describe("location service metrics", () => {
  let redis: EngineProcess;
  let metrics: CapturedMetrics;
  let service: RunningLocationService;
  let client: GrpcBindingStore;

  before(async () => {
    redis = await startRedisServer();
    metrics = captureMetrics();
    // Counted afresh at every collection, so each value below is the count of that moment.
    service = await startLocationService({ listen: "127.0.0.1:0", store: redis.url, meter: metrics.meter, aorCountIntervalMs: 0, tracer: undefined });
    client = new GrpcBindingStore([service.address], { meter: metrics.meter, tracer: undefined });
  });

  after(async () => {
    await client?.close();
    await service?.stop();
    await redis?.stop();
    await metrics?.shutdown();
  });

  it("counts each operation by outcome and times it", async () => {
    for (const u of ["a", "b", "c"]) assert.equal((await client.save(save(`sip:${u}@example.test`, `<sip:${u}@127.0.0.1:5070>`))).outcome, "saved");
    assert.equal((await client.lookup("sip:a@example.test")).length, 1);
    assert.equal((await client.lookup("sip:nobody@example.test")).length, 0);
    await assert.rejects(client.lookup(""), LocationRequestError);
    assert.equal(await metrics.value(METRIC_LOCATION_OPERATIONS, { "sipfleet.location.op": "save", outcome: "ok" }), 3);
    assert.equal(await metrics.value(METRIC_LOCATION_OPERATIONS, { "sipfleet.location.op": "lookup", outcome: "ok" }), 2);
    assert.equal(await metrics.value(METRIC_LOCATION_OPERATIONS, { "sipfleet.location.op": "lookup", outcome: "invalid_argument" }), 1);
    assert.equal(await metrics.value(METRIC_LOCATION_OPERATION_DURATION, { "sipfleet.location.op": "lookup" }), 3);
    assert.equal(await metrics.value(METRIC_LOCATION_OPERATION_DURATION, { "sipfleet.location.op": "save" }), 3);
    // The client counted its one failure, by method and type.
    assert.equal(await metrics.value(METRIC_GRPC_ERRORS, { "rpc.method": "Lookup", "error.type": "invalid_argument" }), 1);
    assert.equal(await metrics.value(METRIC_GRPC_ERRORS), 1);
  });

  it("gauges the AORs with live bindings, from Redis", async () => {
    assert.equal(await metrics.value(METRIC_LOCATION_AORS), 3);
    await client.save(save("sip:d@example.test", "<sip:d@127.0.0.1:5070>"));
    assert.equal(await metrics.value(METRIC_LOCATION_AORS), 4);
    assert.equal(await client.remove("sip:c@example.test", ["<sip:c@127.0.0.1:5070>"]), 1);
    assert.equal(await metrics.value(METRIC_LOCATION_AORS), 3);
    assert.equal(await metrics.value(METRIC_LOCATION_OPERATIONS, { "sipfleet.location.op": "remove", outcome: "ok" }), 1);
  });

  it("counts a request no replica answers as a location error of the client", async () => {
    const unreachable = new GrpcBindingStore([`127.0.0.1:${await freePort()}`], { meter: metrics.meter, tracer: undefined, deadlineMs: 1000 });
    try {
      await assert.rejects(unreachable.lookup("sip:a@example.test"), LocationUnavailableError);
    } finally {
      await unreachable.close();
    }
    const failed = (await metrics.value(METRIC_GRPC_ERRORS, { "rpc.method": "Lookup", "error.type": "unavailable" })) + (await metrics.value(METRIC_GRPC_ERRORS, { "rpc.method": "Lookup", "error.type": "deadline_exceeded" }));
    assert.equal(failed, 1);
  });
});

describe("AOR gauge throttling", () => {
  it("counts at most once per interval, and observes the cached count in between", async () => {
    const { registerAorGauge } = await import("./location-metrics.js");
    const metrics = captureMetrics();
    let counts = 0;
    let now = 0;
    registerAorGauge(metrics.meter, async () => ++counts * 10, { refreshMs: 30_000, now: () => now });
    assert.equal(await metrics.value(METRIC_LOCATION_AORS), 10);
    now = 29_999;
    assert.equal(await metrics.value(METRIC_LOCATION_AORS), 10);
    now = 30_000;
    assert.equal(await metrics.value(METRIC_LOCATION_AORS), 20);
    assert.equal(counts, 2);
    await metrics.shutdown();
  });
});
