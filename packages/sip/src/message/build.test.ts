import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SipError } from "../errors.js";
import { sipLines } from "../testing/sip-text.js";
import { createAck, createCancel, createRequest, createResponse } from "./build.js";
import { newBranch, newCallId, newTag } from "./ids.js";
import type { SipRequest, SipResponse } from "./message.js";
import { parseMessage } from "./parse.js";

const INVITE = parseMessage(
  sipLines([
    "INVITE sip:bob@biloxi.example.com SIP/2.0",
    "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP client.example.com;branch=z9hG4bKc1;received=192.0.2.1",
    "Max-Forwards: 69",
    "Route: <sip:edge.example.com;lr>",
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
    "To: Bob <sip:bob@biloxi.example.com>",
    "Call-ID: 3848276298220188511@atlanta.example.com",
    "CSeq: 314159 INVITE",
    "Timestamp: 54",
    "Content-Length: 0",
  ]),
) as SipRequest;

describe("createResponse (RFC 3261 §8.2.6)", () => {
  it("copies Via, From, Call-ID, CSeq and adds a To tag", () => {
    const r = createResponse(INVITE, 486, { toTag: "abc" });
    assert.equal(r.status, 486);
    assert.equal(r.reason, "Busy Here");
    assert.deepEqual(
      r.via.map((v) => v.branch),
      ["z9hG4bKp1", "z9hG4bKc1"],
    );
    assert.equal(r.from.tag, "9fxced76sl");
    assert.equal(r.to.tag, "abc");
    assert.equal(r.to.displayName, "Bob");
    assert.equal(r.callId, INVITE.callId);
    assert.deepEqual(r.cseq, { seq: 314159, method: "INVITE" });
    assert.equal(r.contentLength, 0);
    assert.equal(r.has("Route"), false);
  });

  it("adds no tag to 100 and echoes Timestamp there (§8.2.6.1)", () => {
    const r = createResponse(INVITE, 100);
    assert.equal(r.to.tag, undefined);
    assert.equal(r.header("Timestamp"), "54");
    assert.equal(createResponse(INVITE, 180).has("Timestamp"), false);
  });

  it("keeps an existing To tag, makes a random one otherwise", () => {
    const inDialog = parseMessage(Buffer.from(INVITE.bytes.toString("latin1").replace("To: Bob <sip:bob@biloxi.example.com>", "To: Bob <sip:bob@biloxi.example.com>;tag=x1"), "latin1")) as SipRequest;
    assert.equal(createResponse(inDialog, 200, { toTag: "ignored" }).to.tag, "x1");
    const a = createResponse(INVITE, 200).to.tag;
    const b = createResponse(INVITE, 200).to.tag;
    assert.ok(a && b && a !== b);
  });

  it("adds headers, a body and a custom reason", () => {
    const r = createResponse(INVITE, 200, {
      reason: "Très bien",
      headers: [["Contact", "<sip:bob@192.0.2.4>"]],
      body: "v=0\r\n",
      contentType: "application/sdp",
    });
    assert.equal(r.reason, "Très bien");
    assert.equal(r.contact[0]?.uriText, "sip:bob@192.0.2.4");
    assert.equal(r.body.toString(), "v=0\r\n");
    assert.equal(r.contentType?.mediaType, "application/sdp");
    assert.throws(() => createResponse(INVITE, 99), SipError);
  });
});

describe("createAck and createCancel", () => {
  const busy = parseMessage(
    sipLines([
      "SIP/2.0 486 Busy Here",
      "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1",
      "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
      "To: Bob <sip:bob@biloxi.example.com>;tag=314",
      "Call-ID: 3848276298220188511@atlanta.example.com",
      "CSeq: 314159 INVITE",
      "Content-Length: 0",
    ]),
  ) as SipResponse;

  it("builds the non-2xx ACK of §17.1.1.3", () => {
    const ack = createAck(INVITE, busy);
    assert.equal(ack.method, "ACK");
    assert.equal(ack.uriText, INVITE.uriText);
    assert.equal(ack.via.length, 1);
    assert.equal(ack.topVia?.branch, "z9hG4bKp1");
    assert.equal(ack.to.tag, "314");
    assert.equal(ack.from.tag, "9fxced76sl");
    assert.deepEqual(ack.cseq, { seq: 314159, method: "ACK" });
    assert.deepEqual(
      ack.route.map((r) => r.uriText),
      ["sip:edge.example.com;lr"],
    );
  });

  it("builds the CANCEL of §9.1", () => {
    const cancel = createCancel(INVITE);
    assert.equal(cancel.method, "CANCEL");
    assert.equal(cancel.uriText, INVITE.uriText);
    assert.equal(cancel.via.length, 1);
    assert.equal(cancel.topVia?.branch, "z9hG4bKp1");
    assert.equal(cancel.to.tag, undefined);
    assert.deepEqual(cancel.cseq, { seq: 314159, method: "CANCEL" });
    assert.throws(() => createCancel(createAck(INVITE, busy)), SipError);
  });
});

describe("createRequest and ids", () => {
  it("builds a request with the mandatory headers of §8.1.1", () => {
    const branch = newBranch();
    const r = createRequest({
      method: "OPTIONS",
      uri: "sip:gw1.carrier.example.com",
      via: `SIP/2.0/UDP edge1.example.com:5060;branch=${branch};rport`,
      from: `<sip:ping@edge1.example.com>;tag=${newTag()}`,
      to: "<sip:gw1.carrier.example.com>",
      callId: newCallId("edge1.example.com"),
      cseq: 1,
      headers: [["Accept", "application/sdp"]],
    });
    assert.equal(r.method, "OPTIONS");
    assert.equal(r.topVia?.branch, branch);
    assert.equal(r.maxForwards, 70);
    assert.deepEqual(r.cseq, { seq: 1, method: "OPTIONS" });
    assert.equal(r.header("accept"), "application/sdp");
  });

  it("makes branches with the magic cookie and unique ids", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = newBranch();
      assert.match(b, /^z9hG4bK[a-z0-9]{20}$/);
      seen.add(b);
    }
    assert.equal(seen.size, 2000);
  });
});
