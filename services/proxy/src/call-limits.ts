import { callSlotKey, userAddressOfRecord, type CallSlotClaim } from "@sipfleet/bindings";
import type { Decision } from "@sipfleet/proto";
import type { SipRequest } from "@sipfleet/sip";
import type { Trunk, UserRef } from "@sipfleet/trunks";
import { respond } from "./decisions.js";
import type { ProxySettings } from "./proxy-settings.js";

/*
 * Concurrent-call limits (`domains[].users[].maxConcurrentCalls`, `trunks[].maxConcurrentCalls`):
 * a call holds one slot of each limited party it involves, in the location service, from the
 * proxy's decision until the call's ENDED event (call-slot-release.ts) or the slot's TTL. Only
 * initial INVITEs take slots. README "Concurrent-call limits" has the rules and the statuses.
 */

/** A claim with the answer for the call when its key is full. */
export interface LimitedParty {
  readonly claim: CallSlotClaim;
  readonly whenFull: Decision;
}

/**
 * RFC 3261 §21.4.24: 486 "the callee's end system was contacted successfully but the callee is
 * currently not willing or able to take additional calls": exactly a callee at their limit.
 */
export const CALLEE_FULL_STATUS = 486;

/**
 * A caller at their own limit: 403 (§21.4.4, "understood the request, but is refusing to fulfill
 * it; authorization will not help"). Not 486, which would tell the caller that the *callee* is
 * busy, and not 503 (§21.5.4), which says the server is overloaded and sends a UA to another
 * server (RFC 3263 §4.3) where the same limit applies.
 */
export function callerFull(): Decision {
  return respond(403, "Concurrent Call Limit Reached");
}

/**
 * A trunk at its limit: 503 without Retry-After. Carriers map it to Q.850 cause 34 "no circuit
 * available" (RFC 3398 §8.2.6.1) and overflow to another route; a Retry-After would make them
 * (RFC 3261 §21.5.4) treat the whole platform as down for that long, for every call.
 */
export function trunkFull(): Decision {
  return respond(503, "Trunk Call Limit Reached");
}

/** The slot a user's calls count against, when the user has a limit. */
export function userParty(settings: ProxySettings, user: UserRef, whenFull: Decision): LimitedParty | undefined {
  const limit = settings.domains.get(user.domain)?.users.get(user.user)?.maxConcurrentCalls;
  if (limit === undefined) return undefined;
  return { claim: { key: callSlotKey("user", userAddressOfRecord(user.user, user.domain).aor), limit }, whenFull };
}

/** The slot a trunk's calls count against, when the trunk has a limit. */
export function trunkParty(trunk: Trunk): LimitedParty | undefined {
  if (trunk.maxConcurrentCalls === undefined) return undefined;
  return { claim: { key: callSlotKey("trunk", trunk.name), limit: trunk.maxConcurrentCalls }, whenFull: trunkFull() };
}

/** An initial INVITE (RFC 3261 §13): a re-INVITE or any other request takes no slot. */
export function takesCallSlots(req: SipRequest): boolean {
  return req.method === "INVITE" && req.to.tag === undefined;
}

/**
 * Whether any user or trunk has a concurrent-call limit. Without one no call ever takes a slot,
 * so the worker does not consume the ended calls at all: each ENDED would otherwise cost a
 * JetStream delivery, an ack and a release in the location service for nothing (two runs of
 * `pnpm bench:calls` on one machine: proxy, location and NATS CPU per call 2.0x, 2.7x and 1.3x).
 */
export function anyCallLimit(settings: ProxySettings): boolean {
  if (settings.trunks.some((t) => t.maxConcurrentCalls !== undefined)) return true;
  for (const domain of settings.domains.values()) {
    for (const user of domain.users.values()) if (user.maxConcurrentCalls !== undefined) return true;
  }
  return false;
}
