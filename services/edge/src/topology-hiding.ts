import { Forward_CarrierSide, Transport, type Forward } from "@sipfleet/proto";
import type { ContactMasks } from "@sipfleet/routing";
import type { MessageEditor, SipMessage, SipRequest } from "@sipfleet/sip";
import type { Link } from "./flow.js";
import { hostPort } from "./ip-address.js";

/*
 * Topology hiding toward carriers (README "Topology hiding"; the proxy says which side is a
 * carrier, Forward.carrier_side). In the spirit of Kamailio's topoh, but for a cluster without
 * dialog state (invariant 1): what a carrier must not see is either kept in the edge's server
 * transaction for the transaction's lifetime (the Via headers) or carried, encrypted, in the
 * masked Contact itself (@sipfleet/routing ContactMasks), which any proxy worker restores.
 */

/** A Contact is masked on the address of the link the carrier talks to. */
export type MaskAt = Pick<Link, "advertisedHost" | "advertisedPort" | "transport">;

/** What hiding a branch request needs: the key, and the link the branch goes out on. */
export interface BranchHiding {
  readonly masks: ContactMasks;
  readonly at: MaskAt;
}

export function branchesHidden(f: Forward): boolean {
  return f.carrierSide === Forward_CarrierSide.CARRIER_SIDE_BRANCHES || f.carrierSide === Forward_CarrierSide.CARRIER_SIDE_BOTH;
}

export function upstreamHidden(f: Forward): boolean {
  return f.carrierSide === Forward_CarrierSide.CARRIER_SIDE_UPSTREAM || f.carrierSide === Forward_CarrierSide.CARRIER_SIDE_BOTH;
}

/**
 * Replaces every Contact value with `<sip:EDGE:PORT[;transport=T];ct=TOKEN>` (TOKEN: the original
 * URI, encrypted). Only the URI is kept, in the token: the remote target of a dialog is the
 * Contact URI (RFC 3261 §12.1.1, §12.1.2), and the header parameters (`+sip.instance` naming the
 * device, `reg-id`, `expires`, `q`, feature tags such as `isfocus`) would describe the user's
 * device to the carrier; they are dropped. A wildcard (REGISTER only) is left alone. Throws a
 * SipError on a Contact that does not parse: the message cannot be sent hidden.
 */
export function maskContact(e: MessageEditor, msg: SipMessage, masks: ContactMasks, at: MaskAt): void {
  if (!msg.has("Contact") || msg.contactIsWildcard) return;
  const address = hostPort(at.advertisedHost, at.advertisedPort);
  const transport = uriTransport(at.transport);
  const values = msg.contact.map((c) => `<${masks.maskedUri(c.uriText, address, transport)}>`);
  if (values.length > 0) e.setHeader("Contact", values.join(", "));
}

/**
 * The Via header field a response relayed upstream carries when the branch toward a carrier had
 * only the edge's Via (RFC 3261 §16.7 step 3 says to remove the proxy's own and keep the rest,
 * which here never left the edge): every Via value of the server transaction's request as
 * received, the top one with what the server transport stamped on it (§18.2.1, RFC 3581 §4), so
 * that the response goes where §18.2.2 sends it and the upstream client matches it.
 */
export function restoreUpstreamVias(e: MessageEditor, request: SipRequest, stampedVia: string | undefined): void {
  const vias = request.headers("Via");
  if (stampedVia !== undefined && vias.length > 0) vias[0] = stampedVia;
  e.removeHeader("Via");
  for (const v of vias) e.prependHeader("Via", v);
}

/** The URI transport parameter of a link (RFC 3261 §19.1.1, RFC 7118 §5.2); none for UDP. */
function uriTransport(t: Transport): string | undefined {
  return URI_TRANSPORTS[t];
}

const URI_TRANSPORTS: Readonly<Partial<Record<Transport, string>>> = {
  [Transport.TRANSPORT_TCP]: "tcp",
  [Transport.TRANSPORT_TLS]: "tls",
  [Transport.TRANSPORT_WS]: "ws",
  [Transport.TRANSPORT_WSS]: "wss",
};
