import type { SipResponse } from "@sipfleet/sip";

/**
 * How one branch of a forwarded request ended: with a response, or with a status the edge
 * stands in for (408 when Timer B/F or C ran out, 503 after a transport error, 430 when the
 * registered flow is gone, RFC 5626 §5.3).
 */
export interface BranchOutcome {
  readonly status: number;
  readonly response: SipResponse | undefined;
}

/** Statuses that tell the client how to retry (RFC 3261 §16.7 step 6: preferred within 4xx). */
const RESUBMISSION_HINTS = new Set([401, 407, 415, 420, 484]);

/**
 * RFC 3261 §16.7 step 6, the best final response of a response context: "If there are no final
 * responses in the context, the proxy MUST send a 408 (Request Timeout) response [...] It MUST
 * choose from the 6xx class responses if any exist in the context. If no 6xx class responses are
 * present, the proxy SHOULD choose from the lowest response class stored in the response context.
 * [...] The proxy SHOULD give preference to responses that provide information affecting
 * resubmission of this request, such as 401, 407, 415, 420, and 484 if the 4xx class is chosen."
 * After a CANCEL from upstream, a 487 is what the caller expects (§9.2, §16.10), so it is
 * preferred within 4xx. Among equals the first to arrive wins. Undefined: answer 408.
 */
export function selectBest(outcomes: readonly BranchOutcome[], cancelled: boolean): BranchOutcome | undefined {
  let best: BranchOutcome | undefined;
  for (const o of outcomes) {
    if (o.status < 300) continue;
    if (best === undefined || rank(o, cancelled) < rank(best, cancelled)) best = o;
  }
  return best;
}

function rank(o: BranchOutcome, cancelled: boolean): number {
  const cls = Math.floor(o.status / 100);
  // 6xx first, then classes from low to high.
  let r = cls === 6 ? 0 : cls * 10;
  if (cls === 4 && !(cancelled ? o.status === 487 : RESUBMISSION_HINTS.has(o.status))) r += 1;
  // A real response beats a stand-in of the same rank.
  return r * 2 + (o.response === undefined ? 1 : 0);
}

/**
 * RFC 3261 §16.7 step 7: "If the selected response is a 401 (Unauthorized) or 407 (Proxy
 * Authentication Required), the proxy MUST collect any WWW-Authenticate and Proxy-Authenticate
 * header field values from all other 401 (Unauthorized) and 407 (Proxy Authentication Required)
 * responses received so far in this response context and add them to this response without
 * modification before forwarding." Returns the header lines to add (name, wire value).
 */
export function challengesToAdd(best: BranchOutcome, outcomes: readonly BranchOutcome[]): [string, string][] {
  if (best.status !== 401 && best.status !== 407) return [];
  const out: [string, string][] = [];
  for (const o of outcomes) {
    if (o === best || o.response === undefined || (o.status !== 401 && o.status !== 407)) continue;
    for (const v of o.response.headers("www-authenticate")) out.push(["WWW-Authenticate", v]);
    for (const v of o.response.headers("proxy-authenticate")) out.push(["Proxy-Authenticate", v]);
  }
  return out;
}
