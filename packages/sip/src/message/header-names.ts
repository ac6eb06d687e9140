/*
 * Header names: SIP compares them case-insensitively and lets some be sent in a one-letter
 * compact form (RFC 3261 §7.3.3 and the extensions that registered one). Inside the library a
 * header is known by its canonical key: the lower-cased long form.
 */

/** Canonical keys of the headers the library reads. */
export const H = {
  via: "via",
  from: "from",
  to: "to",
  callId: "call-id",
  cseq: "cseq",
  maxForwards: "max-forwards",
  contact: "contact",
  route: "route",
  recordRoute: "record-route",
  path: "path",
  expires: "expires",
  minExpires: "min-expires",
  contentLength: "content-length",
  contentType: "content-type",
  contentEncoding: "content-encoding",
  supported: "supported",
  require: "require",
  proxyRequire: "proxy-require",
  unsupported: "unsupported",
  authorization: "authorization",
  proxyAuthorization: "proxy-authorization",
  wwwAuthenticate: "www-authenticate",
  proxyAuthenticate: "proxy-authenticate",
  allow: "allow",
  userAgent: "user-agent",
  server: "server",
  date: "date",
  subject: "subject",
  event: "event",
  allowEvents: "allow-events",
  referTo: "refer-to",
  referredBy: "referred-by",
  sessionExpires: "session-expires",
  identity: "identity",
  retryAfter: "retry-after",
  accept: "accept",
  warning: "warning",
  serviceRoute: "service-route",
  timestamp: "timestamp",
} as const;

/** RFC 3261 §7.3.3 compact forms, and those registered since (RFC 3265, 3515, 3841, 3892, 4028, 8224). */
const COMPACT: Readonly<Record<string, string>> = {
  a: "accept-contact",
  b: H.referredBy,
  c: H.contentType,
  d: "request-disposition",
  e: H.contentEncoding,
  f: H.from,
  i: H.callId,
  j: "reject-contact",
  k: H.supported,
  l: H.contentLength,
  m: H.contact,
  o: H.event,
  r: H.referTo,
  s: H.subject,
  t: H.to,
  u: H.allowEvents,
  v: H.via,
  x: H.sessionExpires,
  y: H.identity,
};

/** The spelling used when the library writes a header. */
const DISPLAY: Readonly<Record<string, string>> = {
  "call-id": "Call-ID",
  cseq: "CSeq",
  "www-authenticate": "WWW-Authenticate",
  "mime-version": "MIME-Version",
  "rack": "RAck",
  "rseq": "RSeq",
};

/*
 * In-place lookup of known names: a small hash of (length, first char, last char), folded to
 * lower case, picks the candidates; a case-insensitive compare confirms. Every spelling of a
 * known header is found without allocating. `| 0x20` folds ASCII letters; on the other chars a
 * header name may hold it is the identity, except on chars no token contains.
 */
const SLOTS = 512;
/** Per slot, alternating match text (lower case) and canonical key. */
const bySlot: (string[] | undefined)[] = new Array<undefined>(SLOTS);

function slotOf(length: number, first: number, last: number): number {
  return ((length << 4) ^ ((first | 0x20) << 1) ^ (last | 0x20)) & (SLOTS - 1);
}

function addKnown(match: string, key: string): void {
  const slot = slotOf(match.length, match.charCodeAt(0), match.charCodeAt(match.length - 1));
  (bySlot[slot] ??= []).push(match, key);
}
for (const key of Object.values(H)) addKnown(key, key);
for (const [letter, key] of Object.entries(COMPACT)) addKnown(letter, key);

/**
 * The canonical key of the header name `text[start, end)` when it names a known header (in any
 * case, compact forms included), matched in place without allocating; undefined otherwise.
 */
export function knownHeaderNameAt(text: string, start: number, end: number): string | undefined {
  const length = end - start;
  const candidates = bySlot[slotOf(length, text.charCodeAt(start), text.charCodeAt(end - 1))];
  if (candidates === undefined) return undefined;
  for (let c = 0; c < candidates.length; c += 2) {
    const match = candidates[c] as string;
    if (match.length !== length) continue;
    let k = 0;
    while (k < length && (text.charCodeAt(start + k) | 0x20) === match.charCodeAt(k)) k++;
    if (k === length) return candidates[c + 1];
  }
  return undefined;
}

/** The canonical key of a header name in any spelling: known ones (compact forms too), else lower-cased. */
export function canonicalHeaderName(name: string): string {
  return name.length === 0 ? name : (knownHeaderNameAt(name, 0, name.length) ?? name.toLowerCase());
}

/** The conventional spelling of a header for output: `call-id` → `Call-ID`, `via` → `Via`. */
export function displayName(key: string): string {
  const special = DISPLAY[key];
  if (special !== undefined) return special;
  let out = "";
  let upper = true;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i] as string;
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === "-";
  }
  return out;
}

/**
 * Headers whose value is a comma-separated list (RFC 3261 §7.3.1: `#element` in the grammar),
 * so that several header lines and one line with commas mean the same. The authentication
 * headers are not here: their commas separate parameters, not values.
 */
const LIST_HEADERS: ReadonlySet<string> = new Set<string>([
  H.via,
  H.contact,
  H.route,
  H.recordRoute,
  H.path,
  H.serviceRoute,
  H.supported,
  H.require,
  H.proxyRequire,
  H.unsupported,
  H.allow,
  H.allowEvents,
  H.accept,
  H.contentEncoding,
  H.warning,
  "accept-encoding",
  "accept-language",
  "alert-info",
  "call-info",
  "error-info",
  "in-reply-to",
  "p-asserted-identity",
  "p-preferred-identity",
  "reason",
  "security-client",
  "security-server",
  "security-verify",
  "accept-contact",
  "reject-contact",
  "request-disposition",
  "history-info",
]);

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}
