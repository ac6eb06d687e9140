import { AbsoluteUri, NameAddr, SipUri, TelUri, parseNameAddr, type Uri } from "@sipfleet/sip";

/**
 * What identifies a binding within its AOR.
 *
 * RFC 5626 §6: "the registrar MUST check if the instance-id and reg-id of the Contact header
 * field in the REGISTER matches any existing binding" — so a contact carrying both names its
 * binding by them, whatever its URI. Otherwise RFC 3261 §10.3 step 7: "For each address, the
 * registrar then searches the list of current bindings using the URI comparison rules", and the
 * key is the contact URI's comparison form (`uriBindingKey`).
 */
export function contactBindingKey(uri: Uri, instanceId: string, regId: number): string {
  return instanceId !== "" && regId > 0 ? instanceBindingKey(instanceId, regId) : uriBindingKey(uri);
}

/** The key of a Contact header value (one name-addr, parsed when given as text). Throws ParseError. */
export function bindingKey(contact: NameAddr | string): string {
  const na = typeof contact === "string" ? parseNameAddr(contact, 0, contact.length, "Contact") : contact;
  const regId = na.regId;
  return contactBindingKey(na.uri, na.instance ?? "", regId !== undefined && Number.isInteger(regId) ? regId : 0);
}

/** RFC 5626 §6 key: `<+sip.instance> <reg-id>`, the instance as given (a URN, compared exactly). */
export function instanceBindingKey(instanceId: string, regId: number): string {
  return `${instanceId} ${regId}`;
}

/**
 * RFC 3261 §19.1.4 comparison form of a URI: two URIs that `uriEquals` calls equal get the same
 * key. What the key keeps:
 * - scheme; user and password exactly ("Comparison of the userinfo of SIP and SIPS URIs is
 *   case-sensitive"), in canonical escaping so `%61lice` and `alice` agree;
 * - host lower-cased (IPv6 in its compressed form), and the port only when written ("A URI
 *   omitting the optional port component will not match a URI explicitly declaring port 5060");
 * - the parameters that must match whenever either URI has them — user, ttl, method, maddr,
 *   transport — with lower-cased values, in a fixed order;
 * - every header ("URI header components are never ignored"), names lower-cased, sorted.
 *
 * Other parameters are dropped: §19.1.4 ignores one "appearing in only one URI", so
 * `sip:carol@chicago.com;security=on` and `;security=off` share a key although they are not
 * equal to each other (the RFC's own note that "equality is not transitive"). One key per contact
 * is what a registrar can store, and binding them together is the reading that keeps a UA from
 * piling up bindings by varying an unrelated parameter.
 */
export function uriBindingKey(uri: Uri): string {
  if (uri instanceof SipUri) return sipUriKey(uri);
  if (uri instanceof TelUri) return telUriKey(uri);
  if (uri instanceof AbsoluteUri) return uri.scheme + uri.text.slice(uri.scheme.length);
  throw new TypeError("uriBindingKey: not a URI");
}

/** RFC 3261 §19.1.4: "A URI that includes an maddr parameter will not match a URI that contains no maddr parameter." and "the transport-parameter, ttl-parameter, user-parameter, and method components". */
const MUST_MATCH_PARAMS = ["maddr", "method", "transport", "ttl", "user"] as const;

function sipUriKey(uri: SipUri): string {
  const wire = uri.wire;
  let key = uri.scheme + ":";
  if (wire.user !== undefined) {
    key += wire.user;
    if (wire.password !== undefined) key += ":" + wire.password;
    key += "@";
  }
  key += wire.hostType === "ipv6" ? canonicalIPv6(uri.host) : uri.host.toLowerCase();
  if (uri.port !== undefined) key += ":" + uri.port;
  const params = wire.params;
  for (const name of MUST_MATCH_PARAMS) {
    for (let k = 0; k < params.length; k += 2) {
      if (params[k] !== name) continue;
      const value = params[k + 1];
      key += value === null || value === undefined ? ";" + name : ";" + name + "=" + value.toLowerCase();
      break;
    }
  }
  const headers = wire.headers;
  if (headers.length > 0) {
    const pairs: string[] = [];
    for (let k = 0; k < headers.length; k += 2) pairs.push(headers[k]!.toLowerCase() + "=" + headers[k + 1]!);
    pairs.sort();
    key += "?" + pairs.join("&");
  }
  return key;
}

/** `[2001:DB8:0:0::1]` → `[2001:db8::1]`: hostsEqual compares IPv6 references by value. */
function canonicalIPv6(host: string): string {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return host.toLowerCase();
  }
}

/**
 * RFC 3966 §4: numbers equal "after removing all visual separators", and "If one URI has a
 * parameter name not found in the other, the two URIs are not equal" — so every parameter is
 * kept, sorted; "URI comparisons are case-insensitive".
 */
function telUriKey(uri: TelUri): string {
  let key = "tel:" + stripVisualSeparators(uri.number).toLowerCase();
  const wire = uri.wire;
  const params: string[] = [];
  for (let k = 0; k < wire.length; k += 2) {
    const name = wire[k]!;
    let value = wire[k + 1];
    if (value !== null && value !== undefined && (name === "ext" || (name === "phone-context" && value.startsWith("+")))) {
      value = stripVisualSeparators(value);
    }
    params.push(value === null || value === undefined ? name : name + "=" + value.toLowerCase());
  }
  params.sort();
  for (const p of params) key += ";" + p;
  return key;
}

/** RFC 3966 §3: visual-separator = "-" / "." / "(" / ")". */
function stripVisualSeparators(s: string): string {
  return s.replace(/[-.()]/g, "");
}
