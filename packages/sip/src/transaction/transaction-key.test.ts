import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ParseError } from "../errors.js";
import { createResponse } from "../message/build.js";
import { parseMessage } from "../message/parse.js";
import { sip } from "../testing/sip-text.js";
import { request } from "../testing/transaction-fixtures.js";
import { cancelTargetKey, clientTransactionKey, isRfc3261Branch, rfc2543AckKey, serverTransactionKey } from "./transaction-key.js";

describe("server transaction keys (§17.2.3)", () => {
  it("keys RFC 3261 requests by branch, sent-by and method; ACK takes the INVITE's key", () => {
    const invite = request("INVITE");
    assert.equal(serverTransactionKey(invite), "z9hG4bK776asdhds\npc33.atlanta.example.com:5060\nINVITE");
    assert.equal(serverTransactionKey(request("ACK", { toTag: "x" })), serverTransactionKey(invite));
    assert.equal(serverTransactionKey(request("INVITE", { toTag: "x", seq: 1 })), serverTransactionKey(invite), "only branch, sent-by, method count");
  });

  it("gives CANCEL its own transaction, and targets the INVITE with cancelTargetKey (§9.2)", () => {
    const invite = request("INVITE");
    const cancel = request("CANCEL");
    assert.notEqual(serverTransactionKey(cancel), serverTransactionKey(invite));
    assert.equal(cancelTargetKey(cancel), serverTransactionKey(invite));
    assert.equal(cancelTargetKey(cancel, "SUBSCRIBE"), serverTransactionKey(request("SUBSCRIBE")));
  });

  it("tells transactions apart by branch, sent-by (host case-insensitive, port) and method", () => {
    const base = serverTransactionKey(request("INVITE"));
    assert.notEqual(serverTransactionKey(request("INVITE", { branch: "z9hG4bKother" })), base);
    assert.notEqual(serverTransactionKey(request("OPTIONS")), base);
    assert.notEqual(
      serverTransactionKey(request("INVITE", { via: "SIP/2.0/UDP pc34.atlanta.example.com:5060;branch=z9hG4bK776asdhds" })),
      base,
    );
    assert.notEqual(serverTransactionKey(request("INVITE", { via: "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds" })), base);
    assert.equal(
      serverTransactionKey(request("INVITE", { via: "SIP/2.0/TCP PC33.Atlanta.Example.COM:5060;branch=z9hG4bK776asdhds" })),
      base,
    );
  });

  it("falls back to RFC 2543 matching when the branch lacks the magic cookie", () => {
    const invite = request("INVITE", { branch: null });
    const key = serverTransactionKey(invite);
    assert.ok(key.startsWith("\n"), "never equal to an RFC 3261 key");
    assert.equal(serverTransactionKey(request("INVITE", { branch: null })), key, "a retransmission matches");
    assert.equal(serverTransactionKey(request("INVITE", { branch: "1234" })) === key, false, "top Via counts");
    for (const o of [{ uri: "sip:carol@chicago.example.com" }, { toTag: "t" }, { fromTag: "f" }, { callId: "c" }, { seq: 2 }]) {
      assert.notEqual(serverTransactionKey(request("INVITE", { branch: null, ...o })), key, JSON.stringify(o));
    }
    assert.notEqual(serverTransactionKey(request("BYE", { branch: null })), key, "CSeq method counts");
    assert.equal(cancelTargetKey(request("CANCEL", { branch: null })), key);
  });

  it("matches an RFC 2543 ACK on Request-URI, From tag, Call-ID, CSeq number and top Via, not the To tag", () => {
    const invite = request("INVITE", { branch: null });
    const ack = request("ACK", { branch: null, toTag: "8321234356" });
    assert.equal(serverTransactionKey(ack), rfc2543AckKey(invite));
    assert.equal(rfc2543AckKey(ack), rfc2543AckKey(invite));
    assert.notEqual(rfc2543AckKey(request("ACK", { branch: null, seq: 7 })), rfc2543AckKey(invite));
    assert.notEqual(rfc2543AckKey(request("ACK", { branch: null, fromTag: "zz" })), rfc2543AckKey(invite));
  });

  it("throws ParseError for a request without Via", () => {
    const m = parseMessage(
      sip("OPTIONS sip:a@b SIP/2.0\nTo: <sip:a@b>\nFrom: <sip:c@d>;tag=1\nCall-ID: x\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n"),
    );
    assert.ok(m.isRequest);
    assert.throws(() => serverTransactionKey(m), ParseError);
  });
});

describe("client transaction keys (§17.1.3)", () => {
  it("keys by branch and CSeq method, so a CANCEL's responses do not reach the INVITE", () => {
    const invite = request("INVITE");
    const cancel = request("CANCEL");
    assert.equal(clientTransactionKey(invite), "z9hG4bK776asdhds\nINVITE");
    assert.equal(clientTransactionKey(createResponse(invite, 180)), clientTransactionKey(invite));
    assert.equal(clientTransactionKey(createResponse(cancel, 200)), clientTransactionKey(cancel));
    assert.notEqual(clientTransactionKey(cancel), clientTransactionKey(invite));
    assert.equal(clientTransactionKey(request("INVITE", { branch: null })), undefined);
  });

  it("recognises the magic cookie", () => {
    assert.equal(isRfc3261Branch("z9hG4bK776asdhds"), true);
    assert.equal(isRfc3261Branch("776asdhds"), false);
    assert.equal(isRfc3261Branch(undefined), false);
  });
});
