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
