/*
 * NATS subjects and queue groups: the addresses of the messages declared in proto/. Versioned
 * like the messages they carry.
 */
import { createHash } from "node:crypto";

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
 * A source an edge banned after repeated authentication failures: `SourceBanned`, published to
 * every edge (plain subscribe, no queue group), which drops the source's requests at once.
 */
export const EDGE_BANS_SUBJECT = "sipfleet.edge.v1.bans";

/**
 * Call events (`CallEvent`, proto sipfleet.calls.v1): one subject per kind and call under this
 * prefix, `sipfleet.calls.v1.<kind>.<call>.<caller>`, where `<call>` is a digest of the Call-ID and
 * `<caller>` one of the caller's From tag (`callEventCallTokens`): together they name the dialog
 * (RFC 3261 §12: Call-ID plus the caller's tag; the callee's tag is not known before the answer).
 * A consumer that only writes CDRs takes `sipfleet.calls.v1.ended.>`; an edge that ends a call it
 * did not carry finds the call's ANSWERED event as the last message on its subject; a reader of
 * one call filters on `sipfleet.calls.v1.*.<call>.*`. Published through JetStream, never core NATS
 * only.
 */
export const CALL_EVENTS_SUBJECT_PREFIX = "sipfleet.calls.v1";
export type CallEventSubjectKind = "attempted" | "answered" | "ended";

/** The subject tokens of one call: digests, since a Call-ID or tag may hold `.`, `*`, `>` or spaces. */
export interface CallEventCallTokens {
  /** 32 hex digits of SHA-256 over the Call-ID. */
  readonly call: string;
  /** 16 hex digits of SHA-256 over the caller's From tag (empty when it had none). */
  readonly caller: string;
}

export function callEventCallTokens(callId: string, callerTag: string): CallEventCallTokens {
  return { call: hexDigest(callId, 32), caller: hexDigest(callerTag, 16) };
}

/** `<prefix>.<kind>.<call>.<caller>`: the subject an event of this kind and call is published on. */
export function callEventSubject(kind: CallEventSubjectKind, callId: string, callerTag: string, prefix: string = CALL_EVENTS_SUBJECT_PREFIX): string {
  const t = callEventCallTokens(callId, callerTag);
  return `${prefix}.${kind}.${t.call}.${t.caller}`;
}

/**
 * A subject filter for stored events (`<prefix>.<kind>.<call>.<caller>`): of one kind and/or one
 * Call-ID (any caller tag), or all of them.
 */
export function callEventSubjectFilter(filter: { kind?: CallEventSubjectKind; callId?: string }, prefix: string = CALL_EVENTS_SUBJECT_PREFIX): string {
  if (filter.callId === undefined) return filter.kind === undefined ? `${prefix}.>` : `${prefix}.${filter.kind}.>`;
  return `${prefix}.${filter.kind ?? "*"}.${hexDigest(filter.callId, 32)}.*`;
}

function hexDigest(s: string, digits: number): string {
  return createHash("sha256").update(s, "utf8").digest("hex").slice(0, digits);
}

/** The JetStream stream that keeps call events, capturing `<prefix>.>`. */
export const CALL_EVENTS_STREAM = "SIPFLEET_CALLS";
