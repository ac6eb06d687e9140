import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { type NextHop, Transport } from "@sipfleet/proto";
import { SipUri, type Uri } from "@sipfleet/sip";

/** Where a request that no flow names goes: the address of a URI (RFC 3263, reduced). */
export interface NextHopAddress {
  readonly transport: "udp" | "tcp" | "tls" | "ws" | "wss";
  readonly ip: string;
  readonly port: number;
  /** The URI's host (or maddr) as written, without brackets: the name a TLS server must prove. */
  readonly host: string;
}

/**
 * The port of a hop that names none (RFC 3261 §19.1.2, §18.2.2): 5061 for TLS, 5060 otherwise.
 * One place for it: next hops, Via sent-by ports of responses, reconnections.
 */
export function defaultPort(transport: NextHopAddress["transport"]): number {
  return transport === "tls" ? 5061 : 5060;
}

/**
 * RFC 3263 §4 for a SIP or SIPS URI, without NAPTR/SRV (the workers locate trunk gateways with
 * them, @sipfleet/sip-dns, and pass the server as Target.next_hop): the transport from
 * the `transport` parameter (UDP for sip, TLS for sips by default), the host from `maddr` or the
 * host part, resolved with the system resolver when it is a name, the port given or the default.
 * Returns a string saying why there is no address.
 */
export async function resolveNextHop(uri: Uri): Promise<NextHopAddress | string> {
  if (!(uri instanceof SipUri)) return `no route to ${JSON.stringify(uri.toString())}: not a sip or sips URI`;
  const secure = uri.scheme === "sips";
  const param = uri.transport?.toLowerCase();
  let transport: NextHopAddress["transport"];
  switch (param) {
    case undefined:
      transport = secure ? "tls" : "udp";
      break;
    case "udp":
    case "tcp":
    case "tls":
    case "ws":
    case "wss":
      transport = param;
      break;
    default:
      return `unknown transport ${JSON.stringify(param)} in ${JSON.stringify(uri.toString())}`;
  }
  const host = stripBrackets(uri.maddr ?? uri.host);
  // A sips URI defaults to the TLS port whatever its transport parameter says.
  const port = uri.port ?? defaultPort(secure ? "tls" : transport);
  if (isIP(host) !== 0) return { transport, ip: host, port, host };
  // A name gets one A/AAAA lookup and nothing more: no NAPTR/SRV, no failover to a second
  // address (RFC 3263 proper comes later). A name that does not resolve is a failed branch.
  try {
    const { address } = await lookup(host);
    return { transport, ip: address, port, host };
  } catch (e) {
    return `cannot resolve ${host}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** What RFC 3263 locates servers over (WebSocket peers are reached over their own flows). */
const LOCATED_TRANSPORTS: ReadonlyMap<Transport, NextHopAddress["transport"]> = new Map([
  [Transport.TRANSPORT_UDP, "udp"],
  [Transport.TRANSPORT_TCP, "tcp"],
  [Transport.TRANSPORT_TLS, "tls"],
]);

/** A located server from a decision (Target.next_hop), or why it cannot be used. */
export function nextHopFromWire(hop: NextHop): NextHopAddress | string {
  const transport = LOCATED_TRANSPORTS.get(hop.transport);
  if (transport === undefined) return `next hop ${hop.ip}:${hop.port} has no transport a server is located for`;
  if (isIP(hop.ip) === 0 || hop.port === 0 || hop.port > 65535) return `next hop ${JSON.stringify(hop.ip)}:${hop.port} is not an address`;
  return { transport, ip: hop.ip, port: hop.port, host: hop.serverName === "" ? hop.ip : hop.serverName };
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
