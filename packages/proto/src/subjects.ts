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
