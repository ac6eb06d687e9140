import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Transport } from "@sipfleet/proto";
import { eventually, request, startTestEdge, stubRegistrar, TcpPeer, UdpPeer, type Asked, type TestEdge } from "./harness.js";

describe("REGISTER: asked of the registrar over the bus, its decision sent back", () => {
  let t: TestEdge;
  let asked: Asked[];
  let udp: UdpPeer;
  let other: UdpPeer;

  before(async () => {
    t = await startTestEdge();
    asked = stubRegistrar(t.workerBus, (env) => {
      const text = env.message.toString("latin1");
      return {
        status: 200,
        reason: "Registered",
        toTag: "reg-tag-1",
        headers: [
          { name: "Contact", value: "<sip:alice@192.0.2.10:5060>;expires=3600" },
          { name: "X-Echo-CSeq", value: /CSeq: (\d+)/.exec(text)?.[1] ?? "?" },
          { name: "Content-Type", value: "text/plain" },
        ],
        body: Buffer.from("hello from the registrar"),
      };
    });
    udp = await UdpPeer.open();
    other = await UdpPeer.open();
  });

  after(async () => {
    await udp.close();
    await other.close();
    await t.stop();
  });

  it("UDP: the raw bytes reach the registrar unchanged, with the flow and the time read", async () => {
    const text = request({ viaParams: ";rport", extra: ["X-Unknown:   kept   as is  ", "v: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKsecond"] });
    const before = Date.now();
    udp.send(text, t.address("udp"));
    const res = await udp.response();
    assert.equal(res.status, 200);
    const last = asked.at(-1) as Asked;
    assert.deepEqual(last.envelope.message, Buffer.from(text, "latin1"), "bytes as received");
    const udpAddr = t.address("udp");
    assert.deepEqual(last.envelope.flow, {
      edgeId: "edge-test",
      connectionId: `udp/127.0.0.1:${udpAddr.port}/127.0.0.1:${udp.port}`,
      transport: Transport.TRANSPORT_UDP,
      remote: { ip: "127.0.0.1", port: udp.port },
      local: { ip: "127.0.0.1", port: udpAddr.port },
      advertised: undefined,
    });
    assert.ok(last.envelope.receivedAtMs >= before && last.envelope.receivedAtMs <= Date.now(), "receivedAtMs is the wall clock");
  });

  it("UDP: the decision becomes the response: status, reason, headers, body, To tag", async () => {
    udp.send(request({ viaParams: ";rport", cseq: 42 }), t.address("udp"));
    const res = await udp.response();
    assert.equal(res.status, 200);
    assert.equal(res.reason, "Registered");
    assert.equal(res.to.tag, "reg-tag-1");
    assert.equal(res.header("Contact"), "<sip:alice@192.0.2.10:5060>;expires=3600");
    assert.equal(res.header("X-Echo-CSeq"), "42");
    assert.equal(res.header("Content-Type"), "text/plain");
    assert.equal(res.body.toString(), "hello from the registrar");
    assert.equal(res.cseq.seq, 42);
    assert.equal(res.cseq.method, "REGISTER");
  });

  it("UDP with rport: Via gets rport and received, the response goes to the source port (RFC 3581 §4)", async () => {
    udp.send(request({ sentBy: "192.0.2.10:5060", viaParams: ";rport" }), t.address("udp"));
    const res = await udp.response();
    const top = res.topVia;
    assert.equal(top?.rport, udp.port);
    assert.equal(top?.received, "127.0.0.1");
    assert.equal(top?.host, "192.0.2.10", "sent-by untouched");
    assert.equal(res.via.length, 1, "no Via added or lost");
  });

  it("UDP with rport and a matching sent-by: received is still added (RFC 3581 §4)", async () => {
    udp.send(request({ sentBy: `127.0.0.1:${udp.port}`, viaParams: ";rport" }), t.address("udp"));
    const res = await udp.response();
    assert.equal(res.topVia?.received, "127.0.0.1");
    assert.equal(res.topVia?.rport, udp.port);
  });

  it("UDP without rport: the response goes to the sent-by port at the source address (RFC 3261 §18.2.2)", async () => {
    // Sent from one socket, naming another's port in the Via: the answer goes to the Via's port.
    udp.send(request({ sentBy: `127.0.0.1:${other.port}` }), t.address("udp"));
    const res = await other.response();
    assert.equal(res.status, 200);
    assert.equal(res.topVia?.received, undefined, "sent-by is the source address: nothing to add");
    assert.equal(res.topVia?.rport, undefined);
    assert.equal(udp.inbox.length, 0, "nothing to the source port");
  });

  it("UDP without rport from a host name: received is added and the sent-by port used", async () => {
    udp.send(request({ sentBy: `alice-pc.example.com:${other.port}` }), t.address("udp"));
    const res = await other.response();
    assert.equal(res.topVia?.received, "127.0.0.1");
    assert.equal(res.topVia?.host, "alice-pc.example.com");
  });

  it("TCP: flow names the connection, the response comes back on it with received added", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      const text = request({ transport: "TCP", sentBy: "192.0.2.10:5060", viaParams: ";rport" });
      await peer.write(text);
      const res = await peer.response();
      assert.equal(res.status, 200);
      assert.equal(res.to.tag, "reg-tag-1");
      assert.equal(res.body.toString(), "hello from the registrar");
      assert.equal(res.topVia?.received, "127.0.0.1");
      assert.equal(res.topVia?.rport, peer.localPort);
      const last = asked.at(-1) as Asked;
      assert.deepEqual(last.envelope.message, Buffer.from(text, "latin1"));
      const flow = last.envelope.flow;
      assert.equal(flow?.edgeId, "edge-test");
      assert.equal(flow?.transport, Transport.TRANSPORT_TCP);
      assert.match(flow?.connectionId ?? "", /^tcp\/[0-9a-f]+\.\d+$/);
      assert.deepEqual(flow?.remote, { ip: "127.0.0.1", port: peer.localPort });
      assert.deepEqual(flow?.local, { ip: "127.0.0.1", port: t.address("tcp").port });

      // A second connection is a different flow.
      const peer2 = await TcpPeer.connect(t.address("tcp"));
      await peer2.write(request({ transport: "TCP" }));
      await peer2.response();
      peer2.close();
      const ids = new Set(asked.slice(-2).map((a) => a.envelope.flow?.connectionId));
      assert.equal(ids.size, 2, "each connection has its own id");

      // The same connection keeps its id.
      await peer.write(request({ transport: "TCP" }));
      await peer.response();
      assert.equal(asked.at(-1)?.envelope.flow?.connectionId, flow?.connectionId);
    } finally {
      peer.close();
    }
  });

  it("counts what it did", async () => {
    await eventually(() => t.edge.stats.decisionsInFlight === 0);
    const s = t.edge.stats;
    assert.ok(s.requestsReceived >= 7);
    assert.equal(s.decisionsAsked, asked.length);
    assert.equal(s.unavailable, 0);
  });
});

describe("REGISTER retransmissions (RFC 3261 §17.2.2)", () => {
  it("are absorbed while the decision is pending and answered with the same response after", async () => {
    const t = await startTestEdge();
    let release: (() => void) | undefined;
    const asked = stubRegistrar(t.workerBus, () => new Promise((resolve) => (release = () => resolve({ status: 200, toTag: "once" }))));
    const udp = await UdpPeer.open();
    try {
      const text = request({ branch: "z9hG4bK-retrans-1", viaParams: ";rport" });
      udp.send(text, t.address("udp"));
      await eventually(() => asked.length === 1, 2000, "the registrar to be asked");
      udp.send(text, t.address("udp"));
      udp.send(text, t.address("udp"));
      await eventually(() => t.edge.stats.requestsReceived === 3, 2000, "the retransmissions to arrive");
      assert.equal(udp.inbox.length, 0, "nothing answered while pending");
      (release as () => void)();
      const first = await udp.response();
      assert.equal(first.status, 200);
      udp.send(text, t.address("udp"));
      const again = await udp.response();
      assert.deepEqual(again.bytes, first.bytes, "the same response, byte for byte");
      assert.equal(asked.length, 1, "the registrar saw the request once");
    } finally {
      await udp.close();
      await t.stop();
    }
  });
});

describe("REGISTER when workers do not answer (invariants 2 and 7)", () => {
  it("no responder: 503 with Retry-After at once, without waiting for the timeout", async () => {
    const t = await startTestEdge({ config: { decisionTimeoutMs: 5000 } });
    const udp = await UdpPeer.open();
    try {
      const start = Date.now();
      udp.send(request({ viaParams: ";rport" }), t.address("udp"));
      const res = await udp.response();
      assert.equal(res.status, 503);
      assert.equal(res.header("Retry-After"), "7");
      assert.ok(Date.now() - start < 1000, "answered before the decision timeout");
      assert.equal(t.edge.stats.unavailable, 1);
    } finally {
      await udp.close();
      await t.stop();
    }
  });

  it("a responder that never answers: asked twice, then 503 with Retry-After", async () => {
    const t = await startTestEdge({ config: { decisionTimeoutMs: 150 } });
    const asked = stubRegistrar(t.workerBus, () => undefined);
    const udp = await UdpPeer.open();
    try {
      const start = Date.now();
      udp.send(request({ viaParams: ";rport" }), t.address("udp"));
      const res = await udp.response(3000);
      const took = Date.now() - start;
      assert.equal(res.status, 503);
      assert.equal(res.header("Retry-After"), "7");
      assert.equal(asked.length, 2, "asked once more after the first timeout");
      assert.deepEqual(asked[0]?.envelope, asked[1]?.envelope, "the same envelope both times");
      assert.ok(took >= 280, `two timeouts of 150 ms elapsed (took ${took} ms)`);
      assert.ok(t.logger.has("warn", /no decision/));
    } finally {
      await udp.close();
      await t.stop();
    }
  });

  it("the first worker dies, the second answers: the UA gets the second's answer", async () => {
    const t = await startTestEdge({ config: { decisionTimeoutMs: 150 } });
    const asked = stubRegistrar(t.workerBus, (_env, n) => (n === 1 ? undefined : { status: 200, toTag: "second" }));
    const udp = await UdpPeer.open();
    try {
      udp.send(request({ viaParams: ";rport" }), t.address("udp"));
      const res = await udp.response(3000);
      assert.equal(res.status, 200);
      assert.equal(res.to.tag, "second");
      assert.equal(asked.length, 2);
    } finally {
      await udp.close();
      await t.stop();
    }
  });

  for (const [what, reply] of [
    ["an undecodable reply", Uint8Array.from([0xff, 0xff, 0xff, 0xff])],
    ["an empty reply", new Uint8Array(0)],
  ] as const) {
    it(`${what}: 500 and a logged error`, async () => {
      const t = await startTestEdge();
      stubRegistrar(t.workerBus, () => reply);
      const udp = await UdpPeer.open();
      try {
        udp.send(request({ viaParams: ";rport" }), t.address("udp"));
        const res = await udp.response();
        assert.equal(res.status, 500);
        assert.ok(t.logger.has("error", /decision failed/));
        assert.equal(t.edge.stats.failedDecisions, 1);
      } finally {
        await udp.close();
        await t.stop();
      }
    });
  }

  it("a decision the edge must not send (provisional status, header injection): 500 and a logged error", async () => {
    const t = await startTestEdge();
    const bad = [{ status: 180 }, { status: 200, headers: [{ name: "X-Evil", value: "a\r\nVia: SIP/2.0/UDP evil" }] }, { status: 200, headers: [{ name: "Bad Name", value: "x" }] }];
    stubRegistrar(t.workerBus, (_env, n) => bad[n - 1]);
    const udp = await UdpPeer.open();
    try {
      for (let i = 0; i < bad.length; i++) {
        udp.send(request({ viaParams: ";rport" }), t.address("udp"));
        const res = await udp.response();
        assert.equal(res.status, 500, `case ${i}`);
        assert.equal(res.header("X-Evil"), undefined);
      }
      assert.ok(t.logger.has("error", /unusable decision/));
    } finally {
      await udp.close();
      await t.stop();
    }
  });
});

describe("in-flight cap", () => {
  it("beyond maxDecisionsInFlight: 503 with Retry-After without asking; the others are answered", async () => {
    const t = await startTestEdge({ maxDecisionsInFlight: 2 });
    const releases: (() => void)[] = [];
    const asked = stubRegistrar(t.workerBus, () => new Promise((resolve) => releases.push(() => resolve({ status: 200 }))));
    const udp = await UdpPeer.open();
    try {
      udp.send(request({ viaParams: ";rport", callId: "c1" }), t.address("udp"));
      udp.send(request({ viaParams: ";rport", callId: "c2" }), t.address("udp"));
      await eventually(() => asked.length === 2, 2000, "two decisions asked");
      udp.send(request({ viaParams: ";rport", callId: "c3" }), t.address("udp"));
      const rejected = await udp.response();
      assert.equal(rejected.status, 503);
      assert.equal(rejected.callId, "c3");
      assert.equal(rejected.header("Retry-After"), "7");
      assert.equal(asked.length, 2, "the bus was not asked");
      assert.equal(t.edge.stats.overloaded, 1);
      for (const r of releases) r();
      const a = await udp.response();
      const b = await udp.response();
      assert.deepEqual([a.status, b.status], [200, 200]);
      assert.deepEqual(new Set([a.callId, b.callId]), new Set(["c1", "c2"]));
      // Room again once answered.
      udp.send(request({ viaParams: ";rport", callId: "c4" }), t.address("udp"));
      await eventually(() => asked.length === 3, 2000, "a third decision asked");
      (releases[2] as () => void)();
      assert.equal((await udp.response()).status, 200);
    } finally {
      await udp.close();
      await t.stop();
    }
  });
});
