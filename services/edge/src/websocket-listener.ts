import { isUtf8 } from "node:buffer";
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket, TlsOptions } from "node:tls";
import { isKeepAlive, KEEP_ALIVE_PONG } from "@sipfleet/sip";
import type { Flow } from "@sipfleet/proto";
// The `ws` package rather than our own RFC 6455 code: the handshake is the easy part, the framing
// (masking, fragmentation, control frames interleaved with fragments, the close handshake, UTF-8
// validation of text frames, size limits before buffering) is where home-grown implementations
// go wrong. ws has no dependencies and is used in noServer mode: the edge keeps the HTTP server,
// the decision to upgrade (subprotocol, connection cap) and the socket (idle timeout).
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { AcceptedSockets, listenServer, refuseOverCap, type Connection, type ConnectionListener, type ConnectionMessageHandler, type ConnectionOptions, type ListenerContext } from "./connection.js";
import { EdgeError, FlowClosedError } from "./errors.js";
import { protoFlow, Transport } from "./flow.js";
import type { EdgeLogger } from "./logger.js";
import { NO_PEER_NAMES, verifiedPeerNames } from "./tls-peer-names.js";

/** RFC 7118 §4.1: the WebSocket subprotocol of SIP. */
export const SIP_SUBPROTOCOL = "sip";

export type WebSocketTransport = Transport.TRANSPORT_WS | Transport.TRANSPORT_WSS;

/** RFC 6455 §7.4.1 close codes. */
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;

/** `ws.send` options, shared: ws copies them into its own per-send object. */
const AS_BINARY = { binary: true } as const;
const AS_TEXT = { binary: false } as const;

/**
 * One SIP-over-WebSocket connection (RFC 7118). Each WebSocket message, text or binary, is one
 * SIP message (§5.1), so there is no Content-Length framing; a message over `maxMessageSize` is
 * refused by ws itself, which closes with 1009 Message Too Big. Responses go out as text frames
 * when they are valid UTF-8, else binary (§5.1: text frames must be UTF-8). WebSocket pings are
 * answered by ws; the CRLFCRLF keep-alives some clients send as a message get a CRLF, as on a
 * stream (RFC 5626 §4.4.1).
 */
export class WebSocketConnection implements Connection {
  readonly reliable = true;
  readonly localIp: string;
  readonly localPort: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
  private readonly flowValue: Flow;
  private readonly kind: string;
  private readonly closed: Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly ws: WebSocket,
    /** The TCP (ws) or TLS (wss) socket under the WebSocket: its idle timer is the connection's. */
    socket: Socket,
    readonly transport: WebSocketTransport,
    readonly id: string,
    edgeId: string,
    private readonly handler: ConnectionMessageHandler,
    private readonly options: ConnectionOptions,
    private readonly logger: EdgeLogger,
    /** A WSS connection's verified client certificate names (tls-peer-names.ts). */
    readonly tlsPeerNames: readonly string[] = NO_PEER_NAMES,
  ) {
    this.kind = transport === Transport.TRANSPORT_WSS ? "wss" : "ws";
    this.localIp = socket.localAddress ?? "";
    this.localPort = socket.localPort ?? 0;
    this.remoteIp = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    const advertised = options.publicAddress?.of(transport, this.localPort);
    this.advertisedHost = advertised?.host ?? this.localIp;
    this.advertisedPort = advertised?.port ?? this.localPort;
    this.flowValue = protoFlow(edgeId, id, transport, this.remoteIp, this.remotePort, this.localIp, this.localPort, advertised);
    this.closed = new Promise((resolve) => ws.once("close", () => resolve()));
    // ws turned the socket's timeout off when it took the socket; any byte either way (a SIP
    // message, a ping, a pong) keeps the connection, as on TCP.
    socket.setTimeout(options.idleTimeoutMs);
    socket.on("timeout", () => {
      logger.debug?.({ connection: id, idleTimeoutMs: options.idleTimeoutMs }, `${this.kind} connection idle: closing`);
      this.end(CLOSE_NORMAL, "idle");
    });
    ws.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    ws.on("error", (err: Error & { code?: string }) => {
      if (err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
        logger.warn({ connection: id, remote: `${this.remoteIp}:${this.remotePort}`, max: options.maxMessageSize }, `${this.kind} message over maxMessageSize: closing`);
      } else {
        logger.debug?.({ err, connection: id }, `${this.kind} connection error`);
      }
    });
  }

  flow(): Flow {
    return this.flowValue;
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN && this.closing === undefined;
  }

  /** Called once the WebSocket has closed, for whoever indexes the connection. */
  onClose(fn: () => void): void {
    void this.closed.then(fn);
  }

  send(bytes: Buffer): void {
    if (!this.isOpen) throw new FlowClosedError(`connection ${this.id} is closed`);
    if (this.ws.bufferedAmount + bytes.length > this.options.maxWriteBufferBytes) {
      // A peer that does not read its responses holds edge memory: drop it (bounded queues).
      this.logger.warn({ connection: this.id, buffered: this.ws.bufferedAmount }, `${this.kind} peer not reading: closing`);
      this.ws.terminate();
      throw new FlowClosedError(`connection ${this.id} closed: write buffer full`);
    }
    this.options.messageLog?.sent(bytes, this.transport, this.remoteIp, this.remotePort);
    this.ws.send(bytes, isUtf8(bytes) ? AS_TEXT : AS_BINARY);
  }

  /** A close frame (1001 Going Away), then the socket; destroyed after the grace period. */
  close(): Promise<void> {
    return this.end(CLOSE_GOING_AWAY, "edge stopping");
  }

  private end(code: number, reason: string): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = this.closed;
    if (this.ws.readyState === this.ws.CONNECTING || this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
    // A peer that never answers the close frame: ws would wait 30 s, the edge waits its grace.
    setTimeout(() => this.ws.terminate(), this.options.closeGraceMs).unref();
    return this.closing;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    // With ws's default binaryType ("nodebuffer") every message, text or binary, fragmented or
    // not, arrives as one Buffer; the other RawData shapes only come with another binaryType.
    if (!Buffer.isBuffer(data)) {
      this.logger.error({ connection: this.id }, `bug: ${this.kind} message is not a Buffer (ws binaryType changed?): dropped`);
      return;
    }
    if (isKeepAlive(data)) {
      if (this.isOpen) this.ws.send(KEEP_ALIVE_PONG, isBinary ? AS_BINARY : AS_TEXT);
      return;
    }
    this.handler.onStreamMessage(data, this);
  }
}

/**
 * A listening HTTP (ws) or HTTPS (wss) socket that upgrades to SIP over WebSocket. Any path is
 * accepted; the upgrade is refused without the "sip" subprotocol (RFC 7118 §4.1: the client
 * MUST offer it, and a server that does not speak the offered protocol must not pretend to),
 * and with 503 when the edge holds `maxConnections`. Plain HTTP requests get 426.
 */
export class WebSocketListener implements ConnectionListener {
  private constructor(
    private readonly sockets: AcceptedSockets,
    readonly localIp: string,
    readonly localPort: number,
  ) {}

  /** `tls` must be given for kind "wss". */
  static async listen(kind: "ws" | "wss", host: string, port: number, ctx: ListenerContext, tls?: TlsOptions): Promise<WebSocketListener> {
    const { registry, sources, ids, edgeId, handler, options, logger } = ctx;
    const transport = kind === "wss" ? Transport.TRANSPORT_WSS : Transport.TRANSPORT_WS;
    const http = {
      // A client that connects and never completes its upgrade request holds a socket: bounded.
      headersTimeout: options.handshakeTimeoutMs,
      requestTimeout: options.handshakeTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, options.handshakeTimeoutMs),
    };
    let server: HttpServer;
    if (kind === "wss") {
      if (tls === undefined) throw new EdgeError(`wss:${host}:${port}: no TLS options`);
      server = createHttpsServer({ ...tls, ...http, handshakeTimeout: options.handshakeTimeoutMs });
      server.on("tlsClientError", (err: Error, socket: Socket) => {
        logger.debug?.({ err, remote: `${socket.remoteAddress}:${socket.remotePort}` }, "wss tls handshake failed");
        // Node leaves the socket open after a handshake timeout.
        socket.destroy();
      });
    } else {
      server = createHttpServer(http);
    }
    // headersTimeout only starts with the first byte: a client that connects and says nothing is
    // closed by the inactivity timeout. Node takes it off the socket at the upgrade (ws clears
    // the timer too), and the connection then gets its idle timeout.
    server.timeout = options.handshakeTimeoutMs;
    const wss = new WebSocketServer({
      noServer: true,
      // The registry tracks connections.
      clientTracking: false,
      maxPayload: options.maxMessageSize,
      // RFC 7118 defines no compression, and inflating is how a small frame becomes a big message.
      perMessageDeflate: false,
      // Offered "sip" was checked before handleUpgrade; the answer names it (RFC 6455 §4.2.2).
      handleProtocols: () => SIP_SUBPROTOCOL,
    });
    const sockets = new AcceptedSockets(server, kind, sources, (socket) => void refuseOverCap(registry, socket, kind, logger));
    server.on("request", (_req, res) => {
      res.writeHead(426, { Upgrade: "websocket", Connection: "close", "Content-Type": "text/plain" });
      res.end("SIP over WebSocket (RFC 7118): upgrade with subprotocol sip\n");
    });
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const remote = `${socket.remoteAddress}:${socket.remotePort}`;
      if (!offersSip(req)) {
        logger.debug?.({ remote, offered: req.headers["sec-websocket-protocol"] }, `${kind} upgrade without subprotocol sip: refused`);
        return refuseUpgrade(socket, 400, "Bad Request", "the WebSocket subprotocol sip is required (RFC 7118 §4.1)");
      }
      if (registry.refuseWhenFull(kind, remote, logger)) return refuseUpgrade(socket, 503, "Service Unavailable", "too many connections");
      wss.handleUpgrade(req, socket, head, (ws) => {
        // A wss socket is the TLS socket of the HTTPS server: its client certificate, read once.
        const names = kind === "wss" ? verifiedPeerNames(socket as TLSSocket) : NO_PEER_NAMES;
        const conn = new WebSocketConnection(ws, socket, transport, ids.next(kind), edgeId, handler, options, logger, names);
        registry.add(conn);
        conn.onClose(() => registry.remove(conn));
      });
    });
    const bound = await listenServer(server, kind, host, port, logger);
    return new WebSocketListener(sockets, bound.ip, bound.port);
  }

  stopAccepting(): void {
    this.sockets.stopAccepting();
  }

  close(): Promise<void> {
    return this.sockets.close();
  }
}

/** Whether the upgrade request offers the "sip" subprotocol (a comma-separated token list). */
function offersSip(req: IncomingMessage): boolean {
  const offered = req.headers["sec-websocket-protocol"];
  if (offered === undefined) return false;
  return offered.split(",").some((p) => p.trim() === SIP_SUBPROTOCOL);
}

/** An HTTP answer instead of 101, then the socket is closed. */
function refuseUpgrade(socket: Socket, status: number, reason: string, why: string): void {
  const body = `${why}\n`;
  socket.once("finish", () => socket.destroy());
  socket.once("error", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
