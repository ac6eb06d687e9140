import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MessageTooLargeError, ParseError } from "../errors.js";
import { sipLines } from "../testing/sip-text.js";
import { SipRequest, SipResponse } from "./message.js";
import { parseMessage } from "./parse.js";

const SDP = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

const INVITE = sipLines(
  [
    "INVITE sip:bob@biloxi.example.com SIP/2.0",
    "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport",
    "Max-Forwards: 70",
    'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    "To: Bob <sip:bob@biloxi.example.com>",
    "Call-ID: 3848276298220188511@atlanta.example.com",
    "CSeq: 1 INVITE",
    "Contact: <sip:alice@client.atlanta.example.com;transport=udp>",
    "X-Custom-Thing:   keep   me  ",
    "Content-Type: application/sdp",
    `Content-Length: ${SDP.length}`,
  ],
  SDP,
);

describe("parseMessage: requests", () => {
  it("reads the request line, headers and body", () => {
    const m = parseMessage(INVITE);
    assert.ok(m instanceof SipRequest);
    assert.equal(m.isRequest, true);
    assert.equal(m.method, "INVITE");
    assert.equal(m.uriText, "sip:bob@biloxi.example.com");
    assert.equal(m.version, "SIP/2.0");
    assert.equal(m.body.toString("latin1"), SDP);
    assert.equal(m.callId, "3848276298220188511@atlanta.example.com");
    assert.deepEqual(m.cseq, { seq: 1, method: "INVITE" });
    assert.equal(m.maxForwards, 70);
    assert.equal(m.from.displayName, "Alice Liddell");
    assert.equal(m.from.tag, "9fxced76sl");
    assert.equal(m.to.displayName, "Bob");
    assert.equal(m.to.tag, undefined);
    assert.equal(m.contentLength, SDP.length);
    assert.equal(m.contentType?.mediaType, "application/sdp");
    assert.equal(m.header("x-custom-thing"), "keep   me", "value trimmed, inner spacing kept");
    assert.equal(m.defect, undefined);
  });

  it("parses the top Via lazily and fully", () => {
    const m = parseMessage(INVITE);
    const v = m.topVia;
    assert.ok(v);
    assert.equal(v.transport, "UDP");
    assert.equal(v.host, "client.atlanta.example.com");
    assert.equal(v.port, 5060);
    assert.equal(v.branch, "z9hG4bK74bf9");
    assert.equal(v.rport, null, "rport without value means 'please fill in'");
    assert.equal(m.via.length, 1);
    assert.equal(m.via[0]?.branch, "z9hG4bK74bf9");
  });

  it("parses credentials once and hands every reader the same values", () => {
    const m = parseMessage(
      sipLines([
        "INVITE sip:bob@b.example SIP/2.0",
        "Via: SIP/2.0/UDP a.example;branch=z9hG4bK1",
        "From: <sip:alice@a.example>;tag=1",
        "To: <sip:bob@b.example>",
        "Call-ID: c",
        "CSeq: 1 INVITE",
        'Authorization: Digest username="alice", realm="a.example", nonce="n1", uri="sip:bob@b.example", response="00"',
        'Proxy-Authorization: Digest username="alice", realm="b.example", nonce="n2", uri="sip:bob@b.example", response="11"',
      ]),
    ) as SipRequest;
    assert.equal(m.authorization.length, 1);
    assert.equal(m.authorization[0]!.realm, "a.example");
    assert.equal(m.authorization, m.authorization);
    assert.equal(m.proxyAuthorization.length, 1);
    assert.equal(m.proxyAuthorization[0]!.realm, "b.example");
    assert.equal(m.proxyAuthorization, m.proxyAuthorization);
  });

  it("treats header names case-insensitively and knows the compact forms", () => {
    const m = parseMessage(
      sipLines([
        "OPTIONS sip:carol@chicago.example.com SIP/2.0",
        "v: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877",
        "MAX-FORWARDS: 70",
        "t: <sip:carol@chicago.example.com>",
        "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
        "i: a84b4c76e66710",
        "cseq: 63104 OPTIONS",
        "m: <sip:alice@pc33.atlanta.example.com>",
        "k: path, outbound",
        "l: 0",
      ]),
    );
    assert.equal(m.topVia?.transport, "TCP");
    assert.equal(m.maxForwards, 70);
    assert.equal(m.to.uriText, "sip:carol@chicago.example.com");
    assert.equal(m.from.tag, "1928301774");
    assert.equal(m.callId, "a84b4c76e66710");
    assert.equal(m.cseq.method, "OPTIONS");
    assert.equal(m.contact.length, 1);
    assert.deepEqual(m.supported, ["path", "outbound"]);
    assert.equal(m.contentLength, 0);
    assert.equal(m.header("Call-ID"), "a84b4c76e66710");
    assert.equal(m.header("CALL-id"), "a84b4c76e66710");
    assert.equal(m.count("Via"), 1);
  });

  it("unfolds continuation lines (RFC 3261 §7.3.1)", () => {
    const m = parseMessage(
      sipLines([
        "MESSAGE sip:bob@b.example.com SIP/2.0",
        "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1",
        "Subject: I know you're there,",
        "   pick up the phone",
        "\tand talk to me!",
        "From: <sip:alice@a.example.com>;tag=1",
        "To: <sip:bob@b.example.com>",
        "Call-ID: f1",
        "CSeq: 1 MESSAGE",
        "Content-Length: 0",
      ]),
    );
    assert.equal(m.header("Subject"), "I know you're there, pick up the phone and talk to me!");
    assert.equal(m.from.tag, "1");
    assert.equal(m.count("subject"), 1);
  });

  it("splits list headers on commas outside quotes and angle brackets", () => {
    const m = parseMessage(
      sipLines([
        "REGISTER sip:registrar.example.com SIP/2.0",
        "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com;branch=z9hG4bK2",
        "Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3",
        'Contact: "Doe, John" <sip:john@a.example.com;x=1,2>;expires=60, <sip:john@b.example.com>;q=0.5',
        "From: <sip:john@example.com>;tag=1",
        "To: <sip:john@example.com>",
        "Call-ID: r1",
        "CSeq: 2 REGISTER",
        "Content-Length: 0",
      ]),
    );
    assert.deepEqual(
      m.via.map((v) => v.host),
      ["a.example.com", "b.example.com", "c.example.com"],
    );
    assert.equal(m.topVia?.host, "a.example.com");
    assert.equal(m.contact.length, 2);
    assert.equal(m.contact[0]?.displayName, "Doe, John");
    assert.equal(m.contact[0]?.uriText, "sip:john@a.example.com;x=1,2");
    assert.equal(m.contact[0]?.expires, 60);
    assert.equal(m.contact[1]?.q, 0.5);
    assert.deepEqual(m.headers("via").length, 3);
    assert.deepEqual(m.headers("contact"), ['"Doe, John" <sip:john@a.example.com;x=1,2>;expires=60', "<sip:john@b.example.com>;q=0.5"]);
  });

  it("ignores CRLFs before the start line (RFC 3261 §7.5)", () => {
    const bytes = Buffer.concat([Buffer.from("\r\n\r\n"), INVITE]);
    const m = parseMessage(bytes);
    assert.equal(m.isRequest, true);
    assert.equal((m as SipRequest).method, "INVITE");
  });

  it("drops datagram bytes past Content-Length (RFC 3261 §18.3)", () => {
    const bytes = Buffer.concat([INVITE, Buffer.from("garbage after the body")]);
    const m = parseMessage(bytes);
    assert.equal(m.body.toString("latin1"), SDP);
    assert.equal(m.bytes.length, INVITE.length);
    assert.equal(m.defect, undefined);
  });

  it("takes the rest of the datagram as body without Content-Length", () => {
    const m = parseMessage(sipLines(["MESSAGE sip:b@b SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK1"], "hello"));
    assert.equal(m.body.toString(), "hello");
  });

  it("records a Content-Length larger than the body as a defect", () => {
    const m = parseMessage(sipLines(["MESSAGE sip:b@b SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK1", "Content-Length: 9999"], "short"));
    assert.match(m.defect?.reason ?? "", /Content-Length 9999 larger/);
  });

  it("records negative and conflicting Content-Length values as defects", () => {
    const neg = parseMessage(sipLines(["MESSAGE sip:b@b SIP/2.0", "Content-Length: -999"], ""));
    assert.match(neg.defect?.reason ?? "", /not a number/);
    const two = parseMessage(sipLines(["MESSAGE sip:b@b SIP/2.0", "Content-Length: 0", "l: 5"], "hello"));
    assert.match(two.defect?.reason ?? "", /multiple Content-Length/);
  });

  it("records header lines without a colon as defects but keeps them", () => {
    const m = parseMessage(sipLines(["OPTIONS sip:b@b SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK1", "This is not a header", "Call-ID: x"]));
    assert.match(m.defect?.reason ?? "", /without ':'/);
    assert.equal(m.callId, "x");
    assert.equal(m.headerTable.keys.length, 3);
  });

  it("records Request-Line spacing problems as defects (RFC 4475 §3.1.2.9-10)", () => {
    const twoSpaces = parseMessage(sipLines(["INVITE  sip:b@b SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK1"]));
    assert.match(twoSpaces.defect?.reason ?? "", /more than one SP/);
    assert.equal((twoSpaces as SipRequest).uriText, "sip:b@b");
    const trailing = parseMessage(sipLines(["OPTIONS sip:b@b SIP/2.0 ", "Via: SIP/2.0/UDP a;branch=z9hG4bK1"]));
    assert.match(trailing.defect?.reason ?? "", /trailing white space/);
    assert.equal(trailing.version, "SIP/2.0");
    const lwsUri = parseMessage(sipLines(["INVITE sip:b@b; lr SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK1"])) as SipRequest;
    assert.equal(lwsUri.uriText, "sip:b@b; lr");
    assert.throws(() => lwsUri.uri, /Request-URI/, "the URI parser rejects the space");
  });

  it("reads start lines the same whether or not they have the common shape the parser reads first", () => {
    const req = (line: string): SipRequest => parseMessage(sipLines([line, "Via: SIP/2.0/UDP a;branch=z9hG4bK1"])) as SipRequest;
    const plain = req("REGISTER sip:b.example.com SIP/2.0");
    assert.deepEqual([plain.method, plain.uriText, plain.version, plain.defect], ["REGISTER", "sip:b.example.com", "SIP/2.0", undefined]);
    assert.equal(req("FOO sip:b@b SIP/2.0").method, "FOO");
    const spaced = req("INVITE sip:b@b  SIP/2.0");
    assert.equal(spaced.uriText, "sip:b@b");
    assert.match(spaced.defect?.reason ?? "", /more than one SP/);
    const glued = req("INVITE sip:b@b xSIP/2.0");
    assert.equal(glued.version, "xSIP/2.0");
    assert.match(glued.defect?.reason ?? "", /invalid SIP-Version/);
    assert.match(req("INVITE sip:b@b SIP/2.0x").defect?.reason ?? "", /invalid SIP-Version/);
    assert.equal(req("INVITE sip:b@b sip/2.0").version, "SIP/2.0");
    assert.throws(() => req("INVITE SIP/2.0"), /Request-Line/);
    assert.throws(() => req("INV;TE sip:b@b SIP/2.0"), /Request-Line/);
    const res = (line: string): SipResponse => parseMessage(sipLines([line, "Call-ID: c"])) as SipResponse;
    assert.deepEqual([res("SIP/2.0 699 x").status, res("SIP/2.0 699 x").reason], [699, "x"]);
    assert.deepEqual([res("sip/2.0 200 OK").status, res("sip/2.0 200 OK").version], [200, "SIP/2.0"]);
    assert.throws(() => res("SIP/2.0 200OK"), /status code/);
    assert.throws(() => res("SIP/2.0  200 OK"), /status code/);
    assert.throws(() => res("SIP/2.0 099 x"), /status code/);
  });

  it("reads Max-Forwards and Call-ID from the bytes, and leaves what is wrong with them to the general checks", () => {
    const mf = (value: string): number | undefined => parseMessage(sipLines(["OPTIONS sip:b@b SIP/2.0", `Max-Forwards: ${value}`, "Call-ID: c"])).maxForwards;
    assert.deepEqual(["0", "70", "255", "007", "0070", " 9 "].map(mf), [0, 70, 255, 7, 70, 9]);
    for (const bad of ["256", "1000", "7a", "-1", "7 0", ""]) assert.throws(() => mf(bad), /Max-Forwards/, bad);
    const folded = parseMessage(Buffer.from("OPTIONS sip:b@b SIP/2.0\r\nMax-Forwards:\r\n 42\r\nCall-ID: a\r\n b\r\n\r\n", "latin1"));
    assert.equal(folded.maxForwards, 42);
    assert.throws(() => folded.callId, /Call-ID: invalid character in "a b/);
    const id = (value: string): string => parseMessage(sipLines(["OPTIONS sip:b@b SIP/2.0", `Call-ID: ${value}`])).callId;
    assert.equal(id("a84b4c76e66710@pc33.atlanta.example.com"), "a84b4c76e66710@pc33.atlanta.example.com");
    assert.throws(() => id("a b"), /Call-ID: invalid character in "a b/);
    assert.throws(() => id("a\u00e9"), /Call-ID: invalid character/);
  });

  it("keeps an unknown SIP version for validation to answer 505", () => {
    const m = parseMessage(sipLines(["OPTIONS sip:b@b SIP/7.0", "Via: SIP/7.0/UDP a;branch=z9hG4bK1"]));
    assert.equal(m.version, "SIP/7.0");
    assert.equal(m.defect, undefined);
  });

  it("throws ParseError when nothing can be answered", () => {
    assert.throws(() => parseMessage(Buffer.from("")), ParseError);
    assert.throws(() => parseMessage(Buffer.from("\r\n\r\n")), ParseError);
    assert.throws(() => parseMessage(Buffer.from("INVITE sip:b@b SIP/2.0\r\nVia: x\r\n")), /not terminated/);
    assert.throws(() => parseMessage(sipLines(["INVITE"])), /Request-Line/);
    assert.throws(() => parseMessage(sipLines(["IN<VITE sip:b@b SIP/2.0"])), /Request-Line/);
  });

  it("enforces the size limit", () => {
    assert.throws(() => parseMessage(INVITE, { maxSize: 100 }), MessageTooLargeError);
    assert.equal(parseMessage(INVITE, { maxSize: INVITE.length }).isRequest, true);
  });

  it("decodes UTF-8 display names and free-text headers", () => {
    const m = parseMessage(
      sipLines(['MESSAGE sip:b@b SIP/2.0', 'From: "Zoë Ærø" <sip:zoe@example.com>;tag=1', "Subject: café ☕"]),
    );
    assert.equal(m.from.displayName, "Zoë Ærø");
    assert.equal(m.header("subject"), "café ☕");
  });

  it("throws on a second single-value header and on missing mandatory ones", () => {
    const m = parseMessage(sipLines(["OPTIONS sip:b@b SIP/2.0", "Call-ID: a", "Call-ID: b", "CSeq: 1 OPTIONS", "CSeq: 2 OPTIONS"]));
    assert.throws(() => m.callId, /more than one Call-ID/);
    assert.throws(() => m.cseq, /more than one CSeq/);
    assert.throws(() => m.from, /missing From/);
  });

  it("iterates header lines with their names as written", () => {
    const m = parseMessage(sipLines(["OPTIONS sip:b@b SIP/2.0", "v: SIP/2.0/UDP a;branch=z9hG4bK1", "X-A : 1"]));
    assert.deepEqual([...m.headerLines()], [
      ["v", "SIP/2.0/UDP a;branch=z9hG4bK1"],
      ["X-A", "1"],
    ]);
  });
});

describe("parseMessage: maxHeaderLines", () => {
  const withLines = (start: string, n: number): Buffer => {
    const lines = [start, "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1", "Call-ID: c1"];
    while (lines.length - 1 < n) lines.push(`X-Filler-${lines.length}: ${lines.length}`);
    return sipLines(lines);
  };

  it("accepts exactly the limit, a folded header counting once", () => {
    const m = parseMessage(withLines("OPTIONS sip:a@b SIP/2.0", 100), { maxHeaderLines: 100 });
    assert.equal(m.defect, undefined);
    const folded = sipLines(["OPTIONS sip:a@b SIP/2.0", "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1", "Subject: one", " two", "Call-ID: c"]);
    assert.equal(parseMessage(folded, { maxHeaderLines: 3 }).defect, undefined);
  });

  it("marks a message with one line more as defective, keeping the lines before the limit", () => {
    const bytes = Buffer.concat([withLines("OPTIONS sip:a@b SIP/2.0", 101), Buffer.from("body")]);
    const m = parseMessage(bytes, { maxHeaderLines: 100 });
    assert.ok(m instanceof SipRequest);
    assert.equal(m.defect?.reason, "more than 100 header lines");
    assert.equal(m.callId, "c1");
    assert.equal(m.header("x-filler-101"), undefined);
    assert.equal(m.body.toString("latin1"), "body");
    const res = parseMessage(withLines("SIP/2.0 200 OK", 101), { maxHeaderLines: 100 });
    assert.equal(res.defect?.reason, "more than 100 header lines");
  });

  it("has no limit by default: messages the element built are parsed again whole", () => {
    const m = parseMessage(withLines("OPTIONS sip:a@b SIP/2.0", 1000));
    assert.equal(m.defect, undefined);
    assert.equal(m.header("x-filler-1000"), "1000");
  });

  it("still needs the end of the header section past the limit", () => {
    const bytes = withLines("OPTIONS sip:a@b SIP/2.0", 101);
    assert.throws(() => parseMessage(bytes.subarray(0, bytes.length - 2), { maxHeaderLines: 100 }), ParseError);
  });
});

describe("parseMessage: responses", () => {
  it("reads the status line", () => {
    const m = parseMessage(
      sipLines([
        "SIP/2.0 180 Ringing",
        "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;received=192.0.2.1",
        "From: <sip:a@a>;tag=1",
        "To: <sip:b@b>;tag=2",
        "Call-ID: c",
        "CSeq: 1 INVITE",
        "Content-Length: 0",
      ]),
    );
    assert.ok(m instanceof SipResponse);
    assert.equal(m.status, 180);
    assert.equal(m.reason, "Ringing");
    assert.equal(m.topVia?.received, "192.0.2.1");
    assert.equal(m.to.tag, "2");
  });

  it("accepts empty and UTF-8 reason phrases (RFC 4475 §3.1.1.12-13)", () => {
    const empty = parseMessage(sipLines(["SIP/2.0 100 ", "Call-ID: c"])) as SipResponse;
    assert.equal(empty.status, 100);
    assert.equal(empty.reason, "");
    const none = parseMessage(sipLines(["SIP/2.0 100", "Call-ID: c"])) as SipResponse;
    assert.equal(none.reason, "");
    const utf8 = parseMessage(sipLines(["SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять - простое", "Call-ID: c"])) as SipResponse;
    assert.equal(utf8.reason, "= 2**3 * 5**2 но сто девяносто девять - простое");
  });

  it("throws on status codes out of range (RFC 4475 §3.1.2.19)", () => {
    assert.throws(() => parseMessage(sipLines(["SIP/2.0 4294967301 better not break the receiver"])), ParseError);
    assert.throws(() => parseMessage(sipLines(["SIP/2.0 99 Too low"])), ParseError);
    assert.throws(() => parseMessage(sipLines(["SIP/2.0 700 Too high"])), ParseError);
    assert.throws(() => parseMessage(sipLines(["SIP/2.0 20x OK"])), ParseError);
    assert.throws(() => parseMessage(sipLines(["SIP/2.0"])), ParseError);
    assert.throws(() => parseMessage(sipLines(["SIP/X.0 200 OK"])), ParseError);
  });
});
