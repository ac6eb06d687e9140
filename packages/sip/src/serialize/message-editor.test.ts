import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SipError } from "../errors.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { parseMessage } from "../message/parse.js";
import { sipLines } from "../testing/sip-text.js";
import { editMessage, serializeMessage } from "./message-editor.js";

const REQUEST = sipLines(
  [
    "INVITE sip:bob@biloxi.example.com SIP/2.0",
    "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,SIP/2.0/UDP b.example.com;branch=z9hG4bK2",
    "Max-Forwards: 70",
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
    "From: <sip:alice@atlanta.example.com>;tag=1",
    "To: <sip:bob@biloxi.example.com>",
    "Call-ID: e1",
    "CSeq: 1 INVITE",
    "X-Weird-Header :  \tkeep   exactly\t ",
    "P-Unknown: a,b,,c",
    "Content-Length: 4",
  ],
  "body",
);

describe("MessageEditor", () => {
  it("serializes an unedited message byte-exact", () => {
    const m = parseMessage(REQUEST);
    assert.ok(serializeMessage(m).equals(REQUEST));
    assert.ok(editMessage(m).toBuffer().equals(REQUEST));
  });

  it("copies every byte value of headers and body through unchanged (the output is built as latin1 text)", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, k) => k));
    const bytes = Buffer.concat([
      Buffer.from("MESSAGE sip:bob@b.example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nSubject: caf\u00c3\u00a9 \u00ff\r\n", "latin1"),
      Buffer.from(`Content-Length: ${all.length}\r\n\r\n`, "latin1"),
      all,
      Buffer.from("trailing datagram bytes past Content-Length", "latin1"),
    ]);
    const m = parseMessage(bytes);
    const out = editMessage(m).prependVia("SIP/2.0/UDP p;branch=z9hG4bK2").toBuffer();
    const top = Buffer.from("MESSAGE sip:bob@b.example.com SIP/2.0\r\nVia: SIP/2.0/UDP p;branch=z9hG4bK2\r\n", "latin1");
    assert.ok(out.equals(Buffer.concat([top, bytes.subarray(m.headersStart, m.bodyEnd)])));
    const body = Buffer.from("\u00e9\u0000\u00ff", "latin1");
    const replacedBody = editMessage(m).setBody(body).toBuffer();
    assert.ok(replacedBody.subarray(replacedBody.length - body.length).equals(body));
    assert.equal(parseMessage(replacedBody).contentLength, 3);
  });

  it("forwards: Via on top, Max-Forwards decremented, everything else byte-exact", () => {
    const m = parseMessage(REQUEST);
    const out = editMessage(m).prependVia("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew").decrementMaxForwards().toBuffer();
    const expected = Buffer.from(
      REQUEST.toString("latin1")
        .replace("SIP/2.0\r\n", "SIP/2.0\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew\r\n")
        .replace("Max-Forwards: 70", "Max-Forwards: 69"),
      "latin1",
    );
    assert.equal(out.toString("latin1"), expected.toString("latin1"));
    const again = parseMessage(out);
    assert.equal(again.topVia?.branch, "z9hG4bKnew");
    assert.equal(again.via.length, 3);
    assert.equal(again.maxForwards, 69);
  });

  it("adds Max-Forwards 70 when it is missing (RFC 3261 §16.6 step 3) and refuses to go below 0", () => {
    const m = parseMessage(sipLines(["OPTIONS sip:b@b SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK1", "Content-Length: 0"]));
    assert.equal(parseMessage(editMessage(m).decrementMaxForwards().toBuffer()).maxForwards, 70);
    const zero = parseMessage(sipLines(["OPTIONS sip:b@b SIP/2.0", "Max-Forwards: 0", "Content-Length: 0"]));
    assert.throws(() => editMessage(zero).decrementMaxForwards(), SipError);
  });

  it("removes the top Via value from a multi-value line, keeping the line's spelling", () => {
    const m = parseMessage(REQUEST);
    const out = parseMessage(editMessage(m).removeTopVia().toBuffer());
    assert.deepEqual(
      out.via.map((v) => v.host),
      ["b.example.com"],
    );
    assert.match(out.bytes.toString(), /\r\nv: SIP\/2.0\/UDP b.example.com;branch=z9hG4bK2\r\n/);
    const out2 = parseMessage(editMessage(out).removeTopVia().toBuffer());
    assert.equal(out2.via.length, 0);
    assert.throws(() => editMessage(out2).removeTopVia(), SipError);
  });

  it("removes the top Route and adds Record-Route on top", () => {
    const m = parseMessage(REQUEST);
    const out = parseMessage(editMessage(m).removeTopRoutes(1).addRecordRoute("<sip:edge1.example.com;lr>").toBuffer());
    assert.deepEqual(
      out.route.map((r) => r.uriText),
      ["sip:p2.example.com;lr"],
    );
    assert.deepEqual(
      out.recordRoute.map((r) => r.uriText),
      ["sip:edge1.example.com;lr"],
    );
  });

  it("removes several top Route values across lines and comma-separated values", () => {
    const m = parseMessage(
      sipLines([
        "BYE sip:b@10.0.0.2 SIP/2.0",
        "Via: SIP/2.0/UDP a;branch=z9hG4bK1",
        "Route: <sip:r1;lr>, <sip:r2;lr>",
        "X-Between: 1",
        "Route: <sip:r3;lr>,<sip:r4;lr>",
        "Content-Length: 0",
      ]),
    );
    const routes = (n: number): string[] => parseMessage(editMessage(m).removeTopRoutes(n).toBuffer()).route.map((r) => r.uriText);
    assert.deepEqual(routes(0), ["sip:r1;lr", "sip:r2;lr", "sip:r3;lr", "sip:r4;lr"]);
    assert.deepEqual(routes(1), ["sip:r2;lr", "sip:r3;lr", "sip:r4;lr"]);
    assert.deepEqual(routes(2), ["sip:r3;lr", "sip:r4;lr"]);
    assert.deepEqual(routes(3), ["sip:r4;lr"]);
    assert.deepEqual(routes(4), []);
    assert.throws(() => editMessage(m).removeTopRoutes(5), SipError);
    // Two single removals are the same as one double one.
    const twice = parseMessage(editMessage(m).removeTopRoutes(1).removeTopRoutes(1).toBuffer());
    assert.deepEqual(twice.route.map((r) => r.uriText), ["sip:r3;lr", "sip:r4;lr"]);
    assert.match(twice.bytes.toString(), /X-Between: 1\r\nRoute: <sip:r3;lr>,<sip:r4;lr>\r\n/);
  });

  it("replaces the top Via value only, keeping the others on its line", () => {
    const m = parseMessage(REQUEST);
    const out = parseMessage(editMessage(m).replaceTopVia("SIP/2.0/UDP a.example.com;branch=z9hG4bK1;received=192.0.2.1").toBuffer());
    assert.deepEqual(
      out.via.map((v) => [v.host, v.received]),
      [
        ["a.example.com", "192.0.2.1"],
        ["b.example.com", undefined],
      ],
    );
  });

  it("replaces the Request-URI", () => {
    const m = parseMessage(REQUEST);
    const out = parseMessage(editMessage(m).setRequestUri("sip:bob@192.0.2.4:5062;transport=tcp").toBuffer()) as SipRequest;
    assert.equal(out.method, "INVITE");
    assert.equal(out.uriText, "sip:bob@192.0.2.4:5062;transport=tcp");
    assert.equal(out.version, "SIP/2.0");
  });

  it("sets, appends and removes headers", () => {
    const m = parseMessage(REQUEST);
    const out = parseMessage(editMessage(m).setHeader("Route", "<sip:only.example.com;lr>").removeHeader("p-unknown").appendHeader("Subject", "Grüße").toBuffer());
    assert.deepEqual(
      out.route.map((r) => r.uriText),
      ["sip:only.example.com;lr"],
    );
    assert.equal(out.has("P-Unknown"), false);
    assert.equal(out.header("subject"), "Grüße");
    assert.equal(out.header("X-Weird-Header"), "keep   exactly");
  });

  it("replaces the body and keeps Content-Length true", () => {
    const m = parseMessage(REQUEST);
    const out = parseMessage(editMessage(m).setBody("v=0\r\n", "application/sdp").toBuffer());
    assert.equal(out.body.toString(), "v=0\r\n");
    assert.equal(out.contentLength, 5);
    assert.equal(out.contentType?.mediaType, "application/sdp");
    const empty = parseMessage(editMessage(out).setBody("").toBuffer());
    assert.equal(empty.contentLength, 0);
    assert.equal(empty.has("content-type"), false);
  });

  it("adds Content-Length to a message that had none, and is repeatable", () => {
    const m = parseMessage(sipLines(["MESSAGE sip:b@b SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK1"], "hi"));
    const e = editMessage(m);
    const once = e.toBuffer();
    assert.ok(once.equals(e.toBuffer()), "toBuffer does not accumulate state");
    assert.equal(parseMessage(once).contentLength, 2);
    assert.ok(serializeMessage(m).equals(once));
  });

  it("drops leading CRLFs and trailing datagram garbage when serializing", () => {
    const m = parseMessage(Buffer.concat([Buffer.from("\r\n"), REQUEST, Buffer.from("junk")]));
    assert.ok(editMessage(m).prependVia("SIP/2.0/UDP x;branch=z9hG4bK9").toBuffer().toString().startsWith("INVITE "));
    assert.equal(parseMessage(editMessage(m).toBuffer()).body.toString(), "body");
  });

  it("rewrites a response's status line", () => {
    const r = parseMessage(sipLines(["SIP/2.0 180 Ringing", "Via: SIP/2.0/UDP a;branch=z9hG4bK1", "Content-Length: 0"]));
    const out = parseMessage(editMessage(r).setStatus(183, "Session Progress").toBuffer()) as SipResponse;
    assert.equal(out.status, 183);
    assert.equal(out.reason, "Session Progress");
    assert.throws(() => editMessage(r).setRequestUri("sip:x"), SipError);
  });
});
