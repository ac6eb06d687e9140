import { randomUUID } from "node:crypto";
import { CallEvent_Kind, callEventSubject, callEventSubjectFilter, CALL_EVENTS_SUBJECT_PREFIX, type CallEvent, type CallEventSubjectKind } from "@sipfleet/proto";

/** A fresh event id (a random UUID): unique, and a valid Nats-Msg-Id header value. */
export function newCallEventId(): string {
  return randomUUID();
}

/**
 * Event ids travel as the Nats-Msg-Id header: printable ASCII without spaces (no CR/LF to break
 * the header block), and short, since the stream keeps every id of its duplicate window.
 */
const EVENT_ID = /^[\x21-\x7e]{1,128}$/;

/** Why the event cannot be stored, or undefined when it can. Its id may still be empty (filled in later). */
export function callEventProblem(event: CallEvent): string | undefined {
  if (subjectKind(event.kind) === undefined) return `kind ${String(event.kind)} is not attempted, answered or ended`;
  if (typeof event.callId !== "string" || event.callId === "") return "no Call-ID";
  if (event.eventId !== "" && !EVENT_ID.test(event.eventId)) return "event id is not 1-128 printable ASCII characters";
  return undefined;
}

function subjectKind(kind: CallEvent_Kind): CallEventSubjectKind | undefined {
  switch (kind) {
    case CallEvent_Kind.KIND_ATTEMPTED:
      return "attempted";
    case CallEvent_Kind.KIND_ANSWERED:
      return "answered";
    case CallEvent_Kind.KIND_ENDED:
      return "ended";
    default:
      return undefined;
  }
}

/**
 * The subject an event is published on: its kind and call (Call-ID and From tag, the caller's in
 * every event an edge emits about a call it carried); undefined for KIND_UNSPECIFIED (and unknown
 * values).
 */
export function subjectForEvent(event: Pick<CallEvent, "kind" | "callId" | "fromTag">, prefix: string = CALL_EVENTS_SUBJECT_PREFIX): string | undefined {
  const k = subjectKind(event.kind);
  return k === undefined ? undefined : callEventSubject(k, event.callId, event.fromTag, prefix);
}

/** The server-side subject filter for a read by kind and/or Call-ID; undefined for an unknown kind. */
export function subjectFilterFor(filter: { kind?: CallEvent_Kind; callId?: string }, prefix: string = CALL_EVENTS_SUBJECT_PREFIX): string | undefined {
  const kind = filter.kind === undefined ? undefined : subjectKind(filter.kind);
  if (filter.kind !== undefined && kind === undefined) return undefined;
  return callEventSubjectFilter({ kind, callId: filter.callId }, prefix);
}

/** Whether a stored event passes the filter (all but `limit`, which the caller counts). */
export function matchesFilter(stored: { storedAtMs: number; event: CallEvent }, filter: { since?: number; callId?: string; kind?: CallEvent_Kind }): boolean {
  if (filter.since !== undefined && stored.storedAtMs < filter.since) return false;
  if (filter.callId !== undefined && stored.event.callId !== filter.callId) return false;
  if (filter.kind !== undefined && stored.event.kind !== filter.kind) return false;
  return true;
}
