import type { AdvertisedAddress, HostPort } from "@sipfleet/bindings";
import type { DomainConfig } from "@sipfleet/config";
import { SipUri, type Uri } from "@sipfleet/sip";

/*
 * Whether a URI names the platform: one of the served domains, or the very address the request
 * arrived at (a UA that was given the platform's IP instead of its domain, e.g. sipp's
 * `sip:bob@127.0.0.1:5060`), or the address the edge advertises for it (edge.publicAddress: the
 * Service or load balancer a pod sits behind, which is what UAs and carriers were given). Other
 * edges' addresses are not known here; a flow token (which carries its edge's address) is what
 * names them.
 */

/** Where a request arrived: the edge's socket, and what that edge advertises instead, if anything (a flow). */
export interface ArrivalAddress {
  readonly local: HostPort;
  readonly advertised?: AdvertisedAddress | undefined;
}

export type Domains = ReadonlyMap<string, DomainConfig>;

/**
 * The URI's host and port are the socket the request arrived at, or the address its edge
 * advertises; a URI without a port matches any.
 */
export function namesAddress(uri: SipUri, at: ArrivalAddress): boolean {
  const host = bareHost(uri.host);
  const { local, advertised } = at;
  if (local.ip !== "" && host === local.ip.toLowerCase() && (uri.port === undefined || uri.port === local.port)) return true;
  return advertised !== undefined && host === advertised.host && (uri.port === undefined || uri.port === advertised.port);
}

/** What the platform writes as the address of `at` (Record-Route): the advertised one when set. */
export function advertisedHostPort(at: ArrivalAddress): string {
  const a = at.advertised;
  return a === undefined ? uriHostPort(at.local) : `${uriHost(a.host)}:${a.port}`;
}

/** A served domain by name, or the platform's address: a Route value to remove (RFC 3261 §16.4). */
export function namesPlatform(uri: SipUri, at: ArrivalAddress, domains: Domains): boolean {
  return domains.has(uri.host.toLowerCase()) || namesAddress(uri, at);
}

/**
 * The served domain a URI's host names: by name; by the platform's address only when one domain
 * is served (with several, an address does not say which).
 */
export function servedDomain(uri: Uri, at: ArrivalAddress, domains: Domains): DomainConfig | undefined {
  if (!(uri instanceof SipUri)) return undefined;
  const byName = domains.get(uri.host.toLowerCase());
  if (byName !== undefined) return byName;
  return namesAddress(uri, at) ? onlyDomain(domains) : undefined;
}

export type RequestUriResolution =
  /** A user (or none) in a served domain: resolved through the location service. */
  | { readonly kind: "local"; readonly domain: DomainConfig }
  /** The platform's address, but several domains and the From does not say which. */
  | { readonly kind: "ambiguous" }
  /** Somewhere else: relaying, which the platform does not do (yet: trunks). */
  | { readonly kind: "foreign" };

/**
 * Which served domain a Request-URI is in (RFC 3261 §16.5: "the domain of the Request-URI
 * indicates a domain this element is responsible for"). A Request-URI naming the platform by
 * address is in the caller's domain when the From is in a served one, else in the only domain.
 */
export function resolveRequestUri(uri: Uri, at: ArrivalAddress, domains: Domains, fromDomain: DomainConfig | undefined): RequestUriResolution {
  if (!(uri instanceof SipUri)) return { kind: "foreign" };
  const byName = domains.get(uri.host.toLowerCase());
  if (byName !== undefined) return { kind: "local", domain: byName };
  if (!namesAddress(uri, at)) return { kind: "foreign" };
  const domain = fromDomain ?? onlyDomain(domains);
  return domain === undefined ? { kind: "ambiguous" } : { kind: "local", domain };
}

/** `host:port` for a URI: an IPv6 address in brackets (RFC 3261 §25.1 IPv6reference). */
export function uriHostPort(endpoint: HostPort): string {
  return `${uriHost(endpoint.ip)}:${endpoint.port}`;
}

/** A host (name or address) as a URI writes it: an IPv6 address in brackets (RFC 3261 §25.1 IPv6reference). */
export function uriHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** A URI's host lower-cased, an IPv6 reference without its brackets: comparable with a socket's address. */
export function bareHost(host: string): string {
  const h = host.toLowerCase();
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

function onlyDomain(domains: Domains): DomainConfig | undefined {
  if (domains.size !== 1) return undefined;
  for (const d of domains.values()) return d;
  return undefined;
}
