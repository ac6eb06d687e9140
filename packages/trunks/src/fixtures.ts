import { parseSubnet } from "./subnet.js";
import type { Subnet, Trunk } from "./types.js";

/** A trunk with only what the lookups read filled in; for tests. */
export function trunk(name: string, opts: { allow?: readonly string[]; numbers?: readonly [string, string, string][] } = {}): Trunk {
  return {
    name,
    gateways: [{ host: "127.0.0.1", port: 5090, transport: "udp", priority: 1, weight: 1 }],
    inbound: { allow: (opts.allow ?? []).map(subnet), credentials: undefined },
    numbers: (opts.numbers ?? []).map(([first, last, owner]) => ({
      block: { first, last },
      owners: [{ user: owner, domain: "sipfleet.local" }],
    })),
    outbound: { credentials: undefined, register: undefined },
    maxConcurrentCalls: undefined,
  };
}

export function subnet(text: string): Subnet {
  const parsed = parseSubnet(text);
  if ("problem" in parsed) throw new RangeError(parsed.problem);
  return parsed.subnet;
}
