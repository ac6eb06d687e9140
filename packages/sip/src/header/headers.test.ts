import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ParseError } from "../errors.js";
import { parseContentType } from "./content-type.js";
import { parseCSeq } from "./cseq.js";
import { findUnquoted, parseParams, splitList } from "./lexer.js";
import { parseNameAddr, parseNameAddrList } from "./name-addr.js";
import { parseNumberHeader } from "./numbers.js";
import { parseVia } from "./via.js";

describe("lexer", () => {
  it("splits lists outside quotes and angle brackets", () => {
    assert.deepEqual(splitList('a, "b,c" <sip:x;y=1,2>, d'), ["a", '"b,c" <sip:x;y=1,2>', "d"]);
    assert.deepEqual(splitList(" , a ,, "), ["a"]);
    assert.equal(findUnquoted('"a\\",b",c', 44, 0), 7);
  });

  it("parses parameters with lower-cased names, quoted and valueless values", () => {
    const p = parseParams(';Tag=AbC ; lr;x="a \\"q\\"";maddr=[2001:db8::1]');
    assert.equal(p.get("tag"), "AbC");
    assert.equal(p.get("TAG"), "AbC");
    assert.equal(p.get("lr"), null);
    assert.equal(p.has("lr"), true);
    assert.equal(p.get("x"), 'a "q"');
    assert.equal(p.get("maddr"), "[2001:db8::1]");
    assert.equal(p.get("missing"), undefined);
    assert.equal(p.size, 4);
    assert.equal(p.toString(), ';tag=AbC;lr;x="a \\"q\\"";maddr=[2001:db8::1]');
  });

  it("rejects broken parameters with ParseError", () => {
    assert.throws(() => parseParams(";;"), ParseError);
    assert.throws(() => parseParams(";a="), ParseError);
    assert.throws(() => parseParams(';a="unterminated'), ParseError);
    assert.throws(() => parseParams("junk"), ParseError);
  });
});

describe("Via", () => {
  it("parses sent-protocol with odd spacing (RFC 4475 wsinv)", () => {
    const v = parseVia("SIP  /   2.0  / UDP    192.0.2.2;branch=390skdjuw");
    assert.equal(v.protocolName, "SIP");
    assert.equal(v.protocolVersion, "2.0");
    assert.equal(v.transport, "UDP");
    assert.equal(v.host, "192.0.2.2");
    assert.equal(v.port, undefined);
    assert.equal(v.branch, "390skdjuw");
  });

  it("parses IPv6 sent-by, received, rport, maddr and ttl", () => {
    const v = parseVia("SIP/2.0/tls [2001:db8::9]:5061;branch=z9hG4bKx;received=2001:db8::10;rport=50123;maddr=224.2.0.1;ttl=16");
    assert.equal(v.transport, "TLS");
    assert.equal(v.host, "[2001:db8::9]");
    assert.equal(v.port, 5061);
    assert.equal(v.received, "2001:db8::10");
    assert.equal(v.rport, 50123);
    assert.equal(v.maddr, "224.2.0.1");
    assert.equal(v.ttl, 16);
    assert.equal(v.sentBy, "[2001:db8::9]:5061");
    assert.equal(parseVia(v.toString()).toString(), v.toString());
  });

  it("accepts unknown transports (RFC 4475 transports)", () => {
    assert.equal(parseVia("SIP/2.0/NOTATRANSPORT cool.example.com;branch=z9hG4bKx").transport, "NOTATRANSPORT");
  });

  it("rejects malformed values", () => {
    for (const bad of [
      "SIP/2.0 host",
      "SIP/2.0/UDP",
      "SIP/2.0/UDP host:99999",
      "SIP/2.0/UDP [2001:db8::1",
      "SIP/2.0/UDP host;branch",
      "SIP/2.0/UDP host;ttl=300",
      "SIP/2.0/UDP host;rport=x",
      "SIP/2.0/UDP 192.0.2.15;;,;,,",
    ]) {
      assert.throws(() => parseVia(bad), ParseError, bad);
    }
  });
});

describe("name-addr", () => {
  it("parses quoted, token and absent display names", () => {
    assert.equal(parseNameAddr('"A \\"B\\"" <sip:a@b>').displayName, 'A "B"');
    assert.equal(parseNameAddr("Bob  Smith <sip:a@b>").displayName, "Bob Smith");
    assert.equal(parseNameAddr('"caller"<sip:caller@example.com>;tag=323').displayName, "caller");
    assert.equal(parseNameAddr("<sip:a@b>").displayName, undefined);
  });

  it("puts params after an addr-spec on the header, not the URI", () => {
    const a = parseNameAddr("sip:alice@atlanta.example.com;tag=88sja8x");
    assert.equal(a.uriText, "sip:alice@atlanta.example.com");
    assert.equal(a.tag, "88sja8x");
    const b = parseNameAddr("<sip:alice@atlanta.example.com;transport=tcp>;tag=1");
    assert.equal(b.uriText, "sip:alice@atlanta.example.com;transport=tcp");
    assert.equal(b.tag, "1");
  });

  it("reads Contact parameters of RFC 3261 and RFC 5626", () => {
    const c = parseNameAddr('<sip:line1@192.0.2.2;transport=tcp>;reg-id=1;q=0.7;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"');
    assert.equal(c.regId, 1);
    assert.equal(c.q, 0.7);
    assert.equal(c.expires, 3600);
    assert.equal(c.instance, "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
  });

  it("rejects what RFC 4475 calls invalid", () => {
    // §3.1.2.13: a URI with '?' must be in <>.
    assert.throws(() => parseNameAddr("sip:user@example.com?Route=%3Csip:sip.example.com%3E"), ParseError);
    // §3.1.2.15: non-token characters in an unquoted display name.
    assert.throws(() => parseNameAddr("Bell, Alexander <sip:a.g.bell@example.com>;tag=43"), ParseError);
    // §3.1.2.6: unbalanced quotes.
    assert.throws(() => parseNameAddr('"Mr. J. User <sip:j.user@example.com>'), ParseError);
    assert.throws(() => parseNameAddr("<sip:a@b"), ParseError);
    assert.throws(() => parseNameAddr(""), ParseError);
  });

  it("parses lists", () => {
    const l = parseNameAddrList("<sip:p1.example.com;lr>, <sip:p2.example.com;lr>", "Route");
    assert.deepEqual(
      l.map((n) => n.uriText),
      ["sip:p1.example.com;lr", "sip:p2.example.com;lr"],
    );
  });
});

describe("CSeq, numbers, Content-Type", () => {
  it("parses CSeq", () => {
    assert.deepEqual(parseCSeq("4711 INVITE"), { seq: 4711, method: "INVITE" });
    assert.deepEqual(parseCSeq("  0   ACK  "), { seq: 0, method: "ACK" });
    assert.throws(() => parseCSeq("INVITE"), ParseError);
    assert.throws(() => parseCSeq("1INVITE"), ParseError);
    assert.throws(() => parseCSeq("1 IN VITE"), ParseError);
    // RFC 3261 §8.1.1.5: less than 2**31; RFC 4475 §3.1.2.4.
    assert.throws(() => parseCSeq("36893488147419103232 INVITE"), ParseError);
    assert.throws(() => parseCSeq("2147483648 INVITE"), ParseError);
    assert.equal(parseCSeq("2147483647 INVITE").seq, 2147483647);
  });

  it("parses bounded numbers", () => {
    assert.equal(parseNumberHeader(" 70 ", 255, "Max-Forwards"), 70);
    assert.throws(() => parseNumberHeader("300", 255, "Max-Forwards"), /larger than 255/);
    assert.throws(() => parseNumberHeader("-1", 255, "Max-Forwards"), ParseError);
    assert.throws(() => parseNumberHeader("", 255, "Max-Forwards"), ParseError);
    assert.throws(() => parseNumberHeader("10000000000000", 0xffffffff, "Expires"), ParseError);
  });

  it("parses Content-Type", () => {
    const ct = parseContentType("Multipart/Mixed ; boundary=\"unique-boundary-1\"");
    assert.equal(ct.mediaType, "multipart/mixed");
    assert.equal(ct.params.get("boundary"), "unique-boundary-1");
    assert.throws(() => parseContentType("application"), ParseError);
    assert.throws(() => parseContentType("application/"), ParseError);
  });
});
