import type { CallSlotStore } from "@sipfleet/bindings";
import type { EndedCalls, EndedCallsSubscription } from "@sipfleet/call-events/memory";
import { CallEvent_Ending, type CallEvent } from "@sipfleet/proto";
import type { ProxyLogger } from "./sip-proxy.js";

/**
 * Which attempts of the call an ENDED event frees: an answered call ended (a BYE, or a timeout
 * after the answer) frees every attempt of its Call-ID (0); an attempt that never got answered
 * frees itself and the earlier ones (its CSeq), never a later one — the ENDED of a 407-challenged
 * INVITE may arrive after its authenticated retry took its slot.
 */
export function releasedUpTo(event: CallEvent): number {
  if (event.ending === CallEvent_Ending.ENDING_BYE || event.answeredAtMs > 0) return 0;
  return event.inviteCseq;
}

/**
 * Frees the slots of every call that ends (call-limits.ts): the proxy workers share the feed, each
 * event goes to one of them. A failure rejects, so the feed delivers the event again.
 */
export function releaseSlotsOfEndedCalls(calls: EndedCalls, slots: CallSlotStore, logger: ProxyLogger): EndedCallsSubscription {
  return calls.subscribe(async (event) => {
    if (event.callId === "") return;
    try {
      await slots.releaseCallSlots(event.callId, releasedUpTo(event));
    } catch (err) {
      logger.warn({ err, callId: event.callId }, "call slots not released; retried");
      throw err;
    }
  });
}
