import type { DomainConfig } from "@sipfleet/config";
import { transportToWire } from "@sipfleet/location-client/wire";
import type { Header, NextHop, TargetGroup } from "@sipfleet/proto";
import { escapeUriUser, SipUri, type Uri } from "@sipfleet/sip";
import {
  destinationAllowed,
  type Gateway,
  longestPrefixRoute,
  normalizeNumber,
  type NumberRoute,
  type RouteTrunk,
  type Trunk,
} from "@sipfleet/trunks";
import { type Random, type SipServer, weightedOrder } from "@sipfleet/sip-dns";
import type { LocatedGateway } from "./gateway-servers.js";
import { type RequestUriResolution, uriHost } from "./platform-address.js";

/*
 * Calls to carriers (issue 5, outbound): an authenticated user of a served domain dialling a
 * number that is none of ours goes out over the trunks of the number route with the longest
 * prefix (README "Calls to trunks").
 *
 * What "a dialled number" is: what inbound-trunks.ts calls a number (a global tel:, or a sip:
 * naming the platform with an E.164 user part), or a sip: naming the platform whose user part is
 * digits that the caller's domain's dial plan turns into E.164 (`normalizeNumber`, so `0301234`
 * with `{ match: "0", replace: "+49" }`). A user part that is a configured user of the domain the
 * Request-URI names stays that user: names win over numbers.
 */

/**
 * The E.164 number a user of `callerDomain` dialled with this Request-URI, or undefined when it
 * is not a number (rules above). `resolved`: the Request-URI resolved with `callerDomain` as the
 * From's domain (resolveRequestUri; a `sip:` that is not foreign names the platform);
 * `requested`: requestedNumber's answer for it.
 */
export function dialledNumber(
  uri: Uri,
  resolved: RequestUriResolution,
  requested: string | undefined,
  callerDomain: DomainConfig,
): string | undefined {
  if (!(uri instanceof SipUri) || uri.user === undefined || resolved.kind === "foreign") return requested;
  // The domain the Request-URI names (by address: the caller's), whose users' names win.
  const named = resolved.kind === "local" ? resolved.domain : callerDomain;
  if (named.users.has(uri.user)) return undefined;
  return requested ?? normalizeNumber(callerDomain, uri.user);
}

/** A number route with its trunks in place of their names, resolved once (resolveNumberRoutes). */
export interface OutboundNumberRoute {
  readonly prefix: string;
  readonly trunks: readonly (Omit<RouteTrunk, "trunk"> & { readonly trunk: Trunk })[];
}

/**
 * The number routes with their trunks looked up by name, once when the proxy starts instead of
 * on every call. The configuration refuses a route that names no trunk (parse-config.ts); settings
 * built otherwise that do are a programming error, thrown here.
 */
export function resolveNumberRoutes(routes: readonly NumberRoute[], trunks: readonly Trunk[]): OutboundNumberRoute[] {
  const byName = new Map(trunks.map((t) => [t.name, t]));
  return routes.map((route) => ({
    prefix: route.prefix,
    trunks: route.trunks.map((entry) => {
      const trunk = byName.get(entry.trunk);
      if (trunk === undefined) throw new Error(`number route ${route.prefix} names trunk ${JSON.stringify(entry.trunk)}, which does not exist`);
      return { trunk, priority: entry.priority, weight: entry.weight };
    }),
  }));
}

export type OutboundRoute =
  | { readonly kind: "refuse"; readonly status: number; readonly reason: string; readonly log?: { readonly msg: string; readonly obj: object } }
  /** Gateways in the order to try them, first first. */
  | { readonly kind: "gateways"; readonly gateways: readonly TrunkGateway[] };

/** A gateway with the trunk it belongs to (the edge answers its challenges with the trunk's credentials). */
export interface TrunkGateway {
  readonly trunk: string;
  readonly gateway: Gateway;
}

/**
 * The outbound step for `user` of `domain` calling `e164` (not a number of ours):
 *   - the destination policy refuses it (premium rate, international unless allowed): 403;
 *   - no number route covers it: 404 (below);
 *   - else every gateway of the route's trunks, in the order to try them.
 *
 * Why 404 without a route: RFC 3261 §21.4.5 404 "The server has definitive information that the
 * user does not exist at the domain specified in the Request-URI" is what the caller learns — the
 * platform knows no way to the number. 488 (§21.4.26) is about the session description and 403
 * would say the caller is not allowed, which the policy step says when that is the case; 404 also
 * matches what such a call got before outbound routing existed.
 */
export function outboundRoute(
  user: string,
  domain: DomainConfig,
  e164: string,
  routes: readonly OutboundNumberRoute[],
  random: Random,
): OutboundRoute {
  const userConfig = domain.users.get(user);
  if (userConfig === undefined || !destinationAllowed(userConfig, domain, e164)) {
    return {
      kind: "refuse",
      status: 403,
      reason: "Destination Not Allowed",
      log: { msg: "destination not allowed for the caller", obj: { user, domain: domain.name, number: e164 } },
    };
  }
  const route = longestPrefixRoute(routes, e164);
  if (route === undefined) return { kind: "refuse", status: 404, reason: "Not Found", log: { msg: "no number route for a dialled number", obj: { number: e164 } } };
  const gateways: TrunkGateway[] = [];
  for (const entry of weightedOrder(route.trunks, random)) {
    for (const gateway of weightedOrder(entry.trunk.gateways, random)) gateways.push({ trunk: entry.trunk.name, gateway });
  }
  if (gateways.length === 0) return { kind: "refuse", status: 404, reason: "Not Found", log: { msg: "number route without usable trunks", obj: { prefix: route.prefix } } };
  return { kind: "gateways", gateways };
}

/**
 * The Request-URI toward a gateway: `sip:<e164>@host[:port][;transport=t]`. A gateway without a
 * port or transport leaves them out (RFC 3263 would choose; the edge uses the defaults for now).
 */
export function gatewayRequestUri(e164: string, gateway: Gateway): string {
  const host = uriHost(gateway.host);
  const port = gateway.port === undefined ? "" : `:${gateway.port}`;
  const transport = gateway.transport === undefined ? "" : `;transport=${gateway.transport}`;
  return `sip:${e164}@${host}${port}${transport}`;
}

/**
 * The identity asserted to the carrier (RFC 3325 §9.1: the proxy that authenticated the user
 * "MAY insert a P-Asserted-Identity header field" and must remove P-Preferred-Identity): the
 * user's number when they have one — the first single number (not a range) of a trunk whose owners
 * include them, in configuration order — else their AOR.
 */
export function assertedIdentity(user: string, domain: string, trunks: readonly Trunk[]): Header {
  for (const trunk of trunks) {
    for (const a of trunk.numbers) {
      if (a.block.first !== a.block.last) continue;
      if (a.owners.some((o) => o.user === user && o.domain === domain)) {
        return { name: "P-Asserted-Identity", value: `<sip:${a.block.first}@${domain}>` };
      }
    }
  }
  return { name: "P-Asserted-Identity", value: `<sip:${escapeUriUser(user)}@${domain}>` };
}

/**
 * Header fields removed from every request sent to a carrier:
 *   - P-Asserted-Identity and P-Preferred-Identity the caller wrote: RFC 3325 §9.1, only the
 *     platform asserts, and the preferred identity is consumed by the proxy that asserts;
 *   - Proxy-Authorization, whatever its realm: the user's credentials are for the platform;
 *     the carrier's own challenges are the platform's to answer (trunk outbound credentials), so no
 *     value of it is for anyone beyond.
 */
export const HEADERS_REMOVED_TOWARD_CARRIER: readonly string[] = ["P-Asserted-Identity", "P-Preferred-Identity", "Proxy-Authorization"];

/**
 * One serial group per gateway, in order; `provisionalTimeoutMs`: proxy.gatewayProvisionalTimeoutMs;
 * `recordRoutes`: every branch's Record-Route values (the same for all: no branch has a flow).
 */
export function gatewayGroups(
  e164: string,
  gateways: readonly LocatedGateway[],
  provisionalTimeoutMs: number,
  recordRoutes: readonly string[],
): TargetGroup[] {
  // timeout_ms 0: the edge's group timer runs to a *final* response (a 180 does not stop it), so
  // any value would cancel a call that is ringing at the carrier and ring the number again over
  // the next gateway. provisional_timeout_ms instead stops at the gateway's first response of any
  // kind: a gateway that answers nothing fails over after it (as a 408), one that rings rings on;
  // a refused connection or a 5xx fails over at once. See README "Calls to trunks".
  return gateways.map((g) => ({
    // A copy per target: Target.recordRoutes is a mutable array in the generated type.
    targets: [
      {
        requestUri: gatewayRequestUri(e164, g.gateway),
        routes: [],
        recordRoutes: [...recordRoutes],
        flow: undefined,
        trunk: g.trunk,
        nextHop: g.server === undefined ? undefined : nextHopToWire(g.server),
      },
    ],
    timeoutMs: 0,
    provisionalTimeoutMs,
  }));
}

function nextHopToWire(s: SipServer): NextHop {
  return { transport: transportToWire(s.transport), ip: s.ip, port: s.port, serverName: s.serverName };
}
