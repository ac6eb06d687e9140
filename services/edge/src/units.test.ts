import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Respond } from "@sipfleet/proto";
import { parseMessage, parseVia, type SipRequest } from "@sipfleet/sip";
import { respondOptions } from "./decision-response.js";
import { EDGE_ID_ENV, isValidEdgeId, resolveEdgeId } from "./edge-id.js";
import { EdgeConfigError } from "./errors.js";
import { buildResponse } from "./response-builder.js";
import { canonicalHost, hostPort, sameAddress } from "./ip-address.js";
import { stampTopVia, udpReplyPort } from "./via-received.js";

describe("stampTopVia (RFC 3261 §18.2.1, RFC 3581 §4)", () => {
  it("fills an empty rport and adds received, even when the sent-by matches", () => {
    const v = parseVia("SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff");
    assert.equal(stampTopVia(v, "192.0.2.1", 9988), "SIP/2.0/UDP 10.1.1.1:4540;rport=9988;branch=z9hG4bKkjshdyff;received=192.0.2.1");
    const same = parseVia("SIP/2.0/UDP 192.0.2.1:4540;branch=z9hG4bK1;rport");
    assert.equal(stampTopVia(same, "192.0.2.1", 4540), "SIP/2.0/UDP 192.0.2.1:4540;branch=z9hG4bK1;rport=4540;received=192.0.2.1");
  });

  it("adds received when the sent-by is a name or another address, and nothing when it matches", () => {
    assert.equal(stampTopVia(parseVia("SIP/2.0/UDP pc.example.com;branch=z9hG4bK1"), "192.0.2.1", 5060), "SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;received=192.0.2.1");
    assert.equal(stampTopVia(parseVia("SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bK1"), "192.0.2.1", 3333), "SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bK1;received=192.0.2.1");
    assert.equal(stampTopVia(parseVia("SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1"), "192.0.2.1", 3333), undefined);
    assert.equal(stampTopVia(parseVia("SIP/2.0/UDP [2001:DB8::1];branch=z9hG4bK1"), "2001:db8:0::1", 5060), undefined);
  });

  it("replaces a received the UA wrote itself and keeps a filled rport", () => {
    const v = parseVia("SIP/2.0/UDP 10.0.0.1;received=6.6.6.6;rport=1234;branch=z9hG4bK1");
    assert.equal(stampTopVia(v, "192.0.2.1", 5060), "SIP/2.0/UDP 10.0.0.1;rport=1234;branch=z9hG4bK1;received=192.0.2.1");
  });

  it("writes an IPv6 received without brackets", () => {
    const stamped = stampTopVia(parseVia("SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1;rport"), "2001:db8::1", 40000) as string;
    assert.equal(stamped, "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1;rport=40000;received=2001:db8::1");
    const back = parseVia(stamped);
    assert.equal(back.received, "2001:db8::1");
    assert.equal(back.rport, 40000);
  });

  it("picks the UDP reply port: the source with rport, else the sent-by port, else 5060", () => {
    assert.equal(udpReplyPort(parseVia("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;rport"), 40000), 40000);
    assert.equal(udpReplyPort(parseVia("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1"), 40000), 5070);
    assert.equal(udpReplyPort(parseVia("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1"), 40000), 5060);
    assert.equal(udpReplyPort(parseVia("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;maddr=224.0.1.75"), 40000), 5060, "maddr is not honoured");
  });
});

describe("IP addresses", () => {
  it("compares hosts by address, brackets and case aside", () => {
    assert.equal(canonicalHost("[2001:DB8:0:0::1]"), "2001:db8::1");
    assert.equal(canonicalHost("Example.COM"), "example.com");
    assert.ok(sameAddress("[::1]", "::1"));
    assert.ok(sameAddress("[0:0:0:0:0:0:0:1]", "::1"));
    assert.ok(!sameAddress("127.0.0.2", "127.0.0.1"));
    assert.ok(!sameAddress("localhost", "127.0.0.1"), "a name is never the packet's address (RFC 3261 §18.2.1)");
    assert.equal(hostPort("::1", 5060), "[::1]:5060");
    assert.equal(hostPort("127.0.0.1", 5060), "127.0.0.1:5060");
  });
});

describe("edge id", () => {
  it("takes the option, then SIPFLEET_EDGE_ID, then the host name with a random suffix", () => {
    assert.equal(resolveEdgeId("edge-a", { [EDGE_ID_ENV]: "edge-b" }), "edge-a");
    assert.equal(resolveEdgeId(undefined, { [EDGE_ID_ENV]: "edge-b" }), "edge-b");
    const a = resolveEdgeId(undefined, {});
    const b = resolveEdgeId(undefined, {});
    assert.ok(isValidEdgeId(a), a);
    assert.notEqual(a, b, "two edges on one host get different ids");
  });

  it("refuses ids that are not one NATS subject token, naming where they came from", () => {
    assert.throws(() => resolveEdgeId("edge.a", {}), (e: unknown) => e instanceof EdgeConfigError && /edgeId/.test(e.message));
    assert.throws(() => resolveEdgeId(undefined, { [EDGE_ID_ENV]: "a b" }), new RegExp(EDGE_ID_ENV));
    for (const bad of ["", "a*", "a>", "x".repeat(65)]) assert.ok(!isValidEdgeId(bad), bad);
  });
});

describe("respondOptions: a worker's Respond as response options", () => {
  const base: Respond = { status: 200, reason: "", headers: [], body: Buffer.alloc(0), toTag: "", credentialsFailed: false };

  it("keeps status, reason, headers, body and To tag; drops Content-Length (the edge writes it)", () => {
    const r = respondOptions({
      ...base,
      reason: "OK then",
      toTag: "t1",
      body: Buffer.from("x"),
      headers: [
        { name: "Contact", value: "<sip:a@b>;expires=60" },
        { name: "Content-Length", value: "999" },
        { name: "l", value: "999" },
      ],
    });
    assert.deepEqual(r, { ok: true, status: 200, options: { headers: [["Contact", "<sip:a@b>;expires=60"]], reason: "OK then", toTag: "t1", body: Buffer.from("x") } });
  });

  it("leaves reason and To tag to the edge when empty", () => {
    assert.deepEqual(respondOptions(base), { ok: true, status: 200, options: { headers: [] } });
  });

  it("refuses what would break the message or the transaction", () => {
    for (const bad of [
      { status: 100 },
      { status: 700 },
      { status: 0 },
      { reason: "a\r\nb" },
      { toTag: "a b" },
      { headers: [{ name: "X:Y", value: "1" }] },
      { headers: [{ name: "X", value: "1\n2" }] },
      { headers: [{ name: "", value: "1" }] },
    ]) {
      const r = respondOptions({ ...base, ...bad });
      assert.equal(r.ok, false, JSON.stringify(bad));
    }
  });
});

describe("buildResponse", () => {
  const req = parseMessage(
    Buffer.from(
      "REGISTER sip:example.com SIP/2.0\r\n" +
        "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n" +
        "Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3\r\n" +
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: b1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
      "latin1",
    ),
  ) as SipRequest;

  it("replaces only the top Via value, keeping the others in order", () => {
    const stamped = stampTopVia(req.topVia as never, "192.0.2.1", 4000);
    const res = buildResponse(req, stamped, 200, { toTag: "x" });
    assert.deepEqual(
      res.via.map((v) => v.toString()),
      ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=4000;received=192.0.2.1", "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2", "SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3"],
    );
    assert.equal(res.to.tag, "x");
    assert.equal(res.callId, "b1");
  });

  it("copies the Via lines untouched when nothing was stamped", () => {
    const res = buildResponse(req, undefined, 404);
    assert.equal(res.via.length, 3);
    assert.ok(res.bytes.toString("latin1").includes("v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"));
  });
});
