import { createHash } from "node:crypto";
import type { IdGenerator } from "@opentelemetry/sdk-trace-base";
import { RandomIdGenerator } from "@opentelemetry/sdk-trace-base";

/*
 * One call, one trace, with no state shared between pods: the trace id of every transaction of
 * an INVITE dialog (the INVITE, its ACK and CANCEL, BYE, re-INVITE, UPDATE, PRACK, INFO, REFER)
 * is derived from the Call-ID, so a BYE that reaches another edge an hour later joins the
 * INVITE's trace. A ratio sampler decides on the trace id, so all of a call is sampled or none of
 * it. REGISTER, OPTIONS, SUBSCRIBE, NOTIFY, MESSAGE and PUBLISH get random trace ids: a UA keeps
 * its REGISTER Call-ID for days, and one trace per refresh is what an operator wants there.
 */

const CALL_METHODS: ReadonlySet<string> = new Set(["INVITE", "ACK", "CANCEL", "BYE", "PRACK", "UPDATE", "INFO", "REFER"]);

/** True when a request of this method belongs to its call's trace. */
export function joinsCallTrace(method: string): boolean {
  return CALL_METHODS.has(method);
}

/** The trace id (32 lowercase hex digits) of the call with this Call-ID. */
export function traceIdForCall(callId: string): string {
  const id = createHash("sha256").update(callId).digest("hex").slice(0, 32);
  // All zeroes is the invalid trace id; a hash never gives it in practice, but never is cheap.
  return id === "00000000000000000000000000000000" ? "00000000000000000000000000000001" : id;
}

/**
 * The tracer provider's id generator: random ids, except that the next root span started through
 * `withTraceId` takes the given trace id. Span starts are synchronous, so the hint cannot leak to
 * another span.
 */
export class CallTraceIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private next: string | undefined;

  generateTraceId(): string {
    const id = this.next;
    if (id !== undefined) {
      this.next = undefined;
      return id;
    }
    return this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }

  /** Runs `start` (which starts one root span) with `traceId` as the id it gets. */
  withTraceId<T>(traceId: string, start: () => T): T {
    this.next = traceId;
    try {
      return start();
    } finally {
      this.next = undefined;
    }
  }
}

/** The one generator of this process: the SDK bootstrap and the test provider both install it. */
export const CALL_TRACE_IDS = new CallTraceIdGenerator();
