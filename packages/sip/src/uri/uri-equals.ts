import { AbsoluteUri } from "./absolute-uri.js";
import { SipUri } from "./sip-uri.js";
import { telDigits } from "./tel-number.js";
import { TelUri } from "./tel-uri.js";
import type { Uri } from "./uri.js";
import { equalsIgnoreCase } from "./uri-chars.js";
import { hostsEqual } from "./uri-host.js";
import { wireIndexOf } from "./uri-params.js";

/**
 * URI equivalence: RFC 3261 §19.1.4 for SIP/SIPS, RFC 3966 §4 for tel. URIs of different
 * schemes are never equal. For other schemes, which RFC 3261 does not define a comparison for,
 * the scheme compares case-insensitively and the rest char for char.
 *
 * Components are compared in canonical wire form (see canonicalEscapes), which implements
 * "Characters other than those in the "reserved" set (see RFC 2396) are equivalent to their
 * "%" HEX HEX encoding": `%61lice` matches `alice`, `a%3Bb` does not match `a;b`.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a === b) return true;
  if (a instanceof SipUri) return b instanceof SipUri && sipEquals(a, b);
  if (a instanceof TelUri) return b instanceof TelUri && telEquals(a, b);
  if (a instanceof AbsoluteUri && b instanceof AbsoluteUri) {
    return a.scheme === b.scheme && a.text.slice(a.scheme.length) === b.text.slice(b.scheme.length);
  }
  return false;
}

/**
 * RFC 3261 §19.1.4: uri-parameters that, when present in one URI, must be present and equal in
 * the other: "A URI omitting any component with a default value will not match a URI explicitly
 * containing that component with its default value ... The same is true for the
 * transport-parameter, ttl-parameter, user-parameter, and method components", and "A URI that
 * includes an maddr parameter will not match a URI that contains no maddr parameter."
 */
const MUST_MATCH = ["transport", "ttl", "user", "method", "maddr"];

function sipEquals(a: SipUri, b: SipUri): boolean {
  // "A SIP and SIPS URI are never equivalent."
  if (a.scheme !== b.scheme) return false;
  const wa = a.wire;
  const wb = b.wire;
  // "Comparison of the userinfo of SIP and SIPS URIs is case-sensitive." "A URI omitting the user
  // component will not match a URI that includes one. A URI omitting the password component will
  // not match a URI that includes one." (undefined !== "")
  if (wa.user !== wb.user || wa.password !== wb.password) return false;
  // "A URI omitting the optional port component will not match a URI explicitly declaring port 5060."
  if (a.port !== b.port) return false;
  if (!hostsEqual(a.host, wa.hostType, b.host, wb.hostType)) return false;
  return paramsEqual(wa.params, wb.params) && headersEqual(wa.headers, wb.headers);
}

/**
 * "Any uri-parameter appearing in both URIs must match." The MUST_MATCH ones in only one URI
 * never match; "All other uri-parameters appearing in only one URI are ignored". Names and
 * values compare case-insensitively ("Comparison of all other components of the URI is
 * case-insensitive unless explicitly defined otherwise"); order does not matter.
 */
function paramsEqual(pa: readonly (string | null)[], pb: readonly (string | null)[]): boolean {
  for (let k = 0; k < pa.length; k += 2) {
    const name = pa[k]!;
    const j = wireIndexOf(pb, name);
    if (j < 0) {
      if (MUST_MATCH.includes(name)) return false;
      continue;
    }
    if (!nullableEqualsIgnoreCase(pa[k + 1] as string | null, pb[j + 1] as string | null)) return false;
  }
  for (const name of MUST_MATCH) {
    if (wireIndexOf(pb, name) >= 0 && wireIndexOf(pa, name) < 0) return false;
  }
  return true;
}

function nullableEqualsIgnoreCase(x: string | null, y: string | null): boolean {
  return x === null || y === null ? x === y : equalsIgnoreCase(x, y);
}

/**
 * "URI header components are never ignored. Any present header component MUST be present in
 * both URIs and match for the URIs to match. The matching rules are defined for each header
 * field in Section 20." Header names compare case-insensitively; values compare exactly (after
 * escape normalization), which never calls different values equal — applying each header's
 * own §20 rules would need a parser per header. Repeated headers compare as a multiset.
 */
function headersEqual(ha: readonly string[], hb: readonly string[]): boolean {
  const n = ha.length;
  if (n !== hb.length) return false;
  if (n === 0) return true;
  const used = new Uint8Array(n >> 1);
  outer: for (let k = 0; k < n; k += 2) {
    for (let j = 0; j < n; j += 2) {
      if (used[j >> 1] === 0 && ha[k + 1] === hb[j + 1] && equalsIgnoreCase(ha[k]!, hb[j]!)) {
        used[j >> 1] = 1;
        continue outer;
      }
    }
    return false;
  }
  return true;
}

/**
 * RFC 3966 §4: both global or both local; numbers equal "after removing all visual separators";
 * "phone-context" compared "as a host name if it is a 'domainname' or digit by digit if it is
 * 'global-number-digits'", the latter without visual separators (done for "ext" too, which §4
 * lists alongside); "If one URI has a parameter name not found in the other, the two URIs are
 * not equal"; "URI comparisons are case-insensitive."
 */
function telEquals(a: TelUri, b: TelUri): boolean {
  if (a.isGlobal !== b.isGlobal) return false;
  if (telDigits(a.number) !== telDigits(b.number)) return false;
  const pa = a.wire;
  const pb = b.wire;
  if (pa.length !== pb.length) return false;
  for (let k = 0; k < pa.length; k += 2) {
    const name = pa[k]!;
    const j = wireIndexOf(pb, name);
    if (j < 0) return false;
    let x = pa[k + 1] as string | null;
    let y = pb[j + 1] as string | null;
    if (x !== null && y !== null && (name === "ext" || (name === "phone-context" && x.charCodeAt(0) === 0x2b))) {
      x = telDigits(x);
      y = telDigits(y);
    }
    if (!nullableEqualsIgnoreCase(x, y)) return false;
  }
  return true;
}
