import { C_ALPHA, C_HOST, URI_CHAR, equalsIgnoreCase, hexValue } from "./uri-chars.js";

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

/** True for hostname s[start, end) per the grammar above, additionally allowing "_" (seen in deployments). */
function isHostname(s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  let labelStart = start;
  let topStart = start;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e /* . */) {
      if (i === labelStart) {
        // Only the optional trailing "." may be followed by nothing.
        if (i === end && i > start) break;
        return false;
      }
      if (s.charCodeAt(labelStart) === 0x2d || s.charCodeAt(i - 1) === 0x2d) return false; // no "-" at label edges
      topStart = labelStart;
      labelStart = i + 1;
    } else if ((URI_CHAR[c]! & C_HOST) === 0) {
      return false;
    }
  }
  // toplabel = ALPHA ... — this is what makes "10.1.2" or "1.2.3.400" invalid rather than names.
  return (URI_CHAR[s.charCodeAt(topStart)]! & C_ALPHA) !== 0;
}

/** Validates host s[start, end) and tells its kind, or returns undefined if it is not a valid host. */
export function classifyHost(s: string, start: number, end: number): HostType | undefined {
  if (start >= end) return undefined;
  const c = s.charCodeAt(start);
  if (c === 0x5b /* [ */) {
    return end - start > 2 && s.charCodeAt(end - 1) === 0x5d && parseIPv6(s, start + 1, end - 1) ? "ipv6" : undefined;
  }
  if (c >= 0x30 && c <= 0x39 && parseIPv4(s, start, end) >= 0) return "ipv4";
  return isHostname(s, start, end) ? "name" : undefined;
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
