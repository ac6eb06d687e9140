import type { CallEvent } from "@sipfleet/proto";

/**
 * What a consumer of ended calls does with each KIND_ENDED event. A rejection means "not done":
 * the source delivers the event again later (JetStream) or logs it (memory).
 */
export type EndedCallHandler = (event: CallEvent) => Promise<void>;

/**
 * A feed of KIND_ENDED call events for a group of workers: each event goes to one member of the
 * group (JetStream: one durable consumer shared by every member; memory: the one process).
 */
export interface EndedCalls {
  subscribe(handler: EndedCallHandler): EndedCallsSubscription;
}

export interface EndedCallsSubscription {
  /** Stops taking events; resolves once the one in hand is handled. */
  stop(): Promise<void>;
}
