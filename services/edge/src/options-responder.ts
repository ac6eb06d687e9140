import { networkInterfaces } from "node:os";
import { METHODS, SipUri, type ResponseOptions, type SipRequest } from "@sipfleet/sip";
import { canonicalHost } from "./ip-address.js";

/**
 * Methods the edge and the workers behind it handle (RFC 3261 §20.5): every method of RFC 3261
 * and its extensions that the SIP library knows; the proxy routes all of them.
 */
export const ALLOWED_METHODS: readonly string[] = METHODS;

/**
 * Who "the platform" is: the served domains and the edge's own addresses. A Request-URI without
 * a user part naming one of them addresses the platform itself rather than a user.
 */
export class PlatformIdentity {
  private readonly hosts: ReadonlySet<string>;

  constructor(domains: Iterable<string>, ownAddresses: Iterable<string>, interfaces: () => Iterable<string> = interfaceAddresses) {
    const hosts = new Set<string>();
    for (const d of domains) hosts.add(canonicalHost(d));
    let wildcard = false;
    for (const a of ownAddresses) {
      if (isWildcard(a)) wildcard = true;
      else hosts.add(canonicalHost(a));
    }
    // A socket bound to a wildcard does not tell which of the host's addresses a datagram was
    // sent to: every address of the host is the edge's own.
    if (wildcard) for (const a of interfaces()) hosts.add(canonicalHost(a));
    this.hosts = hosts;
  }

  /**
   * Whether `req` is addressed to the platform: a sip/sips Request-URI without user part whose
   * host is a served domain, an address the edge listens on, or the local address the request
   * arrived at (for an edge listening on a wildcard address). A malformed Request-URI is not.
   */
  isAddressedToPlatform(req: SipRequest, localIp: string): boolean {
    let uri;
    try {
      uri = req.uri;
    } catch {
      return false;
    }
    if (!(uri instanceof SipUri) || uri.user !== undefined) return false;
    const host = canonicalHost(uri.host);
    return this.hosts.has(host) || host === canonicalHost(localIp);
  }
}

function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.push(i.address);
  return out;
}

function isWildcard(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::" || ip === "[::]";
}

/**
 * The 200 OK to an OPTIONS addressed to the platform (RFC 3261 §11.2): what it allows, accepts
 * and supports, and no body. Load balancers and UAs use it as keep-alive and health probe.
 */
export function optionsAnswer(supported: readonly string[]): ResponseOptions {
  return {
    headers: [
      ["Allow", ALLOWED_METHODS.join(", ")],
      ["Accept", "application/sdp"],
      ["Supported", supported.join(", ")],
    ],
  };
}

/** Whether `req` is an OPTIONS to the platform (then Max-Forwards 0 is fine: it is the final recipient). */
export function isPlatformOptions(req: SipRequest, platform: PlatformIdentity, localIp: string): boolean {
  return req.method === "OPTIONS" && platform.isAddressedToPlatform(req, localIp);
}
