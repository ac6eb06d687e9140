import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NatsBus } from "@sipfleet/bus";
import { Decision, Envelope, REGISTRAR_QUEUE, REGISTRAR_SUBJECT, Transport } from "@sipfleet/proto";
import { hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { startEdge, type Edge } from "./edge.js";
import { QUIET_BUS_LOGGER, RecordingLogger, request, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

// The same REGISTER path over a real nats-server of the test's own (the cluster mode's bus).
const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the edge-over-NATS check is skipped";

describe("REGISTER over a real NATS server", { skip: missing }, () => {
  let nats: EngineProcess;
  let edgeBus: NatsBus;
  let workerBus: NatsBus;
  let edge: Edge;

  before(async () => {
    nats = await startNatsServer();
    edgeBus = await NatsBus.connect({ servers: nats.url, name: "edge-test", logger: QUIET_BUS_LOGGER });
    workerBus = await NatsBus.connect({ servers: nats.url, name: "worker-test", logger: QUIET_BUS_LOGGER });
    edge = await startEdge({ bus: edgeBus, config: TEST_EDGE_CONFIG, domains: new Set(["example.com"]), edgeId: "edge-nats", logger: new RecordingLogger(), stopLingerMs: 0 });
  });

  after(async () => {
    await edge?.stop();
    await edgeBus?.close();
    await workerBus?.close();
    await nats?.stop();
  });

  it("no registrar yet: 503 with Retry-After at once (NATS no-responders)", async () => {
    const udp = await UdpPeer.open();
    try {
      const start = Date.now();
      udp.send(request({ viaParams: ";rport" }), edge.addresses.find((a) => a.transport === "udp") ?? assert.fail("no udp address"));
      const res = await udp.response();
      assert.equal(res.status, 503);
      assert.equal(res.header("Retry-After"), "7");
      assert.ok(Date.now() - start < TEST_EDGE_CONFIG.decisionTimeoutMs, "before the timeout");
    } finally {
      await udp.close();
    }
  });

  it("a registrar in the queue group gets the bytes and flow; its decision is the response", async () => {
    const seen: Envelope[] = [];
    const sub = workerBus.serve(REGISTRAR_SUBJECT, REGISTRAR_QUEUE, (msg) => {
      const env = Envelope.decode(msg.data);
      seen.push(env);
      return Decision.encode({ action: { $case: "respond", value: { status: 200, reason: "", headers: [{ name: "Expires", value: "600" }], body: Buffer.alloc(0), toTag: "nats-tag", credentialsFailed: false } } }).finish();
    });
    await workerBus.flush?.();
    const udp = await UdpPeer.open();
    try {
      const text = request({ viaParams: ";rport" });
      const udpAddr = edge.addresses.find((a) => a.transport === "udp");
      assert.ok(udpAddr);
      udp.send(text, udpAddr);
      const res = await udp.response();
      assert.equal(res.status, 200);
      assert.equal(res.to.tag, "nats-tag");
      assert.equal(res.header("Expires"), "600");
      assert.equal(seen.length, 1);
      assert.deepEqual(seen[0]?.message, Buffer.from(text, "latin1"));
      assert.equal(seen[0]?.flow?.edgeId, "edge-nats");
      assert.equal(seen[0]?.flow?.transport, Transport.TRANSPORT_UDP);
      assert.deepEqual(seen[0]?.flow?.remote, { ip: "127.0.0.1", port: udp.port });
    } finally {
      sub.unsubscribe();
      await udp.close();
    }
  });
});
