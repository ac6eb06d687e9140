import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, request, sleep, startTestEdge, stubRegistrar, TcpPeer, UdpPeer, type TestEdge } from "./harness.js";

describe("validation: answered with the library's status and reason, or dropped", () => {
  let t: TestEdge;
  let udp: UdpPeer;

  before(async () => {
    t = await startTestEdge();
    stubRegistrar(t.workerBus, () => ({ status: 200 }));
    udp = await UdpPeer.open();
  });

  after(async () => {
    await udp.close();
    await t.stop();
  });

  async function answer(text: string): Promise<{ status: number; reason: string; header(n: string): string | undefined; rport: number | null | undefined; received: string | undefined }> {
    udp.send(text, t.address("udp"));
    const res = await udp.response();
    let via;
    try {
      via = res.topVia;
    } catch {
      via = undefined; // the malformed Via the request had, copied back
    }
    return { status: res.status, reason: res.reason, header: (n) => res.header(n), rport: via?.rport, received: via?.received };
  }

  it("a missing mandatory header: 400 naming it, with received/rport in the Via", async () => {
    const text = request({ viaParams: ";rport" }).replace(/From: [^\r]*\r\n/, "");
    const res = await answer(text);
    assert.equal(res.status, 400);
    assert.match(res.reason, /From/);
    assert.equal(res.rport, udp.port);
    assert.equal(res.received, "127.0.0.1");
    assert.equal(t.edge.stats.rejected, 1);
  });

  it("a malformed Via: 400, answered to the source address", async () => {
    const text = request({ sentBy: "192.0.2.10:5060" }).replace(/Via: [^\r]*/, "Via: garbage");
    const res = await answer(text);
    assert.equal(res.status, 400);
    assert.match(res.reason, /Via/);
  });

  it("another SIP version: 505", async () => {
    const res = await answer(request({ viaParams: ";rport", version: "SIP/3.0" }));
    assert.equal(res.status, 505);
    assert.match(res.reason, /SIP\/3\.0/);
  });

  it("an unknown Request-URI scheme: 416 naming it", async () => {
    const res = await answer(request({ method: "OPTIONS", uri: "http://example.com/", viaParams: ";rport" }));
    assert.equal(res.status, 416);
    assert.match(res.reason, /http/);
  });

  it("Max-Forwards 0 on a request for someone else: 483", async () => {
    assert.equal((await answer(request({ maxForwards: 0, viaParams: ";rport" }))).status, 483);
    assert.equal((await answer(request({ method: "OPTIONS", uri: "sip:bob@example.com", maxForwards: 0, viaParams: ";rport" }))).status, 483);
  });

  it("Max-Forwards 0 on an OPTIONS to the platform: 200, the edge is the final recipient (RFC 3261 §16.3)", async () => {
    assert.equal((await answer(request({ method: "OPTIONS", uri: "sip:example.com", maxForwards: 0, viaParams: ";rport" }))).status, 200);
  });

  it("an unsupported Proxy-Require: 420 with Unsupported (RFC 3261 §16.3 step 5)", async () => {
    const res = await answer(request({ viaParams: ";rport", extra: ["Proxy-Require: foo, outbound"] }));
    assert.equal(res.status, 420);
    assert.equal(res.header("Unsupported"), "foo");
  });

  it("a CSeq method that differs from the request's: 400", async () => {
    const res = await answer(request({ viaParams: ";rport" }).replace("CSeq: 1 REGISTER", "CSeq: 1 INVITE"));
    assert.equal(res.status, 400);
    assert.match(res.reason, /CSeq/);
  });

  it("an oversized datagram that is a request: 513", async () => {
    const res = await answer(request({ viaParams: ";rport", extra: [`X-Padding: ${"x".repeat(5000)}`] }));
    assert.equal(res.status, 513);
  });

  it("garbage, responses, ACKs, requests without Via, STUN and keep-alives: dropped without an answer or a crash", async () => {
    const droppedBefore = t.edge.stats.dropped;
    const stun = Buffer.alloc(20);
    stun.writeUInt16BE(0x0001, 0);
    stun.writeUInt32BE(0x2112a442, 4);
    const inputs: (string | Buffer)[] = [
      "hello",
      Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]),
      "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKx\r\n", // no end of headers
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKr\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: r\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
      "SIP/2.0 200 OK\r\nFrom: <sip:a@b>;tag=1\r\n\r\n", // a response without Via
      request({ viaParams: ";rport" }).replace(/Via: [^\r]*\r\n/, ""), // nowhere to answer
      request({ method: "ACK", viaParams: ";rport" }).replace(/From: [^\r]*\r\n/, ""), // an ACK is never answered
      request({ method: "ACK", viaParams: ";rport" }), // a stray ACK
      stun,
      "\r\n\r\n",
      "\r\n",
    ];
    for (const input of inputs) udp.send(input, t.address("udp"));
    await eventually(() => t.edge.stats.dropped - droppedBefore >= 7, 2000, "the drops");
    await sleep(100);
    assert.equal(udp.inbox.length, 0, "none of it was answered");
    // Still serving.
    const res = await answer(request({ method: "OPTIONS", uri: "sip:example.com", viaParams: ";rport" }));
    assert.equal(res.status, 200);
  });

  it("TCP: a malformed request on a connection is answered on it, and the connection stays", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      await peer.write(request({ transport: "TCP", version: "SIP/3.0" }));
      assert.equal((await peer.response()).status, 505);
      await peer.write(request({ transport: "TCP" }));
      assert.equal((await peer.response()).status, 200);
      assert.equal(peer.closed, false);
    } finally {
      peer.close();
    }
  });
});
