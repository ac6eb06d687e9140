/*
 * NATS subjects and queue groups: the addresses of the messages declared in proto/. Versioned
 * like the messages they carry.
 */

/** REGISTER requests: `Envelope` in, `Decision` back. Served by the registrar queue group. */
export const REGISTRAR_SUBJECT = "sipfleet.registrar.v1.register";
export const REGISTRAR_QUEUE = "registrar";

/** Messages for one edge (`edge.<id>.<kind>`): what reaches the owner of a transaction or flow. */
export function edgeSubject(edgeId: string, kind: string): string {
  return `edge.${edgeId}.${kind}`;
}

/**
 * Call events (`CallEvent`, proto sipfleet.calls.v1): one subject per kind under this prefix
 * (`sipfleet.calls.v1.attempted|answered|ended`), so a consumer that only writes CDRs can take
 * `ended` alone. Published through JetStream, never core NATS only.
 */
export const CALL_EVENTS_SUBJECT_PREFIX = "sipfleet.calls.v1";
export type CallEventSubjectKind = "attempted" | "answered" | "ended";

export function callEventSubject(kind: CallEventSubjectKind, prefix: string = CALL_EVENTS_SUBJECT_PREFIX): string {
  return `${prefix}.${kind}`;
}

/** The JetStream stream that keeps call events, capturing `<prefix>.>`. */
export const CALL_EVENTS_STREAM = "SIPFLEET_CALLS";
