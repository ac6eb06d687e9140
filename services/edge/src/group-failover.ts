import { Forward_Failover } from "@sipfleet/proto";
import { selectBest, type BranchOutcome } from "./response-selection.js";

/** The failover rules this edge knows; anything else in a decision is refused (500). */
export function knownFailover(rule: Forward_Failover): boolean {
  return (
    rule === Forward_Failover.FAILOVER_UNSPECIFIED ||
    rule === Forward_Failover.FAILOVER_ANY_FAILURE ||
    rule === Forward_Failover.FAILOVER_SERVER_FAILURE
  );
}

/**
 * Whether a serial group that ended without a 2xx lets the next group start (the Forward's
 * `failover`, decision.proto). `outcomes`: the final responses of that group's own branches,
 * those its timeout left behind excluded.
 *
 * FAILOVER_ANY_FAILURE (and unset) is serial forking by q, RFC 3261 §16.6: any non-2xx final
 * response moves on (a 6xx to an INVITE has already stopped the search, §16.7 step 9).
 *
 * FAILOVER_SERVER_FAILURE is trunk failover: the group's answer is the best of its responses
 * (§16.7 step 6), and only a server-side failure moves on: a 408 (Timer B/F/C stand in for it,
 * §16.8; a group whose timeout ran out before any final response counts as one), or a 5xx (a
 * transport error stands for a 503, §16.9). A 3xx, 4xx or 6xx is the callee's answer, which the
 * next carrier must not be asked to change.
 */
export function failsOver(rule: Forward_Failover, outcomes: readonly BranchOutcome[]): boolean {
  switch (rule) {
    case Forward_Failover.FAILOVER_UNSPECIFIED:
    case Forward_Failover.FAILOVER_ANY_FAILURE:
      return true;
    case Forward_Failover.FAILOVER_SERVER_FAILURE: {
      const status = selectBest(outcomes, false)?.status ?? 408;
      return status === 408 || (status >= 500 && status < 600);
    }
    default:
      // forwardProblem refuses unknown rules before a context exists.
      throw new Error(`bug: unknown failover rule ${String(rule)}`);
  }
}
