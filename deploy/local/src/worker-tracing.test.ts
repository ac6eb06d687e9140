import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SpanKind } from "@opentelemetry/api";
import { NatsBus } from "@sipfleet/bus";
import { parseConfig } from "@sipfleet/config";
import { startLocationService, type RunningLocationService } from "@sipfleet/location";
import { GrpcBindingStore } from "@sipfleet/location-client";
import { flowToWire } from "@sipfleet/location-client/wire";
import { Decision, Envelope, PROXY_SUBJECT } from "@sipfleet/proto";
import { startProxy, type ProxyService } from "@sipfleet/proxy";
import { captureSpans, type CapturedSpans } from "@sipfleet/telemetry/testing";
import { hasBinary, startNatsServer, startRedisServer, type EngineProcess } from "@sipfleet/testing";

/*
 * One traced request across the workers' tiers, every hop real: the edge's trace context in the
 * NATS request headers -> the proxy worker's span -> the location client's span for its Lookup
 * -> the location service's span (over gRPC on loopback, the Lookup in Redis).
 */

const EDGE_TRACE_ID = "5b8efff798038103d269b633813fc60c";
const EDGE_SPAN_ID = "eee19b7ec3c1b174";
const TRACEPARENT = { traceparent: `00-${EDGE_TRACE_ID}-${EDGE_SPAN_ID}-01` };

const CONFIG = `
domains:
  - name: sipfleet.test
    users:
      - name: bob
        ha1: { md5: "0123456789abcdef0123456789abcdef" }
`;

const CALLER_FLOW = { edgeId: "edge-a", connectionId: "udp:1", transport: "udp", remote: { ip: "127.0.0.1", port: 40000 }, local: { ip: "127.0.0.1", port: 5060 } } as const;
const BOB_FLOW = { edgeId: "edge-b", connectionId: "tcp/2", transport: "tcp", remote: { ip: "127.0.0.1", port: 51000 }, local: { ip: "127.0.0.1", port: 5070 } } as const;

/** A caller of another domain calling bob: no challenge, straight to the lookup. */
function invite(callId: string): Uint8Array {
  const text = [
    "INVITE sip:bob@sipfleet.test SIP/2.0",
    `Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-${callId.replace(/\W/g, "")};rport`,
    "Max-Forwards: 70",
    "From: <sip:eve@example.org>;tag=eve",
    "To: <sip:bob@sipfleet.test>",
    `Call-ID: ${callId}`,
    "CSeq: 1 INVITE",
    "Contact: <sip:eve@127.0.0.1:40000>",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return Envelope.encode({ message: Buffer.from(text, "latin1"), flow: flowToWire(CALLER_FLOW), receivedAtMs: Date.now(), tlsPeerNames: [] }).finish();
}

const quiet = { warn() {}, error() {}, info() {} };
const skip = hasBinary("nats-server") && hasBinary("redis-server") ? false : "nats-server or redis-server not installed";

describe("a traced request from the NATS headers to the location service", { skip }, () => {
  let spans: CapturedSpans;
  let nats: EngineProcess;
  let redis: EngineProcess;
  let location: RunningLocationService;
  let edge: NatsBus;
  let worker: NatsBus;
  const stores: GrpcBindingStore[] = [];
  let proxy: ProxyService | undefined;
  const config = parseConfig(CONFIG, "worker-tracing.test", {});

  before(async () => {
    // First: the services below take activeTracer() when they start.
    spans = captureSpans();
    [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
    location = await startLocationService({ listen: "127.0.0.1:0", store: redis.url });
    edge = await NatsBus.connect({ servers: nats.url, name: "edge-test", logger: quiet });
    worker = await NatsBus.connect({ servers: nats.url, name: "proxy-test", logger: quiet });
  });

  after(async () => {
    await proxy?.stop();
    for (const s of stores) await s.close();
    await edge?.close();
    await worker?.close();
    await location?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
    await spans?.shutdown();
  });

  function store(options: ConstructorParameters<typeof GrpcBindingStore>[1] = {}): GrpcBindingStore {
    const s = new GrpcBindingStore([location.address], options);
    stores.push(s);
    return s;
  }

  async function startWorker(telemetry: Parameters<typeof startProxy>[0]["telemetry"], bindings: GrpcBindingStore): Promise<void> {
    await proxy?.stop();
    proxy = startProxy({ bus: worker, store: bindings, config, logger: quiet, ...(telemetry === undefined ? {} : { telemetry }) });
    await worker.flush();
  }

  const ask = async (data: Uint8Array) => Decision.decode(await edge.request(PROXY_SUBJECT, data, { timeoutMs: 5000, headers: TRACEPARENT }));

  it("stores bob's binding outside any span: no span, no context carried", async () => {
    const bindings = store();
    spans.reset();
    const saved = await bindings.save({
      aor: "sip:bob@sipfleet.test",
      callId: "reg-bob",
      cseq: 1,
      changes: [{ key: "<sip:bob@127.0.0.1:51000>", contact: "<sip:bob@127.0.0.1:51000>", qMillis: 1000, instanceId: "", regId: 0, path: [], flow: BOB_FLOW, userAgent: "test", lifetimeMs: 3_600_000 }],
      removeAll: false,
      maxBindings: 0,
      nowMs: Date.now(),
    });
    assert.equal(saved.outcome, "saved");
    // The location service traces any request that carries a context: none here.
    assert.deepEqual(spans.spans(), []);
  });

  it("chains proxy span -> location client span -> location server span, in the edge's trace", async () => {
    await startWorker({}, store());
    spans.reset();
    const d = await ask(invite("chain-1@127.0.0.1"));
    assert.equal(d.action?.$case, "forward", JSON.stringify(d.action?.$case === "respond" ? [d.action.value.status, d.action.value.reason] : d.action));
    const finished = spans.spans();
    const proxySpan = finished.find((s) => s.name === "proxy INVITE");
    const client = finished.find((s) => s.name === "location Lookup" && s.kind === SpanKind.CLIENT);
    const server = finished.find((s) => s.name === "location Lookup" && s.kind === SpanKind.SERVER);
    assert.ok(proxySpan && client && server, `spans: ${finished.map((s) => `${s.name}/${SpanKind[s.kind]}`).join(", ")}`);
    for (const s of [proxySpan, client, server]) assert.equal(s.spanContext().traceId, EDGE_TRACE_ID, s.name);
    assert.equal(proxySpan.parentSpanContext?.spanId, EDGE_SPAN_ID);
    assert.equal(client.parentSpanContext?.spanId, proxySpan.spanContext().spanId);
    assert.equal(server.parentSpanContext?.spanId, client.spanContext().spanId);
    assert.equal(server.parentSpanContext?.isRemote, true);
    for (const s of [client, server]) {
      assert.equal(s.attributes["rpc.system"], "grpc");
      assert.equal(s.attributes["rpc.service"], "sipfleet.location.v1.LocationService");
      assert.equal(s.attributes["rpc.method"], "Lookup");
      assert.equal(s.attributes["sipfleet.location.op"], "lookup");
    }
    assert.equal(proxySpan.attributes["sip.target_count"], 1);
  });

  it("makes no span anywhere when the worker and its client have no tracer", async () => {
    await startWorker({ tracer: undefined }, store({ tracer: undefined }));
    spans.reset();
    const d = await ask(invite("untraced-1@127.0.0.1"));
    assert.equal(d.action?.$case, "forward", JSON.stringify(d.action?.$case === "respond" ? [d.action.value.status, d.action.value.reason] : d.action));
    // No client span and no server span: the Lookup carried no trace context.
    assert.deepEqual(spans.spans().map((s) => s.name), []);
  });
});
