import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { connect as connectTcp } from "node:net";
import { after, before, describe, it } from "node:test";
import type { ListenTransport } from "@sipfleet/config";
import { Transport } from "@sipfleet/proto";
import { parseMessage, type SipRequest } from "@sipfleet/sip";
import { writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { ConnectionRegistry, type Connection, type ConnectionListener, type ListenerContext } from "./connection.js";
import { ConnectionIds } from "./flow.js";
import { eventually, Inbox, RecordingLogger, request, startTestEdge, TcpPeer, testTlsConfig, WsPeer } from "./harness.js";
import { SourceLimit } from "./source-limit.js";
import { StreamListener } from "./stream-listener.js";
import { serverTlsOptions } from "./tls-options.js";
import { WebSocketListener } from "./websocket-listener.js";

/**
 * The four connection transports behind one registry, without the rest of the edge: what later
 * code relies on to send a request to a registered flow without caring how it is carried.
 */
describe("ConnectionRegistry across TCP, TLS, WS and WSS", () => {
  let certs: TestCertificates;
  const received = new Inbox<{ bytes: Buffer; conn: Connection }>();
  let registry: ConnectionRegistry;
  const listeners = new Map<ListenTransport, ConnectionListener>();

  before(async () => {
    certs = writeTestCertificates();
    registry = new ConnectionRegistry(10);
    const logger = new RecordingLogger();
    const ctx: ListenerContext = {
      handler: { onStreamMessage: (bytes, conn) => received.push({ bytes, conn }) },
      registry,
      sources: new SourceLimit(32, logger),
      ids: new ConnectionIds("test"),
      edgeId: "edge-test",
      logger,
      options: {
        idleTimeoutMs: 60_000,
        maxWriteBufferBytes: 1 << 20,
        closeGraceMs: 1000,
        maxMessageSize: 4096,
        maxHeaderSize: 4096,
        handshakeTimeoutMs: 10_000,
        partialMessageTimeoutMs: 10_000,
      },
    };
    const tls = serverTlsOptions(testTlsConfig(certs));
    listeners.set("tcp", await StreamListener.listen("tcp", "127.0.0.1", 0, ctx));
    listeners.set("tls", await StreamListener.listen("tls", "127.0.0.1", 0, ctx, tls));
    listeners.set("ws", await WebSocketListener.listen("ws", "127.0.0.1", 0, ctx, undefined));
    listeners.set("wss", await WebSocketListener.listen("wss", "127.0.0.1", 0, ctx, tls));
  });

  after(async () => {
    for (const l of listeners.values()) l.stopAccepting();
    await registry.closeAll();
    await Promise.all([...listeners.values()].map((l) => l.close()));
    rmSync(certs.dir, { recursive: true, force: true });
  });

  const address = (transport: ListenTransport) => {
    const l = listeners.get(transport);
    assert.ok(l);
    return { transport, host: l.localIp, port: l.localPort };
  };

  const cases = [
    { transport: "tcp", wire: Transport.TRANSPORT_TCP },
    { transport: "tls", wire: Transport.TRANSPORT_TLS },
    { transport: "ws", wire: Transport.TRANSPORT_WS },
    { transport: "wss", wire: Transport.TRANSPORT_WSS },
  ] as const;

  for (const { transport, wire } of cases) {
    it(`${transport}: the connection is found by its flow's id, and a request sent through the registry reaches the client`, async () => {
      const a = address(transport);
      let next: () => Promise<Buffer>;
      let write: (text: string) => Promise<void>;
      let close: () => void;
      if (transport === "tcp" || transport === "tls") {
        const peer = transport === "tcp" ? await TcpPeer.connect(a) : await TcpPeer.connectTls(a, { ca: certs.ca.cert });
        const requests = new Inbox<Buffer>();
        // The edge sends requests here, which TcpPeer's framer would parse as responses.
        peer.socket.removeAllListeners("data");
        peer.socket.on("data", (chunk: Buffer) => requests.push(chunk));
        next = () => requests.next();
        write = (text) => peer.write(text);
        close = () => peer.close();
      } else {
        const peer = await WsPeer.connect(WsPeer.url(a), ["sip"], { ca: certs.ca.cert });
        next = async () => (await peer.frames.next()).data;
        write = (text) => peer.send(text);
        close = () => peer.close();
      }
      let id = "";
      try {
        await write(request({ transport: transport.toUpperCase() as "TCP" }));
        const { conn } = await received.next();
        id = conn.id;
        const flow = conn.flow();
        assert.equal(flow.transport, wire);
        assert.equal(flow.edgeId, "edge-test");
        assert.ok(flow.connectionId.startsWith(`${transport}/test.`), flow.connectionId);
        const found = registry.get(flow.connectionId);
        assert.equal(found, conn);
        assert.equal(found?.reliable, true);
        assert.equal(found?.isOpen, true);

        // What a proxy will do for a request to a UA registered over this flow.
        const invite = request({ method: "INVITE", uri: "sip:alice@192.0.2.10", transport: "UDP", sentBy: "edge.example.com", callId: `to-${transport}` });
        found?.send(Buffer.from(invite, "latin1"));
        const got = parseMessage(await next()) as SipRequest;
        assert.equal(got.method, "INVITE");
        assert.equal(got.callId, `to-${transport}`);
      } finally {
        close();
      }
      await eventually(() => registry.get(id) === undefined, 2000, "the closed connection to leave the registry");
    });
  }
});

/** Plain TCP sockets to each listener that never start a TLS handshake or an upgrade request. */
async function silentSockets(ports: readonly number[]): Promise<{ closed: boolean }[]> {
  return Promise.all(
    ports.map(
      (port) =>
        new Promise<{ closed: boolean }>((resolve, reject) => {
          const state = { closed: false };
          const s = connectTcp(port, "127.0.0.1", () => resolve(state));
          s.on("close", () => (state.closed = true));
          s.on("error", reject);
        }),
    ),
  );
}

describe("handshakes that never finish", () => {
  it("are dropped after the handshake timeout (the idle timeout when shorter)", async () => {
    const certs = writeTestCertificates();
    const t = await startTestEdge({
      tcpIdleTimeoutMs: 300,
      config: {
        listen: [
          { transport: "tls", host: "127.0.0.1", port: 0 },
          { transport: "ws", host: "127.0.0.1", port: 0 },
          { transport: "wss", host: "127.0.0.1", port: 0 },
        ],
        tls: testTlsConfig(certs),
      },
    });
    try {
      const silent = await silentSockets((["tls", "ws", "wss"] as const).map((k) => t.address(k).port));
      await eventually(() => silent.every((s) => s.closed), 5000, "the silent sockets to be closed");
    } finally {
      await t.stop();
      rmSync(certs.dir, { recursive: true, force: true });
    }
  });

  it("are dropped by stop() without waiting for that timeout", { timeout: 30_000 }, async () => {
    const certs = writeTestCertificates();
    const t = await startTestEdge({
      config: {
        listen: [
          { transport: "tls", host: "127.0.0.1", port: 0 },
          { transport: "ws", host: "127.0.0.1", port: 0 },
          { transport: "wss", host: "127.0.0.1", port: 0 },
        ],
        tls: testTlsConfig(certs),
      },
    });
    const silent = await silentSockets((["tls", "ws", "wss"] as const).map((k) => t.address(k).port));
    try {
      await t.stop();
      // Well inside the 10 s handshake timeout: the edge closed them itself.
      await eventually(() => silent.every((s) => s.closed), 2000, "the silent sockets to be closed");
    } finally {
      rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});
