import { isE164 } from "./e164.js";
import type { DialPolicyDomain, DialPolicyUser, DialRule } from "./types.js";

/** RFC 3966 §5.1.1 visual separators (`-`, `.`, `(`, `)`): carry no meaning, dropped before anything else. */
const VISUAL_SEPARATORS = /[-.()]/g;

/** A telephone number without its visual separators (RFC 3966 §5.1.1). */
export function stripSeparators(number: string): string {
  return number.replace(VISUAL_SEPARATORS, "");
}

const DIGITS = /^[0-9]+$/;

/**
 * The E.164 form of what a user of `domain` dialled, or undefined when it is not a number we
 * can route: `+` and digits is taken as it is; otherwise the domain's dial plan rule with the
 * longest matching `match` replaces it (so `00` wins over `0` whatever the order written).
 */
export function normalizeNumber(domain: Pick<DialPolicyDomain, "dialPlan">, dialled: string): string | undefined {
  const cleaned = stripSeparators(dialled);
  if (cleaned.startsWith("+")) return isE164(cleaned) ? cleaned : undefined;
  if (!DIGITS.test(cleaned)) return undefined;
  let best: DialRule | undefined;
  for (const rule of domain.dialPlan) {
    if (cleaned.startsWith(rule.match) && (best === undefined || rule.match.length > best.match.length)) best = rule;
  }
  if (best === undefined) return undefined;
  const e164 = best.replace + cleaned.slice(best.match.length);
  return isE164(e164) ? e164 : undefined;
}

/**
 * Whether `user` may call `e164`. The longest prefix that matches decides: the domain's
 * blockedPrefixes refuse, its allowedPrefixes and the user's allowedDestinations permit; on a
 * tie the permission wins (listing a blocked prefix for a user is how it is allowed). A number
 * no prefix matches is allowed.
 */
export function destinationAllowed(
  user: DialPolicyUser,
  domain: Pick<DialPolicyDomain, "blockedPrefixes" | "allowedPrefixes">,
  e164: string,
): boolean {
  const blocked = longestMatch(domain.blockedPrefixes, e164);
  if (blocked < 0) return true;
  return Math.max(longestMatch(domain.allowedPrefixes, e164), longestMatch(user.allowedDestinations, e164)) >= blocked;
}

/** Length of the longest prefix in `prefixes` that `e164` starts with; -1 if none. */
function longestMatch(prefixes: readonly string[], e164: string): number {
  let best = -1;
  for (const prefix of prefixes) if (prefix.length > best && e164.startsWith(prefix)) best = prefix.length;
  return best;
}
