import { BlockList, isIPv4, isIPv6 } from "node:net";
import type { Subnet, Trunk } from "./types.js";

/*
 * Source addresses of carriers: CIDR blocks (`192.0.2.0/24`, `2001:db8::/32`) or single
 * addresses. Matching is node:net BlockList's; the byte arithmetic here only checks what is
 * written and writes the network address one way (RFC 5952), so equal blocks compare equal.
 */

export type SubnetParse = { readonly subnet: Subnet } | { readonly problem: string };

/**
 * `address/prefix` or a bare address (a /32 or /128). Refuses host bits set under the prefix
 * (`10.0.0.1/24`): the writer meant 10.0.0.0/24 or 10.0.0.1, and guessing either is wrong.
 */
export function parseSubnet(text: string): SubnetParse {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
  if (family === undefined) {
    return { problem: `must be an IPv4 or IPv6 address or CIDR block (e.g. 192.0.2.0/24), got ${JSON.stringify(text)}` };
  }
  const bits = family === "ipv4" ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const given = text.slice(slash + 1);
    prefix = /^[0-9]{1,3}$/.test(given) ? Number(given) : NaN;
    if (!(prefix >= 0 && prefix <= bits)) {
      return { problem: `prefix length must be 0..${bits} for an ${family === "ipv4" ? "IPv4" : "IPv6"} block, got ${JSON.stringify(text)}` };
    }
  }
  const bytes = addressBytes(address);
  const network = masked(bytes, prefix);
  if (!bytes.every((b, i) => b === network[i])) {
    return {
      problem: `host bits are set under /${prefix}: write ${formatBytes(network)}/${prefix} for the block, or the address alone, got ${JSON.stringify(text)}`,
    };
  }
  return { subnet: Object.freeze({ family, address: formatBytes(network), prefix }) };
}

/** One BlockList per allow entry, built once per trunk object. */
const matchers = new WeakMap<Trunk, readonly { readonly prefix: number; readonly list: BlockList }[]>();

function matchersOf(trunk: Trunk): readonly { readonly prefix: number; readonly list: BlockList }[] {
  let built = matchers.get(trunk);
  if (built === undefined) {
    built = trunk.inbound.allow.map((s) => {
      const list = new BlockList();
      list.addSubnet(s.address, s.prefix, s.family);
      return { prefix: s.prefix, list };
    });
    matchers.set(trunk, built);
  }
  return built;
}

/**
 * The trunk whose inbound allow-list holds `ip`, the most specific block winning (a carrier's
 * /32 inside another's /24 is that carrier's), or undefined. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 peers) is matched as the IPv4 one.
 */
export function trunkForSource(trunks: readonly Trunk[], ip: string): Trunk | undefined {
  const mapped = /^::ffff:([0-9.]+)$/i.exec(ip)?.[1];
  const address = mapped !== undefined && isIPv4(mapped) ? mapped : ip;
  const family = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
  if (family === undefined) return undefined;
  let best: Trunk | undefined;
  let bestPrefix = -1;
  for (const trunk of trunks) {
    for (const m of matchersOf(trunk)) {
      if (m.prefix > bestPrefix && m.list.check(address, family)) {
        best = trunk;
        bestPrefix = m.prefix;
      }
    }
  }
  return best;
}

/** The 4 or 16 bytes of a valid IPv4 or IPv6 address (RFC 4291 §2.2 text forms). */
function addressBytes(address: string): number[] {
  if (isIPv4(address)) return address.split(".").map(Number);
  let text = address;
  const tail: number[] = [];
  // §2.2 form 3: the low 32 bits written as an IPv4 address.
  const v4 = /:([0-9.]+)$/.exec(text);
  if (v4?.[1] !== undefined && v4[1].includes(".")) {
    tail.push(...v4[1].split(".").map(Number));
    text = `${text.slice(0, v4.index + 1)}0:0`;
  }
  const [head = "", rest] = text.split("::");
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(zeros).fill("0"), ...right];
  const bytes = all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function masked(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

function formatBytes(bytes: readonly number[]): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes "::" (the first on a tie).
  let runStart = -1;
  let runLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > runLength && j - i >= 2) {
      runStart = i;
      runLength = j - i;
    }
    i = j;
  }
  if (runStart < 0) return groups.join(":");
  return `${groups.slice(0, runStart).join(":")}::${groups.slice(runStart + runLength).join(":")}`;
}
