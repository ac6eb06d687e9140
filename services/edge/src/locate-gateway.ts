import { locateSipServers, type Random, type SipDnsLookup, type SipServer } from "@sipfleet/sip-dns";
import type { Gateway } from "@sipfleet/trunks";
import type { NextHopAddress } from "./next-hop.js";

/*
 * One way for the edge to find a configured gateway's servers: RFC 3263 §4 (NAPTR, SRV, A/AAAA)
 * through @sipfleet/sip-dns, as the proxy locates the gateways of calls (gateway-servers.ts), so
 * OPTIONS pings and REGISTERs go to the servers calls go to. An IP literal is one server (its
 * transport, or UDP; its port, or 5060/5061) without asking DNS.
 */

/**
 * The gateway's servers, the first to try first; empty when DNS knows none. `secure`: only TLS
 * (a sips AOR, RFC 3263 §4.1); a gateway configured with transport tls is secure anyway. Throws
 * (DnsLookupError) when DNS gives no answer: "no answer" is not "no server".
 */
export type LocateGateway = (gateway: Gateway, secure: boolean) => Promise<SipServer[]>;

export function gatewayLocator(dns: SipDnsLookup, random: Random = Math.random): LocateGateway {
  return (g, secure) => locateSipServers({ host: g.host, port: g.port, transport: g.transport, secure: secure || g.transport === "tls" }, dns, random);
}

/** A located server as the edge's links take it (the name a TLS server must prove: the gateway's). */
export function serverAddress(s: SipServer): NextHopAddress {
  return { transport: s.transport, ip: s.ip, port: s.port, host: s.serverName };
}
