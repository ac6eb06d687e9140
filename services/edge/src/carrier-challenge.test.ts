import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildChallenge, computeHa1, createResponse, parseCredentials, parseMessage, verifyCredentials, type SipRequest } from "@sipfleet/sip";
import { answerBranchChallenge, NO_AUTH, offsetCanBeKept, withCSeqOffset } from "./carrier-challenge.js";
import { request } from "./harness.js";

const CREDS = { username: "trunkuser", password: "trunkpw" };
const sent = parseMessage(Buffer.from(request({ method: "INVITE", uri: "sip:+15550100@198.51.100.7;transport=udp", callId: "cc-1" }), "latin1")) as SipRequest;
const challenged = (status: number, name: string, values: string[]) =>
  createResponse(sent, status, { toTag: "c1", headers: values.map((v) => [name, v] as [string, string]) });

describe("answerBranchChallenge (RFC 3261 §22.2, RFC 8760 §2.4)", () => {
  it("answers a 407 with Proxy-Authorization the carrier verifies, CSeq offset 1", () => {
    const out = answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", [buildChallenge({ realm: "r1", nonce: "n1" })]), CREDS, NO_AUTH);
    assert.equal(out.kind, "answer");
    if (out.kind !== "answer") return;
    assert.equal(out.auth.cseqOffset, 1);
    assert.equal(out.auth.headers.length, 1);
    const [name, value] = out.auth.headers[0] as [string, string];
    assert.equal(name, "Proxy-Authorization");
    const ok = verifyCredentials({ credentials: value, method: "INVITE", realm: "r1", ha1: { MD5: computeHa1("trunkuser", "r1", "trunkpw", "MD5") }, requestUri: sent.uriText });
    assert.ok(ok.ok);
    const bad = verifyCredentials({ credentials: value, method: "INVITE", realm: "r1", ha1: { MD5: computeHa1("trunkuser", "r1", "other", "MD5") } });
    assert.equal(bad.ok, false);
  });

  it("a 401 gets Authorization; the topmost supported algorithm is used", () => {
    const res = challenged(401, "WWW-Authenticate", [
      buildChallenge({ realm: "r1", nonce: "n1", algorithm: "SHA-256" }),
      buildChallenge({ realm: "r1", nonce: "n1", algorithm: "MD5" }),
    ]);
    const out = answerBranchChallenge(sent, res, CREDS, NO_AUTH);
    assert.equal(out.kind, "answer");
    if (out.kind !== "answer") return;
    const [name, value] = out.auth.headers[0] as [string, string];
    assert.equal(name, "Authorization");
    assert.equal(parseCredentials(value).algorithm, "SHA-256");
  });

  it("refuses a second challenge for the same realm; a stale one is answered once, replacing the old answer", () => {
    const first = answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", [buildChallenge({ realm: "r1", nonce: "n1" })]), CREDS, NO_AUTH);
    assert.equal(first.kind, "answer");
    if (first.kind !== "answer") return;
    const again = answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", [buildChallenge({ realm: "r1", nonce: "n2" })]), CREDS, first.auth);
    assert.equal(again.kind, "refuse");
    const stale = answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", [buildChallenge({ realm: "r1", nonce: "n2", stale: true })]), CREDS, first.auth);
    assert.equal(stale.kind, "answer");
    if (stale.kind !== "answer") return;
    assert.equal(stale.auth.cseqOffset, 2);
    assert.equal(stale.auth.headers.length, 1);
    assert.equal(parseCredentials((stale.auth.headers[0] as [string, string])[1]).nonce, "n2");
    const staleAgain = answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", [buildChallenge({ realm: "r1", nonce: "n3", stale: true })]), CREDS, stale.auth);
    assert.equal(staleAgain.kind, "refuse");
  });

  it("another realm after one answered: both answers are sent", () => {
    const first = answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", [buildChallenge({ realm: "r1", nonce: "n1" })]), CREDS, NO_AUTH);
    assert.equal(first.kind, "answer");
    if (first.kind !== "answer") return;
    const second = answerBranchChallenge(sent, challenged(401, "WWW-Authenticate", [buildChallenge({ realm: "r2", nonce: "m1" })]), CREDS, first.auth);
    assert.equal(second.kind, "answer");
    if (second.kind !== "answer") return;
    assert.deepEqual(second.auth.headers.map(([n]) => n), ["Proxy-Authorization", "Authorization"]);
  });

  it("refuses what it cannot answer: no digest challenge, an unknown algorithm", () => {
    assert.equal(answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", ['Basic realm="x"']), CREDS, NO_AUTH).kind, "refuse");
    assert.equal(answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", ['Digest realm="x", nonce="n", algorithm=SHA-1']), CREDS, NO_AUTH).kind, "refuse");
    assert.equal(answerBranchChallenge(sent, challenged(407, "Proxy-Authenticate", []), CREDS, NO_AUTH).kind, "refuse");
  });
});

describe("withCSeqOffset / offsetCanBeKept", () => {
  it("puts cso inside the angle brackets, as a URI parameter", () => {
    assert.equal(withCSeqOffset("<sip:10.0.0.1:5060;lr;ft=abc>", 1), "<sip:10.0.0.1:5060;lr;ft=abc;cso=1>");
    assert.equal(withCSeqOffset("sip:10.0.0.1;lr", 2), "sip:10.0.0.1;lr;cso=2");
  });

  it("a dialog-creating request needs a Record-Route to carry the offset; in a dialog only BYE", () => {
    assert.equal(offsetCanBeKept("INVITE", true, 2), true);
    assert.equal(offsetCanBeKept("INVITE", true, 0), false);
    assert.equal(offsetCanBeKept("MESSAGE", true, 0), true);
    assert.equal(offsetCanBeKept("BYE", false, 0), true);
    assert.equal(offsetCanBeKept("INVITE", false, 2), false);
  });
});
