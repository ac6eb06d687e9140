import type { BanConfig, RateLimitConfig } from "./config.js";
import { DEFAULT_BAN_CONFIG, DEFAULT_RATE_LIMIT_CONFIG } from "./defaults.js";
import { type IntRule, IssueList, keyPath, readIntSection, readMapping } from "./schema.js";
import { readAllow } from "./trunks-section.js";

/*
 * edge.rateLimit and edge.bans: per-source abuse limits, shared by every edge through Redis
 * (services/edge README "Abuse limits").
 */

type RateIntKey = Exclude<keyof RateLimitConfig, "allow">;
const RATE_RULES: { readonly [K in RateIntKey]: IntRule } = {
  requestsPerSecond: { min: 1, max: 1_000_000, maxWhy: "more than one edge can take in" },
  rejectsPerSecond: { min: 0, max: 1_000_000, maxWhy: "more than one edge can send" },
  syncIntervalMs: { min: 10, max: 1000, maxWhy: "the counting window is one second: a sync must come within it" },
};
const RATE_KEYS = [...(Object.keys(RATE_RULES) as RateIntKey[]), "allow"] as const;

const BAN_RULES: { readonly [K in keyof BanConfig]: IntRule } = {
  failuresBeforeBan: { min: 1, max: 1_000_000, maxWhy: "a larger figure is no limit" },
  windowSeconds: { min: 1, max: 86_400, maxWhy: "a day" },
  banSeconds: { min: 1, max: 2_592_000, maxWhy: "thirty days; longer is for a firewall rule" },
};

export function readRateLimit(issues: IssueList, value: unknown, parent: string): RateLimitConfig | undefined {
  const path = keyPath(parent, "rateLimit");
  const m = readMapping(issues, value, path, RATE_KEYS);
  const { requestsPerSecond, rejectsPerSecond, syncIntervalMs } = readIntSection<RateIntKey>(issues, m, path, RATE_RULES, DEFAULT_RATE_LIMIT_CONFIG).values;
  const allow = readAllow(issues, m?.["allow"], keyPath(path, "allow"));
  if (requestsPerSecond === undefined || rejectsPerSecond === undefined || syncIntervalMs === undefined || allow === undefined) return undefined;
  return Object.freeze({ requestsPerSecond, rejectsPerSecond, syncIntervalMs, allow });
}

export function readBans(issues: IssueList, value: unknown, parent: string): BanConfig | undefined {
  const path = keyPath(parent, "bans");
  const m = readMapping(issues, value, path, Object.keys(BAN_RULES));
  const { failuresBeforeBan, windowSeconds, banSeconds } = readIntSection<keyof BanConfig>(issues, m, path, BAN_RULES, DEFAULT_BAN_CONFIG).values;
  if (failuresBeforeBan === undefined || windowSeconds === undefined || banSeconds === undefined) return undefined;
  return Object.freeze({ failuresBeforeBan, windowSeconds, banSeconds });
}
