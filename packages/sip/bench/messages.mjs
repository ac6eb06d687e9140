// Realistic SIP messages for the parser benchmark (CRLF line endings, Content-Length exact).
// Each entry carries the values a correct parser must read from it, so the benchmark can check
// that every implementation did the same work before timing it.

const CRLF = "\r\n";

/** Joins header lines and a body into a message Buffer with an exact Content-Length. */
function message(startLine, headers, body = "") {
  const bodyBytes = Buffer.from(body, "utf8");
  const head = [startLine, ...headers, `Content-Length: ${bodyBytes.length}`].join(CRLF) + CRLF + CRLF;
  return Buffer.concat([Buffer.from(head, "latin1"), bodyBytes]);
}

function sdp(lines) {
  return lines.join(CRLF) + CRLF;
}

const INVITE_SDP = sdp([
  "v=0",
  "o=alice 2890844526 2890844526 IN IP4 192.0.2.101",
  "s=-",
  "c=IN IP4 192.0.2.101",
  "t=0 0",
  "m=audio 49170 RTP/AVP 9 0 8 101",
  "a=rtcp:49171",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=ptime:20",
  "a=maxptime:150",
  "a=sendrecv",
]);

/** An INVITE from a UA behind an outbound proxy (pre-loaded Route), with an SDP offer. */
const invite = message(
  "INVITE sip:bob@biloxi.example.com SIP/2.0",
  [
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport",
    "Max-Forwards: 70",
    "Route: <sip:edge1.sipfleet.example.net;lr>",
    "To: Bob <sip:bob@biloxi.example.com>",
    'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com",
    "CSeq: 314159 INVITE",
    "Contact: <sip:alice@192.0.2.101:5060;transport=udp>",
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, UPDATE",
    "Supported: replaces, timer",
    "Accept: application/sdp",
    "User-Agent: ExamplePhone/5.2.1",
    "Content-Type: application/sdp",
  ],
  INVITE_SDP,
);

/** A REGISTER from an RFC 5626 (outbound) UA. */
const register = message(
  "REGISTER sip:biloxi.example.com SIP/2.0",
  [
    "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7;rport",
    "Max-Forwards: 70",
    "To: Bob <sip:bob@biloxi.example.com>",
    "From: Bob <sip:bob@biloxi.example.com>;tag=456248",
    "Call-ID: 843817637684230@998sdasdh09",
    "CSeq: 1826 REGISTER",
    'Contact: <sip:bob@192.0.2.4:5060;transport=udp;ob>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1',
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, UPDATE",
    "Supported: path, outbound, gruu",
    "User-Agent: ExamplePhone/5.2.1",
  ],
);

const OK_SDP = sdp([
  "v=0",
  "o=bob 2808844564 2808844564 IN IP4 192.0.2.4",
  "s=-",
  "c=IN IP4 192.0.2.4",
  "t=0 0",
  "m=audio 3456 RTP/AVP 0 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=ptime:20",
  "a=sendrecv",
]);

/** The 200 OK to that INVITE as it comes back to the edge proxy (two Vias, two Record-Routes). */
const ok = message(
  "SIP/2.0 200 OK",
  [
    "Via: SIP/2.0/UDP edge1.sipfleet.example.net;branch=z9hG4bK2d4790.1",
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport=5060;received=203.0.113.7",
    "Record-Route: <sip:core2.sipfleet.example.net;lr>",
    "Record-Route: <sip:edge1.sipfleet.example.net;lr>",
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf",
    'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com",
    "CSeq: 314159 INVITE",
    "Contact: <sip:bob@192.0.2.4:5060;transport=udp>",
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, UPDATE",
    "Supported: replaces, timer",
    "Content-Type: application/sdp",
  ],
  OK_SDP,
);

/**
 * name: label in the tables; buf: the bytes as a socket delivers them; isRequest: forwarding a
 * request adds a Via and decrements Max-Forwards, forwarding a response removes the top Via
 * (RFC 3261 §16.6 / §16.7); expect: the routing fields every parser must read.
 */
export const MESSAGES = [
  {
    name: "INVITE",
    buf: invite,
    isRequest: true,
    expect: {
      viaBranch: "z9hG4bK776asdhds", viaHost: "192.0.2.101", viaPort: 5060,
      fromTag: "1928301774", fromUser: "alice", fromHost: "atlanta.example.com",
      toTag: undefined, toUser: "bob", toHost: "biloxi.example.com",
      callId: "a84b4c76e66710@pc33.atlanta.example.com", cseqSeq: 314159, cseqMethod: "INVITE",
      maxForwards: 70,
      routeHosts: ["edge1.sipfleet.example.net"],
      rrHosts: [],
      contactUsers: ["alice"], contactHosts: ["192.0.2.101"],
    },
  },
  {
    name: "REGISTER",
    buf: register,
    isRequest: true,
    expect: {
      viaBranch: "z9hG4bKnashds7", viaHost: "192.0.2.4", viaPort: 5060,
      fromTag: "456248", fromUser: "bob", fromHost: "biloxi.example.com",
      toTag: undefined, toUser: "bob", toHost: "biloxi.example.com",
      callId: "843817637684230@998sdasdh09", cseqSeq: 1826, cseqMethod: "REGISTER",
      maxForwards: 70,
      routeHosts: [],
      rrHosts: [],
      contactUsers: ["bob"], contactHosts: ["192.0.2.4"],
    },
  },
  {
    name: "200 OK",
    buf: ok,
    isRequest: false,
    expect: {
      viaBranch: "z9hG4bK2d4790.1", viaHost: "edge1.sipfleet.example.net", viaPort: undefined,
      fromTag: "1928301774", fromUser: "alice", fromHost: "atlanta.example.com",
      toTag: "a6c85cf", toUser: "bob", toHost: "biloxi.example.com",
      callId: "a84b4c76e66710@pc33.atlanta.example.com", cseqSeq: 314159, cseqMethod: "INVITE",
      maxForwards: undefined,
      routeHosts: [],
      rrHosts: ["core2.sipfleet.example.net", "edge1.sipfleet.example.net"],
      contactUsers: ["bob"], contactHosts: ["192.0.2.4"],
    },
  },
];

/** The Via a forwarding proxy puts on top (same for every implementation). */
export const PROXY_VIA = { transport: "UDP", host: "10.0.0.1", port: 5060, branch: "z9hG4bK-sf-7c2e9a41d0" };
export const PROXY_VIA_TEXT = `SIP/2.0/${PROXY_VIA.transport} ${PROXY_VIA.host}:${PROXY_VIA.port};branch=${PROXY_VIA.branch}`;
