import type { RegistrarConfig } from "./config.js";
import { DEFAULT_REGISTRAR_CONFIG } from "./defaults.js";
import { type IntRule, IssueList, checkOrder, readIntSection, readMapping } from "./schema.js";

/* registrar: the expiry bounds of RFC 3261 §10.3 step 7 and the per-AOR binding limit. */

/** RFC 3261 §20.19 (Expires) and §20.10 (expires param): delta-seconds up to 2**32 - 1. */
const MAX_DELTA_SECONDS = 2 ** 32 - 1;

type RegistrarKey = keyof RegistrarConfig;
const REGISTRAR_RULES: { readonly [K in RegistrarKey]: IntRule } = {
  minExpires: {
    min: 1,
    max: 3600,
    maxWhy: "RFC 3261 §10.3 step 7 lets a registrar refuse with 423 only intervals shorter than one hour",
  },
  defaultExpires: { min: 1, max: MAX_DELTA_SECONDS, maxWhy: "RFC 3261 §20.19 delta-seconds" },
  maxExpires: { min: 1, max: MAX_DELTA_SECONDS, maxWhy: "RFC 3261 §20.19 delta-seconds" },
  maxBindingsPerAor: {
    min: 1,
    max: 1000,
    maxWhy: "the 200 OK lists every binding (RFC 3261 §10.3 step 8) and must fit in one message",
  },
};

export function readRegistrar(issues: IssueList, value: unknown): RegistrarConfig | undefined {
  const path = "registrar";
  const section = readMapping(issues, value, path, Object.keys(REGISTRAR_RULES));
  const ints = readIntSection(issues, section, path, REGISTRAR_RULES, DEFAULT_REGISTRAR_CONFIG);
  // RFC 3261 §10.3 step 7: an expiry below the minimum is refused, above the maximum shortened;
  // the default is what a client asking for nothing gets, so it must lie between them.
  checkOrder(issues, ints, path, "minExpires", "defaultExpires");
  checkOrder(issues, ints, path, "defaultExpires", "maxExpires");
  const { minExpires, defaultExpires, maxExpires, maxBindingsPerAor } = ints.values;
  if (minExpires === undefined || defaultExpires === undefined || maxExpires === undefined) return undefined;
  if (maxBindingsPerAor === undefined || minExpires > defaultExpires || defaultExpires > maxExpires) return undefined;
  return Object.freeze({ minExpires, defaultExpires, maxExpires, maxBindingsPerAor });
}

