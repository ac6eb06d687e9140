import { createServer, isIPv6, type Server, type Socket } from "node:net";
import { KEEP_ALIVE_PONG, ParseError, StreamFramer, type StreamFrameHandler, type StreamFramerOptions } from "@sipfleet/sip";
import type { Flow } from "@sipfleet/proto";
import { EdgeError, FlowClosedError } from "./errors.js";
import { protoFlow, Transport, type ConnectionIds, type Link } from "./flow.js";
import type { EdgeLogger } from "./logger.js";

/** Receives the messages a connection's framer delimits. */
export interface StreamMessageHandler {
  onStreamMessage(bytes: Buffer, conn: TcpConnection): void;
}

export interface TcpOptions {
  /** A connection that carries nothing (no message, no keep-alive) for this long is closed. */
  idleTimeoutMs: number;
  /** Connections open at once across every TCP listener of the edge; more are refused. */
  maxConnections: number;
  /** A peer that lets this many response bytes pile up unread is disconnected. */
  maxWriteBufferBytes: number;
  /** How long a closing connection may take to flush before it is destroyed. */
  closeGraceMs: number;
  framer: StreamFramerOptions;
}

/**
 * Every open TCP connection of the edge, by connection id: enforces the connection cap and is
 * where a flow's connection id is looked up (later: requests to a registered UA).
 */
export class ConnectionRegistry {
  private readonly byId = new Map<string, TcpConnection>();
  refused = 0;

  constructor(readonly maxConnections: number) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: string): TcpConnection | undefined {
    return this.byId.get(id);
  }

  hasRoom(): boolean {
    return this.byId.size < this.maxConnections;
  }

  add(conn: TcpConnection): void {
    this.byId.set(conn.id, conn);
  }

  remove(conn: TcpConnection): void {
    if (this.byId.get(conn.id) === conn) this.byId.delete(conn.id);
  }

  /** Ends every connection (after flushing what was written) and resolves when all are closed. */
  closeAll(): Promise<void> {
    return Promise.all([...this.byId.values()].map((c) => c.close())).then(() => undefined);
  }
}

/**
 * One accepted TCP connection: frames its byte stream (RFC 3261 §18.3, Content-Length
 * mandatory), answers RFC 5626 §4.4.1 CRLFCRLF pings with a CRLF pong, and is the link its
 * requests' responses go back on (RFC 3261 §18.2.2: "the response MUST be sent using the
 * existing connection to the source of the original request").
 */
export class TcpConnection implements Link, StreamFrameHandler {
  readonly transport = Transport.TRANSPORT_TCP;
  readonly reliable = true;
  readonly localIp: string;
  readonly localPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
  private readonly framer: StreamFramer;
  private readonly flowValue: Flow;
  private closing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    readonly id: string,
    edgeId: string,
    private readonly handler: StreamMessageHandler,
    private readonly options: TcpOptions,
    private readonly logger: EdgeLogger,
  ) {
    this.localIp = socket.localAddress ?? "";
    this.localPort = socket.localPort ?? 0;
    this.remoteIp = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    this.flowValue = protoFlow(edgeId, id, Transport.TRANSPORT_TCP, this.remoteIp, this.remotePort, this.localIp, this.localPort);
    this.framer = new StreamFramer(this, options.framer);
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("timeout", () => {
      this.logger.debug?.({ connection: id, idleTimeoutMs: options.idleTimeoutMs }, "tcp connection idle: closing");
      socket.destroy();
    });
    socket.on("error", (err) => this.logger.debug?.({ err, connection: id }, "tcp connection error"));
    socket.on("close", () => {
      this.closed = true;
    });
  }

  /** Flow of every request on this connection; the same object each time. */
  flow(): Flow {
    return this.flowValue;
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  /** Called once the socket has closed, for whoever indexes the connection. */
  onClose(fn: () => void): void {
    this.socket.once("close", fn);
  }

  send(bytes: Buffer): void {
    if (!this.isOpen || this.closing !== undefined) throw new FlowClosedError(`connection ${this.id} is closed`);
    if (this.socket.writableLength + bytes.length > this.options.maxWriteBufferBytes) {
      // A peer that does not read its responses holds edge memory: drop it (bounded queues).
      this.logger.warn({ connection: this.id, buffered: this.socket.writableLength }, "tcp peer not reading: closing");
      this.socket.destroy();
      throw new FlowClosedError(`connection ${this.id} closed: write buffer full`);
    }
    this.socket.write(bytes);
  }

  // StreamFrameHandler
  onMessage(bytes: Buffer): void {
    this.handler.onStreamMessage(bytes, this);
  }

  onPing(): void {
    // RFC 5626 §4.4.1: "When a server receives a double CRLF sequence from a client, it MUST
    // respond with a single CRLF sequence."
    if (this.isOpen && this.closing === undefined) this.socket.write(KEEP_ALIVE_PONG);
  }

  /** Ends the connection once what was written is flushed; destroys it after the grace period. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), this.options.closeGraceMs).unref();
    });
    return this.closing;
  }

  private onData(chunk: Buffer): void {
    try {
      this.framer.push(chunk);
    } catch (e) {
      // RFC 3261 §18.3: without a usable Content-Length the stream cannot be framed any more
      // (or the message is over the size limit): the connection has to go.
      if (e instanceof ParseError) {
        this.logger.warn({ connection: this.id, remote: `${this.remoteIp}:${this.remotePort}`, reason: e.message }, "tcp framing lost: closing");
      } else {
        this.logger.error({ err: e, connection: this.id }, "tcp receive failed: closing");
      }
      this.socket.destroy();
    }
  }
}

/** A listening TCP socket; its connections register with the edge's `ConnectionRegistry`. */
export class TcpListener {
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly localIp: string,
    readonly localPort: number,
  ) {}

  static listen(
    host: string,
    port: number,
    handler: StreamMessageHandler,
    registry: ConnectionRegistry,
    ids: ConnectionIds,
    edgeId: string,
    options: TcpOptions,
    logger: EdgeLogger,
  ): Promise<TcpListener> {
    const server = createServer((socket) => {
      if (!registry.hasRoom()) {
        registry.refused++;
        logger.debug?.({ remote: `${socket.remoteAddress}:${socket.remotePort}`, max: registry.maxConnections }, "tcp connection cap reached: refused");
        socket.destroy();
        return;
      }
      const conn = new TcpConnection(socket, ids.next(), edgeId, handler, options, logger);
      registry.add(conn);
      conn.onClose(() => registry.remove(conn));
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new EdgeError(`tcp:${host}:${port}: cannot listen: ${err.message}`, { cause: err }));
      server.once("error", onError);
      server.listen({ host, port, ipv6Only: isIPv6(host) }, () => {
        server.off("error", onError);
        server.on("error", (err) => logger.error({ err, local: `${host}:${port}` }, "tcp listener error"));
        const addr = server.address();
        if (addr === null || typeof addr === "string") return reject(new EdgeError(`tcp:${host}:${port}: no address after listen`));
        resolve(new TcpListener(server, addr.address, addr.port));
      });
    });
  }

  /** Stops accepting; resolves once the listener and every connection it accepted have closed. */
  stopAccepting(): Promise<void> {
    this.closed ??= new Promise((resolve) => this.server.close(() => resolve()));
    return this.closed;
  }
}
