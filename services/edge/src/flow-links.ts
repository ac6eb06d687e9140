import { isIPv6 } from "node:net";
import type { Bus } from "@sipfleet/bus";
import { edgeSubject, SendOnFlow, Transport, type Flow } from "@sipfleet/proto";
import type { Link } from "./flow.js";
import type { Hop } from "./hop.js";
import type { ConnectionRegistry } from "./connection.js";
import type { UdpListener } from "./udp-listener.js";

/**
 * A flow another edge owns (architecture invariant 1): what is sent on it is published to that
 * edge (`edge.<id>.send`), which writes it on its socket. The link looks like the owner's socket
 * to the transaction above it: same transport, same local address (what goes into the Via), so
 * the peer answers the owner, who relays responses back by the Via branch.
 */
export class RemoteFlowLink implements Link {
  readonly transport: Transport;
  readonly reliable: boolean;
  readonly localIp: string;
  readonly localPort: number;

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
  }

  send(bytes: Buffer): void {
    const msg = SendOnFlow.encode({ flow: this.target, message: bytes, senderEdgeId: this.senderEdgeId, branch: this.branch }).finish();
    this.bus.publish(edgeSubject(this.target.edgeId, "send"), msg);
  }

  flow(): Flow {
    return this.target;
  }
}

/** The edge's own sockets and connections, found by what a flow names. */
export class LocalLinks {
  constructor(
    private readonly udp: readonly UdpListener[],
    private readonly connections: ConnectionRegistry,
  ) {}

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
  udpAt(ip: string, port: number): UdpListener | undefined {
    return this.udp.find((l) => l.localPort === port && l.localIp === ip);
  }

  /** A UDP socket of the address family of `ip`, to send to a peer no flow names. */
  udpFor(ip: string): UdpListener | undefined {
    const v6 = isIPv6(ip);
    return this.udp.find((l) => isIPv6(l.localIp) === v6);
  }
}
