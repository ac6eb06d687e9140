import type { TransactionTransport } from "@sipfleet/sip";
import { Transport, type Link } from "./flow.js";

/**
 * Where a client transaction of the edge sends: a link (a local socket or connection, or a flow
 * another edge owns) and the address on it. Server transactions use `RequestOrigin`, which has
 * the same shape under other names; this is the client side's `Dest`.
 */
export interface Hop {
  readonly link: Link;
  readonly ip: string;
  readonly port: number;
}

/** The transport below the edge's client transactions. */
export const hopTransport: TransactionTransport<Hop> = {
  send(bytes: Buffer, hop: Hop): void {
    hop.link.send(bytes, hop.ip, hop.port);
  },
};

/** `SIP/2.0/UDP`: the protocol part of a Via for a link's transport (RFC 3261 §20.42, RFC 7118). */
export function viaTransport(link: Link): string {
  return `SIP/2.0/${transportName(link.transport)}`;
}

/** As SIP names a transport: UDP, TCP, TLS, WS, WSS. */
export function transportName(transport: Transport): string {
  return TRANSPORT_NAMES[transport] ?? "UDP";
}

const TRANSPORT_NAMES: Readonly<Partial<Record<Transport, string>>> = {
  [Transport.TRANSPORT_UDP]: "UDP",
  [Transport.TRANSPORT_TCP]: "TCP",
  [Transport.TRANSPORT_TLS]: "TLS",
  [Transport.TRANSPORT_WS]: "WS",
  [Transport.TRANSPORT_WSS]: "WSS",
};
