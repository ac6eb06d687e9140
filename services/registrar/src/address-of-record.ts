import { SipUri, type Uri } from "@sipfleet/sip";

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
  const domain = uri.host.toLowerCase();
  return { aor: `sip:${user}@${domain}`, user, domain };
}
