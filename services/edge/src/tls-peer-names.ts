import type { TLSSocket } from "node:tls";

/** What a connection without a verified client certificate carries: nothing, one shared array. */
export const NO_PEER_NAMES: readonly string[] = Object.freeze([]);

/** A DNS name as a certificate may hold it: LDH labels, dots between; no wildcard, no IP. */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The names of the client certificate of an accepted TLS connection, when the edge verified it
 * (`socket.authorized`: it chains to edge.tls.caFile); NO_PEER_NAMES otherwise (no certificate,
 * or one that did not verify, which `requireClientCert: false` lets in). Read once per
 * connection, after the handshake; the workers match them against a trunk's inbound.tlsNames.
 */
export function verifiedPeerNames(socket: TLSSocket): readonly string[] {
  if (!socket.authorized) return NO_PEER_NAMES;
  const cert = socket.getPeerCertificate();
  // An empty object when the peer sent none (cannot be, authorized; checked all the same).
  if (cert === null || typeof cert !== "object" || cert.subject === undefined) return NO_PEER_NAMES;
  return certificateNames(cert.subjectaltname, cert.subject.CN);
}

/**
 * A certificate's SIP domain identities (RFC 5922 §7.1), lower-cased, without duplicates:
 *   - each subjectAltName dNSName, and each URI whose scheme is "sip" and which is a bare domain
 *     (`sip:example.com`; §7.1: a URI "MUST NOT be accepted" as an identity with another scheme,
 *     and one with a user part names a user, not the domain);
 *   - the subject CN only when there is no subjectAltName at all: §7.1 "If and only if the
 *     subjectAltName does not appear in the certificate, the implementation MAY examine the CN
 *     field" (and RFC 6125 §6.4.4: no CN-ID match when a DNS-ID or URI-ID is presented).
 * Wildcards are no names (RFC 5922 §7.2: "Implementations MUST NOT match any form of
 * wildcard"). `subjectAltName` is Node's rendering: "DNS:a, URI:sip:b, IP Address:..."; a value
 * Node had to quote (it holds a comma or a quote) is no DNS name either and is skipped.
 */
export function certificateNames(subjectAltName: string | undefined, commonName: string | string[] | undefined): readonly string[] {
  const names = new Set<string>();
  if (subjectAltName !== undefined && subjectAltName !== "") {
    for (const entry of subjectAltName.split(", ")) {
      let name: string | undefined;
      if (entry.startsWith("DNS:")) name = entry.slice(4);
      else if (entry.startsWith("URI:sip:")) name = entry.slice(8);
      if (name === undefined) continue;
      name = name.toLowerCase();
      if (DNS_NAME.test(name)) names.add(name);
    }
  } else {
    // Several CNs: RFC 6125 §2.3.1 / RFC 2818 take the most specific, the last one.
    const cn = Array.isArray(commonName) ? commonName.at(-1) : commonName;
    const name = cn?.toLowerCase();
    if (name !== undefined && DNS_NAME.test(name)) names.add(name);
  }
  return names.size === 0 ? NO_PEER_NAMES : Object.freeze([...names]);
}
