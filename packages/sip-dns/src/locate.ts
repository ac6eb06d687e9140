import { isIP } from "node:net";
import type { SipDnsLookup, SrvRecord } from "./dns-lookup.js";
import { type Random, weightedOrder } from "./srv-order.js";

/*
 * Locating SIP servers, RFC 3263 §4, for a URI's host, port and transport: the ordered list of
 * (transport, address, port) to try, the first first. A client tries the next on a transport
 * failure, a 503 or a timeout (§4.3), which is how the platform's serial gateway failover uses it.
 * Transports are those the platform sends over toward servers: UDP, TCP and TLS (no SCTP; WS is
 * only reached over a registered flow).
 */

export type SipServerTransport = "udp" | "tcp" | "tls";

export interface SipServerQuery {
  /** A name or an IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number | undefined;
  /** The URI's transport parameter, if any. */
  readonly transport: SipServerTransport | undefined;
  /** A sips URI: TLS only (RFC 3263 §4.1: "only SIPS NAPTR records" are considered). */
  readonly secure: boolean;
}

export interface SipServer {
  readonly transport: SipServerTransport;
  readonly ip: string;
  readonly port: number;
  /**
   * The URI's host: the name a TLS server must prove (RFC 5922 §4: the domain of the URI, not the
   * SRV target, which DNS alone vouches for).
   */
  readonly serverName: string;
}

/** Service fields of NAPTR records for SIP (RFC 3263 §4.1), with what each is sent over. */
const NAPTR_SERVICES: ReadonlyMap<string, SipServerTransport> = new Map([
  ["SIP+D2U", "udp"],
  ["SIP+D2T", "tcp"],
  ["SIPS+D2T", "tls"],
]);

const SRV_PREFIX: Readonly<Record<SipServerTransport, string>> = { udp: "_sip._udp.", tcp: "_sip._tcp.", tls: "_sips._tcp." };

/** One answer holds at most this many servers: a zone cannot make one call try hundreds. */
export const MAX_SERVERS = 16;

export function defaultSipPort(transport: SipServerTransport): number {
  return transport === "tls" ? 5061 : 5060;
}

/**
 * The servers to try for `q`, in order; empty when DNS knows none. Lookup failures (timeouts,
 * SERVFAIL) throw DnsLookupError: "no answer" is not "no server".
 */
export async function locateSipServers(q: SipServerQuery, dns: SipDnsLookup, random: Random = Math.random): Promise<SipServer[]> {
  const serverName = q.host;
  const fallback: SipServerTransport = q.secure ? "tls" : "udp";
  // §4.1: a numeric address, or a name with a port, takes the given or the default transport
  // with no NAPTR/SRV; §4.2: an explicit port means an A/AAAA lookup only.
  if (isIP(q.host) !== 0) {
    const transport = q.transport ?? fallback;
    return [{ transport, ip: q.host, port: q.port ?? defaultSipPort(transport), serverName }];
  }
  if (q.port !== undefined) {
    const transport = q.transport ?? fallback;
    return cap(await atAddresses(dns, q.host, q.port, transport, serverName));
  }
  // §4.2: a transport given by the URI still has its port from SRV, else the default.
  if (q.transport !== undefined) return cap(await viaSrvOrAddress(dns, q.host, q.transport, serverName, random));

  // §4.1: NAPTR first; records for services we do not speak, or without the "s" flag (the next
  // lookup is SRV), are skipped; a sips URI considers SIPS records only.
  const naptr = (await dns.naptr(q.host))
    .filter((r) => r.flags.toLowerCase() === "s" && NAPTR_SERVICES.has(r.service.toUpperCase()))
    .filter((r) => !q.secure || NAPTR_SERVICES.get(r.service.toUpperCase()) === "tls")
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
  if (naptr.length > 0) {
    const out: SipServer[] = [];
    for (const r of naptr) {
      const transport = NAPTR_SERVICES.get(r.service.toUpperCase())!;
      out.push(...(await fromSrv(dns, await dns.srv(r.replacement), transport, serverName, random)));
      if (out.length >= MAX_SERVERS) break;
    }
    return cap(dedupe(out));
  }
  // §4.1: no NAPTR: an SRV query for each transport we support; "a particular transport is
  // supported if the query is successful". UDP first for sip, the transport §4.1 falls back to.
  const transports: readonly SipServerTransport[] = q.secure ? ["tls"] : ["udp", "tcp", "tls"];
  const out: SipServer[] = [];
  for (const t of transports) out.push(...(await fromSrv(dns, await dns.srv(SRV_PREFIX[t] + q.host), t, serverName, random)));
  if (out.length > 0) return cap(dedupe(out));
  // §4.2: no SRV either: the host's addresses at the default port of the default transport.
  return cap(await atAddresses(dns, q.host, defaultSipPort(fallback), fallback, serverName));
}

async function viaSrvOrAddress(dns: SipDnsLookup, host: string, transport: SipServerTransport, serverName: string, random: Random): Promise<SipServer[]> {
  const srv = await dns.srv(SRV_PREFIX[transport] + host);
  if (srv.length > 0) return dedupe(await fromSrv(dns, srv, transport, serverName, random));
  return atAddresses(dns, host, defaultSipPort(transport), transport, serverName);
}

/** RFC 2782: records by priority and weight; a target of "." means "no such service here". */
async function fromSrv(dns: SipDnsLookup, records: readonly SrvRecord[], transport: SipServerTransport, serverName: string, random: Random): Promise<SipServer[]> {
  if (records.length === 1 && (records[0]!.name === "." || records[0]!.name === "")) return [];
  const out: SipServer[] = [];
  for (const r of weightedOrder(records, random)) {
    out.push(...(await atAddresses(dns, r.name, r.port, transport, serverName)));
    if (out.length >= MAX_SERVERS) break;
  }
  return out;
}

async function atAddresses(dns: SipDnsLookup, host: string, port: number, transport: SipServerTransport, serverName: string): Promise<SipServer[]> {
  return (await dns.addresses(host)).map((ip) => ({ transport, ip, port, serverName }));
}

function dedupe(servers: readonly SipServer[]): SipServer[] {
  const seen = new Set<string>();
  return servers.filter((s) => {
    const key = `${s.transport} ${s.ip} ${s.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function cap(servers: SipServer[]): SipServer[] {
  return servers.length > MAX_SERVERS ? servers.slice(0, MAX_SERVERS) : servers;
}
