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
 * In-place lookup of known names, on the received bytes: a small hash of (length, first byte,
 * last byte), folded to lower case, picks the candidates; a byte-by-byte compare through FOLD
 * confirms. Every spelling of a known header is found without allocating. Bytes, not a string's
 * chars: on Node 20 an indexed Uint8Array read costs about half of a charCodeAt, and this runs
 * on every header name of every message.
 */
const SLOTS = 512;

/** Token chars folded to lower case; 0 for every byte no header name (a token) may hold. */
const FOLD: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of "0123456789abcdefghijklmnopqrstuvwxyz-.!%*_+`'~") t[c.charCodeAt(0)] = c.charCodeAt(0);
  for (let c = 0x41; c <= 0x5a; c++) t[c] = c | 0x20;
  return t;
})();

/** The known names (lower case), back to back; candidate k is NAME_BYTES[nameStart[k], +nameLength[k]). */
let NAME_BYTES = new Uint8Array(0);
/**
 * The same names as they are nearly always written (`Call-ID`, `Max-Forwards`; compact forms in
 * lower case), at the same offsets: a name spelled so is confirmed with one table read per byte
 * instead of two.
 */
let SPELLED_BYTES = new Uint8Array(0);
const nameStart: number[] = [];
const nameLength: number[] = [];
const nameKey: string[] = [];
/** Per candidate, the next one in its slot, or -1. */
const nextInSlot: number[] = [];
/** Per slot, its first candidate, or -1. */
const slotHead = new Int32Array(SLOTS).fill(-1);

function slotOf(length: number, first: number, last: number): number {
  return ((length << 4) ^ (first << 1) ^ last) & (SLOTS - 1);
}

{
  const names: [match: string, key: string][] = [];
  for (const key of Object.values(H)) names.push([key, key]);
  for (const [letter, key] of Object.entries(COMPACT)) names.push([letter, key]);
  let text = "";
  let spelled = "";
  for (const [match, key] of names) {
    spelled += match.length === 1 ? match : displayName(key);
    const k = nameKey.length;
    nameStart.push(text.length);
    nameLength.push(match.length);
    nameKey.push(key);
    text += match;
    const slot = slotOf(match.length, match.charCodeAt(0), match.charCodeAt(match.length - 1));
    // Appended at the end of the slot's chain, so earlier entries are tried first.
    nextInSlot.push(-1);
    if (slotHead[slot] === -1) slotHead[slot] = k;
    else {
      let c = slotHead[slot] as number;
      while (nextInSlot[c] !== -1) c = nextInSlot[c] as number;
      nextInSlot[c] = k;
    }
  }
  NAME_BYTES = Buffer.from(text, "latin1");
  SPELLED_BYTES = Buffer.from(spelled, "latin1");
}

const MAX_KNOWN_LENGTH = Math.max(...nameLength);

/**
 * The canonical key of the header name `bytes[start, end)` when it names a known header (in any
 * case, compact forms included), matched in place without allocating; undefined otherwise.
 */
export function knownHeaderNameIn(bytes: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  if (length <= 0 || length > MAX_KNOWN_LENGTH) return undefined;
  for (
    let c = slotHead[slotOf(length, FOLD[bytes[start] as number] as number, FOLD[bytes[end - 1] as number] as number)] as number;
    c >= 0;
    c = nextInSlot[c] as number
  ) {
    if (nameLength[c] !== length) continue;
    const m = (nameStart[c] as number) - start;
    let k = start;
    while (k < end && bytes[k] === SPELLED_BYTES[m + k]) k++;
    // The bytes matched so far are a spelling of the name: the rest is compared case-insensitively.
    while (k < end && FOLD[bytes[k] as number] === NAME_BYTES[m + k]) k++;
    if (k === end) return nameKey[c];
  }
  return undefined;
}

/** Where canonicalHeaderName puts a name's chars so that knownHeaderNameIn can read them. */
const scratch = new Uint8Array(MAX_KNOWN_LENGTH);

/** The canonical key of a header name in any spelling: known ones (compact forms too), else lower-cased. */
export function canonicalHeaderName(name: string): string {
  const length = name.length;
  if (length === 0) return name;
  if (length <= MAX_KNOWN_LENGTH) {
    let k = 0;
    while (k < length && name.charCodeAt(k) < 0x80) {
      scratch[k] = name.charCodeAt(k);
      k++;
    }
    if (k === length) {
      const key = knownHeaderNameIn(scratch, 0, length);
      if (key !== undefined) return key;
    }
  }
  return name.toLowerCase();
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
