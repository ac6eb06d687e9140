import { parseUri, SipUri, type SipRequest } from "@sipfleet/sip";
import { trunkForSource, type Trunk } from "@sipfleet/trunks";
import { bareHost } from "./platform-address.js";
import type { RouteProcessing } from "./route-set.js";

/**
 * Whether an in-dialog request whose token names no flow may leave the platform. Such a token is
 * written for a target without a registered flow: a carrier's gateway. The request then goes by
 * its remaining Route or its Request-URI, which the sender chooses: without this check, anyone
 * holding the Record-Route of one trunk call (its caller) could send requests "in that dialog" to
 * any address through the platform, past the destination policy. So the next hop must be one of
 * the carriers': a trunk gateway's host, or an address a trunk's `inbound.allow` covers (a
 * carrier's media or signalling gateways other than the one dialled). Names other than the
 * configured gateway hosts are not resolved here: they are refused.
 */
export function flowlessNextHopAllowed(req: SipRequest, routes: Extract<RouteProcessing, { kind: "ok" }>, trunks: readonly Trunk[]): boolean {
  const next = nextHopUri(req, routes);
  if (!(next instanceof SipUri)) return false;
  const host = bareHost(next.host);
  if (next.hostType === "name") return isGatewayHost(trunks, host);
  return isCarrierAddress(trunks, host);
}

/**
 * Whether an address (an IP literal) is a carrier's: a trunk gateway's host as configured, or an
 * address a trunk's `inbound.allow` covers.
 */
export function isCarrierAddress(trunks: readonly Trunk[], ip: string): boolean {
  return isGatewayHost(trunks, ip.toLowerCase()) || trunkForSource(trunks, ip) !== undefined;
}

function isGatewayHost(trunks: readonly Trunk[], host: string): boolean {
  for (const trunk of trunks) for (const g of trunk.gateways) if (g.host.toLowerCase() === host) return true;
  return false;
}

/** Where the edge will send it (RFC 3261 §16.6 step 7): the first Route left after ours, else the Request-URI. */
function nextHopUri(req: SipRequest, routes: Extract<RouteProcessing, { kind: "ok" }>): unknown {
  try {
    if (routes.rewrite !== undefined) return parseUri(routes.rewrite.routes[0] ?? routes.rewrite.requestUri);
    return req.route[routes.popRoutes]?.uri ?? req.uri;
  } catch {
    return undefined;
  }
}
