import { SipUri, type Uri } from "@sipfleet/sip";

/*
 * The key bindings are stored under. The registrar writes with it (from the To of a REGISTER) and
 * the proxy reads with it (from the Request-URI of a request for a local user): both must spell
 * an AOR the same way, so the one function that does lives next to the bindings.
 */

export interface AddressOfRecord {
  /** Canonical `sip:user@domain`: the key under which bindings are stored. */
  readonly aor: string;
  readonly user: string;
  /** Lower-cased. */
  readonly domain: string;
}

/**
 * RFC 3261 §10.3 step 5: "the registrar extracts the address-of-record from the To header field
 * ... converting the URI to canonical form. To do that, all URI parameters MUST be removed
 * (including the user-param), and any escaped characters MUST be converted to their unescaped
 * form." The scheme is folded to sip: a sips AOR names the same user (the binding keeps its own
 * contact scheme). Undefined for a URI without a user part or of another scheme.
 */
export function addressOfRecord(uri: Uri): AddressOfRecord | undefined {
  if (!(uri instanceof SipUri)) return undefined;
  const user = uri.user;
  if (user === undefined || user.length === 0) return undefined;
  return userAddressOfRecord(user, uri.host);
}

/**
 * The AOR of `user` (unescaped, case-sensitive) in `domain`: for a request whose Request-URI names
 * the platform by address rather than by domain, the proxy picks the domain and keys by it.
 */
export function userAddressOfRecord(user: string, domain: string): AddressOfRecord {
  const d = domain.toLowerCase();
  return { aor: `sip:${user}@${d}`, user, domain: d };
}
