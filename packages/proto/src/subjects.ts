/*
 * NATS subjects and queue groups: the addresses of the messages declared in proto/. Versioned
 * like the messages they carry.
 */

/** REGISTER requests: `Envelope` in, `Decision` back. Served by the registrar queue group. */
export const REGISTRAR_SUBJECT = "sipfleet.registrar.v1.register";
export const REGISTRAR_QUEUE = "registrar";

/** Every other request the edge cannot answer itself: `Envelope` in, `Decision` back. */
export const PROXY_SUBJECT = "sipfleet.proxy.v1.route";
export const PROXY_QUEUE = "proxy";

/** Messages for one edge (`edge.<id>.<kind>`): what reaches the owner of a transaction or flow. */
export function edgeSubject(edgeId: string, kind: EdgeSubjectKind): string {
  return `edge.${edgeId}.${kind}`;
}

/**
 * What an edge receives from other edges:
 * - `send`: `SendOnFlow`, bytes to write on a flow the edge owns;
 * - `response`: `Envelope`, a response another edge received whose Via branch names this edge
 *   (the owner of the client transaction);
 * - `flow-failed`: `FlowFailed`, a flow this edge sent on through another edge is gone.
 */
export type EdgeSubjectKind = "send" | "response" | "flow-failed";

/**
 * A CANCEL no local INVITE server transaction matched, asked of every other edge: `CancelRelay`
 * in, `CancelResult` back from the edge that holds the INVITE (the others stay silent). Each
 * edge serves it in a queue group of its own (`edgeCancelQueue`), so every edge gets every one.
 */
export const EDGE_CANCEL_SUBJECT = "sipfleet.edge.v1.cancel";

/** The queue group an edge serves `EDGE_CANCEL_SUBJECT` in: its own, so the request reaches all. */
export function edgeCancelQueue(edgeId: string): string {
  return `edge-${edgeId}`;
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
