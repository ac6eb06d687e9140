import { createSocket, type Socket } from "node:dgram";

const UDP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const UDP_SEND_BUFFER_BYTES = 1024 * 1024;
import { isIPv6 } from "node:net";
import type { AdvertisedEndpoint, Flow } from "@sipfleet/proto";
import { EdgeError } from "./errors.js";
import { protoFlow, Transport, udpConnectionId, type Link } from "./flow.js";
import type { EdgeLogger } from "./logger.js";
import type { PublicAddresses } from "./public-address.js";
import type { SipMessageLog } from "./sip-message-log.js";

/** Receives what a UDP socket reads: one datagram, one message (RFC 3261 §18.3). */
export interface DatagramHandler {
  onDatagram(data: Buffer, link: UdpListener, remoteIp: string, remotePort: number): void;
}

/**
 * One bound UDP socket. It is the link for every peer that sends to it: responses go out of the
 * socket the request came in on, so they leave from the address the NAT pinhole expects.
 */
export class UdpListener implements Link {
  readonly transport = Transport.TRANSPORT_UDP;
  readonly reliable = false;
  private closed = false;
  /** One callback for every send of this socket: a send allocates no closure. */
  private readonly onSent: (err: Error | null) => void;
  readonly advertisedHost: string;
  readonly advertisedPort: number;

  private constructor(
    private readonly socket: Socket,
    readonly localIp: string,
    readonly localPort: number,
    private readonly edgeId: string,
    private readonly logger: EdgeLogger,
    private readonly messageLog: SipMessageLog | undefined,
    /** edge.publicAddress for UDP at this port; undefined: the bound address is advertised. */
    private readonly advertised: AdvertisedEndpoint | undefined,
  ) {
    this.advertisedHost = advertised?.host ?? localIp;
    this.advertisedPort = advertised?.port ?? localPort;
    this.onSent = (err) => {
      if (err) this.logger.warn({ err, local: `${this.localIp}:${this.localPort}` }, "udp send failed");
    };
  }

  /** Binds `host:port` (port 0: any free port) and delivers datagrams to `handler`. */
  static bind(
    host: string,
    port: number,
    handler: DatagramHandler,
    edgeId: string,
    logger: EdgeLogger,
    messageLog?: SipMessageLog,
    publicAddress?: PublicAddresses,
  ): Promise<UdpListener> {
    const v6 = isIPv6(host);
    // ipv6Only: a "::" socket and a "0.0.0.0" socket on the same port can coexist, as configured.
    const socket = createSocket({
      type: v6 ? "udp6" : "udp4",
      ipv6Only: v6,
      // The kernel default (~208 KiB here) holds ~200 REGISTERs: a GC pause at a few thousand
      // requests/s overflows it, and every dropped datagram costs the UA a 500 ms retransmission.
      // The kernel caps this at net.core.rmem_max.
      recvBufferSize: UDP_RECEIVE_BUFFER_BYTES,
      sendBufferSize: UDP_SEND_BUFFER_BYTES,
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new EdgeError(`udp:${host}:${port}: cannot listen: ${err.message}`, { cause: err }));
      socket.once("error", onError);
      socket.bind(port, host, () => {
        socket.off("error", onError);
        const addr = socket.address();
        const listener = new UdpListener(socket, addr.address, addr.port, edgeId, logger, messageLog, publicAddress?.of(Transport.TRANSPORT_UDP, addr.port));
        socket.on("error", (err) => logger.error({ err, local: `${addr.address}:${addr.port}` }, "udp socket error"));
        socket.on("message", (data, rinfo) => handler.onDatagram(data, listener, rinfo.address, rinfo.port));
        resolve(listener);
      });
    });
  }

  send(bytes: Buffer, ip: string, port: number): void {
    // Throws synchronously once the socket is closed (ERR_SOCKET_DGRAM_NOT_RUNNING): the
    // transaction then reports a transport error.
    this.messageLog?.sent(bytes, this.transport, ip, port);
    this.socket.send(bytes, port, ip, this.onSent);
  }

  /** The RFC 3581 flow of a peer: this socket and the peer's address (its NAT pinhole). */
  flow(remoteIp: string, remotePort: number): Flow {
    return protoFlow(
      this.edgeId,
      udpConnectionId(this.localIp, this.localPort, remoteIp, remotePort),
      Transport.TRANSPORT_UDP,
      remoteIp,
      remotePort,
      this.localIp,
      this.localPort,
      this.advertised,
    );
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
