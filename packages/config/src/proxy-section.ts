import type { ProxyConfig } from "./config.js";
import { DEFAULT_PROXY_CONFIG } from "./defaults.js";
import { type IntRule, IssueList, readIntSection, readMapping } from "./schema.js";

/* proxy: how a request for a user fans out over the user's registered contacts. */

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
};

export function readProxy(issues: IssueList, value: unknown): ProxyConfig | undefined {
  const path = "proxy";
  const section = readMapping(issues, value, path, Object.keys(PROXY_RULES));
  const { serialGroupTimeoutMs, maxTargets } = readIntSection(issues, section, path, PROXY_RULES, DEFAULT_PROXY_CONFIG).values;
  if (serialGroupTimeoutMs === undefined || maxTargets === undefined) return undefined;
  return Object.freeze({ serialGroupTimeoutMs, maxTargets });
}
