import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createResponse } from "./build.js";
import { SipRequest, type SipResponse } from "./message.js";
import { parseMessage } from "./parse.js";
import { sipLines } from "../testing/sip-text.js";
import { harness, RecordingServerUser, request } from "../testing/transaction-fixtures.js";
import { ServerNonInviteTransaction } from "../transaction/server-non-invite.js";
import { TransactionState } from "../transaction/transaction-state.js";

const INVITE = sipLines([
  "INVITE sip:bob@biloxi.example.com SIP/2.0",
  "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport",
  "Via: SIP/2.0/TCP p1.example.com;branch=z9hG4bKx1",
  "Max-Forwards: 70",
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  "To: Bob <sip:bob@biloxi.example.com>",
  "Call-ID: 3848276298220188511@atlanta.example.com",
  "CSeq: 1 INVITE",
  "Contact: <sip:alice@client.atlanta.example.com;transport=udp>",
  "Route: <sip:p2.example.com;lr>",
  "Record-Route: <sip:p1.example.com;lr>",
  "Content-Length: 0",
]);

/** Everything the typed accessors return, as plain data. */
function view(m: SipRequest) {
  return {
    method: m.method,
    uri: m.uriText,
    scheme: m.uri.scheme,
    vias: m.via.map((v) => `${v.transport} ${v.host}:${v.port ?? ""} ${v.branch ?? ""}`),
    top: m.topVia?.branch,
    from: [m.from.uriText, m.from.tag],
    to: [m.to.uriText, m.to.tag],
    callId: m.callId,
    cseq: [m.cseq.seq, m.cseq.method],
    maxForwards: m.maxForwards,
    contact: m.contact.map((c) => c.uriText),
    route: m.route.map((r) => r.uriText),
    recordRoute: m.recordRoute.map((r) => r.uriText),
    custom: m.header("Record-Route"),
    bytes: m.bytes.toString("latin1"),
  };
}

describe("SipMessage.compact", () => {
  it("keeps every accessor's answer: the parsed form is rebuilt from the bytes on demand", () => {
    const m = parseMessage(INVITE) as SipRequest;
    const before = view(m);
    m.compact();
    assert.deepEqual(view(m), before);
    // Twice in a row, and between reads, changes nothing either.
    m.compact();
    m.compact();
    assert.deepEqual(view(m), before);
  });

  it("copies bytes that share a pooled buffer into a buffer of their own", () => {
    // Buffer.from on a short string takes a slice of the shared 8 KiB pool.
    const pooled = Buffer.from(INVITE.toString("latin1"), "latin1");
    assert.ok(pooled.buffer.byteLength > pooled.length, "the fixture must come from the pool");
    const m = parseMessage(pooled);
    m.compact();
    assert.equal(m.raw.buffer.byteLength, m.raw.length);
    assert.equal(m.raw.toString("latin1"), INVITE.toString("latin1"));
    // Bytes that own their buffer are kept as they are.
    const own = m.raw;
    m.compact();
    assert.equal(m.raw, own);
  });

  it("is applied by a transaction entering a state that only waits (Completed: Timer J)", () => {
    const h = harness();
    const req = request("BYE");
    const pooled = parseMessage(Buffer.from(req.bytes.toString("latin1"), "latin1")) as SipRequest;
    assert.ok(pooled.raw.buffer.byteLength > pooled.raw.length);
    const tx = new ServerNonInviteTransaction(h.ctx, pooled, "192.0.2.4:5060", false, new RecordingServerUser());
    const res = parseMessage(Buffer.from(createResponse(pooled, 200).bytes.toString("latin1"), "latin1"));
    tx.respond(res as SipResponse);
    assert.equal(tx.state, TransactionState.Completed);
    assert.equal(pooled.raw.buffer.byteLength, pooled.raw.length, "the request owns its bytes");
    assert.equal(res.raw.buffer.byteLength, res.raw.length, "the response owns its bytes");
    // A retransmitted BYE still gets the same 200, byte for byte.
    tx.receiveRequest(pooled, "192.0.2.4:5060");
    assert.equal(h.transport.sent.at(-1)?.msg.bytes.toString("latin1"), res.bytes.toString("latin1"));
    assert.deepEqual(h.transport.lines, ["200", "200"]);
  });
});
