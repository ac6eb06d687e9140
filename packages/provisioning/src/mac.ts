/** MAC addresses as devices name their files: parsed from any common spelling, printed per vendor. */

declare const MAC: unique symbol;
/** Twelve lowercase hex digits, no separators: the one internal spelling. */
export type Mac = string & { readonly [MAC]: true };

const SEPARATED = /^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$/;
const BARE = /^[0-9A-Fa-f]{12}$/;
const DOTTED = /^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/;

/**
 * Accepts aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabbccddeeff and aabb.ccdd.eeff (any case).
 * Rejects mixed separators, the all-zero and broadcast addresses and multicast addresses
 * (no device has one, and Poly's 000000000000.cfg is the shared default, not a device).
 */
export function parseMac(input: string): Mac | undefined {
  if (typeof input !== "string") return undefined;
  if (!SEPARATED.test(input) && !BARE.test(input) && !DOTTED.test(input)) return undefined;
  const hex = input.replace(/[:.-]/g, "").toLowerCase();
  if (hex === "000000000000" || hex === "ffffffffffff") return undefined;
  if ((parseInt(hex.slice(0, 2), 16) & 1) === 1) return undefined;
  return hex as Mac;
}

export function requireMac(input: string): Mac {
  const mac = parseMac(input);
  if (mac === undefined) throw new RangeError("not a device MAC address");
  return mac;
}

export function macLower(mac: Mac): string {
  return mac;
}

export function macUpper(mac: Mac): string {
  return mac.toUpperCase();
}

export function macColons(mac: Mac): string {
  return mac.match(/../g)!.join(":");
}
