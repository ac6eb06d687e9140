import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { parseUri, SipUri, type SipRequest } from "@sipfleet/sip";

/** Where a request that no flow names goes: the address of a URI (RFC 3263, reduced). */
export interface NextHopAddress {
  readonly transport: "udp" | "tcp" | "tls" | "ws" | "wss";
  readonly ip: string;
  readonly port: number;
  /** The URI's host (or maddr) as written, without brackets: the name a TLS server must prove. */
  readonly host: string;
}

/**
 * The URI a forwarded request is sent to (RFC 3261 §16.6 step 7, §8.1.2): the top Route when
 * there is one (a loose router), else the Request-URI.
 */
export function nextHopUri(req: SipRequest): string {
  const route = req.route[0];
  return route !== undefined ? route.uriText : req.uriText;
}

/**
 * RFC 3263 §4 for a SIP or SIPS URI, without NAPTR/SRV (trunks bring those): the transport from
 * the `transport` parameter (UDP for sip, TLS for sips by default), the host from `maddr` or the
 * host part, resolved with the system resolver when it is a name, the port given or 5060/5061.
 * Returns a string saying why there is no address.
 */
export async function resolveNextHop(uriText: string): Promise<NextHopAddress | string> {
  let uri;
  try {
    uri = parseUri(uriText);
  } catch (e) {
    return `unparsable next-hop URI ${JSON.stringify(uriText)}: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (!(uri instanceof SipUri)) return `no route to ${JSON.stringify(uriText)}: not a sip or sips URI`;
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
      return `unknown transport ${JSON.stringify(param)} in ${JSON.stringify(uriText)}`;
  }
  const host = stripBrackets(uri.maddr ?? uri.host);
  const port = uri.port ?? (secure || transport === "tls" ? 5061 : 5060);
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

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
