#!/usr/bin/env node
// The message corpus (*.dat, exact wire bytes with CRLF line ends) and expectations.json.
//
//   node test/corpus/generate.mjs --write   rewrites every file it owns (rfc3665/, torture-*/, expectations.json)
//   node test/corpus/generate.mjs           checks that the files on disk are exactly what it would write
//
// The messages are written here, not copied: the RFC 3665 flows (registration, session set-up,
// busy, no answer, 404) in their shape and header set, and torture messages in the spirit of each
// RFC 4475 case, from the RFC's description of what the case exercises and how an element is to
// treat it. Expectations are written by hand from the RFC text (never by running the library),
// except the plain RFC 3665 messages, whose fields are read here by a tiny canonical-form reader
// that only has to handle one header per line.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const CRLF = "\r\n";

/** Every file written: path → Buffer. */
const files = new Map();
/** path → expectation object. */
const expectations = {};

/**
 * Wire bytes of a message: lines joined with CRLF, blank line, body. `{CL}` in a line is replaced
 * by the body's length in bytes. Strings are written as UTF-8 (control chars in them stay single
 * bytes); a Buffer body is copied as is.
 */
function wire(lines, body = "") {
  const b = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const head = lines.map((l) => l.replace("{CL}", String(b.length))).join(CRLF) + CRLF + CRLF;
  return Buffer.concat([Buffer.from(head, "utf8"), b]);
}

/** Body text given with "\n" line ends, written with CRLF (SDP lines end in CRLF, RFC 4566 §5). */
function crlfText(text) {
  return text.replace(/\r?\n/g, CRLF);
}

function add(path, bytes, expectation) {
  if (files.has(path)) throw new Error(`duplicate ${path}`);
  files.set(path, bytes);
  expectations[path] = expectation;
}

const md5 = (s) => createHash("md5").update(s, "utf8").digest("hex");

/** RFC 7616 §3.4.1 with qop=auth (RFC 3261 §22.4 reuses RFC 2617's computation). */
function digestResponse({ username, realm, password, method, uri, nonce, nc, cnonce }) {
  const ha1 = md5(`${username}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  return md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
}

// =============================================================================================
// RFC 3665 flows
// =============================================================================================

/**
 * Reads the fields of a message in canonical form (one value per header line, no folding, long
 * header names) for the expectations: the oracle is independent of the library under test.
 */
function canonicalFields(lines, body) {
  const start = lines[0];
  const headers = lines.slice(1).map((l) => {
    const c = l.indexOf(":");
    return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()];
  });
  const all = (n) => headers.filter(([k]) => k === n).map(([, v]) => v);
  const one = (n) => all(n)[0];
  const tagOf = (v) => (v === undefined ? null : (/>;.*\btag=([^;\s]+)/.exec(v)?.[1] ?? null));
  const e = {};
  const sl = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(start);
  if (sl !== null) {
    e.kind = "response";
    e.status = Number(sl[1]);
    e.reason = sl[2];
  } else {
    const [method, uri] = start.split(" ");
    e.kind = "request";
    e.method = method;
    e.requestUri = uri;
  }
  e.callId = one("call-id");
  const [seq, cseqMethod] = one("cseq").split(" ");
  e.cseq = [Number(seq), cseqMethod];
  const vias = all("via");
  e.vias = vias.length;
  e.topBranch = /;branch=([^;]+)/.exec(vias[0])[1];
  e.viaBranches = vias.map((v) => /;branch=([^;]+)/.exec(v)?.[1] ?? null);
  const mf = one("max-forwards");
  e.maxForwards = mf === undefined ? null : Number(mf);
  e.fromTag = tagOf(one("from"));
  e.toTag = tagOf(one("to"));
  const contacts = all("contact");
  e.wildcard = contacts.length === 1 && contacts[0] === "*";
  e.contacts = e.wildcard ? 0 : contacts.length;
  e.contactUris = e.wildcard ? [] : contacts.map((v) => /<([^>]*)>/.exec(v)?.[1] ?? v.split(";")[0]);
  const exp = one("expires");
  e.expires = exp === undefined ? null : Number(exp);
  e.routes = all("route").length;
  e.recordRoutes = all("record-route").length;
  const ct = one("content-type");
  e.contentType = ct === undefined ? null : ct.toLowerCase();
  const cl = one("content-length");
  e.contentLength = cl === undefined ? null : Number(cl);
  e.bodyLength = Buffer.byteLength(body, "utf8");
  return e;
}

function flow(path, why, lines, body = "", extra = {}) {
  add(`rfc3665/${path}`, wire(lines, body), { why, outcome: "ok", ...canonicalFields(lines.map((l) => l.replace("{CL}", String(Buffer.byteLength(body)))), body), ...extra });
}

// ---- §2 registration: Bob registers with the registrar of biloxi over TLS ---------------------

const REGISTRAR = "sips:ss2.biloxi.example.com";
const REALM = "biloxi.example.com";
const BOB_SIPS = "Bob <sips:bob@biloxi.example.com>";
const BOB_VIA = "Via: SIP/2.0/TLS client.biloxi.example.com:5061";
const REG_CALLID = "Call-ID: 1j9FpLxk3uxtm8tn4vs2@biloxi.example.com";
const NONCE1 = "ea9c8e88df84f1cec4341ae6cbe5a359";
const NONCE2 = "df84f1cec4341ae6cbe5ap359a9c8e88";

function authorization(nonce, nc, cnonce, password = "zanzibar") {
  const response = digestResponse({ username: "bob", realm: REALM, password, method: "REGISTER", uri: REGISTRAR, nonce, nc, cnonce });
  return (
    `Authorization: Digest username="bob", realm="${REALM}", nonce="${nonce}", uri="${REGISTRAR}", ` +
    `response="${response}", algorithm=MD5, cnonce="${cnonce}", opaque="", qop=auth, nc=${nc}`
  );
}
const authExpect = (nonce, nc, cnonce, password = "zanzibar") => ({
  authorization: {
    scheme: "Digest",
    username: "bob",
    realm: REALM,
    nonce,
    uri: REGISTRAR,
    qop: "auth",
    nc,
    cnonce,
    response: digestResponse({ username: "bob", realm: REALM, password, method: "REGISTER", uri: REGISTRAR, nonce, nc, cnonce }),
  },
});
const challenge = (nonce, stale) =>
  `WWW-Authenticate: Digest realm="${REALM}", qop="auth", nonce="${nonce}", opaque="", stale=${stale ? "TRUE" : "FALSE"}, algorithm=MD5`;
const challengeExpect = (nonce, stale = false) => ({
  wwwAuthenticate: { scheme: "Digest", realm: REALM, nonce, qop: ["auth"], stale, algorithm: "MD5", opaque: "" },
});

flow("2.1-f1-register.dat", "RFC 3665 §2.1 F1: REGISTER Bob -> registrar, no credentials", [
  `REGISTER ${REGISTRAR} SIP/2.0`,
  `${BOB_VIA};branch=z9hG4bKnashds7a`,
  "Max-Forwards: 70",
  `From: ${BOB_SIPS};tag=a73kszlflq`,
  `To: ${BOB_SIPS}`,
  REG_CALLID,
  "CSeq: 1 REGISTER",
  "Contact: <sips:bob@client.biloxi.example.com>",
  "Content-Length: 0",
]);
flow(
  "2.1-f2-401.dat",
  "RFC 3665 §2.1 F2: 401 Unauthorized with a Digest challenge",
  [
    "SIP/2.0 401 Unauthorized",
    `${BOB_VIA};branch=z9hG4bKnashds7a;received=192.0.2.201`,
    `From: ${BOB_SIPS};tag=a73kszlflq`,
    `To: ${BOB_SIPS};tag=1410948204`,
    REG_CALLID,
    "CSeq: 1 REGISTER",
    challenge(NONCE1, false),
    "Content-Length: 0",
  ],
  "",
  challengeExpect(NONCE1),
);
flow(
  "2.1-f3-register-auth.dat",
  "RFC 3665 §2.1 F3: REGISTER with Digest credentials",
  [
    `REGISTER ${REGISTRAR} SIP/2.0`,
    `${BOB_VIA};branch=z9hG4bKnashd92b`,
    "Max-Forwards: 70",
    `From: ${BOB_SIPS};tag=ja743ks76zlflH`,
    `To: ${BOB_SIPS}`,
    REG_CALLID,
    "CSeq: 2 REGISTER",
    "Contact: <sips:bob@client.biloxi.example.com>",
    authorization(NONCE1, "00000001", "0a4f113b"),
    "Content-Length: 0",
  ],
  "",
  authExpect(NONCE1, "00000001", "0a4f113b"),
);
flow(
  "2.1-f4-200.dat",
  "RFC 3665 §2.1 F4: 200 OK listing the registered contact with its expiry",
  [
    "SIP/2.0 200 OK",
    `${BOB_VIA};branch=z9hG4bKnashd92b;received=192.0.2.201`,
    `From: ${BOB_SIPS};tag=ja743ks76zlflH`,
    `To: ${BOB_SIPS};tag=37GkEhwl6`,
    REG_CALLID,
    "CSeq: 2 REGISTER",
    "Contact: <sips:bob@client.biloxi.example.com>;expires=3600",
    "Content-Length: 0",
  ],
  "",
  { contactExpires: [3600] },
);

flow(
  "2.2-f1-register.dat",
  "RFC 3665 §2.2 F1: REGISTER adding a mailto: contact (addr-spec form)",
  [
    `REGISTER ${REGISTRAR} SIP/2.0`,
    `${BOB_VIA};branch=z9hG4bKnashd92c`,
    "Max-Forwards: 70",
    `From: ${BOB_SIPS};tag=JueHGuidj28dfga`,
    `To: ${BOB_SIPS}`,
    REG_CALLID,
    "CSeq: 3 REGISTER",
    "Contact: mailto:bob@biloxi.example.com",
    authorization(NONCE1, "00000002", "1b5e224c"),
    "Content-Length: 0",
  ],
  "",
  { ...authExpect(NONCE1, "00000002", "1b5e224c"), contactSchemes: ["mailto"] },
);
flow(
  "2.2-f2-200.dat",
  "RFC 3665 §2.2 F2: 200 OK with both contacts (expires up to 2**32-1)",
  [
    "SIP/2.0 200 OK",
    `${BOB_VIA};branch=z9hG4bKnashd92c;received=192.0.2.201`,
    `From: ${BOB_SIPS};tag=JueHGuidj28dfga`,
    `To: ${BOB_SIPS};tag=varon3fk2`,
    REG_CALLID,
    "CSeq: 3 REGISTER",
    "Contact: <sips:bob@client.biloxi.example.com>;expires=3600",
    "Contact: <mailto:bob@biloxi.example.com>;expires=4294967295",
    "Content-Length: 0",
  ],
  "",
  { contactExpires: [3600, 4294967295], contactSchemes: ["sips", "mailto"] },
);

flow(
  "2.3-f1-register.dat",
  "RFC 3665 §2.3 F1: REGISTER without Contact asks for the current bindings",
  [
    `REGISTER ${REGISTRAR} SIP/2.0`,
    `${BOB_VIA};branch=z9hG4bKnashd92d`,
    "Max-Forwards: 70",
    `From: ${BOB_SIPS};tag=a73kszlfl8`,
    `To: ${BOB_SIPS}`,
    REG_CALLID,
    "CSeq: 4 REGISTER",
    authorization(NONCE1, "00000003", "2c6f335d"),
    "Content-Length: 0",
  ],
  "",
  authExpect(NONCE1, "00000003", "2c6f335d"),
);
flow(
  "2.3-f2-200.dat",
  "RFC 3665 §2.3 F2: 200 OK listing the current bindings",
  [
    "SIP/2.0 200 OK",
    `${BOB_VIA};branch=z9hG4bKnashd92d;received=192.0.2.201`,
    `From: ${BOB_SIPS};tag=a73kszlfl8`,
    `To: ${BOB_SIPS};tag=jqoiweu75`,
    REG_CALLID,
    "CSeq: 4 REGISTER",
    "Contact: <sips:bob@client.biloxi.example.com>;expires=3510",
    "Contact: <mailto:bob@biloxi.example.com>;expires=4294967185",
    "Content-Length: 0",
  ],
  "",
  { contactExpires: [3510, 4294967185] },
);

flow(
  "2.4-f1-register-remove-all.dat",
  "RFC 3665 §2.4 F1: REGISTER with Expires: 0 and Contact: * removes every binding (RFC 3261 §10.2.2)",
  [
    `REGISTER ${REGISTRAR} SIP/2.0`,
    `${BOB_VIA};branch=z9hG4bKnashd92e`,
    "Max-Forwards: 70",
    `From: ${BOB_SIPS};tag=1ktx9zkyb`,
    `To: ${BOB_SIPS}`,
    REG_CALLID,
    "CSeq: 5 REGISTER",
    "Expires: 0",
    "Contact: *",
    authorization(NONCE1, "00000004", "3d7a446e"),
    "Content-Length: 0",
  ],
  "",
  authExpect(NONCE1, "00000004", "3d7a446e"),
);
flow("2.4-f2-200.dat", "RFC 3665 §2.4 F2: 200 OK with no bindings left (no Contact)", [
  "SIP/2.0 200 OK",
  `${BOB_VIA};branch=z9hG4bKnashd92e;received=192.0.2.201`,
  `From: ${BOB_SIPS};tag=1ktx9zkyb`,
  `To: ${BOB_SIPS};tag=1wd5ws8l2`,
  REG_CALLID,
  "CSeq: 5 REGISTER",
  "Content-Length: 0",
]);

const REG_CALLID2 = "Call-ID: 52kdelsdq8w3gh2ks@biloxi.example.com";
flow("2.5-f1-register.dat", "RFC 3665 §2.5 F1: REGISTER (unsuccessful registration)", [
  `REGISTER ${REGISTRAR} SIP/2.0`,
  `${BOB_VIA};branch=z9hG4bKqo3wf71`,
  "Max-Forwards: 70",
  `From: ${BOB_SIPS};tag=uQk2oo3ka`,
  `To: ${BOB_SIPS}`,
  REG_CALLID2,
  "CSeq: 1 REGISTER",
  "Contact: <sips:bob@client.biloxi.example.com>",
  "Content-Length: 0",
]);
flow(
  "2.5-f2-401.dat",
  "RFC 3665 §2.5 F2: 401 challenge",
  [
    "SIP/2.0 401 Unauthorized",
    `${BOB_VIA};branch=z9hG4bKqo3wf71;received=192.0.2.201`,
    `From: ${BOB_SIPS};tag=uQk2oo3ka`,
    `To: ${BOB_SIPS};tag=1410948204x`,
    REG_CALLID2,
    "CSeq: 1 REGISTER",
    challenge(NONCE2, false),
    "Content-Length: 0",
  ],
  "",
  challengeExpect(NONCE2),
);
flow(
  "2.5-f3-register-bad-auth.dat",
  "RFC 3665 §2.5 F3: REGISTER with wrong credentials (well formed)",
  [
    `REGISTER ${REGISTRAR} SIP/2.0`,
    `${BOB_VIA};branch=z9hG4bKqo3wf72`,
    "Max-Forwards: 70",
    `From: ${BOB_SIPS};tag=uQk2oo3kb`,
    `To: ${BOB_SIPS}`,
    REG_CALLID2,
    "CSeq: 2 REGISTER",
    "Contact: <sips:bob@client.biloxi.example.com>",
    authorization(NONCE2, "00000001", "4e8b557f", "not-the-password"),
    "Content-Length: 0",
  ],
  "",
  authExpect(NONCE2, "00000001", "4e8b557f", "not-the-password"),
);
flow(
  "2.5-f4-401.dat",
  "RFC 3665 §2.5 F4: second 401, credentials refused",
  [
    "SIP/2.0 401 Unauthorized",
    `${BOB_VIA};branch=z9hG4bKqo3wf72;received=192.0.2.201`,
    `From: ${BOB_SIPS};tag=uQk2oo3kb`,
    `To: ${BOB_SIPS};tag=839923423`,
    REG_CALLID2,
    "CSeq: 2 REGISTER",
    challenge(NONCE2, false),
    "Content-Length: 0",
  ],
  "",
  challengeExpect(NONCE2),
);

// ---- §3 sessions ------------------------------------------------------------------------------

const ALICE = "Alice <sip:alice@atlanta.example.com>";
const BOB = "Bob <sip:bob@biloxi.example.com>";
const ALLOW = "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE";
const ALLOW_LIST = ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REFER", "NOTIFY", "MESSAGE", "SUBSCRIBE", "INFO", "UPDATE"];

const ALICE_SDP = crlfText(`v=0
o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com
s=Call from Alice
c=IN IP4 192.0.2.101
t=0 0
m=audio 49172 RTP/AVP 0 8 9 18 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:9 G722/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=maxptime:150
a=sendrecv
`);
const BOB_SDP = crlfText(`v=0
o=bob 2890844527 2890844527 IN IP4 client.biloxi.example.com
s=-
c=IN IP4 192.0.2.201
t=0 0
m=audio 3456 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
`);

// §3.1: Alice calls Bob directly over TCP.
{
  const cid = "Call-ID: 3848276298220188511@atlanta.example.com";
  const viaA = "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9x";
  const viaB = "Via: SIP/2.0/TCP client.biloxi.example.com:5060;branch=z9hG4bKnashds8";
  const fromA = `From: ${ALICE};tag=9fxced76sl`;
  const toB = `To: ${BOB};tag=8321234356`;
  const common = { allow: ALLOW_LIST };
  flow(
    "3.1-f1-invite.dat",
    "RFC 3665 §3.1 F1: INVITE with an SDP offer (about 900 bytes)",
    [
      "INVITE sip:bob@biloxi.example.com SIP/2.0",
      viaA,
      "Max-Forwards: 70",
      fromA,
      `To: ${BOB}`,
      cid,
      "CSeq: 1 INVITE",
      "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>",
      ALLOW,
      "Supported: replaces, timer, 100rel",
      "User-Agent: Sipfleet-Corpus/1.0 (RFC 3665 flow)",
      "Subject: About lunch",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    ALICE_SDP,
    { ...common, supported: ["replaces", "timer", "100rel"], userAgent: "Sipfleet-Corpus/1.0 (RFC 3665 flow)", contactTransport: "tcp" },
  );
  flow("3.1-f2-100.dat", "RFC 3665 §3.1: 100 Trying (hop-by-hop, no To tag)", [
    "SIP/2.0 100 Trying",
    viaA + ";received=192.0.2.101",
    fromA,
    `To: ${BOB}`,
    cid,
    "CSeq: 1 INVITE",
    "Content-Length: 0",
  ]);
  flow("3.1-f3-180.dat", "RFC 3665 §3.1 F2: 180 Ringing with To tag and Contact", [
    "SIP/2.0 180 Ringing",
    viaA + ";received=192.0.2.101",
    fromA,
    toB,
    cid,
    "CSeq: 1 INVITE",
    "Contact: <sip:bob@client.biloxi.example.com;transport=tcp>",
    "Content-Length: 0",
  ]);
  flow(
    "3.1-f4-200.dat",
    "RFC 3665 §3.1 F3: 200 OK with the SDP answer",
    [
      "SIP/2.0 200 OK",
      viaA + ";received=192.0.2.101",
      fromA,
      toB,
      cid,
      "CSeq: 1 INVITE",
      "Contact: <sip:bob@client.biloxi.example.com;transport=tcp>",
      ALLOW,
      "Supported: replaces",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    BOB_SDP,
    common,
  );
  flow("3.1-f5-ack.dat", "RFC 3665 §3.1 F4: ACK to the remote target, new branch", [
    "ACK sip:bob@client.biloxi.example.com;transport=tcp SIP/2.0",
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bd5y",
    "Max-Forwards: 70",
    fromA,
    toB,
    cid,
    "CSeq: 1 ACK",
    "Content-Length: 0",
  ]);
  flow("3.1-f6-bye.dat", "RFC 3665 §3.1 F5: BYE from Bob, From/To swapped", [
    "BYE sip:alice@client.atlanta.example.com;transport=tcp SIP/2.0",
    viaB,
    "Max-Forwards: 70",
    `From: ${BOB};tag=8321234356`,
    `To: ${ALICE};tag=9fxced76sl`,
    cid,
    "CSeq: 231 BYE",
    "Content-Length: 0",
  ]);
  flow("3.1-f7-200.dat", "RFC 3665 §3.1 F6: 200 OK to BYE", [
    "SIP/2.0 200 OK",
    viaB + ";received=192.0.2.201",
    `From: ${BOB};tag=8321234356`,
    `To: ${ALICE};tag=9fxced76sl`,
    cid,
    "CSeq: 231 BYE",
    "Content-Length: 0",
  ]);
}

// §3.2 (one proxy): proxy authentication, Record-Route, two Vias, Route on in-dialog requests.
{
  const cid = "Call-ID: 2xTb9vxSit55XU7p8@atlanta.example.com";
  const viaA1 = "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9p";
  const viaA2 = "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bKnashds9";
  const viaP = "Via: SIP/2.0/TCP ss1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1";
  const fromA = `From: ${ALICE};tag=9fxced76sm`;
  const toB = `To: ${BOB};tag=314159`;
  const rr = "Record-Route: <sip:ss1.atlanta.example.com;lr>";
  const route = "Route: <sip:ss1.atlanta.example.com;lr>";
  const pnonce = "zb10a7e5c0e3ae1ac11aafe7a03ce4d2";
  const presp = digestResponse({
    username: "alice",
    realm: "atlanta.example.com",
    password: "wonderland",
    method: "INVITE",
    uri: "sip:bob@biloxi.example.com",
    nonce: pnonce,
    nc: "00000001",
    cnonce: "ab12cd34",
  });
  const inviteHead = (branchVia, cseq, extra) => [
    "INVITE sip:bob@biloxi.example.com SIP/2.0",
    branchVia,
    "Max-Forwards: 70",
    fromA,
    `To: ${BOB}`,
    cid,
    `CSeq: ${cseq} INVITE`,
    "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>",
    ...extra,
    "Content-Type: application/sdp",
    "Content-Length: {CL}",
  ];
  flow("3.2-f1-invite.dat", "RFC 3665 §3.2 F1: INVITE to the proxy, no credentials", inviteHead(viaA1, 1, []), ALICE_SDP);
  flow(
    "3.2-f2-407.dat",
    "RFC 3665 §3.2 F2: 407 Proxy Authentication Required",
    [
      "SIP/2.0 407 Proxy Authentication Required",
      viaA1 + ";received=192.0.2.101",
      fromA,
      `To: ${BOB};tag=3flal12sf`,
      cid,
      "CSeq: 1 INVITE",
      `Proxy-Authenticate: Digest realm="atlanta.example.com", qop="auth", nonce="${pnonce}", opaque="", stale=FALSE, algorithm=MD5`,
      "Content-Length: 0",
    ],
    "",
    { proxyAuthenticate: { scheme: "Digest", realm: "atlanta.example.com", nonce: pnonce, qop: ["auth"], stale: false, algorithm: "MD5", opaque: "" } },
  );
  flow("3.2-f3-ack.dat", "RFC 3665 §3.2 F3: ACK for the 407, same branch as the INVITE", [
    "ACK sip:bob@biloxi.example.com SIP/2.0",
    viaA1,
    "Max-Forwards: 70",
    fromA,
    `To: ${BOB};tag=3flal12sf`,
    cid,
    "CSeq: 1 ACK",
    "Content-Length: 0",
  ]);
  flow(
    "3.2-f4-invite-auth.dat",
    "RFC 3665 §3.2 F4: INVITE with Proxy-Authorization",
    inviteHead(viaA2, 2, [
      `Proxy-Authorization: Digest username="alice", realm="atlanta.example.com", nonce="${pnonce}", opaque="", uri="sip:bob@biloxi.example.com", response="${presp}", qop=auth, nc=00000001, cnonce="ab12cd34", algorithm=MD5`,
    ]),
    ALICE_SDP,
    { proxyAuthorization: { scheme: "Digest", username: "alice", realm: "atlanta.example.com", nonce: pnonce, uri: "sip:bob@biloxi.example.com", qop: "auth", nc: "00000001", cnonce: "ab12cd34", response: presp } },
  );
  flow("3.2-f5-100.dat", "RFC 3665 §3.2 F5: 100 Trying from the proxy", [
    "SIP/2.0 100 Trying",
    viaA2 + ";received=192.0.2.101",
    fromA,
    `To: ${BOB}`,
    cid,
    "CSeq: 2 INVITE",
    "Content-Length: 0",
  ]);
  flow(
    "3.2-f6-invite-forwarded.dat",
    "RFC 3665 §3.2 F6: INVITE forwarded by the proxy: its Via on top, Record-Route, Max-Forwards 69",
    [
      "INVITE sip:bob@client.biloxi.example.com SIP/2.0",
      viaP,
      viaA2 + ";received=192.0.2.101",
      "Max-Forwards: 69",
      rr,
      fromA,
      `To: ${BOB}`,
      cid,
      "CSeq: 2 INVITE",
      "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    ALICE_SDP,
  );
  const resp2 = (status, extra, cseq = "2 INVITE") => [
    status,
    viaP + ";received=192.0.2.111",
    viaA2 + ";received=192.0.2.101",
    rr,
    fromA,
    toB,
    cid,
    `CSeq: ${cseq}`,
    ...extra,
  ];
  const resp1 = (status, extra, cseq = "2 INVITE") => [status, viaA2 + ";received=192.0.2.101", rr, fromA, toB, cid, `CSeq: ${cseq}`, ...extra];
  const bobContact = "Contact: <sip:bob@client.biloxi.example.com;transport=tcp>";
  flow("3.2-f7-180.dat", "RFC 3665 §3.2: 180 Ringing from Bob, two Vias, Record-Route", resp2("SIP/2.0 180 Ringing", [bobContact, "Content-Length: 0"]));
  flow("3.2-f8-180.dat", "RFC 3665 §3.2: 180 Ringing forwarded by the proxy, one Via", resp1("SIP/2.0 180 Ringing", [bobContact, "Content-Length: 0"]));
  flow(
    "3.2-f9-200.dat",
    "RFC 3665 §3.2: 200 OK from Bob with SDP, two Vias",
    resp2("SIP/2.0 200 OK", [bobContact, "Content-Type: application/sdp", "Content-Length: {CL}"]),
    BOB_SDP,
  );
  flow(
    "3.2-f10-200.dat",
    "RFC 3665 §3.2: 200 OK forwarded by the proxy",
    resp1("SIP/2.0 200 OK", [bobContact, "Content-Type: application/sdp", "Content-Length: {CL}"]),
    BOB_SDP,
  );
  flow("3.2-f11-ack.dat", "RFC 3665 §3.2: ACK with Route from the Record-Route", [
    "ACK sip:bob@client.biloxi.example.com;transport=tcp SIP/2.0",
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b76q",
    "Max-Forwards: 70",
    route,
    fromA,
    toB,
    cid,
    "CSeq: 2 ACK",
    "Content-Length: 0",
  ]);
  flow("3.2-f12-ack-forwarded.dat", "RFC 3665 §3.2: ACK forwarded, Route removed, two Vias", [
    "ACK sip:bob@client.biloxi.example.com;transport=tcp SIP/2.0",
    "Via: SIP/2.0/TCP ss1.atlanta.example.com:5060;branch=z9hG4bK2d4790.2",
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b76q;received=192.0.2.101",
    "Max-Forwards: 69",
    fromA,
    toB,
    cid,
    "CSeq: 2 ACK",
    "Content-Length: 0",
  ]);
  const fromB = `From: ${BOB};tag=314159`;
  const toA = `To: ${ALICE};tag=9fxced76sm`;
  const viaBob = "Via: SIP/2.0/TCP client.biloxi.example.com:5060;branch=z9hG4bKnashdsb";
  flow("3.2-f13-bye.dat", "RFC 3665 §3.2: BYE from Bob with Route", [
    "BYE sip:alice@client.atlanta.example.com;transport=tcp SIP/2.0",
    viaBob,
    "Max-Forwards: 70",
    route,
    fromB,
    toA,
    cid,
    "CSeq: 1 BYE",
    "Content-Length: 0",
  ]);
  const viaPB = "Via: SIP/2.0/TCP ss1.atlanta.example.com:5060;branch=z9hG4bK2d4790.3";
  flow("3.2-f14-bye-forwarded.dat", "RFC 3665 §3.2: BYE forwarded by the proxy", [
    "BYE sip:alice@client.atlanta.example.com;transport=tcp SIP/2.0",
    viaPB,
    viaBob + ";received=192.0.2.201",
    "Max-Forwards: 69",
    fromB,
    toA,
    cid,
    "CSeq: 1 BYE",
    "Content-Length: 0",
  ]);
  flow("3.2-f15-200.dat", "RFC 3665 §3.2: 200 OK to BYE from Alice, two Vias", [
    "SIP/2.0 200 OK",
    viaPB + ";received=192.0.2.111",
    viaBob + ";received=192.0.2.201",
    fromB,
    toA,
    cid,
    "CSeq: 1 BYE",
    "Content-Length: 0",
  ]);
  flow("3.2-f16-200.dat", "RFC 3665 §3.2: 200 OK to BYE forwarded", [
    "SIP/2.0 200 OK",
    viaBob + ";received=192.0.2.201",
    fromB,
    toA,
    cid,
    "CSeq: 1 BYE",
    "Content-Length: 0",
  ]);
}

// §3.6 unsuccessful no answer: CANCEL, 200 (CANCEL), 487, ACK.
{
  const cid = "Call-ID: 12345600@atlanta.example.com";
  const via = "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9c;rport";
  const viaR = "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9c;rport=5060;received=192.0.2.101";
  const fromA = `From: ${ALICE};tag=9fxced76sn`;
  const toTag = `To: ${BOB};tag=kse2ld8`;
  flow(
    "3.6-f1-invite.dat",
    "RFC 3665 §3.6 F1: INVITE over UDP with rport",
    [
      "INVITE sip:bob@biloxi.example.com SIP/2.0",
      via,
      "Max-Forwards: 70",
      fromA,
      `To: ${BOB}`,
      cid,
      "CSeq: 1 INVITE",
      "Contact: <sip:alice@client.atlanta.example.com>",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    ALICE_SDP,
    { topViaRport: null },
  );
  flow("3.6-f2-180.dat", "RFC 3665 §3.6: 180 Ringing", [
    "SIP/2.0 180 Ringing",
    viaR,
    fromA,
    toTag,
    cid,
    "CSeq: 1 INVITE",
    "Contact: <sip:bob@client.biloxi.example.com>",
    "Content-Length: 0",
  ], "", { topViaRport: 5060, topViaReceived: "192.0.2.101" });
  flow("3.6-f3-cancel.dat", "RFC 3665 §3.6: CANCEL, same branch and CSeq number as the INVITE", [
    "CANCEL sip:bob@biloxi.example.com SIP/2.0",
    via,
    "Max-Forwards: 70",
    fromA,
    `To: ${BOB}`,
    cid,
    "CSeq: 1 CANCEL",
    "Content-Length: 0",
  ]);
  flow("3.6-f4-200-cancel.dat", "RFC 3665 §3.6: 200 OK to CANCEL", [
    "SIP/2.0 200 OK",
    viaR,
    fromA,
    toTag,
    cid,
    "CSeq: 1 CANCEL",
    "Content-Length: 0",
  ]);
  flow("3.6-f5-487.dat", "RFC 3665 §3.6: 487 Request Terminated", [
    "SIP/2.0 487 Request Terminated",
    viaR,
    fromA,
    toTag,
    cid,
    "CSeq: 1 INVITE",
    "Content-Length: 0",
  ]);
  flow("3.6-f6-ack.dat", "RFC 3665 §3.6: ACK for the 487, same branch as the INVITE", [
    "ACK sip:bob@biloxi.example.com SIP/2.0",
    via,
    "Max-Forwards: 70",
    fromA,
    toTag,
    cid,
    "CSeq: 1 ACK",
    "Content-Length: 0",
  ]);
}

// §3.7 unsuccessful busy.
{
  const cid = "Call-ID: 2xTb9vxSit55XU7p8@busy.atlanta.example.com";
  const via = "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9b";
  const fromA = `From: ${ALICE};tag=9fxced76so`;
  flow(
    "3.7-f1-invite.dat",
    "RFC 3665 §3.7 F1: INVITE",
    [
      "INVITE sip:bob@biloxi.example.com SIP/2.0",
      via,
      "Max-Forwards: 70",
      fromA,
      `To: ${BOB}`,
      cid,
      "CSeq: 1 INVITE",
      "Contact: <sip:alice@client.atlanta.example.com>",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    ALICE_SDP,
  );
  flow("3.7-f2-486.dat", "RFC 3665 §3.7: 486 Busy Here", [
    "SIP/2.0 486 Busy Here",
    via + ";received=192.0.2.101",
    fromA,
    `To: ${BOB};tag=314159b`,
    cid,
    "CSeq: 1 INVITE",
    "Content-Length: 0",
  ]);
  flow("3.7-f3-ack.dat", "RFC 3665 §3.7: ACK for the 486", [
    "ACK sip:bob@biloxi.example.com SIP/2.0",
    via,
    "Max-Forwards: 70",
    fromA,
    `To: ${BOB};tag=314159b`,
    cid,
    "CSeq: 1 ACK",
    "Content-Length: 0",
  ]);
}

// Unsuccessful 404 through the proxy.
{
  const cid = "Call-ID: 93f8a2bb9@atlanta.example.com";
  const via = "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9n";
  const fromA = `From: ${ALICE};tag=9fxced76sp`;
  const carol = "Carol <sip:carol@atlanta.example.com>";
  flow(
    "3.x-f1-invite-unknown-user.dat",
    "RFC 3665 §3 (unsuccessful): INVITE for a user the proxy does not know",
    [
      "INVITE sip:carol@atlanta.example.com SIP/2.0",
      via,
      "Max-Forwards: 70",
      fromA,
      `To: ${carol}`,
      cid,
      "CSeq: 1 INVITE",
      "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    ALICE_SDP,
  );
  flow("3.x-f2-404.dat", "RFC 3665 §3 (unsuccessful): 404 Not Found from the proxy", [
    "SIP/2.0 404 Not Found",
    via + ";received=192.0.2.101",
    fromA,
    `To: ${carol};tag=1a2b3c404`,
    cid,
    "CSeq: 1 INVITE",
    "Server: Sipfleet-Corpus-Proxy/1.0",
    "Content-Length: 0",
  ]);
  flow("3.x-f3-ack.dat", "RFC 3665 §3 (unsuccessful): ACK for the 404", [
    "ACK sip:carol@atlanta.example.com SIP/2.0",
    via,
    "Max-Forwards: 70",
    fromA,
    `To: ${carol};tag=1a2b3c404`,
    cid,
    "CSeq: 1 ACK",
    "Content-Length: 0",
  ]);
}

// =============================================================================================
// Torture messages in the spirit of RFC 4475 — valid (§3.1.1, §3.3, §3.4)
// =============================================================================================

const SHORT_SDP = crlfText(`v=0
o=torture 53655765 2353687637 IN IP4 192.0.2.3
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
`);
const SDP_LEN = Buffer.byteLength(SHORT_SDP);

function valid(name, why, bytes, e) {
  add(`torture-valid/${name}.dat`, bytes, { why, outcome: "ok", ...e });
}

valid(
  "wsinv",
  "RFC 4475 §3.1.1.1: folded lines, compact and oddly cased names, SP around ':' '/' '=' ';', quoted-pairs in display names, unknown headers and parameters, empty Subject: all legal",
  wire(
    [
      "INVITE sip:carol@chair-dnrc.example.com;unknownparam SIP/2.0",
      "TO :",
      " sip:carol@chair-dnrc.example.com ;   tag    = 1918181833n",
      'from   : "C. Rosenberg \\\\\\""       <sip:crosen@example.com>',
      "  ;",
      "  tag = 98asjd8",
      "MaX-fOrWaRdS: 0068",
      "Call-ID: wsinv.ndaksdj@192.0.2.1",
      "Content-Length   : {CL}",
      "cseq: 0009",
      "  INVITE",
      "Via  : SIP  /   2.0",
      " /UDP",
      "    192.0.2.2;branch=390skdjuw",
      "s :",
      "NewFangledHeader:   newfangled value",
      " continued newfangled value",
      "UnknownHeaderWithUnusualValue: ;;,,;;,;",
      "Content-Type: application/sdp",
      "Route:",
      " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
      "v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
      "  branch  =   z9hG4bK9ikj8  ,",
      " SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
      " z9hG4bK30239",
      'm:"Quoted string \\"\\"" <sip:crosen@example.com> ; newparam =',
      "      newvalue ;",
      "  secondparam ; q = 0.33",
    ],
    SHORT_SDP,
  ),
  {
    kind: "request",
    method: "INVITE",
    requestUri: "sip:carol@chair-dnrc.example.com;unknownparam",
    requestUriUser: "carol",
    requestUriHost: "chair-dnrc.example.com",
    callId: "wsinv.ndaksdj@192.0.2.1",
    cseq: [9, "INVITE"],
    maxForwards: 68,
    vias: 3,
    viaBranches: ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"],
    viaTransports: ["UDP", "TCP", "UDP"],
    viaHosts: ["192.0.2.2", "spindle.example.com", "192.168.255.111"],
    topBranch: "390skdjuw",
    toTag: "1918181833n",
    toUri: "sip:carol@chair-dnrc.example.com",
    fromTag: "98asjd8",
    fromDisplayName: 'C. Rosenberg \\"',
    contacts: 1,
    contactUris: ["sip:crosen@example.com"],
    contactDisplayNames: ['Quoted string ""'],
    contactQ: [0.33],
    contactParams: [{ newparam: "newvalue", secondparam: null, q: "0.33" }],
    routes: 1,
    routeUris: ["sip:services.example.com;lr;unknownwith=value;unknown-no-value"],
    contentType: "application/sdp",
    contentLength: SDP_LEN,
    bodyLength: SDP_LEN,
    headers: {
      Subject: "",
      NewFangledHeader: "newfangled value continued newfangled value",
      UnknownHeaderWithUnusualValue: ";;,,;;,;",
    },
  },
);

const INT_METHOD = "!unusual-Method9876543210_*+`.%indeed'~";
const INT_URI_USER = "2_odd.URI~(to-be!sure)&isn't+it$/crazy?,/;;*";
valid(
  "intmeth",
  "RFC 4475 §3.1.1.2: every legal non-alphanumeric char in method, branch, tags, Call-ID (word, where '%' and '\"' are plain chars), quoted-pairs for BEL NUL DEL, unquoted multi-token display name, UTF-8 parameter and header values",
  wire([
    `${INT_METHOD} sip:${INT_URI_USER}:&it+has=2,weird!*pas$wo~d_too.(doesn't-it)@example.net SIP/2.0`,
    "Via: SIP/2.0/TCP host7.example.net;branch=z9hG4bK-.!%66*_+`'~",
    `To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:${INT_URI_USER}@example.net>`,
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.org>;fromParam''~+*_!.-%=\"жёлтый\";tag=_token~2'+`*%!-.",
    "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
    `CSeq: 139122385 ${INT_METHOD}`,
    "Max-Forwards: 255",
    "extensionHeader-!.%*+_`'~:\uFEFF大停電",
    "Content-Length: 0",
  ]),
  {
    kind: "request",
    method: INT_METHOD,
    requestUriUser: INT_URI_USER,
    requestUriPassword: "&it+has=2,weird!*pas$wo~d_too.(doesn't-it)",
    requestUriHost: "example.net",
    callId: "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
    cseq: [139122385, INT_METHOD],
    maxForwards: 255,
    vias: 1,
    topBranch: "z9hG4bK-.!%66*_+`'~",
    toDisplayName: "BEL:\x07 NUL:\x00 DEL:\x7f",
    toTag: null,
    toUriUser: INT_URI_USER,
    fromDisplayName: "token1~` token2'+_ token3*%!.-",
    fromTag: "_token~2'+`*%!-.",
    fromParamNames: ["fromparam''~+*_!.-%", "tag"],
    contacts: 0,
    bodyLength: 0,
    contentLength: 0,
    headers: { "extensionHeader-!.%*+_`'~": "\uFEFF大停電" },
  },
);

valid(
  "esc01",
  "RFC 4475 §3.1.1.3: %-escapes in user parts and URI parameters, to be unescaped (sips:user@... as a user part, escaped 'lr')",
  wire(
    [
      "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0",
      "To: sip:%75se%72@example.com",
      "From: <sip:I%20have%20spaces@example.net>;tag=1938",
      "Max-Forwards: 87",
      "i: esc01.239409asdfakjkn23onasd0-3234",
      "CSeq: 234235 INVITE",
      "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw5",
      "C: application/sdp",
      "Contact:",
      "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  ),
  {
    kind: "request",
    method: "INVITE",
    requestUri: "sip:sips%3Auser%40example.com@example.net",
    requestUriUser: "sips:user@example.com",
    requestUriHost: "example.net",
    callId: "esc01.239409asdfakjkn23onasd0-3234",
    cseq: [234235, "INVITE"],
    maxForwards: 87,
    vias: 1,
    topBranch: "z9hG4bKkdjuw5",
    toUriUser: "user",
    fromUriUser: "I have spaces",
    fromTag: "1938",
    toTag: null,
    contacts: 1,
    contactUriUsers: ["caller"],
    contactUriParams: [{ lr: null, name: "value%41" }],
    contentType: "application/sdp",
    contentLength: SDP_LEN,
    bodyLength: SDP_LEN,
  },
);

valid(
  "escnull",
  "RFC 4475 §3.1.1.4: %00 in user parts is legal; two Contacts; 'L:0' compact uppercase Content-Length",
  wire([
    "REGISTER sip:example.com SIP/2.0",
    "To: sip:null-%00-null@example.com",
    "From: sip:null-%00-null@example.com;tag=839923424",
    "Max-Forwards: 70",
    "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
    "CSeq: 14398235 REGISTER",
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw0",
    "Contact: <sip:%00@host5.example.com>",
    "Contact: <sip:%00%00@host5.example.com>",
    "L:0",
  ]),
  {
    kind: "request",
    method: "REGISTER",
    callId: "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
    cseq: [14398235, "REGISTER"],
    vias: 1,
    topBranch: "z9hG4bKkdjuw0",
    toUriUser: "null-\x00-null",
    fromUriUser: "null-\x00-null",
    fromTag: "839923424",
    contacts: 2,
    contactUriUsers: ["\x00", "\x00\x00"],
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "esc02",
  "RFC 4475 §3.1.1.5: '%' that is not an escape: in a method token, a quoted display name, a branch; 'C%6Fntact' is an unknown header, not Contact",
  wire([
    "RE%47IST%45R sip:registrar.example.com SIP/2.0",
    'To: "%Z%45" <sip:resource@example.com>',
    'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj24',
    "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdg",
    "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel235",
    "CSeq: 29345 RE%47IST%45R",
    "Max-Forwards: 70",
    "Contact: <sip:alias1@host1.example.com>",
    "C%6Fntact: <sip:alias2@host2.example.com>",
    "Contact: <sip:alias3@host3.example.com>",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "RE%47IST%45R",
    callId: "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdg",
    cseq: [29345, "RE%47IST%45R"],
    vias: 1,
    topBranch: "z9hG4bK209%fzsnel235",
    toDisplayName: "%Z%45",
    fromDisplayName: "%Z%45",
    contacts: 2,
    contactUris: ["sip:alias1@host1.example.com", "sip:alias3@host3.example.com"],
    headers: { "C%6Fntact": "<sip:alias2@host2.example.com>" },
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "lwsdisp",
  "RFC 4475 §3.1.1.6: no LWS between a token display name and '<'",
  wire([
    "OPTIONS sip:user@example.com SIP/2.0",
    "To: sip:user@example.com",
    "From: caller<sip:caller@example.com>;tag=324",
    "Max-Forwards: 70",
    "Call-ID: lwsdisp.1234abcd@funky.example.com",
    "CSeq: 61 OPTIONS",
    "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw6",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "OPTIONS",
    callId: "lwsdisp.1234abcd@funky.example.com",
    cseq: [61, "OPTIONS"],
    vias: 1,
    topBranch: "z9hG4bKkdjuw6",
    fromDisplayName: "caller",
    fromUri: "sip:caller@example.com",
    fromTag: "324",
    contentLength: 0,
    bodyLength: 0,
  },
);

{
  const extreme = "extreme".repeat(60);
  const longTag = "longlonglonglong".repeat(20);
  const longCallId = `longreq.one${"really".repeat(40)}longcallid`;
  const longBranch = `z9hG4bK${"longbranch".repeat(50)}`;
  const longUser = `amazinglylongcallername${"x".repeat(300)}`;
  const longHeaderName = `Unknown-${"LongLong".repeat(12)}-Name`;
  const longValue = `unknown-${"longlong".repeat(20)}-value; unknown-${"longlong".repeat(20)}-parameter-name = unknown-${"longlong".repeat(20)}-parameter-value`;
  const viaLines = [];
  const forms = ["Via", "v", "V", "via"];
  for (let k = 33; k >= 1; k--) viaLines.push(`${forms[k % 4]}: SIP/2.0/TCP sip${k}.example.com;branch=z9hG4bK${"hop".repeat(10)}${k}`);
  const lines = [
    "INVITE sip:user@example.com SIP/2.0",
    `To: "I have a user name of ${extreme} proportion" <sip:user@example.com:6000;unknownparam1=very${"long".repeat(40)}value;longparamnamenovalue${"x".repeat(100)};unknownparam2=shortvalue>`,
    `F: sip:${longUser}@example.net;tag=12982${longTag};unknownheaderparam${"name".repeat(20)}=unknowheaderparam${"value".repeat(20)};unknownValueless${"param".repeat(20)}`,
    `Call-ID: ${longCallId}`,
    "CSeq: 3882340 INVITE",
    `Via: SIP/2.0/TCP sip34.example.com;branch=${longBranch};received=192.0.2.34`,
    ...viaLines,
    "Max-Forwards: 70",
    `Contact: <sip:${longUser}@host5.example.net>`,
    "Content-Type: application/sdp",
    `${longHeaderName}: ${longValue}`,
    `Unknown-${"Long".repeat(30)}-Header: ${"value".repeat(400)}`,
    "l: {CL}",
  ];
  valid(
    "longreq",
    "RFC 4475 §3.1.1.7: very long display names, tags, Call-ID, branch, URIs, header names and values, and 34 Vias in all four name spellings",
    wire(lines, SHORT_SDP),
    {
      kind: "request",
      method: "INVITE",
      callId: longCallId,
      cseq: [3882340, "INVITE"],
      maxForwards: 70,
      vias: 34,
      topBranch: longBranch,
      topViaReceived: "192.0.2.34",
      toDisplayName: `I have a user name of ${extreme} proportion`,
      toUriPort: 6000,
      fromTag: `12982${longTag}`,
      fromUriUser: longUser,
      contacts: 1,
      contactUriUsers: [longUser],
      contentType: "application/sdp",
      contentLength: SDP_LEN,
      bodyLength: SDP_LEN,
      headers: { [longHeaderName]: longValue },
    },
  );
}

{
  const first = wire([
    "REGISTER sip:example.com SIP/2.0",
    "To: sip:j.user@example.com",
    "From: sip:j.user@example.com;tag=43251j3j325",
    "Max-Forwards: 8",
    "I: dblreq.0ha0isndaksdj99sdfafnl3lk233413",
    "Contact: sip:j.user@host.example.com",
    "CSeq: 8 REGISTER",
    "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23493",
    "Content-Length: 0",
  ]);
  const extra = wire(
    [
      "INVITE sip:joe@example.com SIP/2.0",
      "t: sip:joe@example.com",
      "From: sip:caller@example.net;tag=141335",
      "Max-Forwards: 8",
      "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15",
      "CSeq: 8 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  );
  valid(
    "dblreq",
    "RFC 4475 §3.1.1.8 / RFC 3261 §18.3: a datagram with octets past Content-Length; the REGISTER is processed and the extra INVITE bytes are discarded",
    Buffer.concat([first, extra]),
    {
      kind: "request",
      method: "REGISTER",
      callId: "dblreq.0ha0isndaksdj99sdfafnl3lk233413",
      cseq: [8, "REGISTER"],
      maxForwards: 8,
      vias: 1,
      topBranch: "z9hG4bKkdjuw23493",
      contacts: 1,
      contactUris: ["sip:j.user@host.example.com"],
      contentLength: 0,
      bodyLength: 0,
      trailingBytes: extra.length,
    },
  );
}

valid(
  "semiuri",
  "RFC 4475 §3.1.1.9: ';' and an escaped '@' inside the Request-URI user part (user-unreserved), not URI parameters",
  wire([
    "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0",
    "To: sip:j_user@example.com",
    "From: sip:caller@example.org;tag=33243",
    "Max-Forwards: 3",
    "Call-ID: semiuri.0ha0isndaksdj2",
    "CSeq: 9 OPTIONS",
    "Accept: application/sdp, application/pkcs7-mime,",
    " application/pkcs7-signature",
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw8",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "OPTIONS",
    requestUri: "sip:user;par=u%40example.net@example.com",
    requestUriUser: "user;par=u@example.net",
    requestUriHost: "example.com",
    requestUriParamCount: 0,
    callId: "semiuri.0ha0isndaksdj2",
    cseq: [9, "OPTIONS"],
    maxForwards: 3,
    vias: 1,
    topBranch: "z9hG4bKkdjuw8",
    headerLists: { Accept: ["application/sdp", "application/pkcs7-mime", "application/pkcs7-signature"] },
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "transports",
  "RFC 4475 §3.1.1.10: known (UDP, SCTP, TLS, TCP, WS, WSS), rare (TLS-SCTP) and unknown Via transports are all legal tokens; double SP after 'Call-ID:'",
  wire([
    "OPTIONS sip:user@example.com SIP/2.0",
    "To: sip:user@example.com",
    "From: <sip:caller@example.com>;tag=324",
    "Max-Forwards: 70",
    "Call-ID:  transports.kijh4akdnaqjkwendsasfdk",
    "Accept: application/sdp",
    "CSeq: 61 OPTIONS",
    "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw9",
    "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhg",
    "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980undde",
    "Via: SIP/2.0/TLS-SCTP t4.example.com;branch=z9hG4bKasd0f3eo",
    "Via: SIP/2.0/UNKNOWN t5.example.com;branch=z9hG4bK0a9idfnef",
    "Via: SIP/2.0/WSS t6.example.com;branch=z9hG4bK0a9idfneg",
    "Via: SIP/2.0/ws t7.example.com;branch=z9hG4bK0a9idfneh",
    "Via: SIP/2.0/TCP t8.example.com;branch=z9hG4bK0a9idfnei",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "OPTIONS",
    callId: "transports.kijh4akdnaqjkwendsasfdk",
    cseq: [61, "OPTIONS"],
    vias: 8,
    topBranch: "z9hG4bKkdjuw9",
    viaTransports: ["UDP", "SCTP", "TLS", "TLS-SCTP", "UNKNOWN", "WSS", "WS", "TCP"],
    viaHosts: ["t1.example.com", "t2.example.com", "t3.example.com", "t4.example.com", "t5.example.com", "t6.example.com", "t7.example.com", "t8.example.com"],
    contentLength: 0,
    bodyLength: 0,
  },
);

{
  // A binary part holding every byte value, including CRLFCRLF and a fake boundary prefix.
  const binary = Buffer.alloc(256 + 12);
  for (let k = 0; k < 256; k++) binary[k] = (k * 37 + 11) & 0xff;
  binary.write("\r\n\r\n--7a9c\r\n", 256, "latin1");
  const boundary = "7a9cbec02ceef656";
  const body = Buffer.concat([
    Buffer.from(
      crlfText(`--${boundary}
Content-Type: text/plain
Content-Transfer-Encoding: binary

Hello, this is the text part.
--${boundary}
Content-Type: application/octet-stream
Content-Transfer-Encoding: binary

`),
      "latin1",
    ),
    binary,
    Buffer.from(crlfText(`\n--${boundary}--\n`), "latin1"),
  ]);
  valid(
    "mpart01",
    "RFC 4475 §3.1.1.11: multipart/mixed body with a binary part (every byte value, CRLFCRLF inside): the body is exactly Content-Length octets",
    wire(
      [
        "MESSAGE sip:kumiko@example.org SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.71:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport",
        "Max-Forwards: 70",
        "Route: <sip:192.0.2.80:5080;lr>",
        "Contact: <sip:fluffy@192.0.2.71:5070>",
        "To: <sip:kumiko@example.org>",
        "From: <sip:fluffy@example.com>;tag=2fb0dcc8",
        "Call-ID: 3d9485ad0c49859c@Q02MTc1NGE",
        "CSeq: 1 MESSAGE",
        "Accept: multipart/mixed, text/plain, message/cpim",
        "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, MESSAGE, SUBSCRIBE, NOTIFY, REFER",
        "MIME-Version: 1.0",
        `Content-Type: multipart/mixed;boundary=${boundary}`,
        "Content-Length: {CL}",
      ],
      body,
    ),
    {
      kind: "request",
      method: "MESSAGE",
      callId: "3d9485ad0c49859c@Q02MTc1NGE",
      cseq: [1, "MESSAGE"],
      vias: 1,
      topBranch: "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-",
      topViaPort: 5070,
      topViaRport: null,
      routes: 1,
      contacts: 1,
      allow: ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "MESSAGE", "SUBSCRIBE", "NOTIFY", "REFER"],
      contentType: "multipart/mixed",
      contentTypeParams: { boundary },
      contentLength: body.length,
      bodyLength: body.length,
      bodySha256: createHash("sha256").update(body).digest("hex"),
    },
  );
}

const UNREASON = "2**3 * 5**2 = двести — 仍然 «хорошо» ✓";
valid(
  "unreason",
  "RFC 4475 §3.1.1.12: a Reason-Phrase of UTF-8 text with digits, '*', '=', non-ASCII (TEXT-UTF8, RFC 3261 §25.1)",
  wire(
    [
      `SIP/2.0 200 ${UNREASON}`,
      "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324924",
      "Call-ID: unreason.1234ksdfak3j2erwedfsASdg",
      "CSeq: 36 INVITE",
      "From: sip:user@example.com;tag=11141344",
      "To: sip:user@example.edu;tag=2230",
      "Contact: <sip:user@host198.example.com>",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  ),
  {
    kind: "response",
    status: 200,
    reason: UNREASON,
    callId: "unreason.1234ksdfak3j2erwedfsASdg",
    cseq: [36, "INVITE"],
    vias: 1,
    topBranch: "z9hG4bK1324924",
    fromTag: "11141344",
    toTag: "2230",
    contacts: 1,
    contentType: "application/sdp",
    contentLength: SDP_LEN,
    bodyLength: SDP_LEN,
  },
);

valid(
  "noreason",
  "RFC 4475 §3.1.1.13: an empty Reason-Phrase (the SP after the code is still there)",
  wire([
    "SIP/2.0 100 ",
    "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaof",
    "Call-ID: noreason.asndj203insdf99223ndg",
    "CSeq: 35 INVITE",
    "From: <sip:user@example.com>;tag=39ansfi4",
    "To: <sip:user@example.edu>;tag=902jndnke4",
    "Content-Length: 0",
    "Contact: <sip:user@host105.example.com>",
  ]),
  {
    kind: "response",
    status: 100,
    reason: "",
    callId: "noreason.asndj203insdf99223ndg",
    cseq: [35, "INVITE"],
    vias: 1,
    topBranch: "z9hG4bK2398ndaof",
    contacts: 1,
    contentLength: 0,
    bodyLength: 0,
  },
);

{
  const body = crlfText(`v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.5
s=-
c=IN IP4 192.0.2.5
t=0 0
m=audio 49217 RTP/AVP 0
`);
  valid(
    "inv2543",
    "RFC 4475 §3.4.1: RFC 2543 syntax kept for backward compatibility: no branch, no From tag, no Max-Forwards, no Content-Length (the body is the rest of the datagram)",
    wire(
      [
        "INVITE sip:UserB@example.com SIP/2.0",
        "Via: SIP/2.0/UDP iftgw.example.com",
        "From: <sip:+13035551112@ift.client.example.net;user=phone>",
        "Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>",
        "To: sip:+16505552223@ss1.example.net;user=phone",
        "Call-ID: inv2543.1718@ift.client.example.com",
        "CSeq: 57 INVITE",
        "Content-Type: application/sdp",
      ],
      body,
    ),
    {
      kind: "request",
      method: "INVITE",
      callId: "inv2543.1718@ift.client.example.com",
      cseq: [57, "INVITE"],
      vias: 1,
      topBranch: null,
      maxForwards: null,
      fromTag: null,
      toTag: null,
      recordRoutes: 1,
      toUri: "sip:+16505552223@ss1.example.net",
      toParams: { user: "phone" },
      fromUriUserParam: "phone",
      contentLength: null,
      bodyLength: Buffer.byteLength(body),
      serializedAddsContentLength: true,
    },
  );
}

valid(
  "cparam01",
  "RFC 4475 §3.3.12: Contact in addr-spec form: ';unknownparam' is a contact (header) parameter, not a URI parameter",
  wire([
    "REGISTER sip:example.com SIP/2.0",
    "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuwc",
    "Max-Forwards: 70",
    "From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpf",
    "To: sip:watson@example.com",
    "Call-ID: cparam01.70711@saturn.example.com",
    "CSeq: 3 REGISTER",
    "Contact: sip:+19725552223@gw1.example.net;unknownparam",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "REGISTER",
    callId: "cparam01.70711@saturn.example.com",
    cseq: [3, "REGISTER"],
    vias: 1,
    topBranch: "z9hG4bKkdjuwc",
    contacts: 1,
    contactUris: ["sip:+19725552223@gw1.example.net"],
    contactParams: [{ unknownparam: null }],
    contactUriParams: [{}],
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "cparam02",
  "RFC 4475 §3.3.13: Contact in name-addr form: ';unknownparam' inside <> is a URI parameter",
  wire([
    "REGISTER sip:example.com SIP/2.0",
    "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuwd",
    "Max-Forwards: 70",
    "From: sip:watson@example.com;tag=838293",
    "To: sip:watson@example.com",
    "Call-ID: cparam02.70711@saturn.example.com",
    "CSeq: 4 REGISTER",
    "Contact: <sip:+19725552223@gw1.example.net;unknownparam>",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "REGISTER",
    callId: "cparam02.70711@saturn.example.com",
    cseq: [4, "REGISTER"],
    vias: 1,
    topBranch: "z9hG4bKkdjuwd",
    contacts: 1,
    contactUris: ["sip:+19725552223@gw1.example.net;unknownparam"],
    contactParams: [{}],
    contactUriParams: [{ unknownparam: null }],
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "regescrt",
  "RFC 4475 §3.3.14: a Contact URI with an escaped header (?Route=...) is legal in name-addr form",
  wire([
    "REGISTER sip:example.com SIP/2.0",
    "To: sip:user@example.com",
    "From: sip:user@example.com;tag=8",
    "Max-Forwards: 70",
    "Call-ID: regescrt.k345asrl3fdbv@192.0.2.2",
    "CSeq: 14398235 REGISTER",
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuwe",
    "M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>",
    "L:0",
  ]),
  {
    kind: "request",
    method: "REGISTER",
    callId: "regescrt.k345asrl3fdbv@192.0.2.2",
    cseq: [14398235, "REGISTER"],
    vias: 1,
    topBranch: "z9hG4bKkdjuwe",
    contacts: 1,
    contactUris: ["sip:user@example.com?Route=%3Csip:sip.example.com%3E"],
    contactUriHeaders: [[["Route", "<sip:sip.example.com>"]]],
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "bcast",
  "RFC 4475 §3.3.10: a response whose second Via sent-by is 255.255.255.255; well formed, the transport discards it, the parser must not fail",
  wire([
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324924",
    "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber24",
    "Call-ID: bcast.0384840201235",
    "CSeq: 3 INVITE",
    "From: sip:user@example.com;tag=11141344",
    "To: sip:user@example.edu;tag=2230",
    "Contact: <sip:user@host28.example.com>",
    "l: 0",
  ]),
  {
    kind: "response",
    status: 200,
    reason: "OK",
    callId: "bcast.0384840201235",
    cseq: [3, "INVITE"],
    vias: 2,
    viaHosts: ["192.0.2.198", "255.255.255.255"],
    topBranch: "z9hG4bK1324924",
    contacts: 1,
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "novelsc",
  "RFC 4475 §3.3.3: a Request-URI with a registered but unusual scheme must parse; an element that never takes it answers 416",
  wire([
    "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0",
    "To: sip:user@example.com",
    "From: sip:caller@example.net;tag=384",
    "Max-Forwards: 3",
    "Call-ID: novelsc.asdfasser0q239nwsdfasdkl34",
    "CSeq: 3924 OPTIONS",
    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuwf",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "OPTIONS",
    requestUri: "soap.beep://192.0.2.103:3002",
    requestUriScheme: "soap.beep",
    callId: "novelsc.asdfasser0q239nwsdfasdkl34",
    cseq: [3924, "OPTIONS"],
    vias: 1,
    topBranch: "z9hG4bKkdjuwf",
    contentLength: 0,
    bodyLength: 0,
    validateOptions: { uriSchemes: ["sip", "sips", "tel", "soap.beep"] },
    policies: [{ options: {}, expect: { outcome: "respond", status: 416 }, why: "RFC 4475 §3.3.3 / RFC 3261 §8.2.2.1: a scheme the element does not take" }],
  },
);

valid(
  "unksm2",
  "RFC 4475 §3.3.4: registered non-SIP schemes in To, From and Contact are syntactically valid; a proxy handles the request normally (only a registrar would answer 400)",
  wire([
    "REGISTER sip:example.com SIP/2.0",
    "To: isbn:2983792874",
    "From: <http://www.example.com>;tag=3234234",
    "Call-ID: unksm2.daksdj@hyphenated-host.example.com",
    "CSeq: 234903 REGISTER",
    "Max-Forwards: 70",
    "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuwg",
    "Contact: <name:John_Smith>",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "REGISTER",
    callId: "unksm2.daksdj@hyphenated-host.example.com",
    cseq: [234903, "REGISTER"],
    vias: 1,
    topBranch: "z9hG4bKkdjuwg",
    toUri: "isbn:2983792874",
    toUriScheme: "isbn",
    fromUriScheme: "http",
    fromTag: "3234234",
    contacts: 1,
    contactSchemes: ["name"],
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "bext01",
  "RFC 4475 §3.3.5: unknown Require / Proxy-Require option tags are well formed; a proxy that does not support them answers 420 with Unsupported",
  wire([
    "OPTIONS sip:user@example.com SIP/2.0",
    "To: sip:j_user@example.com",
    "From: sip:caller@example.net;tag=242781",
    "Max-Forwards: 70",
    "Call-ID: bext01.0ha0isndaksdjo",
    "CSeq: 74 OPTIONS",
    "Require: nothingSupportsThis, nothingSupportsThisEither",
    "Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis",
    "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuwh",
    "Content-Length: 0",
  ]),
  {
    kind: "request",
    method: "OPTIONS",
    callId: "bext01.0ha0isndaksdjo",
    cseq: [74, "OPTIONS"],
    vias: 1,
    topBranch: "z9hG4bKkdjuwh",
    require: ["nothingSupportsThis", "nothingSupportsThisEither"],
    proxyRequire: ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"],
    contentLength: 0,
    bodyLength: 0,
    policies: [
      {
        options: { proxyRequireSupported: ["100rel"] },
        expect: { outcome: "respond", status: 420, unsupported: "noProxiesSupportThis, norDoAnyProxiesSupportThis" },
        why: "RFC 3261 §16.3 step 5 / RFC 4475 §3.3.5: 420 Bad Extension listing the tags in Unsupported",
      },
    ],
  },
);

valid(
  "regaut01",
  "RFC 4475 §3.3.7: an Authorization with an unknown scheme is well formed (a registrar answers 401 with a scheme it supports)",
  wire([
    "REGISTER sip:example.com SIP/2.0",
    "To: sip:j.user@example.com",
    "From: sip:j.user@example.com;tag=87321hj23129",
    "Max-Forwards: 8",
    "Call-ID: regaut01.0ha0isndaksdk",
    "CSeq: 9339 REGISTER",
    "Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuwi",
    "Authorization: NoOneKnowsThisScheme opaque-data=here",
    "Content-Length:0",
  ]),
  {
    kind: "request",
    method: "REGISTER",
    callId: "regaut01.0ha0isndaksdk",
    cseq: [9339, "REGISTER"],
    vias: 1,
    topBranch: "z9hG4bKkdjuwi",
    authorization: { scheme: "NoOneKnowsThisScheme", isDigest: false },
    contentLength: 0,
    bodyLength: 0,
  },
);

valid(
  "zeromf",
  "RFC 4475 §3.3.11: Max-Forwards 0 is legal; a proxy answers 483, the final recipient processes the request",
  wire([
    "OPTIONS sip:user@example.com SIP/2.0",
    "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349j",
    "Max-Forwards: 0",
    "To: <sip:user@example.com>",
    "From: <sip:caller@example.net>;tag=3ghsd42",
    "Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfat",
    "CSeq: 39234322 OPTIONS",
    "l: 0",
  ]),
  {
    kind: "request",
    method: "OPTIONS",
    callId: "zeromf.jfasdlfnm2o2l43r5u0asdfat",
    cseq: [39234322, "OPTIONS"],
    maxForwards: 0,
    vias: 1,
    topBranch: "z9hG4bKkdjuw2349j",
    contentLength: 0,
    bodyLength: 0,
    validateOptions: { allowZeroMaxForwards: true },
    policies: [{ options: {}, expect: { outcome: "respond", status: 483 }, why: "RFC 3261 §16.3 step 3 / RFC 4475 §3.3.11: a proxy answers 483 Too Many Hops" }],
  },
);

valid(
  "sdp01",
  "RFC 4475 §3.3.15: an Accept the UA cannot satisfy is well formed (a UA answers 406; a proxy forwards)",
  wire(
    [
      "INVITE sip:user@example.com SIP/2.0",
      "To: sip:j_user@example.com",
      "Contact: <sip:caller@host15.example.net>",
      "From: sip:caller@example.net;tag=234",
      "Max-Forwards: 5",
      "Call-ID: sdp01.ndaksdj9343dasdg",
      "Accept: text/nobodyKnowsThis",
      "CSeq: 8 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuwj",
      "Content-Length: {CL}",
      "Content-Type: application/sdp",
    ],
    SHORT_SDP,
  ),
  {
    kind: "request",
    method: "INVITE",
    callId: "sdp01.ndaksdj9343dasdg",
    cseq: [8, "INVITE"],
    vias: 1,
    topBranch: "z9hG4bKkdjuwj",
    contacts: 1,
    contentType: "application/sdp",
    contentLength: SDP_LEN,
    bodyLength: SDP_LEN,
  },
);

// =============================================================================================
// Torture messages in the spirit of RFC 4475 — invalid (§3.1.2, §3.2, §3.3)
// =============================================================================================

/**
 * `expect` is what the RFC asks for; `alsoAcceptable` lists other outcomes the RFC text explicitly
 * allows ("an element may be liberal and ..."), so the test accepts either but reports which.
 */
function invalid(name, why, bytes, expect, alsoAcceptable) {
  add(`torture-invalid/${name}.dat`, bytes, { why, ...expect, ...(alsoAcceptable ? { alsoAcceptable } : {}) });
}
const R400 = { outcome: "respond", status: 400 };
const OK = { outcome: "ok" };

invalid(
  "badinv01",
  "RFC 4475 §3.1.2.1: empty parameters and list elements in Via (';;,;,,') and Contact (';;;;'): syntactically invalid, an element should respond 400 (the sent-by 192.0.2.15 is readable, so a response can be sent, RFC 3261 §18.2.2)",
  wire(
    [
      "INVITE sip:user@example.com SIP/2.0",
      "To: sip:j.user@example.com",
      "From: sip:caller@example.net;tag=134161461247",
      "Max-Forwards: 7",
      "Call-ID: badinv01.0ha0isndaksdjasdf3235nas",
      "CSeq: 8 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.15;;,;,,",
      'Contact: "Joe" <sip:joe@example.org>;;;;',
      "Content-Length: {CL}",
      "Content-Type: application/sdp",
    ],
    SHORT_SDP,
  ),
  R400,
);

invalid(
  "clerr",
  "RFC 4475 §3.1.2.2 / RFC 3261 §18.3: Content-Length larger than the datagram's body: over UDP answered with 400",
  wire(
    [
      "INVITE sip:user@example.com SIP/2.0",
      "Max-Forwards: 80",
      "To: sip:j.user@example.com",
      "From: sip:caller@example.net;tag=93942939o3",
      "Contact: <sip:caller@hungry.example.net>",
      "Call-ID: clerr.0ha0isndaksdjweiafasdk4",
      "CSeq: 8 INVITE",
      "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23524",
      "Content-Type: application/sdp",
      "Content-Length: 9999",
    ],
    SHORT_SDP,
  ),
  R400,
);

invalid(
  "ncl",
  "RFC 4475 §3.1.2.3: a negative Content-Length: answered with 400",
  wire(
    [
      "INVITE sip:user@example.com SIP/2.0",
      "Max-Forwards: 254",
      "To: sip:j.user@example.com",
      "From: sip:caller@example.net;tag=32395",
      "Call-ID: ncl.0ha0isndaksdj2193423r542w36",
      "CSeq: 0 INVITE",
      "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK-39234-23525",
      "Content-Type: application/sdp",
      "l: -999",
    ],
    SHORT_SDP,
  ),
  R400,
);

invalid(
  "scalar02",
  "RFC 4475 §3.1.2.4: CSeq number over 2**32-1 (RFC 3261 §8.1.1.5: below 2**31), Max-Forwards over 255, Expires and contact expires over 2**32-1: answered with 400 because of the CSeq",
  wire([
    "REGISTER sip:example.com SIP/2.0",
    "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3;received=192.0.2.129",
    "To: <sip:user@example.com>",
    "From: <sip:user@example.com>;tag=239232jh4",
    "CSeq: 36893488147419103233 REGISTER",
    "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui33",
    "Max-Forwards: 300",
    "Expires: 10000000000000000000000000000000000000000000000000000",
    "Contact: <sip:user@host129.example.com>;expires=280297596632816",
    "l: 0",
  ]),
  R400,
);

invalid(
  "scalarlg",
  "RFC 4475 §3.1.2.5: a response with a CSeq number over 2**32-1, a huge Retry-After and a 4-digit warn-code: simply discarded",
  wire([
    "SIP/2.0 503 Service Unavailable",
    "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sx;received=192.0.2.129",
    "To: <sip:user@example.com>",
    "From: <sip:other@example.net>;tag=2easdjfejx",
    "CSeq: 9292394834772304023313 OPTIONS",
    "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2395r",
    "Retry-After: 949302838503028349304023989",
    'Warning: 1812 overture "In Progress"',
    "Content-Length: 0",
  ]),
  { outcome: "drop" },
);

invalid(
  "quotbal",
  "RFC 4475 §3.1.2.6: unterminated quoted display name in To: 400 (an element may try to infer the closing quote)",
  wire(
    [
      "INVITE sip:user@example.com SIP/2.0",
      'To: "Mr. J. User <sip:j.user@example.com>',
      "From: sip:caller@example.net;tag=93335",
      "Max-Forwards: 10",
      "Call-ID: quotbal.aksdj2",
      "Contact: <sip:caller@host59.example.net>",
      "CSeq: 8 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39235",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  ),
  R400,
  [OK],
);

invalid(
  "ltgtruri",
  "RFC 4475 §3.1.2.7: Request-URI enclosed in <>: reasonable always to reject with 400 (liberal elements may ignore the brackets)",
  wire(
    [
      "INVITE <sip:user@example.com> SIP/2.0",
      "To: sip:user@example.com",
      "From: sip:caller@example.net;tag=39292",
      "Max-Forwards: 23",
      "Call-ID: ltgtruri.1@192.0.2.6",
      "CSeq: 1 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.6;branch=z9hG4bKkdjuwk",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  ),
  R400,
  [OK],
);

invalid(
  "lwsruri",
  "RFC 4475 §3.1.2.8: LWS inside the Request-URI ('; lr'): 400",
  wire(
    [
      "INVITE sip:user@example.com; lr SIP/2.0",
      "To: sip:user@example.com;tag=3xfe-9921883-z9f",
      "From: sip:caller@example.net;tag=231414",
      "Max-Forwards: 45",
      "Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk424",
      "CSeq: 2130706433 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395",
      "Contact: <sip:caller@host1.example.net>",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  ),
  R400,
);

invalid(
  "lwsstart",
  "RFC 4475 §3.1.2.9: several SP between Request-Line elements: acceptable to reject as malformed (400); a liberal element may ignore them",
  wire(
    [
      "INVITE  sip:user@example.com  SIP/2.0",
      "Max-Forwards: 8",
      "To: sip:user@example.com",
      "From: sip:caller@example.net;tag=8814",
      "Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com",
      "CSeq: 1893884 INVITE",
      "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923",
      "Contact: <sip:caller@host1.example.net>",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  ),
  R400,
  [OK],
);

invalid(
  "trws",
  "RFC 4475 §3.1.2.10: SP after the SIP-Version at the end of the Request-Line: acceptable to reject (400); a liberal element may ignore it",
  wire([
    "OPTIONS sip:remote-target@example.com SIP/2.0  ",
    "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK299342093",
    "To: <sip:remote-target@example.com>",
    "From: <sip:local-resource@example.com>;tag=329430",
    "Call-ID: trws.oicu34958239neffasdhr2345r",
    "Accept: application/sdp",
    "CSeq: 238924 OPTIONS",
    "Max-Forwards: 70",
    "Content-Length: 0",
  ]),
  R400,
  [OK],
);

invalid(
  "escruri",
  "RFC 4475 §3.1.2.11 / RFC 3261 §19.1.1 Table 1: headers are not allowed in a Request-URI: acceptable to reject with 400; an element may ignore them instead",
  wire(
    [
      "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0",
      "To: sip:user@example.com",
      "From: sip:caller@example.net;tag=341519",
      "Max-Forwards: 7",
      "Contact: <sip:caller@host39923.example.net>",
      "Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n6",
      "CSeq: 392 INVITE",
      "Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuwl",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  ),
  R400,
  [OK],
);

invalid(
  "baddate",
  "RFC 4475 §3.1.2.12: a Date with a non-GMT zone: may be rejected with 400 or the Date ignored",
  wire(
    [
      "INVITE sip:user@example.com SIP/2.0",
      "To: sip:user@example.com",
      "From: sip:caller@example.net;tag=2235",
      "Max-Forwards: 70",
      "Call-ID: baddate.239423mnsadf3j23lj42--sedfnm8",
      "CSeq: 1 INVITE",
      "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuwm",
      "Date: Fri, 01 Jan 2010 16:00:00 EST",
      "Contact: <sip:caller@host5.example.net>",
      "Content-Type: application/sdp",
      "Content-Length: {CL}",
    ],
    SHORT_SDP,
  ),
  R400,
  [OK],
);

invalid(
  "regbadct",
  "RFC 4475 §3.1.2.13 / RFC 3261 §20: a Contact URI with '?' headers must be in name-addr form (<>): reasonable to respond 400",
  wire([
    "REGISTER sip:example.com SIP/2.0",
    "To: sip:user@example.com",
    "From: sip:user@example.com;tag=998332",
    "Max-Forwards: 70",
    "Call-ID: regbadct.k345asrl3fdbv@10.0.0.2",
    "CSeq: 2 REGISTER",
    "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKkdjuwn",
    "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E",
    "l: 0",
  ]),
  R400,
  [OK],
);

invalid(
  "badaspec",
  "RFC 4475 §3.1.2.14: spaces inside the <> of an addr-spec: reasonable to reject with 400",
  wire([
    "OPTIONS sip:user@example.org SIP/2.0",
    "Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43235",
    "Max-Forwards: 70",
    'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433424',
    'To: "Watson, Thomas" < sip:t.watson@example.org >',
    "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne4",
    "Accept: application/sdp",
    "CSeq: 3923240 OPTIONS",
    "l: 0",
  ]),
  R400,
  [OK],
);

invalid(
  "baddn",
  "RFC 4475 §3.1.2.15: unquoted display names with non-token chars (',' in 'Bell, Alexander'): reasonable always to reject with 400",
  wire([
    "OPTIONS sip:t.watson@example.org SIP/2.0",
    "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuwo",
    "Max-Forwards:      70",
    "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=44",
    "To:      Watson, Thomas <sip:t.watson@example.org>",
    "Call-ID: baddn.31416@c.example.com",
    "Accept: application/sdp",
    "CSeq:    3923240 OPTIONS",
    "l: 0",
  ]),
  R400,
  [OK],
);

invalid(
  "badvers",
  "RFC 4475 §3.1.2.16 / RFC 3261 §8.2.6: SIP/7.0: respond 505 Version Not Supported",
  wire([
    "OPTIONS sip:t.watson@example.org SIP/7.0",
    "Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuwp",
    "Max-Forwards:     70",
    "From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpf",
    "To:      T. Watson <sip:t.watson@example.org>",
    "Call-ID: badvers.31417@c.example.com",
    "CSeq:    1 OPTIONS",
    "l: 0",
  ]),
  { outcome: "respond", status: 505 },
);

invalid(
  "mismatch01",
  "RFC 4475 §3.1.2.17 / RFC 3261 §8.1.1.5: CSeq method differs from the start line: 400",
  wire([
    "OPTIONS sip:user@example.com SIP/2.0",
    "To: sip:j.user@example.com",
    "From: sip:caller@example.net;tag=34526",
    "Max-Forwards: 6",
    "Call-ID: mismatch01.dj0234sxdfl3",
    "CSeq: 8 INVITE",
    "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuwq",
    "l: 0",
  ]),
  R400,
);

invalid(
  "mismatch02",
  "RFC 4475 §3.1.2.18: unknown method and a CSeq method that does not match: 501 Not Implemented preferred, 400 also acceptable",
  wire([
    "NEWMETHOD sip:user@example.com SIP/2.0",
    "To: sip:j.user@example.com",
    "From: sip:caller@example.net;tag=34526",
    "Max-Forwards: 6",
    "Call-ID: mismatch02.dj0234sxdfl4",
    "CSeq: 8 INVITE",
    "Contact: <sip:caller@host.example.net>",
    "Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuwr",
    "Content-Type: application/sdp",
    "l: {CL}",
  ], SHORT_SDP),
  { outcome: "respond", status: 501 },
  [R400],
);

invalid(
  "bigcode",
  "RFC 4475 §3.1.2.19 / RFC 3261 §7.2: status code 4294967302 is not 3 digits: the response is dropped (no message to answer: parse error)",
  wire([
    "SIP/2.0 4294967302 better not break the receiver",
    "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaog",
    "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9j",
    "CSeq: 353495 INVITE",
    "From: <sip:user@example.com>;tag=39ansfi4",
    "To: <sip:user@example.edu>;tag=902jndnke4",
    "Content-Length: 0",
    "Contact: <sip:user@host105.example.com>",
  ]),
  { outcome: "parse-error" },
  [{ outcome: "drop" }],
);

invalid(
  "badbranch",
  "RFC 4475 §3.2.1: branch is only the magic cookie 'z9hG4bK': the parser must not break; an element may reject with 400 or fall back to RFC 2543 matching",
  wire([
    "OPTIONS sip:user@example.com SIP/2.0",
    "To: sip:user@example.com",
    "From: sip:caller@example.org;tag=33243",
    "Max-Forwards: 69",
    "Call-ID: badbranch.sadonfo23i420jv0as0derf4",
    "CSeq: 17767 OPTIONS",
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK",
    "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2380aw34",
    "l: 0",
  ]),
  R400,
  [OK],
);

invalid(
  "insuf",
  "RFC 4475 §3.3.1 / RFC 3261 §8.1.1: no Call-ID, From or To: must not break, ideally 400",
  wire(
    [
      "INVITE sip:user@example.com SIP/2.0",
      "CSeq: 193943 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf2",
      "Content-Type: application/sdp",
      "l: {CL}",
    ],
    SHORT_SDP,
  ),
  R400,
);

invalid(
  "unkscm",
  "RFC 4475 §3.3.2 / RFC 3261 §8.2.2.1: an unknown Request-URI scheme parses as a well-formed request and is answered 416 Unsupported URI Scheme",
  wire([
    "OPTIONS nobodyKnowsThisScheme:totallyopaquecontentx SIP/2.0",
    "To: sip:user@example.com",
    "From: sip:caller@example.net;tag=385",
    "Max-Forwards: 3",
    "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl35",
    "CSeq: 3924 OPTIONS",
    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuws",
    "l: 0",
  ]),
  { outcome: "respond", status: 416 },
);

invalid(
  "zeromf-proxy",
  "RFC 4475 §3.3.11 / RFC 3261 §16.3 step 3: a proxy receiving Max-Forwards 0 for someone else answers 483 Too Many Hops",
  wire([
    "INVITE sip:user@example.com SIP/2.0",
    "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349k",
    "Max-Forwards: 0",
    "To: <sip:user@example.com>",
    "From: <sip:caller@example.net>;tag=3ghsd43",
    "Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfau",
    "CSeq: 39234323 INVITE",
    "Contact: <sip:caller@host1.example.com>",
    "l: 0",
  ]),
  { outcome: "respond", status: 483 },
);

invalid(
  "multi01",
  "RFC 4475 §3.3.8 / RFC 3261 §7.3.1: several Call-ID, To, From, Max-Forwards and CSeq values in a request: 400",
  wire(
    [
      "INVITE sip:user@company.com SIP/2.0",
      "Contact: <sip:caller@host25.example.net>",
      "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuwt",
      "Max-Forwards: 70",
      "CSeq: 5 INVITE",
      "Call-ID: multi01.98asdh@192.0.2.1",
      "CSeq: 59 INVITE",
      "Call-ID: multi01.98asdh@192.0.2.2",
      "From: sip:caller@example.com;tag=3413416",
      "To: sip:user@example.com",
      "To: sip:other@example.net",
      "From: sip:caller@example.net;tag=2923420124",
      "Content-Type: application/sdp",
      "l: {CL}",
      "Contact: <sip:caller@host36.example.net>",
      "Max-Forwards: 5",
    ],
    SHORT_SDP,
  ),
  R400,
);

invalid(
  "mcl01",
  "RFC 4475 §3.3.9: two different Content-Length values: no way to know the body length; over UDP answered with 400",
  wire(
    [
      "OPTIONS sip:user@example.com SIP/2.0",
      "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293424",
      "To: <sip:user@example.com>",
      "From: <sip:other@example.net>;tag=3923943",
      "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdg",
      "CSeq: 15933 OPTIONS",
      "Content-Length: 13",
      "Max-Forwards: 60",
      "Content-Length: 5",
      "Content-Type: text/plain",
    ],
    "There's no way to know how many octets are supposed to be here.\r\n",
  ),
  R400,
);

invalid(
  "novia",
  "RFC 3261 §8.1.1.7 / §18.2.2: a request without Via cannot be answered: dropped",
  wire([
    "OPTIONS sip:user@example.com SIP/2.0",
    "To: <sip:user@example.com>",
    "From: <sip:other@example.net>;tag=39239",
    "Call-ID: novia.fhn2323orihawfdoa3o4r52o3irsdh",
    "CSeq: 1 OPTIONS",
    "Max-Forwards: 70",
    "l: 0",
  ]),
  { outcome: "drop" },
);

invalid(
  "nocolon",
  "RFC 3261 §7.3.1 (message-header = field-name HCOLON field-value): a header line without ':' makes the request malformed: 400",
  wire([
    "OPTIONS sip:user@example.com SIP/2.0",
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293426",
    "To: <sip:user@example.com>",
    "This line has no colon",
    "From: <sip:other@example.net>;tag=3923945",
    "Call-ID: nocolon.fhn2323orihawfdoa3o4r52o3irsdi",
    "CSeq: 1 OPTIONS",
    "Max-Forwards: 70",
    "l: 0",
  ]),
  R400,
);

invalid(
  "noend",
  "RFC 3261 §7: a header section without its empty line is not a message (a datagram cut short): parse error",
  Buffer.from(
    ["OPTIONS sip:user@example.com SIP/2.0", "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293425", "To: <sip:user@example.com>", "From: <sip:other@example.net>;tag=3923944", "Call-ID: noend.1", "CSeq: 1 OPTIONS", "Max-Forwards: 70", "l: 0"].join(CRLF) + CRLF,
    "latin1",
  ),
  { outcome: "parse-error" },
);

// =============================================================================================

const root = here;
const sorted = Object.fromEntries(Object.keys(expectations).sort().map((k) => [k, expectations[k]]));
const json = Buffer.from(JSON.stringify(sorted, null, 2) + "\n", "utf8");

if (process.argv.includes("--write")) {
  for (const dir of ["rfc3665", "torture-valid", "torture-invalid"]) {
    rmSync(join(root, dir), { recursive: true, force: true });
    mkdirSync(join(root, dir), { recursive: true });
  }
  for (const [path, bytes] of files) writeFileSync(join(root, path), bytes);
  writeFileSync(join(root, "expectations.json"), json);
  const count = (d) => readdirSync(join(root, d)).length;
  console.log(`wrote ${files.size} messages: rfc3665 ${count("rfc3665")}, torture-valid ${count("torture-valid")}, torture-invalid ${count("torture-invalid")}`);
} else {
  const stale = [];
  const read = (p) => {
    try {
      return readFileSync(join(root, p));
    } catch {
      return undefined;
    }
  };
  for (const [path, bytes] of files) if (!read(path)?.equals(bytes)) stale.push(path);
  if (!read("expectations.json")?.equals(json)) stale.push("expectations.json");
  for (const dir of ["rfc3665", "torture-valid", "torture-invalid"]) {
    for (const f of readdirSync(join(root, dir))) if (!files.has(`${dir}/${f}`)) stale.push(`${dir}/${f} (not generated)`);
  }
  if (stale.length > 0) {
    console.error(`corpus out of date (run with --write):\n  ${stale.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`corpus up to date: ${files.size} messages`);
}
