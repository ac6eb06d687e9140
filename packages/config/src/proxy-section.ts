import type { ProxyConfig } from "./config.js";
import { DEFAULT_PROXY_CONFIG } from "./defaults.js";
import { type IntRule, IssueList, readIntSection, readMapping } from "./schema.js";

/* proxy: how a request for a user fans out over the user's registered contacts, how long a carrier gateway may stay silent, and how long a call counts against limits without an end. */

type ProxyKey = keyof ProxyConfig;
const PROXY_RULES: { readonly [K in ProxyKey]: IntRule } = {
  serialGroupTimeoutMs: {
    min: 1000,
    max: 180_000,
    maxWhy: "an INVITE branch is cancelled by Timer C, > 3 min, anyway (RFC 3261 §16.6 step 11)",
  },
  maxTargets: {
    min: 1,
    max: 100,
    maxWhy: "each target is a client transaction at the edge; this bounds what one request fans out to",
  },
  gatewayProvisionalTimeoutMs: {
    // Below T1 (500 ms) a UDP INVITE is given up before its first retransmission (RFC 3261 §17.1.1.2).
    min: 500,
    max: 32_000,
    maxWhy: "Timer B (64*T1 = 32 s) ends a silent INVITE branch by then anyway (RFC 3261 §17.1.1.2)",
  },
  callSlotLifetimeMs: {
    // Shorter than a call's setup and a short call would stop counting while it still rings.
    min: 60_000,
    max: 7 * 24 * 60 * 60 * 1000,
    maxWhy: "a slot whose call's end was lost would lock a user or trunk out for longer than a week",
  },
};

export function readProxy(issues: IssueList, value: unknown): ProxyConfig | undefined {
  const path = "proxy";
  const section = readMapping(issues, value, path, Object.keys(PROXY_RULES));
  const { serialGroupTimeoutMs, maxTargets, gatewayProvisionalTimeoutMs, callSlotLifetimeMs } = readIntSection(issues, section, path, PROXY_RULES, DEFAULT_PROXY_CONFIG).values;
  if (serialGroupTimeoutMs === undefined || maxTargets === undefined || gatewayProvisionalTimeoutMs === undefined || callSlotLifetimeMs === undefined) return undefined;
  return Object.freeze({ serialGroupTimeoutMs, maxTargets, gatewayProvisionalTimeoutMs, callSlotLifetimeMs });
}
