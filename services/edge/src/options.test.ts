import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, request, sleep, startTestEdge, UdpPeer, type TestEdge } from "./harness.js";

describe("OPTIONS, other methods, CANCEL, ACK and responses", () => {
  let t: TestEdge;
  let udp: UdpPeer;

  before(async () => {
    t = await startTestEdge();
    udp = await UdpPeer.open();
  });

  after(async () => {
    await udp.close();
    await t.stop();
  });

  it("OPTIONS to a served domain: 200 with Allow, Accept, Supported and no body (RFC 3261 §11.2)", async () => {
    udp.send(request({ method: "OPTIONS", uri: "sip:example.com", viaParams: ";rport" }), t.address("udp"));
    const res = await udp.response();
    assert.equal(res.status, 200);
    assert.deepEqual(res.allow, ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "MESSAGE", "SUBSCRIBE", "NOTIFY", "INFO", "UPDATE", "PRACK", "REFER", "PUBLISH"]);
    assert.equal(res.header("Accept"), "application/sdp");
    assert.deepEqual(res.supported, ["path", "outbound"]);
    assert.equal(res.contentLength, 0);
    assert.equal(res.body.length, 0);
    assert.ok(res.to.tag, "a To tag (RFC 3261 §8.2.6.2)");
  });

  it("OPTIONS to the edge's own address (and in upper case): 200", async () => {
    const a = t.address("udp");
    for (const uri of [`sip:${a.host}:${a.port}`, `sip:${a.host}`, "sip:EXAMPLE.COM;transport=udp"]) {
      udp.send(request({ method: "OPTIONS", uri, viaParams: ";rport" }), a);
      assert.equal((await udp.response()).status, 200, uri);
    }
  });

  it("OPTIONS to a user or to another domain: asked of the proxy workers (none here: 503)", async () => {
    for (const uri of ["sip:bob@example.com", "sip:example.org", "tel:+15551234"]) {
      udp.send(request({ method: "OPTIONS", uri, viaParams: ";rport" }), t.address("udp"));
      const res = await udp.response();
      assert.equal(res.status, 503, uri);
      assert.equal(res.header("Retry-After"), "7");
      assert.equal(res.header("Allow"), undefined);
    }
  });

  it("INVITE without proxy workers: 503; its ACK is absorbed; a CANCEL for it gets 200, another CANCEL 481 (RFC 3261 §9.2)", async () => {
    const invite = request({ method: "INVITE", uri: "sip:bob@example.com", branch: "z9hG4bK-inv-1", callId: "inv-1", viaParams: ";rport" });
    udp.send(invite, t.address("udp"));
    let res = await udp.response();
    if (res.status === 100) res = await udp.response();
    assert.equal(res.status, 503);
    const toTag = res.to.tag as string;
    const ack = request({ method: "ACK", uri: "sip:bob@example.com", branch: "z9hG4bK-inv-1", callId: "inv-1", viaParams: ";rport" }).replace(
      "To: <sip:alice@example.com>",
      `To: <sip:alice@example.com>;tag=${toTag}`,
    );
    udp.send(ack, t.address("udp"));
    const cancel = request({ method: "CANCEL", uri: "sip:bob@example.com", branch: "z9hG4bK-inv-1", callId: "inv-1", viaParams: ";rport" });
    udp.send(cancel, t.address("udp"));
    const cancelled = await udp.response();
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.to.tag, toTag, "the INVITE response's To tag (RFC 3261 §9.2)");
    assert.equal(cancelled.cseq.method, "CANCEL");
    udp.send(request({ method: "CANCEL", uri: "sip:bob@example.com", branch: "z9hG4bK-nothing", viaParams: ";rport" }), t.address("udp"));
    assert.equal((await udp.response()).status, 481);
    await sleep(50);
    assert.equal(udp.inbox.length, 0, "nothing answered the ACK");
  });

  it("other methods are asked of the proxy workers (none here: 503)", async () => {
    for (const method of ["SUBSCRIBE", "MESSAGE", "BYE", "FOO"]) {
      udp.send(request({ method, uri: "sip:bob@example.com", viaParams: ";rport" }), t.address("udp"));
      assert.equal((await udp.response()).status, 503, method);
    }
  });

  it("a response the platform sent no request for: dropped, nothing sent", async () => {
    const before = t.edge.stats.responsesReceived;
    udp.send(
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-no-tx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: r\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
      t.address("udp"),
    );
    await eventually(() => t.edge.stats.responsesReceived === before + 1);
    await sleep(50);
    assert.equal(udp.inbox.length, 0);
    assert.ok(t.logger.has("debug", /response without transaction dropped/));
  });
});

describe("PlatformIdentity", () => {
  it("takes every interface address as its own when listening on a wildcard", async () => {
    const { PlatformIdentity } = await import("./options-responder.js");
    const { parseMessage } = await import("@sipfleet/sip");
    const opts = (uri: string) => parseMessage(Buffer.from(request({ method: "OPTIONS", uri }), "latin1")) as import("@sipfleet/sip").SipRequest;
    const wild = new PlatformIdentity(["example.com"], ["0.0.0.0", "::"], () => ["10.1.2.3", "fe80::1"]);
    assert.ok(wild.isAddressedToPlatform(opts("sip:10.1.2.3:5060"), "0.0.0.0"));
    assert.ok(wild.isAddressedToPlatform(opts("sip:[FE80::1]"), "::"));
    assert.ok(!wild.isAddressedToPlatform(opts("sip:10.1.2.4"), "0.0.0.0"));
    const bound = new PlatformIdentity(["example.com"], ["192.0.2.5"], () => ["10.1.2.3"]);
    assert.ok(bound.isAddressedToPlatform(opts("sip:192.0.2.5"), "192.0.2.5"));
    assert.ok(!bound.isAddressedToPlatform(opts("sip:10.1.2.3"), "192.0.2.5"), "interfaces count only for wildcards");
    assert.ok(!bound.isAddressedToPlatform(opts("sip:user@example.com"), "192.0.2.5"), "a user part addresses a user");
  });
});

describe("IPv6", () => {
  it("listens on ::1, answers OPTIONS and gives an IPv6 flow with received unbracketed", async () => {
    const t = await startTestEdge({
      config: {
        listen: [
          { transport: "udp", host: "::1", port: 0 },
          { transport: "tcp", host: "::1", port: 0 },
        ],
      },
    });
    const udp = await UdpPeer.open("::1");
    try {
      assert.deepEqual(
        t.edge.addresses.map((a) => [a.transport, a.host]),
        [
          ["udp", "::1"],
          ["tcp", "::1"],
        ],
      );
      udp.send(request({ method: "OPTIONS", uri: "sip:[::1]", sentBy: "[2001:db8::1]:5060", viaParams: ";rport" }), t.address("udp"));
      const res = await udp.response();
      assert.equal(res.status, 200);
      assert.equal(res.topVia?.received, "::1");
      assert.equal(res.topVia?.rport, udp.port);
      // The same address written differently is the same sent-by: no received without rport.
      const other = await UdpPeer.open("::1");
      udp.send(request({ method: "OPTIONS", uri: "sip:example.com", sentBy: `[0:0:0:0:0:0:0:1]:${other.port}` }), t.address("udp"));
      const res2 = await other.response();
      assert.equal(res2.topVia?.received, undefined);
      await other.close();
    } finally {
      await udp.close();
      await t.stop();
    }
  });
});
