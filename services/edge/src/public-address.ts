import type { ListenTransport, PublicAddress } from "@sipfleet/config";
import type { AdvertisedEndpoint } from "@sipfleet/proto";
import { Transport } from "./flow.js";

/*
 * edge.publicAddress (SIPFLEET_PUBLIC_ADDRESS): what the edge writes as its own address when
 * that is not where its sockets are bound: a pod bound to its pod IP behind a Kubernetes Service
 * or load balancer. RFC 3261 §18.2.1 has the Via sent-by name where responses are to be sent,
 * and §16.6 step 4 the Record-Route URI where in-dialog requests come; a pod IP in either is
 * unreachable from outside, and stale once the pod is gone. Sockets stay bound where edge.listen
 * says; only what the edge writes changes (Via, the flow's `advertised`, from which workers write
 * Record-Route, masked Contacts, the Contact of REGISTERs and OPTIONS to carriers).
 */

/** A configured transport name as the flows write it. */
export const LISTEN_TRANSPORTS: Readonly<Record<ListenTransport, Transport>> = {
  udp: Transport.TRANSPORT_UDP,
  tcp: Transport.TRANSPORT_TCP,
  tls: Transport.TRANSPORT_TLS,
  ws: Transport.TRANSPORT_WS,
  wss: Transport.TRANSPORT_WSS,
};

/** The configured public address per transport. */
export class PublicAddresses {
  private readonly byTransport = new Map<Transport, PublicAddress>();
  private readonly fallback: PublicAddress | undefined;

  private constructor(entries: readonly PublicAddress[]) {
    let fallback: PublicAddress | undefined;
    for (const e of entries) {
      if (e.transport === undefined) fallback = e;
      else this.byTransport.set(LISTEN_TRANSPORTS[e.transport], e);
    }
    this.fallback = fallback;
  }

  /** Undefined when none is configured: the edge advertises its bound addresses. */
  static from(entries: readonly PublicAddress[] | undefined): PublicAddresses | undefined {
    return entries === undefined || entries.length === 0 ? undefined : new PublicAddresses(entries);
  }

  /**
   * What a link of `transport` whose own port is `localPort` advertises; undefined when no entry
   * covers the transport (its bound address is advertised).
   */
  of(transport: Transport, localPort: number): AdvertisedEndpoint | undefined {
    const e = this.byTransport.get(transport) ?? this.fallback;
    return e === undefined ? undefined : { host: e.host, port: e.port ?? localPort };
  }

  /** Every configured host: addresses a request may name the platform by. */
  hosts(): string[] {
    return [...new Set([...this.byTransport.values(), ...(this.fallback === undefined ? [] : [this.fallback])].map((e) => e.host))];
  }
}
