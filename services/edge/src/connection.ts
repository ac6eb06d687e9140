import { isIPv6, type Server, type Socket } from "node:net";
import type { Flow } from "@sipfleet/proto";
import { EdgeError } from "./errors.js";
import type { ConnectionIds, Link, Transport } from "./flow.js";
import { canonicalHost, hostPort } from "./ip-address.js";
import type { EdgeLogger } from "./logger.js";
import type { SipMessageLog } from "./sip-message-log.js";
import type { SourceLimit } from "./source-limit.js";
import type { PublicAddresses } from "./public-address.js";

/**
 * One connection of a connection transport (TCP, TLS, WS, WSS), whatever carries it. It is the
 * link its requests' responses go back on (RFC 3261 §18.2.2: "the response MUST be sent using
 * the existing connection to the source of the original request"; RFC 7118 §5 for WebSocket,
 * whose Via sent-by is not even a reachable host) and, found by id in the `ConnectionRegistry`,
 * the way to send a request to the UA behind it.
 */
export interface Connection extends Link {
  readonly id: string;
  readonly remoteIp: string;
  readonly remotePort: number;
  /** Open and not closing: `send` may be called. */
  readonly isOpen: boolean;
  /** The flow of every message on this connection; the same object each time. */
  flow(): Flow;
  /**
   * Writes one SIP message (the address arguments of `Link.send` are ignored: the connection has
   * one peer). Throws `FlowClosedError` when the connection is closed or the peer stopped reading.
   */
  send(bytes: Buffer): void;
  /** Ends the connection gracefully; resolves once it is closed. */
  close(): Promise<void>;
}

/** Receives each SIP message a connection delimits (by Content-Length on a stream, by frame on WebSocket). */
export interface ConnectionMessageHandler {
  onStreamMessage(bytes: Buffer, conn: Connection): void;
}

export interface ConnectionOptions {
  /** A connection that carries nothing (no message, no keep-alive) for this long is closed. */
  readonly idleTimeoutMs: number;
  /** A peer that lets this many response bytes pile up unread is disconnected. */
  readonly maxWriteBufferBytes: number;
  /** How long a closing connection may take to flush (or finish its close handshake) before it is destroyed. */
  readonly closeGraceMs: number;
  /** Largest message: the stream framer's limit, a WebSocket message's payload limit. */
  readonly maxMessageSize: number;
  /** Largest header section a stream may send before its blank line. */
  readonly maxHeaderSize: number;
  /** A TLS handshake or WebSocket upgrade not done by then is dropped. */
  readonly handshakeTimeoutMs: number;
  /**
   * A TCP or TLS connection that holds part of a message this long is closed, even while bytes
   * keep arriving (edge.partialMessageTimeoutMs).
   */
  readonly partialMessageTimeoutMs: number;
  /** The SIP message log (sip-message-log.ts), told of each message written; undefined when it is off. */
  readonly messageLog?: SipMessageLog | undefined;
  /** edge.publicAddress: what a connection advertises instead of its local address; undefined: none configured. */
  readonly publicAddress?: PublicAddresses | undefined;
}

/** What every connection listener needs from the edge. */
export interface ListenerContext {
  readonly handler: ConnectionMessageHandler;
  readonly registry: ConnectionRegistry;
  /** Connections per source, counted from accept (edge.maxConnectionsPerSource). */
  readonly sources: SourceLimit;
  readonly ids: ConnectionIds;
  readonly edgeId: string;
  readonly options: ConnectionOptions;
  readonly logger: EdgeLogger;
}

/** A listening socket whose connections join the registry: TCP, TLS, WS or WSS. */
export interface ConnectionListener {
  readonly localIp: string;
  readonly localPort: number;
  /** Stops accepting connections; those open carry on. */
  stopAccepting(): void;
  /**
   * Drops what never became a connection (a TLS handshake or WebSocket upgrade in progress) and
   * resolves once the listener is closed. Called after the registry's connections are closed.
   */
  close(): Promise<void>;
}

/**
 * Every open connection of the edge, of every transport, by connection id: enforces the
 * connection cap and is where a flow's connection id is looked up. Also indexed by the far
 * end, RFC 3261 §18: "Connections are indexed by the tuple formed from the address, port, and
 * transport protocol at the far end of the connection. When a connection is opened by the
 * transport layer, this index is set to the destination IP, port and transport. When the
 * connection is accepted by the transport layer, this index is set to the source IP address,
 * port number, and transport."
 */
export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();
  /** The latest connection to each far end (`remoteKey`). */
  private readonly byRemote = new Map<string, Connection>();
  private refusedCount = 0;

  constructor(readonly maxConnections: number) {}

  get size(): number {
    return this.byId.size;
  }

  /** New connections refused at the cap (`refuseWhenFull`) since the edge started. */
  get refused(): number {
    return this.refusedCount;
  }

  /** Open connections by transport (walks them all: for a metrics collection, not per message). */
  countByTransport(): Map<Transport, number> {
    const counts = new Map<Transport, number>();
    for (const c of this.byId.values()) counts.set(c.transport, (counts.get(c.transport) ?? 0) + 1);
    return counts;
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  /**
   * True when the edge already holds `maxConnections`: the new connection (an accepted socket,
   * a WebSocket upgrade, a connect the edge would open) is refused, counted and logged here, and
   * the caller drops it its own way.
   */
  refuseWhenFull(kind: string, remote: string, logger: EdgeLogger): boolean {
    if (this.byId.size < this.maxConnections) return false;
    this.refusedCount++;
    logger.debug?.({ remote, max: this.maxConnections }, `${kind} connection cap reached: refused`);
    return true;
  }

  /** An open connection whose far end is `key` (`remoteKey`), to send a request on. */
  findTo(key: string): Connection | undefined {
    const conn = this.byRemote.get(key);
    return conn !== undefined && conn.isOpen ? conn : undefined;
  }

  add(conn: Connection): void {
    this.byId.set(conn.id, conn);
    this.byRemote.set(remoteKey(conn.transport, conn.remoteIp, conn.remotePort), conn);
  }

  remove(conn: Connection): void {
    if (this.byId.get(conn.id) === conn) this.byId.delete(conn.id);
    const key = remoteKey(conn.transport, conn.remoteIp, conn.remotePort);
    if (this.byRemote.get(key) === conn) this.byRemote.delete(key);
  }

  /** Ends every connection (after flushing what was written) and resolves when all are closed. */
  closeAll(): Promise<void> {
    return Promise.all([...this.byId.values()].map((c) => c.close())).then(() => undefined);
  }
}

/** What the registry indexes a connection by: its transport and far end (RFC 3261 §18). */
export function remoteKey(transport: Transport, ip: string, port: number): string {
  return `${transport}/${hostPort(canonicalHost(ip), port)}`;
}

/**
 * The TCP sockets a listening server accepted and that are still open. Before a TLS handshake
 * or WebSocket upgrade completes a socket is in no registry; this is how the listener finds it
 * to drop it when the edge stops. (A TLS socket's underlying TCP socket closes with it.) A
 * socket whose source already holds its share of connections is closed right here, before it
 * costs a handshake.
 */
export class AcceptedSockets {
  private readonly open = new Set<Socket>();
  private closed: Promise<void> | undefined;

  constructor(
    private readonly server: Server,
    kind: string,
    sources: SourceLimit,
    onAccept: (socket: Socket) => void,
  ) {
    server.on("connection", (socket: Socket) => {
      if (!sources.admit(socket, kind)) return;
      this.open.add(socket);
      socket.once("close", () => this.open.delete(socket));
      onAccept(socket);
    });
  }

  stopAccepting(): void {
    this.closed ??= new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Destroys every socket still open and resolves once the server has closed. */
  close(): Promise<void> {
    this.stopAccepting();
    for (const s of this.open) s.destroy();
    return this.closed as Promise<void>;
  }
}

/** Refuses a new TCP socket when the edge already holds `maxConnections`; true if refused. */
export function refuseOverCap(registry: ConnectionRegistry, socket: Socket, kind: string, logger: EdgeLogger): boolean {
  if (!registry.refuseWhenFull(kind, `${socket.remoteAddress}:${socket.remotePort}`, logger)) return false;
  socket.destroy();
  return true;
}

/**
 * Binds a connection listener's server (TCP, TLS, or the HTTP(S) server of WebSocket) to
 * `host:port` and resolves with the bound address; errors after that are logged, not thrown.
 */
export function listenServer(server: Server, kind: string, host: string, port: number, logger: EdgeLogger): Promise<{ ip: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new EdgeError(`${kind}:${host}:${port}: cannot listen: ${err.message}`, { cause: err }));
    server.once("error", onError);
    server.listen({ host, port, ipv6Only: isIPv6(host) }, () => {
      server.off("error", onError);
      server.on("error", (err) => logger.error({ err, local: `${host}:${port}` }, `${kind} listener error`));
      const addr = server.address();
      if (addr === null || typeof addr === "string") return reject(new EdgeError(`${kind}:${host}:${port}: no address after listen`));
      resolve({ ip: addr.address, port: addr.port });
    });
  });
}
