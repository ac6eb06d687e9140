/*
 * The byte scanners are shortcuts: whatever they accept they must build exactly as the general
 * parsers do (same objects, same lazily built parts), and what they refuse goes to the general
 * parsers. These tests hold them to that over the corpus's header values and over many random
 * mutations of typical ones, and check that the common shapes do take the shortcut.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMessage, SipError } from "../index.js";
import { fuzzSeed, listCorpusFiles, loadMessage, Rng, trySip } from "../corpus/corpus-support.js";
import { scanCSeq, scanNameAddr, scanNameAddrList, scanVia, lastNameAddrEnd, lastViaEnd, methodAt } from "./byte-scan.js";
import { parseCSeq, METHODS } from "./cseq.js";
import { lastScanEnd } from "./lexer.js";
import { NameAddr, parseNameAddr, parseNameAddrList } from "./name-addr.js";
import { parseVia } from "./via.js";

/** A value placed inside other bytes, trimmed as the header table trims it: [bytes, text, start, end]. */
function embed(value: string): [Buffer, string, number, number] {
  const text = `X: ${value}\r\n`;
  let start = 3;
  let end = 3 + value.length;
  const ws = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";
  while (start < end && ws(text[start])) start++;
  while (end > start && ws(text[end - 1])) end--;
  return [Buffer.from(text, "latin1"), text, start, end];
}

/** Everything a NameAddr shows, with every lazy part built. */
function nameAddrView(a: NameAddr): unknown {
  const u = a.uri;
  return {
    displayName: a.displayName,
    tag: a.tag,
    uriText: a.uriText,
    params: [...a.params],
    text: a.toString(),
    uri: u,
    uriText2: String(u),
    uriParams: "params" in u ? [...(u.params as Iterable<unknown>)] : undefined,
    uriWire: "wire" in u ? u.wire : undefined,
  };
}

/** The object's own fields, less the byte scanner's notes on a plain URI (the general parser has none). */
function fields(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!k.startsWith("plain")) out[k] = v;
  return out;
}

let accepted = 0;

function checkNameAddr(value: string, where: string): void {
  const [b, s, start, end] = embed(value);
  for (const inList of [false, true]) {
    const fast = trySip(() => scanNameAddr(b, s, start, end, inList));
    assert.ok(!(fast instanceof SipError), `${where}: the byte scanner threw`);
    if (fast === undefined) continue;
    const fastEnd = lastNameAddrEnd();
    const slow = trySip(() => parseNameAddr(s, start, end, "X", inList));
    if (slow instanceof SipError) assert.fail(`${where}: byte scanner accepted what parseNameAddr refuses (${slow.message}): ${JSON.stringify(value)}`);
    assert.equal(fastEnd, lastScanEnd(), `${where}: element end of ${JSON.stringify(value)}`);
    assert.deepStrictEqual(fields(fast), fields(slow), `${where}: ${JSON.stringify(value)}`);
    const fastView = trySip(() => nameAddrView(fast));
    const slowView = trySip(() => nameAddrView(slow));
    assert.deepStrictEqual(fastView, slowView, `${where}: parts of ${JSON.stringify(value)}`);
    accepted++;
  }
  // The list reader, element by element, against parseNameAddrList.
  const fastList = trySip(() => scanNameAddrList(b, s, "X", [], start, end));
  const slowList = trySip(() => parseNameAddrList(s, "X", [], start, end));
  if (fastList instanceof SipError || slowList instanceof SipError) {
    assert.deepStrictEqual(String(fastList), String(slowList), `${where}: list ${JSON.stringify(value)}`);
    return;
  }
  assert.equal(fastList.length, slowList.length, `${where}: list ${JSON.stringify(value)}`);
  fastList.forEach((a, k) => {
    assert.deepStrictEqual(trySip(() => nameAddrView(a)), trySip(() => nameAddrView(slowList[k] as NameAddr)), `${where}: list element ${k} of ${JSON.stringify(value)}`);
  });
}

function checkVia(value: string, where: string): void {
  const [b, s, start, end] = embed(value);
  for (const inList of [false, true]) {
    const fast = trySip(() => scanVia(b, s, start, end, inList));
    assert.ok(!(fast instanceof SipError), `${where}: the byte scanner threw`);
    if (fast === undefined) continue;
    const fastEnd = lastViaEnd();
    const slow = trySip(() => parseVia(s, start, end, inList));
    if (slow instanceof SipError) assert.fail(`${where}: byte scanner accepted what parseVia refuses (${slow.message}): ${JSON.stringify(value)}`);
    assert.equal(fastEnd, lastScanEnd(), `${where}: element end of ${JSON.stringify(value)}`);
    assert.deepStrictEqual(fast, slow, `${where}: ${JSON.stringify(value)}`);
    assert.deepStrictEqual([...fast.params], [...slow.params], `${where}: params of ${JSON.stringify(value)}`);
    assert.equal(fast.toString(), slow.toString());
    assert.deepStrictEqual(fast, slow, `${where}: ${JSON.stringify(value)} once read`);
    accepted++;
  }
}

function checkCSeq(value: string, where: string): void {
  const [b, s, start, end] = embed(value);
  const fast = scanCSeq(b, s, start, end);
  if (fast === undefined) return;
  const slow = trySip(() => parseCSeq(s, start, end));
  if (slow instanceof SipError) assert.fail(`${where}: byte scanner accepted what parseCSeq refuses (${slow.message}): ${JSON.stringify(value)}`);
  assert.deepStrictEqual(fast, slow, `${where}: ${JSON.stringify(value)}`);
  accepted++;
}

const NAME_ADDRS = [
  "<sip:edge1.sipfleet.example.net;lr>",
  "Bob <sip:bob@biloxi.example.com>",
  '"Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
  "<sip:alice@192.0.2.101:5060;transport=udp>",
  '<sip:bob@192.0.2.4:5060;transport=udp;ob>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1',
  "<sip:core2.sipfleet.example.net;lr>, <sip:edge1.sipfleet.example.net;lr>",
  "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf",
  "The  Operator\t<sips:op@example.com:05060;ttl=12;maddr=10.0.0.1>;TAG=x;tag=y",
  "<tel:+1-212-555-0100;ext=1>;tag=1",
  "<sip:+12125551212@gw.example.com;user=phone>",
  "<sip:a@1.2.3.4>;tag",
  "<sip:a@example.com;method=INVITE;x=1?subject=hi>",
];

const VIAS = [
  "SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport",
  "SIP/2.0/UDP edge1.sipfleet.example.net;branch=z9hG4bK2d4790.1",
  "SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport=5060;received=203.0.113.7",
  "SIP/2.0/TCP h.example.com;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK2",
  "SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK3;ttl=16;maddr=224.0.0.1",
  'SIP/2.0/UDP h;branch="quoted";x="a,b"',
  "sip/2.0/udp h:05060;BRANCH=z9hG4bK4;branch=z9hG4bK5",
];

/** Values at the edge of what the scanners may take (each tests one of their refusals). */
const EDGE_NAME_ADDRS = [
  '"A\\" <sip:a@b.example.com>" <sip:c@d.example.com>',
  '"A\\\\" <sip:a@b.example.com>',
  '"A" <sip:a@b.example.com>;tag="x"',
  "<sip:a@b.example.com;ttl=255>",
  "<sip:a@b.example.com;ttl=256>",
  "<sip:a@b.example.com;ttl=0255>",
  "<sip:a@b.example.com;transport=u%64p>",
  "<sip:a@b.example.com;transport>",
  "<sip:a@b.example.com;lr;lr>",
  "<sip:a@b.example.com;Lr>",
  "<sip:a@b@c.example.com>",
  "<sip:a@b.example.com:65536>",
  "<sip:a@b.example.com:065535>",
  "<sip:a@b.example.com:>",
  "<sip:@b.example.com>",
  "<sip:a:pw@b.example.com>",
  "<sip:1.2.3.4a>",
  "<sip:a-.example.com>",
  "<sip:a..example.com>",
  "<sip:example.com.>",
  "<sip:256.1.1.1>",
  "<sip:[::1]>",
  "<SIP:a@b.example.com>",
  "<sip:a@b.example.com> ;tag=1",
  "<sip:a@b.example.com>;tag=1 , <sip:c@d.example.com>",
  "<sip:a@b.example.com>;tag;tag=2",
  "<sip:a@b.example.com>;=1",
  "<sip:a@b.example.com>;x=",
  "Bob<sip:a@b.example.com>",
  "Bob Smith <sip:a@b.example.com>",
  "sip:a@b.example.com;tag=1",
  "<sip:a@b.example.com",
];

const EDGE_VIAS = [
  "SIP/2.0/UDP h;branch=z9hG4bK1;ttl=255",
  "SIP/2.0/UDP h;branch=z9hG4bK1;ttl=256",
  "SIP/2.0/UDP h;branch=z9hG4bK1;ttl=1000",
  "SIP/2.0/UDP h;branch=z9hG4bK1;ttl",
  "SIP/2.0/UDP h;branch=z9hG4bK1;rport=65536",
  "SIP/2.0/UDP h;branch=z9hG4bK1;rport=",
  "SIP/2.0/UDP h;branch",
  "SIP/2.0/UDP h:65536;branch=1",
  "SIP/2.0/UDP h:;branch=1",
  "SIP/2.0/UDP  h;branch=1",
  "SIP/2.0/UDP h ;branch=1",
  "SIP/2.0/UDPX h;branch=1",
  "SIP/2.0/WS h;branch=1",
  "SIP/2.0/UDP h;branch=1;branch=2",
  "SIP/2.0/UDP h;branch=1,",
  'SIP/2.0/UDP h;x="a\\"b";branch=1',
];

const CSEQS = ["314159 INVITE", "1826 REGISTER", "1 ACK", "2147483647 BYE", "2147483648 BYE", "7\tNOTIFY", "01 FOO", "12 invite"];

/** Chars that change how a value reads: separators, white space, quotes, escapes, case, bytes above ASCII. */
const MUTATION_CHARS = ' \t;,=<>"\\:@?%[]/AZaz09.-_+!~*()&$\x00\x7f\x80\xff\r\n';

function mutate(r: Rng, value: string): string {
  let v = value;
  for (let n = r.int(1, 3); n > 0; n--) {
    const at = r.int(0, v.length);
    const c = r.pick([...MUTATION_CHARS]);
    switch (r.int(0, 2)) {
      case 0:
        v = v.slice(0, at) + c + v.slice(at);
        break;
      case 1:
        v = v.slice(0, at) + c + v.slice(at + 1);
        break;
      default:
        v = v.slice(0, at) + v.slice(at + 1);
    }
  }
  return v;
}

describe("byte scanners", () => {
  it("build what the general parsers build, for the values they accept", () => {
    accepted = 0;
    for (const v of NAME_ADDRS) checkNameAddr(v, "name-addr");
    for (const v of VIAS) checkVia(v, "via");
    for (const v of CSEQS) checkCSeq(v, "cseq");
    for (const v of EDGE_NAME_ADDRS) checkNameAddr(v, "name-addr");
    for (const v of EDGE_VIAS) checkVia(v, "via");
    assert.ok(accepted > 20, `only ${accepted} values took the shortcut`);
  });

  it("take the shortcut for the common shapes", () => {
    for (const v of ["<sip:edge1.example.net;lr>", '"A" <sip:a@b.example.com>;tag=1', "Bob <sip:bob@192.0.2.4:5060;transport=udp>"]) {
      const [b, s, start, end] = embed(v);
      const a = scanNameAddr(b, s, start, end, false);
      assert.ok(a !== undefined, v);
      // The URI is built from what the scan found, without parsing it again.
      assert.ok((a as unknown as { plainHostEnd: number }).plainHostEnd > 0, v);
    }
    for (const v of ["SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport", "SIP/2.0/TCP h.example.com;branch=z9hG4bK1"]) {
      const [b, s, start, end] = embed(v);
      assert.ok(scanVia(b, s, start, end, true) !== undefined, v);
    }
    const [b, s, start, end] = embed("314159 INVITE");
    assert.deepStrictEqual(scanCSeq(b, s, start, end), { seq: 314159, method: "INVITE" });
  });

  it("intern the methods as the general parser does", () => {
    for (const m of [...METHODS, "FOO", "invite", "INVITEX", "X"]) {
      const [b, s, start, end] = embed(m);
      const got = methodAt(b, s, start, end);
      assert.equal(got, m);
      if ((METHODS as readonly string[]).includes(m)) assert.ok(got === METHODS.find((x) => x === m));
    }
  });

  it("agree with the general parsers over random mutations of typical values", () => {
    const seed = fuzzSeed(0xb17e5);
    const r = new Rng(seed);
    for (let n = 0; n < 6000; n++) {
      const where = `seed ${seed} case ${n}`;
      checkNameAddr(mutate(r, r.pick(r.bool() ? NAME_ADDRS : EDGE_NAME_ADDRS)), where);
      checkVia(mutate(r, r.pick(r.bool() ? VIAS : EDGE_VIAS)), where);
      checkCSeq(mutate(r, r.pick(CSEQS)), where);
    }
  });

  it("agree with the general parsers over the corpus", () => {
    let values = 0;
    for (const f of listCorpusFiles()) {
      const m = trySip(() => parseMessage(loadMessage(f)));
      if (m instanceof SipError) continue;
      const keys = m.headerTable.keys;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const value = m.wireValue(i); // latin1 wire text, folded lines joined
        if (key === "via") checkVia(value, f);
        else if (["from", "to", "contact", "route", "record-route", "path"].includes(key)) checkNameAddr(value, f);
        else if (key === "cseq") checkCSeq(value, f);
        else continue;
        values++;
      }
    }
    assert.ok(values > 200, `only ${values} values checked`);
  });
});
