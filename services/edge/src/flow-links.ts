import { isIPv6 } from "node:net";
import type { Bus } from "@sipfleet/bus";
import { edgeSubject, SendOnFlow, Transport, type Flow } from "@sipfleet/proto";
import type { Link } from "./flow.js";
import type { Hop } from "./hop.js";
import type { ConnectionRegistry } from "./connection.js";
import { hostPort } from "./ip-address.js";
import type { NextHopAddress } from "./next-hop.js";
import type { OutboundConnections } from "./outbound-connections.js";
import type { UdpListener } from "./udp-listener.js";

/**
 * A flow another edge owns (architecture invariant 1): what is sent on it is published to that
 * edge (`edge.<id>.send`), which writes it on its socket. The link looks like the owner's socket
 * to the transaction above it: same transport, same local and advertised address (what goes into the Via), so
 * the peer answers the owner, who relays responses back by the Via branch.
 */
export class RemoteFlowLink implements Link {
  readonly transport: Transport;
  readonly reliable: boolean;
  readonly localIp: string;
  readonly localPort: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;

  constructor(
    private readonly bus: Bus,
    private readonly target: Flow,
    private readonly senderEdgeId: string,
    /** The branch of the request sent this way: named in FlowFailed if the flow is gone. */
    private readonly branch: string,
  ) {
    this.transport = target.transport;
    this.reliable = target.transport !== Transport.TRANSPORT_UDP;
    this.localIp = target.local?.ip ?? "";
    this.localPort = target.local?.port ?? 0;
    // What the owner advertises (its flow says), so the Via names the owner as the owner would.
    this.advertisedHost = target.advertised?.host ?? this.localIp;
    this.advertisedPort = target.advertised?.port ?? this.localPort;
  }

  send(bytes: Buffer): void {
    const msg = SendOnFlow.encode({ flow: this.target, message: bytes, senderEdgeId: this.senderEdgeId, branch: this.branch }).finish();
    this.bus.publish(edgeSubject(this.target.edgeId, "send"), msg);
  }

  flow(): Flow {
    return this.target;
  }
}

/** The edge's own sockets and connections, found by what a flow names or by a target's address. */
export class LocalLinks {
  constructor(
    private readonly udp: readonly UdpListener[],
    private readonly connections: ConnectionRegistry,
    private readonly outbound: OutboundConnections,
  ) {}

  /**
   * The hop to the address of a target no flow names: a UDP socket of the address's family, or
   * a TCP/TLS connection to it (reused or opened, outbound-connections.ts). Resolves with why
   * there is none.
   */
  async hopTo(next: NextHopAddress): Promise<Hop | string> {
    switch (next.transport) {
      case "udp": {
        const link = this.udpFor(next.ip);
        return link === undefined ? `no UDP socket for ${next.ip}` : { link, ip: next.ip, port: next.port };
      }
      case "tcp":
      case "tls": {
        const conn = await this.outbound.connectionTo(next.transport, next.ip, next.port, next.host);
        return typeof conn === "string" ? conn : { link: conn, ip: conn.remoteIp, port: conn.remotePort };
      }
      case "ws":
      case "wss":
        // RFC 7118 §5: the UA opens the WebSocket connection; a browser accepts none. A WebSocket
        // UA is reached on the flow it registered, never by its (usually .invalid) Contact.
        return `no ${next.transport} connection to ${hostPort(next.ip, next.port)}: the edge opens no WebSocket connections`;
    }
  }

  /** The hop for a flow this edge owns; undefined when its socket or connection is gone. */
  hopFor(flow: Flow): Hop | undefined {
    const remote = flow.remote;
    if (remote === undefined) return undefined;
    if (flow.transport === Transport.TRANSPORT_UDP) {
      const link = this.udpAt(flow.local?.ip ?? "", flow.local?.port ?? 0);
      return link === undefined ? undefined : { link, ip: remote.ip, port: remote.port };
    }
    const conn = this.connections.get(flow.connectionId);
    if (conn === undefined || !conn.isOpen) return undefined;
    return { link: conn, ip: conn.remoteIp, port: conn.remotePort };
  }

  /** The UDP socket bound to `ip:port`. */
  private udpAt(ip: string, port: number): UdpListener | undefined {
    return this.udp.find((l) => l.localPort === port && l.localIp === ip);
  }

  /** A UDP socket of the address family of `ip`, to send to a peer no flow names. */
  private udpFor(ip: string): UdpListener | undefined {
    const v6 = isIPv6(ip);
    return this.udp.find((l) => isIPv6(l.localIp) === v6);
  }
}
