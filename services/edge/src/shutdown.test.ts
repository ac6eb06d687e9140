import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventually, request, sleep, startTestEdge, stubRegistrar, TcpPeer, UdpPeer } from "./harness.js";

describe("graceful stop", () => {
  it("waits for a decision in flight, sends its answer, refuses new requests with 503, then closes", async () => {
    const t = await startTestEdge({ config: { decisionTimeoutMs: 5000 } });
    const releases: (() => void)[] = [];
    const asked = stubRegistrar(t.workerBus, () => new Promise((resolve) => releases.push(() => resolve({ status: 200, toTag: "late" }))));
    const tcp = await TcpPeer.connect(t.address("tcp"));
    const udp = await UdpPeer.open();
    const late = await UdpPeer.open();
    try {
      await tcp.write(request({ transport: "TCP", callId: "in-flight-tcp" }));
      udp.send(request({ viaParams: ";rport", callId: "in-flight-udp" }), t.address("udp"));
      await eventually(() => asked.length === 2, 2000, "both decisions asked");

      let stopped = false;
      const stopping = t.edge.stop().then(() => (stopped = true));
      await sleep(50);
      assert.equal(stopped, false, "stop waits for the decisions");

      // New requests while draining: 503 with Retry-After, the bus not asked.
      late.send(request({ viaParams: ";rport", callId: "new" }), t.address("udp"));
      const refused = await late.response();
      assert.equal(refused.status, 503);
      assert.equal(refused.header("Retry-After"), "7");
      assert.equal(asked.length, 2);
      late.send(request({ method: "OPTIONS", viaParams: ";rport" }), t.address("udp"));
      assert.equal((await late.response()).status, 503, "the health probe sees the edge draining");

      for (const r of releases) r();
      const viaTcp = await tcp.response();
      assert.equal(viaTcp.status, 200);
      assert.equal(viaTcp.callId, "in-flight-tcp");
      const viaUdp = await udp.response();
      assert.equal(viaUdp.callId, "in-flight-udp");
      assert.equal(viaUdp.status, 200);
      await stopping;
      await eventually(() => tcp.closed, 2000, "the TCP connection to be closed");
      // The UDP socket is closed: nothing answers any more.
      udp.send(request({ method: "OPTIONS", viaParams: ";rport" }), t.address("udp"));
      await assert.rejects(udp.response(200));
    } finally {
      tcp.close();
      await udp.close();
      await late.close();
      await t.workerBus.close();
      await t.edgeBus.close();
    }
  });

  it("stops accepting TCP connections at once", async () => {
    const t = await startTestEdge();
    let release: (() => void) | undefined;
    const asked = stubRegistrar(t.workerBus, () => new Promise((resolve) => (release = () => resolve({ status: 200 }))));
    const tcp = await TcpPeer.connect(t.address("tcp"));
    try {
      await tcp.write(request({ transport: "TCP" }));
      await eventually(() => asked.length === 1);
      const stopping = t.edge.stop();
      await sleep(20);
      await assert.rejects(TcpPeer.connect(t.address("tcp")), /ECONNREFUSED/);
      (release as () => void)();
      assert.equal((await tcp.response()).status, 200);
      await stopping;
    } finally {
      tcp.close();
      await t.workerBus.close();
      await t.edgeBus.close();
    }
  });

  it("gives up waiting after stopTimeoutMs and logs what was left unanswered", async () => {
    const t = await startTestEdge({ stopTimeoutMs: 100, config: { decisionTimeoutMs: 5000 } });
    stubRegistrar(t.workerBus, () => undefined);
    const udp = await UdpPeer.open();
    try {
      udp.send(request({ viaParams: ";rport" }), t.address("udp"));
      await eventually(() => t.edge.stats.decisionsInFlight === 1);
      const start = Date.now();
      await t.edge.stop();
      const took = Date.now() - start;
      assert.ok(took >= 90 && took < 2000, `took ${took} ms`);
      assert.ok(t.logger.has("warn", /unanswered/));
    } finally {
      await udp.close();
      await t.workerBus.close();
      await t.edgeBus.close();
    }
  });

  it("lingers after the last answer so UDP retransmissions still get it, up to stopLingerMs", async () => {
    const t = await startTestEdge({ stopLingerMs: 300 });
    stubRegistrar(t.workerBus, () => ({ status: 200, toTag: "lingering" }));
    const udp = await UdpPeer.open();
    try {
      const text = request({ viaParams: ";rport", branch: "z9hG4bK-linger" });
      udp.send(text, t.address("udp"));
      const first = await udp.response();
      const start = Date.now();
      const stopping = t.edge.stop();
      await sleep(50);
      udp.send(text, t.address("udp"));
      const again = await udp.response();
      assert.deepEqual(again.bytes, first.bytes, "the retransmission is answered from the transaction");
      await stopping;
      assert.ok(Date.now() - start >= 250, "the UDP transaction (Timer J) kept the socket open for the linger");
    } finally {
      await udp.close();
      await t.workerBus.close();
      await t.edgeBus.close();
    }
  });

  it("stop() twice returns the same stop", async () => {
    const t = await startTestEdge();
    const a = t.edge.stop();
    const b = t.edge.stop();
    assert.equal(a, b);
    await a;
    await t.workerBus.close();
    await t.edgeBus.close();
  });
});
