import { Forward_CarrierSide } from "@sipfleet/proto";
import { CONTACT_TOKEN_PARAM, type ContactMasks } from "@sipfleet/routing";
import { parseUri, SipUri, type SipRequest } from "@sipfleet/sip";
import type { Trunk } from "@sipfleet/trunks";
import { isCarrierAddress } from "./flowless-dialog.js";
import { type ArrivalAddress, type Domains, namesPlatform } from "./platform-address.js";
import type { RouteProcessing } from "./route-set.js";

/*
 * Topology hiding toward carriers (README "Topology hiding"): the proxy tells the edge which side
 * of a forwarded request is a carrier (Forward.carrier_side); the edge keeps the users' Via headers
 * and Contact addresses from that side, replacing a Contact with a masked URI on its own address
 * (@sipfleet/routing ContactMasks). Here: which side that is, and restoring a masked Contact when
 * the carrier sends an in-dialog request to it (RFC 3261 §12.1.2: the remote target is the
 * Contact URI, so it comes back as the Request-URI).
 */

/** The Forward.carrier_side of the two sides. */
export function carrierSide(branches: boolean, upstream: boolean): Forward_CarrierSide {
  if (branches && upstream) return Forward_CarrierSide.CARRIER_SIDE_BOTH;
  if (branches) return Forward_CarrierSide.CARRIER_SIDE_BRANCHES;
  if (upstream) return Forward_CarrierSide.CARRIER_SIDE_UPSTREAM;
  return Forward_CarrierSide.CARRIER_SIDE_UNSPECIFIED;
}

/**
 * The carrier side of an in-dialog request the platform record-routed (no dialog state: from the
 * route set and the addresses alone):
 *   - toward a carrier when the destination token names no flow (a call to a trunk's carrier
 *     side, record-route.ts) or a flow whose remote address is a carrier's (a call from a trunk:
 *     its caller side's token names the flow the carrier's INVITE came over);
 *   - from a carrier when the sender's own token names no flow, or the request's source is a
 *     carrier's address.
 * A carrier address is a trunk gateway's host or one a trunk's `inbound.allow` covers. When a
 * user shares such an address (one host in tests) their side counts as a carrier too: hiding
 * toward a user is harmless (the user sees the edge's address instead of the carrier's, and any
 * request to a masked URI is restored below), never the other way round.
 */
export function inDialogCarrierSide(routes: Extract<RouteProcessing, { kind: "ok" }>, sourceIp: string, trunks: readonly Trunk[]): Forward_CarrierSide {
  if (trunks.length === 0) return Forward_CarrierSide.CARRIER_SIDE_UNSPECIFIED;
  const to = routes.token?.flow;
  const toward = to === undefined || (to.remote !== undefined && isCarrierAddress(trunks, to.remote.ip));
  const from = (routes.senderToken !== undefined && routes.senderToken.flow === undefined) || isCarrierAddress(trunks, sourceIp);
  return carrierSide(toward, from);
}

export type Unmasked =
  /** The Request-URI is no masked Contact: it stays. */
  | { readonly kind: "none" }
  /** The original Contact URI the masked Request-URI stands for. */
  | { readonly kind: "restored"; readonly uri: string }
  /** A masked URI naming the platform whose token does not decode (forged, or another secret). */
  | { readonly kind: "bad-token" };

/**
 * The Request-URI an in-dialog request is forwarded with, when it is one of the platform's masked
 * Contacts: the original URI from its token. `routes.rewrite` (strict routing) supplies the
 * Request-URI when set. A `ct` parameter the platform's key does not open on a URI that does not
 * name the platform is someone else's (another platform's masked Contact): left alone.
 */
export function unmaskRequestUri(req: SipRequest, routes: Extract<RouteProcessing, { kind: "ok" }>, masks: ContactMasks, local: ArrivalAddress, domains: Domains): Unmasked {
  let uri: unknown;
  try {
    uri = routes.rewrite === undefined ? req.uri : parseUri(routes.rewrite.requestUri);
  } catch {
    return { kind: "none" };
  }
  if (!(uri instanceof SipUri)) return { kind: "none" };
  const token = uri.params.get(CONTACT_TOKEN_PARAM);
  if (typeof token !== "string") return { kind: "none" };
  const original = masks.decode(token);
  if (original !== undefined) return { kind: "restored", uri: original };
  return namesPlatform(uri, local, domains) ? { kind: "bad-token" } : { kind: "none" };
}
