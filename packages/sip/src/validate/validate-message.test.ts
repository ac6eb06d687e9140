import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMessage } from "../message/parse.js";
import { sipLines } from "../testing/sip-text.js";
import { validateMessage, type Validation } from "./validate-message.js";

function request(overrides: Record<string, string | null> = {}, startLine = "INVITE sip:bob@example.com SIP/2.0"): Buffer {
  const base: Record<string, string> = {
    Via: "SIP/2.0/UDP a.example.com;branch=z9hG4bK1",
    "Max-Forwards": "70",
    From: "<sip:alice@example.com>;tag=1",
    To: "<sip:bob@example.com>",
    "Call-ID": "v1",
    CSeq: "1 INVITE",
    "Content-Length": "0",
  };
  const lines = [startLine];
  for (const [name, value] of Object.entries({ ...base, ...overrides })) if (value !== null) lines.push(`${name}: ${value}`);
  return sipLines(lines);
}

function check(bytes: Buffer): Validation {
  return validateMessage(parseMessage(bytes));
}

function assertRespond(v: Validation, status: number, reason?: RegExp): void {
  assert.equal(v.ok, false, "expected a rejection");
  if (v.ok || v.action !== "respond") return assert.fail(`expected respond ${status}, got ${JSON.stringify(v)}`);
  assert.equal(v.status, status, v.reason);
  if (reason) assert.match(v.reason, reason);
  assert.doesNotMatch(v.reason, /[\r\n]/);
}

describe("validateMessage: requests", () => {
  it("accepts a well-formed request", () => {
    assert.deepEqual(check(request()), { ok: true });
  });

  it("answers missing mandatory headers with 400 naming the header", () => {
    assertRespond(check(request({ From: null })), 400, /From/);
    assertRespond(check(request({ To: null })), 400, /To/);
    assertRespond(check(request({ "Call-ID": null })), 400, /Call-ID/);
    assertRespond(check(request({ CSeq: null })), 400, /CSeq/);
  });

  it("accepts a request without Max-Forwards (RFC 3261 §16.3 step 3)", () => {
    assert.deepEqual(check(request({ "Max-Forwards": null })), { ok: true });
  });

  it("drops a request without Via: there is nowhere to answer", () => {
    const v = check(request({ Via: null }));
    assert.equal(v.ok === false && v.action, "drop");
  });

  it("answers a malformed Via with 400 (RFC 4475 §3.1.2.1): the source address is known", () => {
    assertRespond(check(request({ Via: "garbage" })), 400, /Via/);
    assertRespond(check(request({ Via: "SIP/2.0/UDP 192.0.2.15;;,;,," })), 400, /Via/);
  });

  it("answers 505 to another SIP version (RFC 4475 §3.1.2.16)", () => {
    assertRespond(check(request({}, "OPTIONS sip:bob@example.com SIP/7.0")), 505);
  });

  it("answers 416 to an unknown Request-URI scheme (RFC 4475 §3.3.2)", () => {
    assertRespond(check(request({}, "INVITE nobarr.url.com:example SIP/2.0")), 416, /nobarr.url.com/);
    assert.deepEqual(check(request({}, "INVITE tel:+1-201-555-0123 SIP/2.0")), { ok: true });
    assert.deepEqual(check(request({}, "INVITE sips:bob@example.com SIP/2.0")), { ok: true });
  });

  it("answers 483 to Max-Forwards 0 unless this element is the final recipient", () => {
    assertRespond(check(request({ "Max-Forwards": "0" })), 483);
    const m = parseMessage(request({ "Max-Forwards": "0", CSeq: "1 OPTIONS" }, "OPTIONS sip:edge.example.com SIP/2.0"));
    assert.deepEqual(validateMessage(m, { allowZeroMaxForwards: true }), { ok: true });
  });

  it("answers 400 to a CSeq method that differs from the request's (RFC 4475 §3.1.2.17)", () => {
    assertRespond(check(request({ CSeq: "1 ACK" })), 400, /CSeq method ACK does not match INVITE/);
  });

  it("answers 400 to overlarge numbers (RFC 4475 §3.1.2.4)", () => {
    assertRespond(check(request({ "Max-Forwards": "300" })), 400, /Max-Forwards/);
    assertRespond(check(request({ CSeq: "36893488147419103232 INVITE" })), 400, /CSeq/);
    assertRespond(check(request({ Expires: "10000000000000" })), 400, /Expires/);
  });

  it("answers 400 to duplicated single-value headers (RFC 4475 §3.3.8)", () => {
    const bytes = sipLines([
      "INVITE sip:bob@example.com SIP/2.0",
      "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1",
      "From: <sip:alice@example.com>;tag=1",
      "From: <sip:eve@example.com>;tag=2",
      "To: <sip:bob@example.com>",
      "Call-ID: v1",
      "CSeq: 1 INVITE",
    ]);
    assertRespond(check(bytes), 400, /more than one From/);
  });

  it("answers 400 to parser defects with the defect as reason", () => {
    assertRespond(check(request({}, "INVITE  sip:bob@example.com SIP/2.0")), 400, /more than one SP/);
    assertRespond(check(request({ "Content-Length": "-999" })), 400, /Content-Length/);
  });

  it("answers 400 to malformed Request-URIs and From/To URIs", () => {
    assertRespond(check(request({}, "INVITE sip:bob@[::1 SIP/2.0")), 400);
    assertRespond(check(request({ To: "< sip:bob@example.com >" })), 400, /To|URI/);
  });

  it("answers 400 to a Request-URI with headers (RFC 4475 §3.1.2.11)", () => {
    assertRespond(check(request({}, "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0")), 400, /headers/);
  });

  it("accepts unknown schemes in From/To (RFC 4475 §3.3.4)", () => {
    assert.deepEqual(check(request({ To: "<isbn:2983792873>", From: "<http://www.example.com>;tag=1" })), { ok: true });
  });

  it("answers 420 with Unsupported for unknown Proxy-Require tags when asked to check", () => {
    const m = parseMessage(request({ "Proxy-Require": "foo, path" }));
    assert.deepEqual(validateMessage(m), { ok: true }, "not checked by default");
    const v = validateMessage(m, { proxyRequireSupported: new Set(["path"]) });
    assertRespond(v, 420);
    if (!v.ok && v.action === "respond") assert.deepEqual(v.headers, [["Unsupported", "foo"]]);
  });
});

describe("validateMessage: more header lines than the parser was allowed", () => {
  const filler = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-Filler-${i}`, "x"]));

  it("answers a request 400 naming the limit, and drops a response", () => {
    const req = parseMessage(request(filler(100)), { maxHeaderLines: 100 });
    assertRespond(validateMessage(req), 400, /more than 100 header lines/);
    const res = parseMessage(
      sipLines(["SIP/2.0 200 OK", "Via: SIP/2.0/UDP a;branch=z9hG4bK1", ...Array.from({ length: 100 }, (_, i) => `X-Filler-${i}: x`)]),
      { maxHeaderLines: 100 },
    );
    const v = validateMessage(res);
    assert.equal(v.ok === false && v.action, "drop");
    if (!v.ok) assert.match(v.reason, /more than 100 header lines/);
  });
});

describe("validateMessage: responses", () => {
  const response = (lines: string[]): Buffer => sipLines(["SIP/2.0 200 OK", ...lines]);
  const good = ["Via: SIP/2.0/UDP a;branch=z9hG4bK1", "From: <sip:a@a>;tag=1", "To: <sip:b@b>;tag=2", "Call-ID: c", "CSeq: 1 INVITE", "Content-Length: 0"];

  it("accepts a well-formed response", () => {
    assert.deepEqual(check(response(good)), { ok: true });
  });

  it("drops responses it cannot use, with a reason", () => {
    for (const [i, what] of [
      [0, /Via/],
      [3, /Call-ID/],
      [4, /CSeq/],
    ] as const) {
      const v = check(response(good.filter((_, k) => k !== i)));
      assert.equal(v.ok === false && v.action, "drop");
      if (!v.ok) assert.match(v.reason, what);
    }
    const badLength = check(response([...good.slice(0, 5), "Content-Length: 40"]));
    assert.equal(badLength.ok === false && badLength.action, "drop");
  });
});
