import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Transport } from "@sipfleet/proto";
import { parseMessage, type SipResponse } from "@sipfleet/sip";
import { writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { eventually, request, startTestEdge, stubRegistrar, TcpPeer, testTlsConfig, WsPeer, type Asked, type TestEdge } from "./harness.js";

/** RFC 7118 §5.2 / §5.4: a browser client's Via names the WS transport and a made-up .invalid host. */
const WS_VIA = { transport: "WS", sentBy: "df7jal23ls0d.invalid", viaParams: ";rport" } as const;

describe("WebSocket listeners (RFC 7118)", () => {
  let certs: TestCertificates;
  let t: TestEdge;
  let asked: Asked[];

  before(async () => {
    certs = writeTestCertificates();
    t = await startTestEdge({
      config: {
        listen: [
          { transport: "udp", host: "127.0.0.1", port: 0 },
          { transport: "ws", host: "127.0.0.1", port: 0 },
          { transport: "wss", host: "127.0.0.1", port: 0 },
        ],
        tls: testTlsConfig(certs),
      },
    });
    asked = stubRegistrar(t.workerBus, () => ({
      status: 200,
      reason: "Registered",
      headers: [{ name: "Contact", value: "<sip:alice@df7jal23ls0d.invalid;transport=ws>;expires=600" }],
    }));
  });

  after(async () => {
    await t.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  const ws = (): Promise<WsPeer> => WsPeer.connect(WsPeer.url(t.address("ws")));
  const wss = (): Promise<WsPeer> => WsPeer.connect(WsPeer.url(t.address("wss")), ["sip"], { ca: certs.ca.cert });

  it("ws: OPTIONS to the platform gets 200 in one text message, on the connection, not to the Via's .invalid host", async () => {
    const peer = await ws();
    try {
      await peer.send(request({ method: "OPTIONS", ...WS_VIA }));
      const frame = await peer.frames.next();
      assert.equal(frame.isBinary, false, "UTF-8 text: a text frame");
      const res = parseMessage(frame.data) as SipResponse;
      assert.equal(res.status, 200);
      assert.equal(res.header("Content-Length"), "0", "the whole response in this one message");
      assert.equal(res.topVia?.host, "df7jal23ls0d.invalid");
      assert.equal(res.topVia?.transport, "WS");
      assert.equal(res.topVia?.received, "127.0.0.1");
      assert.equal(peer.ws.protocol, "sip", "the subprotocol was agreed");
    } finally {
      peer.close();
    }
  });

  it("wss: the same over TLS, the edge's certificate verified by the client", async () => {
    const peer = await wss();
    try {
      await peer.send(request({ method: "OPTIONS", ...WS_VIA, transport: "WSS" }));
      assert.equal((await peer.response()).status, 200);
    } finally {
      peer.close();
    }
  });

  it("a binary message and a message without Content-Length are SIP messages too (§5.1: the message bounds it)", async () => {
    const peer = await ws();
    try {
      await peer.send(Buffer.from(request({ method: "OPTIONS", ...WS_VIA }), "latin1"), true);
      assert.equal((await peer.response()).status, 200);
      await peer.send(request({ method: "OPTIONS", ...WS_VIA }).replace(/Content-Length: 0\r\n/, ""));
      assert.equal((await peer.response()).status, 200);
    } finally {
      peer.close();
    }
  });

  it("REGISTER over ws reaches the registrar with a flow of transport WS and the connection's id", async () => {
    const peer = await ws();
    try {
      const text = request({ ...WS_VIA, extra: [] }).replace("Contact: <sip:alice@192.0.2.10:5060>", "Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>");
      await peer.send(text);
      const res = await peer.response();
      assert.equal(res.status, 200);
      assert.equal(res.header("Contact"), "<sip:alice@df7jal23ls0d.invalid;transport=ws>;expires=600");
      const last = asked.at(-1) as Asked;
      assert.deepEqual(last.envelope.message, Buffer.from(text, "latin1"), "bytes as received");
      const flow = last.envelope.flow;
      assert.equal(flow?.transport, Transport.TRANSPORT_WS);
      assert.match(flow?.connectionId ?? "", /^ws\/[0-9a-f]+\.\d+$/);
      assert.equal(flow?.remote?.ip, "127.0.0.1");
      assert.equal(flow?.local?.port, t.address("ws").port);

      // The same connection keeps its id; wss is WSS with an id of its own.
      await peer.send(request({ ...WS_VIA }));
      await peer.response();
      assert.equal(asked.at(-1)?.envelope.flow?.connectionId, flow?.connectionId);
      const secure = await wss();
      await secure.send(request({ ...WS_VIA, transport: "WSS" }));
      await secure.response();
      secure.close();
      assert.equal(asked.at(-1)?.envelope.flow?.transport, Transport.TRANSPORT_WSS);
      assert.match(asked.at(-1)?.envelope.flow?.connectionId ?? "", /^wss\//);
    } finally {
      peer.close();
    }
  });

  it("a CRLFCRLF keep-alive message gets a CRLF message", async () => {
    const peer = await ws();
    try {
      await peer.send("\r\n\r\n");
      const pong = await peer.frames.next();
      assert.equal(pong.data.toString("latin1"), "\r\n");
    } finally {
      peer.close();
    }
  });

  it("refuses the upgrade without the subprotocol sip (§4.1)", async () => {
    await assert.rejects(WsPeer.connect(WsPeer.url(t.address("ws")), []), /Unexpected server response: 400/);
    await assert.rejects(WsPeer.connect(WsPeer.url(t.address("ws")), ["chat", "SIP"]), /Unexpected server response: 400/);
    const either = await WsPeer.connect(WsPeer.url(t.address("ws"), "/any/path"), ["chat", "sip"]);
    assert.equal(either.ws.protocol, "sip");
    either.close();
  });

  it("plain HTTP gets 426 Upgrade Required", async () => {
    const res = await fetch(`http://127.0.0.1:${t.address("ws").port}/`);
    assert.equal(res.status, 426);
    assert.equal(res.headers.get("upgrade"), "websocket");
  });

  it("a message over maxMessageSize closes the connection with 1009; the edge keeps serving", async () => {
    const peer = await ws();
    try {
      await peer.send(request({ method: "OPTIONS", ...WS_VIA, body: "x".repeat(5000) })).catch(() => {});
      await eventually(() => peer.closed, 2000, "the connection to close");
      assert.equal(peer.closeCode, 1009, "Message Too Big");
      assert.ok(t.logger.has("warn", /ws message over maxMessageSize/));
    } finally {
      peer.close();
    }
    const fresh = await ws();
    try {
      await fresh.send(request({ method: "OPTIONS", ...WS_VIA }));
      assert.equal((await fresh.response()).status, 200);
    } finally {
      fresh.close();
    }
  });
});

describe("WebSocket connections: idle timeout, shared cap, graceful stop", () => {
  it("an idle connection is closed after the idle timeout", async () => {
    const t = await startTestEdge({ tcpIdleTimeoutMs: 300, config: { listen: [{ transport: "ws", host: "127.0.0.1", port: 0 }] } });
    try {
      const peer = await WsPeer.connect(WsPeer.url(t.address("ws")));
      await eventually(() => peer.closed, 5000, "the idle connection to close");
      assert.equal(peer.closeCode, 1000);
      await eventually(() => t.edge.stats.tcpConnections === 0, 2000, "the registry to forget it");
    } finally {
      await t.stop();
    }
  });

  it("TCP and WebSocket connections count against one cap", async () => {
    const t = await startTestEdge({
      maxTcpConnections: 2,
      config: {
        listen: [
          { transport: "tcp", host: "127.0.0.1", port: 0 },
          { transport: "ws", host: "127.0.0.1", port: 0 },
        ],
      },
    });
    const open: { close(): void }[] = [];
    try {
      open.push(await TcpPeer.connect(t.address("tcp")));
      open.push(await WsPeer.connect(WsPeer.url(t.address("ws"))));
      await eventually(() => t.edge.stats.tcpConnections === 2, 2000, "two connections");
      assert.equal(t.edge.stats.connectionsRefused, 0);
      // The edge is full at accept: the socket is closed before any HTTP answer (no upgrade work).
      await assert.rejects(WsPeer.connect(WsPeer.url(t.address("ws"))), (e: NodeJS.ErrnoException) => {
        assert.ok(e.code === "ECONNRESET" || e.code === "EPIPE", `closed without an answer, not ${e.message}`);
        return true;
      });
      assert.equal(t.edge.stats.connectionsRefused, 1, "the upgrade refused at the cap is counted");
      const third = await TcpPeer.connect(t.address("tcp"));
      open.push(third);
      await eventually(() => third.closed, 2000, "the third TCP connection to be refused");
      assert.equal(t.edge.stats.connectionsRefused, 2);
    } finally {
      for (const p of open) p.close();
      await t.stop();
    }
  });

  it("stop(): the answer in flight goes out, then TLS and WebSocket connections are closed gracefully", async () => {
    const certs = writeTestCertificates();
    const t = await startTestEdge({
      config: {
        decisionTimeoutMs: 5000,
        listen: [
          { transport: "tls", host: "127.0.0.1", port: 0 },
          { transport: "ws", host: "127.0.0.1", port: 0 },
          { transport: "wss", host: "127.0.0.1", port: 0 },
        ],
        tls: testTlsConfig(certs),
      },
    });
    const releases: (() => void)[] = [];
    const asked = stubRegistrar(t.workerBus, () => new Promise((resolve) => releases.push(() => resolve({ status: 200 }))));
    const tls = await TcpPeer.connectTls(t.address("tls"), { ca: certs.ca.cert });
    const ws = await WsPeer.connect(WsPeer.url(t.address("ws")));
    const wss = await WsPeer.connect(WsPeer.url(t.address("wss")), ["sip"], { ca: certs.ca.cert });
    let tlsEnded = false;
    tls.socket.on("end", () => (tlsEnded = true));
    try {
      await ws.send(request({ ...WS_VIA, callId: "in-flight-ws" }));
      await eventually(() => asked.length === 1, 2000, "the decision asked");
      const stopping = t.edge.stop();
      // New connections are refused while the answer is awaited.
      await assert.rejects(WsPeer.connect(WsPeer.url(t.address("ws"))));
      for (const r of releases) r();
      const res = await ws.response();
      assert.equal(res.callId, "in-flight-ws");
      assert.equal(res.status, 200);
      await stopping;
      await eventually(() => ws.closed && wss.closed && tls.closed, 2000, "every connection to close");
      assert.equal(ws.closeCode, 1001, "Going Away: a close frame, not a dropped socket");
      assert.equal(wss.closeCode, 1001);
      assert.equal(tlsEnded, true, "TLS ended by the edge (close_notify and FIN), not reset");
    } finally {
      tls.close();
      ws.close();
      wss.close();
      await t.workerBus.close();
      await t.edgeBus.close();
      rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});
