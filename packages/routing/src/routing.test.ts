import { strict as assert } from "node:assert";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { Flow, Transport } from "@sipfleet/proto";
import { editMessage, parseMessage, type SipRequest } from "@sipfleet/sip";
import { branchOwner, FlowTokens, isLooped, loopHash, platformBranch, readPlatformBranch } from "./index.js";

const INVITE = [
  "INVITE sip:bob@sipfleet.local SIP/2.0",
  "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKcaller1",
  "Max-Forwards: 70",
  "From: <sip:alice@sipfleet.local>;tag=a1",
  "To: <sip:bob@sipfleet.local>",
  "Call-ID: c1@10.0.0.1",
  "CSeq: 1 INVITE",
  "Content-Length: 0",
  "",
  "",
].join("\r\n");

function request(text: string): SipRequest {
  const m = parseMessage(Buffer.from(text, "latin1"));
  assert.ok(m.isRequest);
  return m as SipRequest;
}

/** The request as the platform forwards it: our Via on top, optionally a new Request-URI. */
function forwarded(req: SipRequest, edgeId: string, uri?: string): SipRequest {
  const e = editMessage(req).prependVia(`SIP/2.0/UDP 127.0.0.1:5060;branch=${platformBranch(edgeId, loopHash(req))}`);
  if (uri !== undefined) e.setRequestUri(uri);
  return request(e.toBuffer().toString("latin1"));
}

describe("platform branches", () => {
  it("name the edge that wrote them and carry the loop hash", () => {
    const b = platformBranch("edge-1_a", "abc123");
    assert.ok(b.startsWith("z9hG4bK"));
    assert.deepEqual(readPlatformBranch(b), { edgeId: "edge-1_a", loopHash: "abc123" });
    assert.equal(branchOwner(b), "edge-1_a");
    assert.notEqual(platformBranch("e", "h"), platformBranch("e", "h"), "unique per call");
  });

  it("are not read into other branches", () => {
    for (const b of [undefined, "", "z9hG4bK776asdhds", "z9hG4bK.sf.", "z9hG4bK.sf.e1", "z9hG4bK.sf.e1.h", "z9hG4bK.sf.e1.h.", "z9hG4bK.sf.e!1.h.r", "z9hG4bK.sf.e1.h.r.x"]) {
      assert.equal(readPlatformBranch(b), undefined, String(b));
    }
  });

  it("refuse an edge id that would break the format", () => {
    assert.throws(() => platformBranch("a.b", "h"), /edge id/);
  });
});

describe("loop detection", () => {
  it("finds a request that comes back unchanged (a loop)", () => {
    const req = request(INVITE);
    assert.equal(isLooped(req), false);
    // The platform forwarded it to a contact that sends it straight back.
    const back = forwarded(req, "e1");
    assert.equal(isLooped(back), true);
  });

  it("lets a spiral through: the request returns with another Request-URI", () => {
    const req = request(INVITE);
    const spiral = forwarded(req, "e1", "sip:carol@sipfleet.local");
    assert.equal(isLooped(spiral), false);
    // ...and catches it when that one loops in turn.
    assert.equal(isLooped(forwarded(spiral, "e2")), true);
  });

  it("hashes what routes the request, and nothing else", () => {
    const a = request(INVITE);
    const b = request(INVITE.replace("Max-Forwards: 70", "Max-Forwards: 69").replace("branch=z9hG4bKcaller1", "branch=z9hG4bKother"));
    assert.equal(loopHash(a), loopHash(b));
    assert.notEqual(loopHash(a), loopHash(request(INVITE.replace("CSeq: 1", "CSeq: 2"))));
    assert.notEqual(loopHash(a), loopHash(request(INVITE.replace("tag=a1", "tag=a2"))));
    assert.notEqual(loopHash(a), loopHash(request(INVITE.replace("Content-Length: 0", "Proxy-Require: foo\r\nContent-Length: 0"))));
  });
});

describe("flow tokens", () => {
  const flow: Flow = {
    edgeId: "edge-2",
    connectionId: "tcp/0a1b2c3d.17",
    transport: Transport.TRANSPORT_TCP,
    remote: { ip: "192.0.2.7", port: 49152 },
    local: { ip: "127.0.0.1", port: 5061 },
    // As decoding writes an optional field that is absent.
    advertised: undefined,
  };

  it("round-trip a flow, and no flow", () => {
    const t = new FlowTokens("a-secret-of-the-platform-0123456789");
    const token = t.encode(flow);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(t.decode(token), { flow });
    assert.deepEqual(t.decode(t.encode(undefined)), { flow: undefined });
  });

  it("take the secret as the configuration holds it (UTF-8 bytes) or as a string, alike", () => {
    const secret = "a-secret-of-the-platform-0123456789";
    const token = new FlowTokens(secret).encode(flow);
    assert.deepEqual(new FlowTokens(new Uint8Array(Buffer.from(secret, "utf8"))).decode(token), { flow });
    assert.throws(() => new FlowTokens(new Uint8Array(0)), /empty/);
  });

  it("refuse tokens written with another secret, altered, or garbled", () => {
    const t = new FlowTokens("a-secret-of-the-platform-0123456789");
    const other = new FlowTokens("another-secret-of-another-platform-xx");
    assert.equal(t.decode(other.encode(flow)), undefined);
    const token = t.encode(flow);
    const flipped = token.slice(0, 5) + (token[5] === "A" ? "B" : "A") + token.slice(6);
    assert.equal(t.decode(flipped), undefined);
    for (const bad of ["", "abc", "not a token!", "x".repeat(2000)]) assert.equal(t.decode(bad), undefined, bad);
  });

  it("are sealed: a token does not reveal the flow's addresses or ids, and two tokens of one flow differ", () => {
    const t = new FlowTokens("a-secret-of-the-platform-0123456789");
    const a = t.encode(flow);
    const b = t.encode(flow);
    assert.notEqual(a, b);
    for (const token of [a, b]) {
      const raw = Buffer.from(token, "base64url").toString("latin1");
      for (const needle of ["192.0.2.7", "edge-2", "tcp/0a1b2c3d"]) assert.ok(!raw.includes(needle), `${needle} readable in ${token}`);
    }
  });

  it("still accept the signed-only form written before tokens were sealed (dialogs set up before an upgrade), only with the right MAC", () => {
    const secret = "a-secret-of-the-platform-0123456789";
    const key = createHmac("sha256", secret).update("sipfleet flow-token v1").digest();
    const signed = (payload: Buffer): string =>
      Buffer.concat([payload, createHmac("sha256", key).update(payload).digest().subarray(0, 16)]).toString("base64url");
    const t = new FlowTokens(secret);
    assert.deepEqual(t.decode(signed(Buffer.from(Flow.encode(flow).finish()))), { flow });
    assert.deepEqual(t.decode(signed(Buffer.alloc(0))), { flow: undefined });
    const other = createHmac("sha256", "another-secret-of-another-platform-xx").update("sipfleet flow-token v1").digest();
    const forged = Buffer.concat([Buffer.from(Flow.encode(flow).finish()), createHmac("sha256", other).update(Buffer.from(Flow.encode(flow).finish())).digest().subarray(0, 16)]);
    assert.equal(t.decode(forged.toString("base64url")), undefined);
  });
});
