import { Transport, type AdvertisedEndpoint, type Flow } from "@sipfleet/proto";
import { hostPort } from "./ip-address.js";
import type { NextHopAddress } from "./next-hop.js";

/**
 * One way the edge can write to a peer: a UDP socket (any remote address) or one connection
 * (TCP, TLS, WS, WSS: its remote, whatever the address says). The transports implement it; the
 * transaction transport adapter only calls `send`.
 */
export interface Link {
  readonly transport: Transport;
  /** RFC 3261 §17: reliable transports skip retransmissions. */
  readonly reliable: boolean;
  /** The local address the link is bound to (a wildcard for a UDP socket bound to one). */
  readonly localIp: string;
  readonly localPort: number;
  /**
   * What the edge writes as its own address for this link (Via sent-by, masked Contacts, its
   * Contact toward carriers): edge.publicAddress when configured (public-address.ts), else the
   * local address. The host may be a DNS name.
   */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /**
   * Writes one message. Throws (or the link logs later, for UDP) when it cannot: the
   * transaction then reports a transport error (RFC 3261 §17.2.4).
   */
  send(bytes: Buffer, ip: string, port: number): void;
  /** The flow (proto `Flow`) of a request that came over this link from `remoteIp:remotePort`. */
  flow(remoteIp: string, remotePort: number): Flow;
  /**
   * An accepted TLS or WSS connection whose client certificate the edge verified: that
   * certificate's names (tls-peer-names.ts), worked out once at the handshake. Absent or empty
   * otherwise (UDP, TCP, WS, no or an unverified certificate).
   */
  readonly tlsPeerNames?: readonly string[];
}

/**
 * A received request's origin and the way back to it: the `Dest` of the edge's server
 * transactions. Built once per received request.
 */
export interface RequestOrigin {
  readonly link: Link;
  /**
   * Where responses go: for UDP the RFC 3261 §18.2.2 / RFC 3581 §4 address; a connection ignores
   * it and writes to its one peer (never to the Via, which over WebSocket names an .invalid host).
   */
  readonly replyIp: string;
  readonly replyPort: number;
  /** The flow as workers see it (the proto `Flow`). */
  readonly flow: Flow;
  /** Unix ms at which the message was read from the socket. */
  readonly receivedAtMs: number;
  /**
   * The top Via value responses carry instead of the received one, with `received` and `rport`
   * filled in (RFC 3261 §18.2.1, RFC 3581 §4); undefined when nothing had to be added.
   */
  readonly stampedVia: string | undefined;
  /**
   * Over TCP or TLS, where responses go once the request's connection has closed (RFC 3261
   * §18.2.2: the source address, at the top Via's sent-by port or the transport's default);
   * undefined over UDP, and over WebSocket, where the client accepts no connections (RFC 7118).
   */
  readonly reconnect?: NextHopAddress | undefined;
  /** The link's `tlsPeerNames`: `Envelope.tls_peer_names`, what a trunk's inbound.tlsNames is checked against. */
  readonly tlsPeerNames?: readonly string[] | undefined;
}

/**
 * RFC 3581's flow for UDP is the NAT pinhole: the local socket and the remote address. The id
 * names both, so every request through one pinhole carries the same connection id.
 */
export function udpConnectionId(localIp: string, localPort: number, remoteIp: string, remotePort: number): string {
  return `udp/${hostPort(localIp, localPort)}/${hostPort(remoteIp, remotePort)}`;
}

/**
 * Ids for connections (`tcp/…`, `tls/…`, `ws/…`, `wss/…`): unique within this edge, and across
 * its restarts (the incarnation is random per process), so a binding stored for a connection
 * that is gone never reaches another.
 */
export class ConnectionIds {
  private seq = 0;
  constructor(private readonly incarnation: string) {}

  /** `kind` is the listen transport: tcp, tls, ws or wss. */
  next(kind: string): string {
    return `${kind}/${this.incarnation}.${++this.seq}`;
  }
}

export function protoFlow(
  edgeId: string,
  connectionId: string,
  transport: Transport,
  remoteIp: string,
  remotePort: number,
  localIp: string,
  localPort: number,
  advertised: AdvertisedEndpoint | undefined,
): Flow {
  const flow: Flow = {
    edgeId,
    connectionId,
    transport,
    remote: { ip: remoteIp, port: remotePort },
    local: { ip: localIp, port: localPort },
  };
  // Only when configured: without a public address flows (and the tokens sealing them) stay as they were.
  if (advertised !== undefined) flow.advertised = advertised;
  return flow;
}

export { Transport };
