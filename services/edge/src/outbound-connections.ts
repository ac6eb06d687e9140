import { connect as connectTcp, isIP, isIPv6, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions as TlsConnectionOptions } from "node:tls";
import type { ListenAddress } from "@sipfleet/config";
import { remoteKey, type Connection, type ConnectionOptions, type ListenerContext } from "./connection.js";
import { Transport } from "./flow.js";
import { hostPort } from "./ip-address.js";
import { StreamConnection, type StreamTransport } from "./stream-connection.js";

export interface OutboundOptions {
  /** A TCP connect (and TLS handshake) not done by then fails. */
  readonly connectTimeoutMs: number;
  /** A connection the edge opened that carries nothing for this long is closed. */
  readonly idleTimeoutMs: number;
  /** The client side of `edge.tls` (tls-options.ts `clientTlsOptions`). */
  readonly tls: TlsConnectionOptions;
  /**
   * The edge's listen addresses, filled as they are bound: what a connection the edge opened
   * names as its local address (Via sent-by, the flow's `local`, hence the worker's Record-Route).
   */
  readonly listening: readonly ListenAddress[];
}

export type OutboundKind = "tcp" | "tls";

/**
 * The client side of the stream transports (RFC 3261 §18.1.1): a request for a target no flow
 * names, over TCP or TLS, goes on the open connection to that address, port and transport if
 * there is one (accepted or opened, RFC 3261 §18 indexes both by their far end), else on one
 * opened now. A connection opened here is a `StreamConnection` like an accepted one, in the same
 * registry and under the same cap, so what arrives on it (the responses, and any request the
 * peer sends on it later) takes the same way in. Two requests for the same target while its
 * connection is being opened share that one connect.
 *
 * WebSocket is not here: browsers accept no connections, so a WS or WSS target is reachable
 * only on the flow it registered (flow-links.ts says so to the branch).
 */
export class OutboundConnections {
  /** Connects in progress, by `remoteKey`: the key of the connection each will become. */
  private readonly opening = new Map<string, Promise<Connection | string>>();
  /** Ends each connect still in progress: called by `stop()`. */
  private readonly aborts = new Set<(why: string) => void>();
  private stopped = false;
  /** The listeners' connection options with the outbound idle timeout. */
  private readonly connectionOptions: ConnectionOptions;

  constructor(
    private readonly ctx: ListenerContext,
    private readonly o: OutboundOptions,
  ) {
    this.connectionOptions = { ...ctx.options, idleTimeoutMs: o.idleTimeoutMs };
  }

  /**
   * An open connection to `ip:port`: the one there is, or a new one. `host` is the name the
   * target's URI gave (for TLS, the name the server's certificate must carry; an IP literal
   * is checked against the certificate's IP addresses). Resolves with why there is none.
   */
  connectionTo(kind: OutboundKind, ip: string, port: number, host: string): Promise<Connection | string> {
    const transport = kind === "tls" ? Transport.TRANSPORT_TLS : Transport.TRANSPORT_TCP;
    const key = remoteKey(transport, ip, port);
    const existing = this.ctx.registry.findTo(key);
    if (existing !== undefined) return Promise.resolve(existing);
    let p = this.opening.get(key);
    if (p === undefined) {
      p = this.open(kind, transport, ip, port, host);
      this.opening.set(key, p);
      void p.then(() => this.opening.delete(key));
    }
    return p;
  }

  /** No new connections; connects in progress fail. Called before the registry closes its connections. */
  stop(): void {
    this.stopped = true;
    for (const abort of [...this.aborts]) abort("the edge is stopping");
  }

  private open(kind: OutboundKind, transport: StreamTransport, ip: string, port: number, host: string): Promise<Connection | string> {
    const { registry, logger } = this.ctx;
    const target = `${kind}:${hostPort(ip, port)}`;
    if (this.stopped) return Promise.resolve(`no connection to ${target}: the edge is stopping`);
    if (registry.refuseWhenFull(kind, hostPort(ip, port), logger)) {
      return Promise.resolve(`no connection to ${target}: the connection cap (${registry.maxConnections}) is reached`);
    }
    return new Promise((resolve) => {
      let socket: Socket;
      try {
        socket =
          kind === "tls"
            ? connectTls({ ...this.o.tls, host: ip, port, ...(isIP(host) === 0 ? { servername: host } : {}) })
            : connectTcp({ host: ip, port });
      } catch (e) {
        // Node refuses some addresses at once (port 0, for one): a URI can carry them.
        return resolve(`no connection to ${target}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const connectedEvent = kind === "tls" ? "secureConnect" : "connect";
      const done = (): void => {
        clearTimeout(timer);
        this.aborts.delete(fail);
        socket.off("error", onError);
        socket.off(connectedEvent, onConnected);
      };
      const fail = (why: string): void => {
        done();
        socket.destroy();
        logger.debug?.({ target, reason: why }, "outbound connection failed");
        resolve(`no connection to ${target}: ${why}`);
      };
      const onError = (err: Error): void => fail(err.message);
      const onConnected = (): void => {
        done();
        if (this.stopped) {
          socket.destroy();
          return resolve(`no connection to ${target}: the edge is stopping`);
        }
        resolve(this.adopt(socket, kind, transport));
      };
      // Covers the TLS handshake too: a server that accepts and then says nothing holds a socket.
      const timer = setTimeout(() => fail(`not connected within ${this.o.connectTimeoutMs} ms`), this.o.connectTimeoutMs);
      this.aborts.add(fail);
      socket.once("error", onError);
      socket.once(connectedEvent, onConnected);
    });
  }

  /** The connected socket becomes a connection like an accepted one. */
  private adopt(socket: Socket, kind: OutboundKind, transport: StreamTransport): Connection {
    const { registry, ids, edgeId, handler, logger } = this.ctx;
    const conn = new StreamConnection(socket, transport, ids.next(kind), edgeId, handler, this.connectionOptions, logger, this.advertised(kind, socket));
    registry.add(conn);
    conn.onClose(() => registry.remove(conn));
    logger.debug?.({ connection: conn.id, remote: hostPort(conn.remoteIp, conn.remotePort) }, `${kind} connection opened`);
    return conn;
  }

  /**
   * The edge's listener of this transport and address family, which the peer can reach (RFC
   * 3261 §18.2.2: when the connection is gone, a server opens one to the Via's sent-by port);
   * a wildcard listener is named by the socket's own address. None: the socket's own address.
   */
  private advertised(kind: OutboundKind, socket: Socket): { ip: string; port: number } | undefined {
    const localIp = socket.localAddress;
    if (localIp === undefined) return undefined;
    const v6 = isIPv6(localIp);
    const l = this.o.listening.find((a) => a.transport === kind && isIPv6(a.host) === v6);
    if (l === undefined) return undefined;
    const wildcard = l.host === "0.0.0.0" || l.host === "::";
    return { ip: wildcard ? localIp : l.host, port: l.port };
  }
}
