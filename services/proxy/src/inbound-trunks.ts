import type { Flow } from "@sipfleet/bindings";
import type { DomainConfig } from "@sipfleet/config";
import { SipUri, TelUri, type Uri } from "@sipfleet/sip";
import { type InboundCredentials, isE164, numberOwner, stripSeparators, type Trunk, trunkForSource, type UserRef } from "@sipfleet/trunks";
import type { RequestUriResolution } from "./platform-address.js";

/*
 * Calls from carriers (issue 5, inbound): a request from a trunk's source address for one of the
 * trunk's numbers (DIDs) goes to the users the number belongs to. The trunk is recognised by the
 * packet's source address (`inbound.allow`): it is not challenged, unless it has
 * `inbound.credentials`: then the caller challenges it in the trunk's realm (RFC 3261 §22.3)
 * before it learns anything (kind "authenticate"); the address stays the first factor, a trunk is
 * never found by its username alone (README "Calls from trunks"). A trunk with `inbound.tlsNames`
 * (mutual TLS) is the source's only for a request that came over a TLS connection whose client
 * certificate the edge verified and named one of them (`Envelope.tls_peer_names`): an address
 * alone can be spoofed over UDP, a certificate's key cannot.
 *
 * What "a request for a number" is, strictly:
 *   - `tel:` with a global number (RFC 3966 §5.1.4, `+` first) and no parameter at all: an
 *     `ext`, `isub` or anything else is not a DID of ours. Visual separators (`-`, `.`, `(`, `)`)
 *     carry no meaning (RFC 3966 §5.1.1) and are dropped.
 *   - `sip:`/`sips:` naming the platform (a served domain, or the address the request came to,
 *     as for Route values) whose user part is an E.164 number: `+` and 1 to 15 digits, the first
 *     not 0. With `;user=phone` the user part is a telephone-subscriber (RFC 3261 §19.1.6), so
 *     visual separators are dropped there too; without it the user part must be exactly that.
 * Anything else (a name, a local number such as `030123`, a number in someone else's domain) is
 * not a number here and is routed as before.
 *
 * A trunk the edges register with (`outbound.register`) sends its calls to the Contact we
 * registered, `sip:<AOR user>@<edge address>`: the Request-URI then names our account at the
 * carrier, not the DID, and carriers put the dialled number in the To header. For a request from
 * that trunk's source whose Request-URI is that Contact (its user is the AOR's user, at the
 * platform), the number is read from the To URI by the same rules (tel:, or an E.164 user part in
 * any host: the To names the carrier's domain).
 */

/** What the inbound step decided for one out-of-dialog request. */
export type InboundRoute =
  /** Not for a number, or a caller this step leaves to the usual rules; `number`: the one the Request-URI is for, if any. */
  | { readonly kind: "pass"; readonly number: string | undefined }
  /** Answered here: nothing routed. */
  | { readonly kind: "refuse"; readonly status: number; readonly reason: string; readonly log?: { readonly msg: string; readonly obj: object } }
  /** The number's owners: every live binding of each rings. `trunk`: the one the call came from. */
  | { readonly kind: "owners"; readonly owners: readonly UserRef[]; readonly trunk: Trunk }
  /**
   * From the source of a trunk with `inbound.credentials`: the request must carry the carrier's
   * digest for `credentials.realm` (407 until it does, 403 when wrong); then `then` applies.
   */
  | {
      readonly kind: "authenticate";
      readonly trunk: Trunk;
      readonly credentials: InboundCredentials;
      readonly then: { readonly kind: "owners"; readonly owners: readonly UserRef[]; readonly trunk: Trunk } | { readonly kind: "refuse"; readonly status: number; readonly reason: string };
    };

/**
 * The E.164 number a Request-URI is for (rules above), or undefined. `resolved`: the Request-URI
 * resolved (resolveRequestUri): a `sip:` that is not foreign names the platform.
 */
export function requestedNumber(uri: Uri, resolved: RequestUriResolution): string | undefined {
  if (uri instanceof TelUri) {
    if (!uri.isGlobal || uri.params.size > 0) return undefined;
    const n = stripSeparators(uri.number);
    return isE164(n) ? n : undefined;
  }
  if (!(uri instanceof SipUri) || uri.user === undefined) return undefined;
  if (resolved.kind === "foreign") return undefined;
  const n = uri.userParam?.toLowerCase() === "phone" ? stripSeparators(uri.user) : uri.user;
  return isE164(n) ? n : undefined;
}

/**
 * The inbound step for an out-of-dialog request over `flow`, before the Request-URI is resolved
 * to a local user (README "Calls from trunks"):
 *   - not for a number: pass;
 *   - from a trunk's source, for one of its numbers: the owners (no challenge), or, when the
 *     trunk has `inbound.credentials`, "authenticate" first (whatever the number: the answer to
 *     a carrier that has not proved itself is the same 407 for a DID and for an unknown number);
 *   - from the source of a trunk with tlsNames, without a verified certificate naming one of
 *     them: 403 (logged: the trunk, the source, the names seen);
 *   - from a trunk's source, for a number it does not deliver (another trunk's DID, or nobody's):
 *     404, as for a user we do not have;
 *   - from no trunk: 403, whether or not the number exists, unless the From is in a served
 *     `digest` domain: that caller is challenged and routed by the usual rules (today a 404 for a
 *     user named like a number; numbers our users dial go out over trunks later, the outbound path).
 *     A From in a domain without authentication proves nothing, so it gets the 403 too.
 */
export function inboundRoute(
  uri: Uri,
  resolved: RequestUriResolution,
  flow: Flow,
  fromDomain: DomainConfig | undefined,
  trunks: readonly Trunk[],
  /** The To header's URI: where a carrier calling our registered Contact puts the DID. */
  toUri: Uri | undefined,
  /** The verified client certificate names the request came with (`Envelope.tls_peer_names`). */
  tlsPeerNames: readonly string[] = [],
): InboundRoute {
  const number = requestedNumber(uri, resolved) ?? registeredContactNumber(uri, resolved, toUri, flow, trunks);
  if (number === undefined) return { kind: "pass", number };
  const trunk = trunkForSource(trunks, flow.remote.ip);
  if (trunk === undefined) {
    if (fromDomain !== undefined && fromDomain.authentication === "digest") return { kind: "pass", number };
    return {
      kind: "refuse",
      status: 403,
      reason: "Forbidden",
      log: { msg: "request for a number from a source no trunk allows", obj: { number, source: flow.remote } },
    };
  }
  const tlsNames = trunk.inbound.tlsNames;
  if (tlsNames !== undefined && !tlsPeerNames.some((n) => tlsNames.includes(n))) {
    return {
      kind: "refuse",
      status: 403,
      reason: "Forbidden",
      log: {
        msg: "request from a trunk's source without a verified client certificate naming the trunk (inbound.tlsNames)",
        obj: { trunk: trunk.name, source: flow.remote, transport: flow.transport, tlsPeerNames },
      },
    };
  }
  const route = trunkNumberRoute(trunk, number, trunks);
  // A trunk with digest credentials proves them before it learns anything, even whether the
  // number exists (RFC 3261 §22.3): the caller challenges, then takes `then`.
  const credentials = trunk.inbound.credentials;
  return credentials === undefined ? route : { kind: "authenticate", trunk, credentials, then: route };
}

/** Where a trunk's request for `number` goes: its owners when the trunk delivers it, else 404. */
function trunkNumberRoute(trunk: Trunk, number: string, trunks: readonly Trunk[]): InboundRoute & { kind: "owners" | "refuse" } {
  const owned = numberOwner(trunks, number);
  // A number only the trunk that delivers it may send: another carrier's DID from this source is
  // as unknown here as a number nobody owns.
  if (owned === undefined || owned.trunk !== trunk) return { kind: "refuse", status: 404, reason: "Not Found" };
  return { kind: "owners", owners: owned.assignment.owners, trunk };
}

/**
 * The DID of a call a registered trunk sends to our registered Contact (rules above): the To's
 * number when the Request-URI's user is the user part of the trunk's `outbound.register.aor`.
 */
export function registeredContactNumber(uri: Uri, resolved: RequestUriResolution, toUri: Uri | undefined, flow: Flow, trunks: readonly Trunk[]): string | undefined {
  if (toUri === undefined || !(uri instanceof SipUri) || uri.user === undefined || resolved.kind === "foreign") return undefined;
  const aor = trunkForSource(trunks, flow.remote.ip)?.outbound.register?.aor;
  if (aor === undefined || aorUser(aor) !== uri.user) return undefined;
  if (toUri instanceof TelUri) return requestedNumber(toUri, resolved);
  if (!(toUri instanceof SipUri) || toUri.user === undefined) return undefined;
  const n = toUri.userParam?.toLowerCase() === "phone" ? stripSeparators(toUri.user) : toUri.user;
  return isE164(n) ? n : undefined;
}

/** The user part of a sip/sips AOR as configured (validated by @sipfleet/config), or undefined. */
function aorUser(aor: string): string | undefined {
  const m = /^sips?:([^@;?]+)@/i.exec(aor.trim());
  return m === null ? undefined : m[1];
}
