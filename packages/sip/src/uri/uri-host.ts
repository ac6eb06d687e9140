import { C_HOST, charTable, equalsIgnoreCase, hexValue } from "./uri-chars.js";

/*
 * RFC 3261 §25.1:
 *   host          = hostname / IPv4address / IPv6reference
 *   hostname      = *( domainlabel "." ) toplabel [ "." ]
 *   domainlabel   = alphanum / alphanum *( alphanum / "-" ) alphanum
 *   toplabel      = ALPHA / ALPHA *( alphanum / "-" ) alphanum
 *   IPv4address   = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT
 *   IPv6reference = "[" IPv6address "]"
 * RFC 3261's IPv6address rule is broken (RFC 5954); RFC 5954 §4.1 replaces it with RFC 3986's,
 * which is what parseIPv6 implements.
 */

export type HostType = "ipv4" | "ipv6" | "name";

/** Value of the dotted quad s[start, end) as an unsigned 32-bit number, or -1 if it is not one. Octets must be ≤ 255. */
export function parseIPv4(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const ds = i;
    let octet = 0;
    while (i < end && i - ds < 4) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      octet = octet * 10 + (c - 0x30);
      i++;
    }
    if (i === ds || i - ds > 3 || octet > 255) return -1;
    value = value * 256 + octet;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 0x2e /* . */) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

const scratch = new Uint16Array(8);

/**
 * Parses the IPv6address s[start, end) (no brackets) into its eight 16-bit groups in `out`.
 * RFC 3986 §3.2.2: groups of 1–4 hex digits, at most one "::", optionally ending in a dotted quad.
 */
export function parseIPv6(s: string, start: number, end: number, out: Uint16Array = scratch): boolean {
  let n = 0;
  let gap = -1;
  let i = start;
  if (i >= end) return false;
  if (s.charCodeAt(i) === 0x3a /* : */) {
    if (i + 1 >= end || s.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      out.fill(0);
      return true;
    }
  }
  for (;;) {
    const gs = i;
    let v = 0;
    while (i < end && i - gs < 5) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      i++;
    }
    if (i < end && s.charCodeAt(i) === 0x2e /* . */) {
      // ls32 = ( h16 ":" h16 ) / IPv4address: a dotted quad fills the last two groups.
      if (n > 6) return false;
      const v4 = parseIPv4(s, gs, end);
      if (v4 < 0) return false;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      break;
    }
    if (i === gs || i - gs > 4 || n >= 8) return false;
    out[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  // Move the groups after "::" to the end and zero-fill the gap.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

let scannedType: HostType | undefined;

/** Kind of the host run the last scanHost() call read, or undefined if that run is not a valid host. */
export function scannedHostType(): HostType | undefined {
  return scannedType;
}

/**
 * What scanHost needs to know of a char: 0 not a host-name char, 1 a label char (alphanum, "-",
 * and "_", which the grammar lacks but deployments use), 2 ".". (Plain numbers, not a const
 * enum: under isolatedModules its members would be property reads in the loop.)
 */
const HOST_CHAR: Uint8Array = (() => {
  const t = charTable(C_HOST);
  t[0x2e] = 2;
  return t;
})();

/**
 * Reads the run of host-name chars from s[i] and returns the index just past it;
 * scannedHostType() then tells whether the run is a hostname, an IPv4address or neither (grammar
 * above). The kind is worked out while the run is read, so a typical host is read once:
 *  - A run starting with a digit is first read as an IPv4address (scanIPv4); only if it is not
 *    one (a name like "1und1.de", or no valid host) is it read again, as a name.
 *  - The hostname rules leave nothing to do for most chars, only at the end of each label:
 *    labels must not be empty ("a..b", ".a"; one trailing "." is allowed) nor start or end
 *    with "-", and the toplabel must start with ALPHA — which is what makes "10.1.2" or
 *    "1.2.3.400" invalid rather than names.
 */
export function scanHost(s: string, i: number, end: number): number {
  const start = i;
  if (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      const e = scanIPv4(s, i, end);
      if (e >= 0) {
        scannedType = "ipv4";
        return e;
      }
    }
  }
  let labelStart = i;
  // The first char of the label being read and of the one before, and the last char read: kept
  // as they go by rather than read again at each ".".
  let first = -1;
  let topFirst = -1;
  let prev = -1;
  let valid = true;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    const k = HOST_CHAR[c];
    if (k === 1) {
      if (i === labelStart) first = c;
      prev = c;
      continue;
    }
    if (k === 0) break;
    // "." ends a label
    if (i === labelStart || prev === 0x2d /* - */ || first === 0x2d) valid = false;
    topFirst = i === labelStart ? c : first;
    labelStart = i + 1;
    prev = c;
  }
  // The last label, unless the host ends with the optional trailing "."
  if (i !== labelStart) {
    if (prev === 0x2d || first === 0x2d) valid = false;
    topFirst = first;
  }
  const top = topFirst | 0x20; // lower case, if a letter
  scannedType = valid && i > start && top >= 0x61 && top <= 0x7a ? "name" : undefined;
  return i;
}

/**
 * If the run of host-name chars at s[i] is an IPv4address, the index just past it, else -1.
 * IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each group at most 255.
 */
function scanIPv4(s: string, i: number, end: number): number {
  for (let group = 0; group < 4; group++) {
    if (group > 0) {
      if (i >= end || s.charCodeAt(i) !== 0x2e /* . */) return -1;
      i++;
    }
    const groupStart = i;
    let value = 0;
    while (i < end && i - groupStart < 4) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      i++;
    }
    if (i === groupStart || i - groupStart > 3 || value > 255) return -1;
  }
  return i === end || HOST_CHAR[s.charCodeAt(i)] === 0 ? i : -1;
}

/** Validates host s[start, end) and tells its kind, or returns undefined if it is not a valid host. */
export function classifyHost(s: string, start: number, end: number): HostType | undefined {
  if (start >= end) return undefined;
  if (s.charCodeAt(start) === 0x5b /* [ */) {
    return end - start > 2 && s.charCodeAt(end - 1) === 0x5d && parseIPv6(s, start + 1, end - 1) ? "ipv6" : undefined;
  }
  return scanHost(s, start, end) === end ? scannedType : undefined;
}

/**
 * RFC 3261 §19.1.4: hosts compare case-insensitively, and "An IP address that is the result of
 * a DNS lookup of a host name does not match that host name" (so kinds must agree). IPv6
 * references compare by address, since "[2001:db8::1]" and "[2001:DB8:0:0::1]" name the same one.
 */
export function hostsEqual(a: string, aType: HostType, b: string, bType: HostType): boolean {
  if (aType !== bType) return false;
  if (aType !== "ipv6") return equalsIgnoreCase(a, b);
  if (a === b) return true;
  const x = new Uint16Array(8);
  const y = new Uint16Array(8);
  if (!parseIPv6(a, 1, a.length - 1, x) || !parseIPv6(b, 1, b.length - 1, y)) return false;
  for (let k = 0; k < 8; k++) if (x[k] !== y[k]) return false;
  return true;
}
