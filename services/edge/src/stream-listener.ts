import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from "node:tls";
import { AcceptedSockets, listenServer, refuseOverCap, type ConnectionListener, type ListenerContext } from "./connection.js";
import { EdgeError } from "./errors.js";
import { Transport } from "./flow.js";
import { StreamConnection } from "./stream-connection.js";
import { verifiedPeerNames } from "./tls-peer-names.js";

/**
 * A listening TCP or TLS socket. Both kinds hand their sockets to the same `StreamConnection`
 * (framing, limits, idle timeout, keep-alives); TLS only adds the handshake in front. Its
 * connections join the edge's `ConnectionRegistry`.
 */
export class StreamListener implements ConnectionListener {
  private constructor(
    private readonly sockets: AcceptedSockets,
    readonly localIp: string,
    readonly localPort: number,
  ) {}

  /** `tls` must be given for kind "tls" (the certificate and client policy). */
  static async listen(kind: "tcp" | "tls", host: string, port: number, ctx: ListenerContext, tls?: TlsOptions): Promise<StreamListener> {
    const { registry, sources, ids, edgeId, handler, options, logger } = ctx;
    const transport = kind === "tls" ? Transport.TRANSPORT_TLS : Transport.TRANSPORT_TCP;
    const open = (socket: Socket, tlsPeerNames?: readonly string[]): void => {
      if (refuseOverCap(registry, socket, kind, logger)) return;
      const conn = new StreamConnection(socket, transport, ids.next(kind), edgeId, handler, options, logger, undefined, tlsPeerNames);
      registry.add(conn);
      conn.onClose(() => registry.remove(conn));
    };
    let server: Server;
    let sockets: AcceptedSockets;
    if (kind === "tls") {
      if (tls === undefined) throw new EdgeError(`tls:${host}:${port}: no TLS options`);
      const tlsServer = createTlsServer({ ...tls, handshakeTimeout: options.handshakeTimeoutMs });
      // Refused before the handshake when the edge is full: no TLS work for a connection that
      // would be dropped after it.
      sockets = new AcceptedSockets(tlsServer, kind, sources, (socket) => void refuseOverCap(registry, socket, kind, logger));
      // The client certificate's names, once per connection: every request on it carries them.
      tlsServer.on("secureConnection", (socket: TLSSocket) => open(socket, verifiedPeerNames(socket)));
      tlsServer.on("tlsClientError", (err, socket) => {
        // A failed handshake: no certificate when one is required, a protocol version below
        // minVersion, a client silent past the handshake timeout. Per-connection noise, hence
        // debug. Node leaves the socket open after a handshake timeout: closed here.
        logger.debug?.({ err, remote: `${socket.remoteAddress}:${socket.remotePort}` }, "tls handshake failed");
        socket.destroy();
      });
      server = tlsServer;
    } else {
      server = createTcpServer();
      sockets = new AcceptedSockets(server, kind, sources, open);
    }
    const bound = await listenServer(server, kind, host, port, logger);
    return new StreamListener(sockets, bound.ip, bound.port);
  }

  stopAccepting(): void {
    this.sockets.stopAccepting();
  }

  close(): Promise<void> {
    return this.sockets.close();
  }
}
