import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { rmSync } from "node:fs";
import { connect as connectTcp, createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { MemoryBus } from "@sipfleet/bus";
import { Decision, Envelope, PROXY_QUEUE, PROXY_SUBJECT } from "@sipfleet/proto";
import { freePort, writeTestCertificates, type TestCertificates, type TestKeyPair } from "@sipfleet/testing";
import { createResponse, parseMessage, StreamFramer, type SipRequest, type SipResponse } from "@sipfleet/sip";
import { answer, forward, nextRequest, target } from "./forking-fixtures.js";
import { eventually, Inbox, request, sleep, startTestEdge, TcpPeer, testTlsConfig, UdpPeer, type TestEdge } from "./harness.js";

/*
 * Connections the edge opens (RFC 3261 §18.1.1): a stand-in proxy worker forwards to a target
 * no flow names, whose URI says TCP or TLS; the callee is a plain TCP or TLS server on loopback
 * that never connects to the edge itself.
 */

/** What the callee's server read, and the connection it came on. */
interface Received {
  readonly msg: SipRequest | SipResponse;
  readonly socket: Socket;
}

/** A UA that only listens: a TCP or TLS server framing what arrives with the library's StreamFramer. */
class ListeningUa {
  readonly inbox = new Inbox<Received>();
  readonly sockets: Socket[] = [];

  private constructor(private readonly server: Server) {}

  static async listen(tls?: TestKeyPair): Promise<ListeningUa> {
    const server = tls === undefined ? createTcpServer() : createTlsServer({ cert: tls.cert, key: tls.key });
    const ua = new ListeningUa(server);
    server.on(tls === undefined ? "connection" : "secureConnection", (socket: Socket) => ua.accept(socket));
    // A handshake the edge refuses (it does not trust the certificate) is the edge's to report.
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return ua;
  }

  get port(): number {
    const a = this.server.address();
    assert.ok(a !== null && typeof a !== "string");
    return a.port;
  }

  async nextRequest(method: string): Promise<Received & { msg: SipRequest }> {
    for (;;) {
      const r = await this.inbox.next(3000, `${method} at the callee`);
      if (r.msg.isRequest && r.msg.method === method) return r as Received & { msg: SipRequest };
    }
  }

  async nextResponse(): Promise<SipResponse> {
    for (;;) {
      const r = await this.inbox.next(3000, "response at the callee");
      if (!r.msg.isRequest) return r.msg;
    }
  }

  /** Answers on the connection the request came on (RFC 3261 §18.2.2). */
  answer(r: Received & { msg: SipRequest }, status: number): void {
    r.socket.write(createResponse(r.msg, status, { toTag: "callee" }).bytes);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.push(socket);
    const framer = new StreamFramer({
      onMessage: (bytes) => this.inbox.push({ msg: parseMessage(bytes) as SipRequest | SipResponse, socket }),
      onPing: () => {},
    });
    socket.on("data", (chunk: Buffer) => framer.push(chunk));
    socket.on("error", () => {});
  }
}

type Decide = (req: SipRequest, env: Envelope) => Decision;

/** The proxy worker stand-in: answers each request with what `ref.decide` says. */
function stubProxy(bus: MemoryBus, ref: { decide: Decide }): Envelope[] {
  const asked: Envelope[] = [];
  bus.serve(PROXY_SUBJECT, PROXY_QUEUE, (msg) => {
    const env = Envelope.decode(msg.data);
    asked.push(env);
    return Promise.resolve(Decision.encode(ref.decide(parseMessage(Buffer.from(env.message)) as SipRequest, env)).finish());
  });
  return asked;
}

/** Forward to one target that has no flow: the edge goes by its URI. */
function toUri(uri: string): Decision {
  return { action: { $case: "forward", value: forward([{ targets: [target(undefined, uri)] }]) } };
}

/** The final response of one call: an unACKed error response of an earlier one may be resent meanwhile. */
async function finalResponse(peer: UdpPeer, callId: string): Promise<SipResponse> {
  for (;;) {
    const res = await peer.response(5000);
    if (res.status >= 200 && res.callId === callId) return res;
  }
}

async function provisional(peer: UdpPeer, callId: string): Promise<SipResponse> {
  for (;;) {
    const res = await peer.response(5000);
    if (res.status > 100 && res.status < 200 && res.callId === callId) return res;
  }
}

function invite(callId: string): string {
  return request({ method: "INVITE", uri: "sip:bob@example.com", callId, viaParams: ";rport", sentBy: "127.0.0.1:5999" });
}

describe("outbound connections: targets without a flow over TCP and TLS", () => {
  let certs: TestCertificates;
  let t: TestEdge;
  let caller: UdpPeer;
  let asked: Envelope[];
  const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };

  before(async () => {
    certs = writeTestCertificates();
    t = await startTestEdge({
      // The edge verifies TLS servers against the test CA; it has no TLS listener of its own.
      config: { decisionTimeoutMs: 5000, connectTimeoutMs: 500, tls: testTlsConfig(certs, { caFile: true }) },
    });
    asked = stubProxy(t.workerBus, ref);
    caller = await UdpPeer.open();
  });

  after(async () => {
    await caller.close();
    await t.stop();
  });

  const edgeUdp = (): { transport: "udp"; host: string; port: number } => ({ transport: "udp", host: t.address("udp").host, port: t.address("udp").port });

  it("opens a TCP connection to the target, the responses come back through the edge, and the next request reuses it", async () => {
    const ua = await ListeningUa.listen();
    try {
      const target = `sip:ua@127.0.0.1:${ua.port};transport=tcp`;
      ref.decide = () => toUri(target);
      const before = t.edge.stats.tcpConnections;
      caller.send(invite("out-tcp-1"), edgeUdp());
      const inv = await ua.nextRequest("INVITE");
      assert.equal(inv.msg.uriText, target);
      // The Via names the edge's TCP listener, which the callee can reach, not the ephemeral port.
      const tcp = t.address("tcp");
      assert.equal(inv.msg.topVia?.transport, "TCP");
      assert.equal(inv.msg.topVia?.host, tcp.host);
      assert.equal(inv.msg.topVia?.port, tcp.port);
      assert.equal(t.edge.stats.tcpConnections, before + 1, "the connection is in the edge's registry");
      ua.answer(inv, 180);
      assert.equal((await provisional(caller, "out-tcp-1")).status, 180);
      ua.answer(inv, 200);
      assert.equal((await finalResponse(caller, "out-tcp-1")).status, 200);

      // A second request to the same target: the same connection (RFC 3261 §18).
      caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", callId: "out-tcp-2", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), edgeUdp());
      const msg = await ua.nextRequest("MESSAGE");
      assert.equal(msg.socket, inv.socket);
      assert.equal(ua.sockets.length, 1, "one connection");
      ua.answer(msg, 202);
      assert.equal((await finalResponse(caller, "out-tcp-2")).status, 202);

      // The callee's own request on that connection is taken in like one on an accepted connection.
      const n = asked.length;
      ref.decide = () => ({ action: { $case: "respond", value: { status: 200, reason: "", headers: [], body: Buffer.alloc(0), toTag: "edge", credentialsFailed: false } } });
      inv.socket.write(request({ method: "OPTIONS", uri: "sip:bob@example.com", transport: "TCP", sentBy: `127.0.0.1:${ua.port}`, callId: "out-tcp-3" }));
      const res = await ua.nextResponse();
      assert.equal(res.status, 200);
      const env = asked[n];
      assert.ok(env?.flow !== undefined);
      assert.match(env.flow.connectionId, /^tcp\//);
      assert.deepEqual(env.flow.local, { ip: tcp.host, port: tcp.port });
      assert.deepEqual(env.flow.remote, { ip: "127.0.0.1", port: ua.port });
    } finally {
      await ua.close();
    }
  });

  it("opens a TLS connection to a sips: target, verifying its certificate against the configured CA", async () => {
    const ua = await ListeningUa.listen(certs.server);
    try {
      ref.decide = () => toUri(`sips:ua@127.0.0.1:${ua.port}`);
      caller.send(invite("out-tls-1"), edgeUdp());
      const inv = await ua.nextRequest("INVITE");
      assert.equal(inv.msg.topVia?.transport, "TLS");
      ua.answer(inv, 486);
      assert.equal((await finalResponse(caller, "out-tls-1")).status, 486);
      // The ACK for the 486 is hop by hop (RFC 3261 §17.1.1.3): the edge sends it on the connection.
      const ack = await ua.nextRequest("ACK");
      assert.equal(ack.socket, inv.socket);
    } finally {
      await ua.close();
    }
  });

  it("a TLS server the CA does not vouch for is not talked to: the caller gets the transport failure's 500", async () => {
    const ua = await ListeningUa.listen(certs.stranger);
    try {
      ref.decide = () => toUri(`sip:ua@127.0.0.1:${ua.port};transport=tls`);
      caller.send(invite("out-tls-2"), edgeUdp());
      assert.equal((await finalResponse(caller, "out-tls-2")).status, 500);
      assert.equal(ua.inbox.length, 0);
      assert.ok(t.logger.lines.some((l) => l.msg === "outbound connection failed"));
    } finally {
      await ua.close();
    }
  });

  it("a refused connection: the caller gets 500 (§16.7 step 6, the only outcome was a 503), and the edge keeps serving", async () => {
    const port = await freePort();
    ref.decide = () => toUri(`sip:ua@127.0.0.1:${port};transport=tcp`);
    caller.send(invite("out-refused-1"), edgeUdp());
    assert.equal((await finalResponse(caller, "out-refused-1")).status, 500);

    const ua = await ListeningUa.listen();
    try {
      ref.decide = () => toUri(`sip:ua@127.0.0.1:${ua.port};transport=tcp`);
      caller.send(invite("out-refused-2"), edgeUdp());
      const inv = await ua.nextRequest("INVITE");
      ua.answer(inv, 603);
      assert.equal((await finalResponse(caller, "out-refused-2")).status, 603);
    } finally {
      await ua.close();
    }
  });

  it("a connect that does not finish in connectTimeoutMs fails the branch (a TLS target that never answers the handshake)", async () => {
    // A plain TCP server: the edge's ClientHello is never answered.
    const silent = await ListeningUa.listen();
    try {
      ref.decide = () => toUri(`sip:ua@127.0.0.1:${silent.port};transport=tls`);
      caller.send(invite("out-timeout-1"), edgeUdp());
      assert.equal((await finalResponse(caller, "out-timeout-1")).status, 500);
      assert.ok(t.logger.lines.some((l) => l.msg === "outbound connection failed" && /within 500 ms/.test(String((l.obj as { reason?: unknown }).reason))));
    } finally {
      await silent.close();
    }
  });

  it("a WebSocket target without a flow is refused: the edge opens no WebSocket connections", async () => {
    const port = await freePort();
    ref.decide = () => toUri(`sip:ua@127.0.0.1:${port};transport=ws`);
    caller.send(invite("out-ws-1"), edgeUdp());
    assert.equal((await finalResponse(caller, "out-ws-1")).status, 500);
    assert.ok(t.logger.lines.some((l) => l.msg === "branch not sent" && /opens no WebSocket connections/.test(String((l.obj as { reason?: unknown }).reason))));
  });
});

describe("outbound connections: one connect per target", () => {
  it("two requests for one target while its connection is being opened share that one connect", async () => {
    const certs = writeTestCertificates();
    const t = await startTestEdge({ config: { decisionTimeoutMs: 5000, connectTimeoutMs: 5000, tls: testTlsConfig(certs, { caFile: true }) } });
    const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };
    const asked = stubProxy(t.workerBus, ref);
    const caller = await UdpPeer.open();
    const ua = await ListeningUa.listen(certs.server);
    // A gate in front of the TLS callee holds each TCP connection, unread, until released: the
    // edge's TLS handshake, and so its connect, stays in progress meanwhile.
    const gated: Socket[] = [];
    const piped: Socket[] = [];
    const gate = createTcpServer((socket) => {
      socket.pause();
      socket.on("error", () => {});
      gated.push(socket);
    });
    await new Promise<void>((resolve) => gate.listen(0, "127.0.0.1", resolve));
    const gatePort = (gate.address() as { port: number }).port;
    try {
      ref.decide = () => toUri(`sips:ua@127.0.0.1:${gatePort}`);
      caller.send(invite("out-share-1"), t.address("udp"));
      caller.send(invite("out-share-2"), t.address("udp"));
      await eventually(() => asked.length === 2 && gated.length >= 1, 3000, "both decisions and a connect under way");
      // Time for the second decision to reach the connect step while the first connect is held.
      await sleep(200);
      assert.equal(gated.length, 1, "one TCP connect for both requests");
      for (const g of gated) {
        const up = connectTcp(ua.port, "127.0.0.1");
        up.on("error", () => {});
        piped.push(up);
        g.pipe(up).pipe(g);
        g.resume();
      }
      const first = await ua.nextRequest("INVITE");
      const second = await ua.nextRequest("INVITE");
      assert.deepEqual([first.msg.callId, second.msg.callId].sort(), ["out-share-1", "out-share-2"]);
      assert.equal(ua.sockets.length, 1, "both requests on one connection");
      assert.equal(second.socket, first.socket);
      ua.answer(first, 486);
      assert.equal((await finalResponse(caller, first.msg.callId)).status, 486);
      ua.answer(second, 486);
      assert.equal((await finalResponse(caller, second.msg.callId)).status, 486);
    } finally {
      for (const s of [...gated, ...piped]) s.destroy();
      await new Promise<void>((resolve) => gate.close(() => resolve()));
      await ua.close();
      await caller.close();
      await t.stop();
      rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});

describe("outbound connections: idle ones close", () => {
  it("a connection the edge opened closes after outboundIdleTimeoutMs without traffic", async () => {
    const t = await startTestEdge({ config: { decisionTimeoutMs: 5000, outboundIdleTimeoutMs: 200 } });
    const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };
    stubProxy(t.workerBus, ref);
    const caller = await UdpPeer.open();
    const ua = await ListeningUa.listen();
    try {
      ref.decide = () => toUri(`sip:ua@127.0.0.1:${ua.port};transport=tcp`);
      caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", callId: "idle-1", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), t.address("udp"));
      const msg = await ua.nextRequest("MESSAGE");
      ua.answer(msg, 200);
      assert.equal((await finalResponse(caller, "idle-1")).status, 200);
      let closed = false;
      msg.socket.once("close", () => (closed = true));
      await eventually(() => closed && t.edge.stats.tcpConnections === 0, 5000, "the idle connection to close");
    } finally {
      await ua.close();
      await caller.close();
      await t.stop();
    }
  });
});

describe("responses after the request's connection closed (RFC 3261 §18.2.2)", () => {
  it("the edge connects to the Via's sent-by port at the source address and sends the responses there", async () => {
    const t = await startTestEdge({ config: { decisionTimeoutMs: 5000 } });
    const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };
    stubProxy(t.workerBus, ref);
    // The caller listens on `home` (its Via sent-by) and sends from another, ephemeral port.
    const home = await ListeningUa.listen();
    const callee = await UdpPeer.open();
    const tcp = t.address("tcp");
    const caller = await TcpPeer.connect(tcp);
    try {
      ref.decide = () => toUri(`sip:callee@127.0.0.1:${callee.port}`);
      caller.socket.write(request({ method: "INVITE", uri: "sip:bob@example.com", transport: "TCP", sentBy: `127.0.0.1:${home.port}`, callId: "reconnect-1" }));
      const inv = await nextRequest(callee, "INVITE");
      // The caller's connection goes away while the call rings.
      caller.socket.destroy();
      await eventually(() => t.edge.stats.tcpConnections === 0, 5000, "the edge to see the connection close");

      answer(callee, inv, 180, "callee", t.address("udp"));
      const ringing = await home.nextResponse();
      assert.equal(ringing.status, 180);
      assert.equal(ringing.callId, "reconnect-1");
      answer(callee, inv, 200, "callee", t.address("udp"));
      const ok = await home.nextResponse();
      assert.equal(ok.status, 200);
      // One connection, opened by the edge, carried both (reused, RFC 3261 §18).
      assert.equal(home.sockets.length, 1);
    } finally {
      caller.socket.destroy();
      await home.close();
      await callee.close();
      await t.stop();
    }
  });

  it("a Via that names another transport than the connection's is no way back: the response is not sent", async () => {
    const t = await startTestEdge({ config: { decisionTimeoutMs: 5000 } });
    const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };
    stubProxy(t.workerBus, ref);
    const home = await ListeningUa.listen();
    const callee = await UdpPeer.open();
    const caller = await TcpPeer.connect(t.address("tcp"));
    try {
      ref.decide = () => toUri(`sip:callee@127.0.0.1:${callee.port}`);
      caller.socket.write(request({ method: "INVITE", uri: "sip:bob@example.com", transport: "UDP", sentBy: `127.0.0.1:${home.port}`, callId: "reconnect-2" }));
      const inv = await nextRequest(callee, "INVITE");
      caller.socket.destroy();
      await eventually(() => t.edge.stats.tcpConnections === 0, 5000, "the edge to see the connection close");
      answer(callee, inv, 180, "callee", t.address("udp"));
      await eventually(() => t.logger.lines.some((l) => l.msg === "response could not be sent"), 5000, "the transport error to be logged");
      assert.equal(home.sockets.length, 0, "nothing connected to the Via's address");
    } finally {
      await home.close();
      await callee.close();
      await t.stop();
    }
  });
});
