import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REDACTED, redactCredentials } from "./redact.js";

const R = REDACTED;
const crlf = (lines: readonly string[]): string => lines.join("\r\n");

describe("redactCredentials", () => {
  it("removes the digest response of a REGISTER and keeps everything else byte for byte", () => {
    const head = [
      "REGISTER sip:sipfleet.local SIP/2.0",
      "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK776asdhds;rport",
      "Max-Forwards: 70",
      "From: <sip:alice@sipfleet.local>;tag=1928301774",
      "To: <sip:alice@sipfleet.local>",
      "Call-ID: a84b4c76e66710@127.0.0.1",
      "CSeq: 2 REGISTER",
      "Contact: <sip:alice@127.0.0.1:5062>",
    ];
    const auth = (response: string): string =>
      `Authorization: Digest username="alice", realm="sipfleet.local", nonce="abc123", uri="sip:sipfleet.local", ` +
      `response="${response}", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001`;
    const input = crlf([...head, auth("6629fae49393a05397450978507c4ef1"), "Content-Length: 0", "", ""]);
    const expected = crlf([...head, auth(R), "Content-Length: 0", "", ""]);
    assert.equal(redactCredentials(input), expected);
    assert.equal(redactCredentials(Buffer.from(input)), expected);
  });

  it("leaves a message without credentials exactly as it was, body included", () => {
    const input = crlf([
      "SIP/2.0 401 Unauthorized",
      "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK776asdhds;received=127.0.0.1",
      'WWW-Authenticate: Digest realm="sipfleet.local", nonce="n1", algorithm=SHA-256, qop="auth"',
      "Content-Type: application/sdp",
      "Content-Length: 13",
      "",
      "v=0\r\no=- 1 1 ",
    ]);
    assert.equal(redactCredentials(input), input);
  });

  it("handles case, spacing before the colon, unquoted and spaced values, several headers and Proxy-Authorization", () => {
    const input = crlf([
      "INVITE sip:bob@example.com SIP/2.0",
      'authorization  :digest USERNAME="a",RESPONSE = 0123abcd , realm="r"',
      'PROXY-AUTHORIZATION: Digest username="a", realm="p1", response="ff00"',
      'Proxy-Authorization: Digest username="a", realm="p2", Response="ee11", uri="sip:bob@example.com"',
      "",
      "",
    ]);
    const expected = crlf([
      "INVITE sip:bob@example.com SIP/2.0",
      `authorization  :digest USERNAME="a",RESPONSE = ${R} , realm="r"`,
      `PROXY-AUTHORIZATION: Digest username="a", realm="p1", response="${R}"`,
      `Proxy-Authorization: Digest username="a", realm="p2", Response="${R}", uri="sip:bob@example.com"`,
      "",
      "",
    ]);
    assert.equal(redactCredentials(input), expected);
  });

  it("torture: folded lines, quoted look-alikes, Basic, Bearer, rspauth, auts, URI passwords, a sipfrag body, bare LF", () => {
    const input = [
      "MESSAGE sip:carol:s3cret@chicago.example.com;transport=tcp SIP/2.0",
      "Authorization: Digest",
      '  username="response=not-a-param, \\"quoted\\" x",',
      '\trealm="r", response',
      '   =',
      '    "deadbeef", nonce="n", auts="AKAtoken=="',
      "Proxy-Authorization: Basic YWxpY2U6c2VjcmV0",
      "Proxy-Authorization: Bearer eyJhbGciOi.J9.sig",
      "Authorization: Digest username=\"x\", realm=\"r\", response=\"aa\", Basic YWxpY2U6c2VjcmV0",
      'Authentication-Info: nextnonce="nn", qop=auth, rspauth="6629fae4", cnonce="c", nc=00000001',
      "Authorization-Extra: response=keep-me",
      "Contact: <sips:dave:hunter2@10.0.0.1:5061>;expires=60",
      "From: <sip:alice@atlanta.example.com>;tag=1",
      "Content-Type: message/sipfrag",
      "",
      "REGISTER sip:x:pw@y SIP/2.0",
      'Authorization: Digest username="x", response="in-the-body"',
      "a=authorization: sdp-like line kept",
    ].join("\n");
    const expected = [
      `MESSAGE sip:carol:${R}@chicago.example.com;transport=tcp SIP/2.0`,
      "Authorization: Digest",
      '  username="response=not-a-param, \\"quoted\\" x",',
      '\trealm="r", response',
      '   =',
      `    "${R}", nonce="n", auts="${R}"`,
      `Proxy-Authorization: Basic ${R}`,
      `Proxy-Authorization: Bearer ${R}`,
      `Authorization: Digest username="x", realm="r", response="${R}", Basic ${R}`,
      `Authentication-Info: nextnonce="nn", qop=auth, rspauth="${R}", cnonce="c", nc=00000001`,
      "Authorization-Extra: response=keep-me",
      `Contact: <sips:dave:${R}@10.0.0.1:5061>;expires=60`,
      "From: <sip:alice@atlanta.example.com>;tag=1",
      "Content-Type: message/sipfrag",
      "",
      `REGISTER sip:x:${R}@y SIP/2.0`,
      `Authorization: Digest username="x", response="${R}"`,
      "a=authorization: sdp-like line kept",
    ].join("\n");
    assert.equal(redactCredentials(input), expected);
  });

  it("an unterminated quoted secret is removed to the end of the header, never left in", () => {
    const input = crlf(['Authorization: Digest username="a", response="abc', "Max-Forwards: 70", "", ""]);
    assert.equal(redactCredentials(input), crlf([`Authorization: Digest username="a", response="${R}"`, "Max-Forwards: 70", "", ""]));
  });

  it("keeps ports and users without a password: sip:host:port and sip:user@host:port", () => {
    const input = "OPTIONS sip:10.0.0.1:5060 SIP/2.0\r\nTo: <sip:bob@example.com:5070>\r\n\r\n";
    assert.equal(redactCredentials(input), input);
  });
});
