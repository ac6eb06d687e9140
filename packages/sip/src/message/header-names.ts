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
 * In-place lookup of known names, on the received bytes. (length, first byte, last byte), folded
 * to lower case, picks the one candidate through a hash with no collisions among the known names
 * (its two multipliers are searched for when the module loads); a byte-by-byte compare confirms.
 * Every spelling of a known header is found without allocating. Bytes, not a string's chars: on
 * Node 20 an indexed Uint8Array read costs about a third of a charCodeAt, and this runs on every
 * header name of every message.
 */
const SLOTS = 512;

/** Token chars folded to lower case; 0 for every byte no header name (a token) may hold. */
export const FOLD: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of "0123456789abcdefghijklmnopqrstuvwxyz-.!%*_+`'~") t[c.charCodeAt(0)] = c.charCodeAt(0);
  for (let c = 0x41; c <= 0x5a; c++) t[c] = c | 0x20;
  return t;
})();

/** Per slot, the candidate whose (length, first, last) hashes there, or -1. */
const slotName = new Int16Array(SLOTS).fill(-1);
/** The known names (lower case), back to back; candidate k is NAME_BYTES[nameStart[k], +nameLength[k]). */
const NAME_BYTES: Uint8Array = new Uint8Array(512);
/**
 * The same names as they are nearly always written (`Call-ID`, `Max-Forwards`; compact forms in
 * lower case), at the same offsets: a name spelled so is confirmed with one table read per byte
 * instead of two.
 */
const SPELLED_BYTES: Uint8Array = new Uint8Array(512);
const nameStart = new Int16Array(64);
const nameLength = new Int16Array(64);
const nameKey: string[] = [];
function slotOf(length: number, first: number, last: number, lf: number, ff: number): number {
  return (length * lf + first * ff + last) & (SLOTS - 1);
}

/** The two multipliers of slotOf (constants once found, so that the compiled lookup holds them). */
const [lengthFactor, firstFactor] = ((): [number, number] => {
  const names: [match: string, key: string][] = [];
  for (const key of Object.values(H)) names.push([key, key]);
  for (const [letter, key] of Object.entries(COMPACT)) names.push([letter, key]);
  if (names.length > nameStart.length) throw new Error("header-names: too many known names for the lookup tables");
  // The first pair of multipliers that sends every known name to a slot of its own.
  let found: [number, number] | undefined;
  search: for (let lf = 1; lf < 256; lf++) {
    tryPair: for (let ff = 1; ff < 256; ff++) {
      slotName.fill(-1);
      for (let k = 0; k < names.length; k++) {
        const m = (names[k] as [string, string])[0];
        const slot = slotOf(m.length, m.charCodeAt(0), m.charCodeAt(m.length - 1), lf, ff);
        if (slotName[slot] !== -1) continue tryPair;
        slotName[slot] = k;
      }
      found = [lf, ff];
      break search;
    }
  }
  if (found === undefined) throw new Error("header-names: no collision-free slots for the known names");
  let at = 0;
  for (const [match, key] of names) {
    const spelled = match.length === 1 ? match : displayName(key);
    nameStart[nameKey.length] = at;
    nameLength[nameKey.length] = match.length;
    nameKey.push(key);
    NAME_BYTES.set(Buffer.from(match, "latin1"), at);
    SPELLED_BYTES.set(Buffer.from(spelled, "latin1"), at);
    at += match.length;
  }
  if (at > NAME_BYTES.length) throw new Error("header-names: known names overflow the lookup tables");
  return found;
})();

const MAX_KNOWN_LENGTH = Math.max(...nameLength);

/*
 * The parser's lookup, which reads no byte twice for names of up to 12 bytes. While it scans a
 * name for token chars it packs them, folded through FOLD, into 32-bit words: the first four
 * (`head`), the fifth to eighth (`mid`) and the last four (`tail`). With the length they spell
 * the whole name when it is at most 12 bytes long; only the bytes between `mid` and `tail` are
 * compared otherwise.
 */
const WORD_SLOTS = 512;
/** Per candidate, its head, mid and tail words (see packedHeaderIndex). */
const headWord = new Int32Array(nameStart.length);
const midWord = new Int32Array(nameStart.length);
const tailWord = new Int32Array(nameStart.length);
/** Per slot, the candidate whose (length, head, mid, tail) hashes there, or -1. */
const wordSlot = new Int16Array(WORD_SLOTS).fill(-1);

function wordSlotOf(length: number, head: number, mid: number, tail: number, factor: number): number {
  return Math.imul(head ^ Math.imul(tail, 0x9e3779b1) ^ Math.imul(mid, 0x85ebca6b) ^ length, factor) >>> 23;
}

/** The multiplier of wordSlotOf that gives every known name a slot of its own. */
const wordFactor = ((): number => {
  for (let c = 0; c < nameKey.length; c++) {
    let head = 0;
    let mid = 0;
    let tail = 0;
    // As the parser packs them (parse.ts).
    for (let k = 0; k < (nameLength[c] as number); k++) {
      tail = (tail << 8) | (NAME_BYTES[(nameStart[c] as number) + k] as number);
      if (k < 4) head = tail;
      else if (k < 8) mid = tail;
    }
    headWord[c] = head;
    midWord[c] = mid;
    tailWord[c] = tail;
  }
  tryFactor: for (let factor = 0x2545f491; factor < 0x2545f491 + 100000; factor += 2) {
    wordSlot.fill(-1);
    for (let c = 0; c < nameKey.length; c++) {
      const slot = wordSlotOf(nameLength[c] as number, headWord[c] as number, midWord[c] as number, tailWord[c] as number, factor);
      if (wordSlot[slot] !== -1) continue tryFactor;
      wordSlot[slot] = c;
    }
    return factor;
  }
  throw new Error("header-names: no collision-free word slots for the known names");
})();

/**
 * The index of the known name (for KNOWN_KEYS and HOT_SLOTS) that `bytes[start, start + length)`
 * spells, or -1. The caller has checked the bytes to be token chars while packing them, each folded
 * through FOLD and shifted in one at a time (`tail = (tail << 8) | FOLD[byte]`), `head` and `mid`
 * taking the value of `tail` after each of the first four bytes and each of the next four.
 */
export function packedHeaderIndex(bytes: Uint8Array, start: number, length: number, head: number, mid: number, tail: number): number {
  if (length > MAX_KNOWN_LENGTH) return -1;
  const c = wordSlot[wordSlotOf(length, head, mid, tail, wordFactor)] as number;
  if (c < 0 || nameLength[c] !== length || headWord[c] !== head || midWord[c] !== mid || tailWord[c] !== tail) return -1;
  if (length > 12) {
    const m = (nameStart[c] as number) - start;
    for (let k = start + 8, end = start + length - 4; k < end; k++) if (FOLD[bytes[k] as number] !== NAME_BYTES[m + k]) return -1;
  }
  return c;
}

/** The canonical key of each known name (long and compact forms), by packedHeaderIndex. */
export const KNOWN_KEYS: readonly string[] = nameKey;

/**
 * The headers every proxy reads on every message, each with a slot in which the parser notes the
 * first line holding it and whether there is another (SipMessage's hot lines): they are then found
 * without walking the header table.
 */
export const HOT = {
  via: 0,
  from: 1,
  to: 2,
  callId: 3,
  cseq: 4,
  maxForwards: 5,
  contact: 6,
  route: 7,
  recordRoute: 8,
  contentLength: 9,
} as const;
export const HOT_COUNT = 10;

/** The HOT slot of each known name, by packedHeaderIndex; -1 for the others. */
export const HOT_SLOTS: Int8Array = (() => {
  const t = new Int8Array(nameKey.length).fill(-1);
  const slots: Record<string, number> = {
    [H.via]: HOT.via,
    [H.from]: HOT.from,
    [H.to]: HOT.to,
    [H.callId]: HOT.callId,
    [H.cseq]: HOT.cseq,
    [H.maxForwards]: HOT.maxForwards,
    [H.contact]: HOT.contact,
    [H.route]: HOT.route,
    [H.recordRoute]: HOT.recordRoute,
    [H.contentLength]: HOT.contentLength,
  };
  nameKey.forEach((key, c) => {
    const slot = slots[key];
    if (slot !== undefined) t[c] = slot;
  });
  return t;
})();

/**
 * The canonical key of the header name `bytes[start, end)` when it names a known header (in any
 * case, compact forms included), matched in place without allocating; undefined otherwise.
 */
export function knownHeaderNameIn(bytes: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  if (length <= 0 || length > MAX_KNOWN_LENGTH) return undefined;
  const c = slotName[slotOf(length, FOLD[bytes[start] as number] as number, FOLD[bytes[end - 1] as number] as number, lengthFactor, firstFactor)] as number;
  if (c < 0 || nameLength[c] !== length) return undefined;
  const m = (nameStart[c] as number) - start;
  let k = start;
  while (k < end && bytes[k] === SPELLED_BYTES[m + k]) k++;
  // The bytes matched so far are a spelling of the name: the rest is compared case-insensitively.
  while (k < end && FOLD[bytes[k] as number] === NAME_BYTES[m + k]) k++;
  return k === end ? nameKey[c] : undefined;
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
