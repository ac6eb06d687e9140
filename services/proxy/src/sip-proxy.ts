import { addressOfRecord, type BindingStore, type CallSlotStore, type Flow, type NonceUse, userAddressOfRecord } from "@sipfleet/bindings";
import { flowToWire } from "@sipfleet/location-client/wire";
import { type Decision, type Flow as WireFlow, Forward_CarrierSide, Forward_Failover } from "@sipfleet/proto";
import type { DomainConfig } from "@sipfleet/config";
import { type InboundCredentials, numberOwner, type Trunk, type UserRef } from "@sipfleet/trunks";
import { ContactMasks, FlowTokens, isLooped } from "@sipfleet/routing";
import { SipError, type SipRequest } from "@sipfleet/sip";
import { type AuthReply, DigestAuthenticator, PROXY_DIGEST } from "@sipfleet/sip-auth";
import { cachedDnsLookup, type Random, type SipDnsLookup, systemDnsLookup } from "@sipfleet/sip-dns";
import { CALLEE_FULL_STATUS, callerFull, type LimitedParty, takesCallSlots, trunkFull, trunkParty, userParty } from "./call-limits.js";
import { drop, forward, refuse, respond } from "./decisions.js";
import { locateGateways } from "./gateway-servers.js";
import { inboundRoute } from "./inbound-trunks.js";
import {
  assertedIdentity,
  dialledNumber,
  gatewayGroups,
  HEADERS_REMOVED_TOWARD_CARRIER,
  outboundRoute,
  type OutboundNumberRoute,
  resolveNumberRoutes,
  type TrunkGateway,
} from "./outbound-trunks.js";
import { resolveRequestUri, servedDomain } from "./platform-address.js";
import {
  DIALOG_CREATING_METHODS,
  TRANSIENT_RETRY_AFTER_SECONDS,
  NOT_ROUTED_METHODS,
  type ProxySettings,
} from "./proxy-settings.js";
import { recordRouting, recordRoutesByAddress } from "./record-route.js";
import { flowlessNextHopAllowed } from "./flowless-dialog.js";
import { processRoutes } from "./route-set.js";
import { targetGroups } from "./target-groups.js";
import { inDialogCarrierSide, unmaskRequestUri } from "./topology-hiding.js";
import { UNAVAILABLE_REASON, UNAVAILABLE_STATUS, unknownUser } from "./unknown-user.js";

/** Logger the proxy writes to; pino satisfies it. */
export interface ProxyLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SipProxyOptions {
  settings: ProxySettings;
  store: BindingStore;
  clock: () => number;
  logger: ProxyLogger;
  /** Draws the weighted order of trunks and gateways (RFC 2782); Math.random by default. */
  random?: Random;
  /**
   * Where gateways named by a domain are looked up (RFC 3263); by default the system resolver
   * behind a cache of DNS_CACHE_MS.
   */
  dns?: SipDnsLookup;
  /**
   * Where concurrent-call slots are taken (the location service's client in a cluster). Without
   * it no limit is enforced; with it, only calls involving a limited user or trunk reach it.
   */
  callSlots?: CallSlotStore;
}

/**
 * How long a DNS answer for a gateway is kept: a carrier's DNS change shows within it, and a call
 * rate never becomes a query rate (node:dns gives no TTL for NAPTR and SRV answers).
 */
export const DNS_CACHE_MS = 30_000;

/** Who is calling, once a `digest` domain's caller has been checked. */
type Caller = { readonly kind: "authenticated"; readonly user: string } | { readonly kind: "refused"; readonly decision: Decision };

/** What every branch of an out-of-dialog request carries, whichever step chose its targets. */
interface NextHops {
  readonly req: SipRequest;
  /** The flow the request came in over, as its envelope carried it (the Record-Route tokens encode it). */
  readonly inbound: WireFlow;
  /** The request creates a dialog the platform stays in (RFC 3261 §16.6 step 4). */
  readonly recordRoute: boolean;
  /** An initial INVITE: it takes a slot of each limited party (call-limits.ts). */
  readonly counted: boolean;
  readonly popRoutes: number;
  readonly removeHeaders: string[];
}

/**
 * RFC 3261 §16 request routing, as a decision for the edge that holds the transaction: where a
 * request goes (Forward, with the branches' Request-URIs, Routes, Record-Routes and flows), or
 * the answer (Respond), or nothing (Drop, for an ACK). Holds no state between requests
 * (architecture invariant 2): bindings are in the store, nonces (HMACs) and flow tokens (sealed) derive from the
 * shared secret.
 *
 * The steps, in order (README.md has the table):
 *   §16.3 validation the edge has not already done: Max-Forwards 0, loops;
 *   §16.4 route processing: our Route values removed, their flow token read;
 *   in a dialog the platform record-routed: forward over the flow the token names, no questions;
 *   otherwise calls from trunks: a trunk's number from its source goes to the number's owners,
 *   a number from no trunk is refused (inbound-trunks.ts); a number a caller of a served digest
 *   domain dials is authenticated, then goes to its owners or out over the number route's trunks
 *   (outbound-trunks.ts); then §16.5 Request-URI: ours or
 *   relaying (refused), then who is calling (digest for a caller of a served domain, RFC 3261
 *   §22.3), then the callee's bindings, forked by q (§16.6).
 */
export class SipProxy {
  /** Read per request, never kept across one: applySettings swaps it (hot reload). */
  private settings: ProxySettings;
  /** settings.numberRoutes with their trunks looked up once per configuration. */
  private numberRoutes: readonly OutboundNumberRoute[];
  private readonly store: BindingStore;
  private readonly clock: () => number;
  private readonly logger: ProxyLogger;
  private readonly digest: DigestAuthenticator;
  private readonly tokens: FlowTokens;
  /** Masked Contacts (topology hiding toward carriers), restored when a carrier sends to one. */
  private readonly masks: ContactMasks;
  private readonly random: Random;
  private readonly dns: SipDnsLookup;
  private readonly callSlots: CallSlotStore | undefined;

  constructor(options: SipProxyOptions) {
    this.settings = options.settings;
    this.numberRoutes = resolveNumberRoutes(options.settings.numberRoutes, options.settings.trunks);
    this.store = options.store;
    this.clock = options.clock;
    this.logger = options.logger;
    this.digest = new DigestAuthenticator(options.settings.auth, PROXY_DIGEST);
    this.tokens = new FlowTokens(options.settings.auth.nonceSecret);
    this.masks = new ContactMasks(options.settings.auth.nonceSecret);
    this.random = options.random ?? Math.random;
    this.dns = options.dns ?? cachedDnsLookup(systemDnsLookup(), DNS_CACHE_MS);
    this.callSlots = options.callSlots;
  }

  /**
   * Puts a new configuration in force for requests from now on, without a restart: domains,
   * users, trunks, number routes and proxy timers. The digest and flow-token keys stay those the
   * proxy started with: `auth` is not reloaded (a new nonce secret would orphan every flow token
   * and Record-Route in use), so the new settings' auth is ignored.
   */
  applySettings(settings: ProxySettings): void {
    const numberRoutes = resolveNumberRoutes(settings.numberRoutes, settings.trunks);
    this.settings = { domains: settings.domains, proxy: settings.proxy, trunks: settings.trunks, numberRoutes: settings.numberRoutes, auth: this.settings.auth };
    this.numberRoutes = numberRoutes;
  }

  /**
   * The decision for one request that arrived over `flow` (`wire`: the same flow as the envelope
   * carried it, which the Record-Route tokens encode; derived when not given; `tlsPeerNames`: the
   * envelope's verified client certificate names). Never throws for bad input.
   */
  async handle(req: SipRequest, flow: Flow, wire: WireFlow = flowToWire(flow), tlsPeerNames: readonly string[] = []): Promise<Decision> {
    try {
      return await this.route(req, flow, wire, tlsPeerNames);
    } catch (e) {
      // A header the edge did not need to check (Route, the Request-URI's user, credentials...)
      // that does not parse.
      if (e instanceof SipError) return refuse(req.method, 400, firstLine(e.message));
      throw e;
    }
  }

  private async route(req: SipRequest, flow: Flow, inbound: WireFlow, tlsPeerNames: readonly string[]): Promise<Decision> {
    const method = req.method;
    if (NOT_ROUTED_METHODS.has(method)) {
      // The edge answers CANCEL from its transactions and sends REGISTER to the registrar: one
      // here is a wiring mistake to see in the log, not something to route.
      this.logger.warn({ method, callId: req.callId }, "the edge asked the proxy about a method it keeps");
      return respond(500, `${method} Is Not Routed By The Proxy`);
    }

    // §16.3 step 3: the edge answers Max-Forwards 0 before asking; checked again so that no
    // request leaves the platform with a Max-Forwards the edge would decrement below zero.
    if (req.maxForwards === 0) return refuse(method, 483, "Too Many Hops");
    // §16.3 step 4: our own Via below the top with the same loop hash: this request went
    // through the platform before in this very shape.
    if (isLooped(req)) return refuse(method, 482, "Loop Detected");

    const routes = processRoutes(req, flow, this.settings.domains, this.tokens);
    if (routes.kind === "bad-token") return refuse(method, 403, "Invalid Flow Token");
    if (routes.kind === "no-route-for-strict-routing") return refuse(method, 400, "Record-Route URI Without Route");

    const inDialog = req.to.tag !== undefined;
    const removeHeaders = this.ownCredentialsOnly(req) ? ["Proxy-Authorization"] : [];

    // RFC 5626 §5.3 / RFC 3261 §16.12: a request in a dialog the platform record-routed goes
    // over the flow its token names. The token proves the dialog was set up through the platform
    // (whose caller was authenticated then), so it is not challenged (RFC 3261 §22.3 leaves it to
    // the proxy; challenging a BYE or an ACK breaks dialogs with UAs that cannot answer).
    if (inDialog && routes.token !== undefined) {
      // A token without a flow (a trunk call's carrier side): only toward a carrier's address.
      if (routes.token.flow === undefined && !flowlessNextHopAllowed(req, routes, this.settings.trunks)) {
        this.logger.warn({ method, callId: req.callId }, "in-dialog request toward a non-carrier address refused");
        return refuse(method, 403, "Forbidden");
      }
      // A carrier sending to the masked Contact of a user (topology-hiding.ts): the user gets
      // the Request-URI it put in its Contact.
      const unmasked = unmaskRequestUri(req, routes, this.masks, flow, this.settings.domains);
      if (unmasked.kind === "bad-token") return refuse(method, 404, "Not Found");
      const target = {
        requestUri: unmasked.kind === "restored" ? unmasked.uri : (routes.rewrite?.requestUri ?? ""),
        routes: [],
        recordRoutes: [],
        flow: routes.token.flow,
        trunk: "",
        nextHop: undefined,
      };
      return forward({
        groups: [{ targets: [target], timeoutMs: 0, provisionalTimeoutMs: 0 }],
        popRoutes: routes.popRoutes,
        rewriteRoutes: routes.rewrite !== undefined,
        routes: routes.rewrite === undefined ? [] : [...routes.rewrite.routes],
        removeHeaders,
        // The edge answered the carrier's challenge when the dialog was set up (route-set.ts).
        cseqOffset: routes.cseqOffset,
        carrierSide: inDialogCarrierSide(routes, flow.remote.ip, this.settings.trunks),
      });
    }
    if (method === "ACK") {
      // The ACK for a non-2xx ends at the edge's transaction; one for a 2xx follows the route set.
      return drop(inDialog ? "ACK in a dialog the platform did not record-route" : "ACK outside any transaction or dialog");
    }
    // A Request-URI that is our Record-Route URI only makes sense inside a dialog.
    if (routes.rewrite !== undefined) return respond(400, "Record-Route URI Outside A Dialog");

    const fromDomain = servedDomain(req.from.uri, flow, this.settings.domains);
    // A caller claiming a served `digest` domain proves it with the domain's credentials (RFC 3261
    // §22.3, 407); a caller of another domain is inbound federation, accepted without (trunks and
    // ACLs will narrow that).
    const digestCaller = fromDomain !== undefined && fromDomain.authentication === "digest" ? fromDomain : undefined;
    // §16.5: whether the Request-URI names the platform, and which served domain; resolved once
    // for every step below.
    const resolved = resolveRequestUri(req.uri, flow, this.settings.domains, fromDomain);
    let next: NextHops = {
      req,
      inbound,
      recordRoute: !inDialog && DIALOG_CREATING_METHODS.has(method),
      counted: this.callSlots !== undefined && takesCallSlots(req),
      popRoutes: routes.popRoutes,
      removeHeaders,
    };

    // Calls from carriers (inbound-trunks.ts): a trunk's source calling one of its numbers reaches
    // the number's owners without a challenge (the source address is the trunk's credential),
    // unless the trunk has inbound digest credentials too, which are checked first; a number from
    // a source no trunk allows is refused. Numbers our own users dial pass on to the
    // calls to trunks below.
    let fromTrunk = inboundRoute(req.uri, resolved, flow, fromDomain, this.settings.trunks, req.to.uri, tlsPeerNames);
    if (fromTrunk.kind === "authenticate") {
      const refused = await this.authenticateTrunk(req, flow, fromTrunk.trunk, fromTrunk.credentials);
      if (refused !== undefined) return refused;
      // §22.3: the carrier's credentials were for the platform; the callee does not get them.
      next = { ...next, removeHeaders: this.ownCredentialsOnly(req, fromTrunk.credentials.realm) ? ["Proxy-Authorization"] : [] };
      fromTrunk = fromTrunk.then;
    }
    if (fromTrunk.kind === "refuse") {
      if (fromTrunk.log !== undefined) this.logger.warn({ ...fromTrunk.log.obj, callId: req.callId }, fromTrunk.log.msg);
      return respond(fromTrunk.status, fromTrunk.reason);
    }
    if (fromTrunk.kind === "owners") {
      // The carrier is upstream: the users' answers reach it with their addresses hidden.
      return this.forwardToUsers(fromTrunk.owners, next, present([trunkParty(fromTrunk.trunk)]), Forward_CarrierSide.CARRIER_SIDE_UPSTREAM);
    }

    // Calls to carriers (outbound-trunks.ts): a user of a served `digest` domain dialling a number
    // (not a user's name) is authenticated, then reaches the number's owners when it is one of our
    // DIDs, else goes out over the trunks of its number route.
    const dialled = digestCaller === undefined ? undefined : dialledNumber(req.uri, resolved, fromTrunk.number, digestCaller);
    if (dialled !== undefined && digestCaller !== undefined) {
      const caller = await this.authenticate(req, flow, digestCaller);
      if (caller.kind === "refused") return caller.decision;
      return this.callNumber(dialled, caller.user, digestCaller, next, present([userParty(this.settings, { user: caller.user, domain: digestCaller.name }, callerFull())]));
    }

    // §16.5: the Request-URI decides whether the platform is responsible for the target.
    // No open relay: requests for other domains are refused until trunks and their rules exist.
    if (resolved.kind === "foreign") return respond(403, "Relaying Denied");
    if (resolved.kind === "ambiguous") return respond(404, "Not Found");
    const domain = resolved.domain;

    // Who is calling (above). Only an authenticated caller's calls count against their limit: a
    // From anyone can write must not let a stranger use up someone's calls.
    const callerParties: LimitedParty[] = [];
    if (digestCaller !== undefined) {
      const caller = await this.authenticate(req, flow, digestCaller);
      if (caller.kind === "refused") return caller.decision;
      callerParties.push(...present([userParty(this.settings, { user: caller.user, domain: digestCaller.name }, callerFull())]));
    }

    // §16.5: the target set of a user of ours is their registered contacts (RFC 3261 §10); the
    // user part unescaped, as the AOR's.
    const user = addressOfRecord(req.uri)?.user;
    if (user === undefined) return respond(404, "Not Found");
    // A domain with digest knows its users; in one without, anyone may register any name.
    if (domain.authentication === "digest" && !domain.users.has(user)) return unknownUser(fromDomain);
    return this.forwardToUsers([{ user, domain: domain.name }], next, callerParties);
  }

  /**
   * RFC 3261 §22.3: a caller claiming a served `digest` domain proves it with the domain's
   * credentials (407), the From must be the authenticated user, and a nonce count is good once
   * (RFC 7616 §3.4.2, in the location service).
   */
  private async authenticate(req: SipRequest, flow: Flow, fromDomain: DomainConfig): Promise<Caller> {
    const auth = this.digest.authenticate(req, fromDomain, this.clock());
    if (!auth.ok) {
      if (auth.why !== undefined) this.logger.warn({ why: auth.why, from: req.from.uriText, source: flow.remote }, "authentication failed");
      return { kind: "refused", decision: fromReply(auth.reply) };
    }
    // The credentials are someone's; the From must be theirs: no calling as someone else.
    if (auth.username !== addressOfRecord(req.from.uri)?.user) {
      this.logger.warn({ username: auth.username, from: req.from.uriText, source: flow.remote }, "From does not match the credentials");
      return { kind: "refused", decision: respond(403, "From Does Not Match Credentials") };
    }
    // The record is the user's, shared with the registrar's.
    if (auth.nonceUse !== undefined) {
      const refused = await this.spendNonce(userAddressOfRecord(auth.username, fromDomain.name).aor, req, auth.nonceUse, fromDomain.name, { obj: { source: flow.remote }, msg: "replayed nonce count" });
      if (refused !== undefined) return { kind: "refused", decision: refused };
    }
    return { kind: "authenticated", user: auth.username };
  }

  /**
   * RFC 7616 §3.4.2: a nonce count is good once, kept in the location service under `aor` (no
   * state here). Undefined when this use is the first; else the refusal: 503 when the store does
   * not answer, a fresh challenge in `realm` for a count used before.
   */
  private async spendNonce(aor: string, req: SipRequest, nonceUse: NonceUse, realm: string, log: { readonly obj: object; readonly msg: string }): Promise<Decision | undefined> {
    let spent;
    try {
      spent = await this.store.useNonce({ aor, callId: req.callId, cseq: req.cseq.seq, nonceUse });
    } catch (e) {
      this.logger.error({ err: e, aor }, "binding store unavailable");
      return locationUnavailable();
    }
    if (spent !== "nonce-replayed") return undefined;
    this.logger.warn({ ...log.obj, aor, callId: req.callId }, log.msg);
    return fromReply(this.digest.challenge(realm, this.clock()));
  }

  /**
   * RFC 3261 §22.3 for a carrier (README "Calls from trunks"): the request from a trunk's source
   * carries the trunk's digest (`inbound.credentials`), checked like a user's (407 in the trunk's
   * realm, 403 with credentials_failed when wrong, stale nonces, a nonce count good once, kept in
   * the location service under the trunk's own key). Undefined when the carrier proved itself.
   */
  private async authenticateTrunk(req: SipRequest, flow: Flow, trunk: Trunk, credentials: InboundCredentials): Promise<Decision | undefined> {
    const account = { name: credentials.username, ha1: credentials.ha1 };
    const auth = this.digest.authenticateIn(req, credentials.realm, (name) => (name === account.name ? account : undefined), this.clock());
    if (!auth.ok) {
      if (auth.why !== undefined) this.logger.warn({ why: auth.why, trunk: trunk.name, source: flow.remote, callId: req.callId }, "trunk authentication failed");
      return fromReply(auth.reply);
    }
    // `trunk:<name>` is no AOR anyone can register: a trunk's nonce counts never mix with a user's.
    if (auth.nonceUse !== undefined) return this.spendNonce(`trunk:${trunk.name}`, req, auth.nonceUse, credentials.realm, {
        obj: { trunk: trunk.name, source: flow.remote },
        msg: "replayed nonce count from a trunk",
      });
    return undefined;
  }

  /**
   * A number an authenticated `user` of `domain` dialled: one of our DIDs rings its owners as a
   * call from a trunk would (no carrier in between); any other number is checked against the
   * destination policy and sent to its number route's gateways one after another, failing over
   * only on 408, 5xx or no answer (README "Calls to trunks").
   */
  private async callNumber(e164: string, user: string, domain: DomainConfig, next: NextHops, callerParties: readonly LimitedParty[]): Promise<Decision> {
    const trunks = this.settings.trunks;
    const owned = numberOwner(trunks, e164);
    if (owned !== undefined) {
      return this.forwardToUsers(owned.assignment.owners, next, callerParties);
    }
    const out = outboundRoute(user, domain, e164, this.numberRoutes, this.random);
    if (out.kind === "refuse") {
      if (out.log !== undefined) this.logger.warn({ ...out.log.obj, callId: next.req.callId }, out.log.msg);
      return respond(out.status, out.reason);
    }
    const located = await locateGateways(out.gateways, this.dns, this.random, this.logger);
    if (located.length === 0) {
      // Only names DNS could not answer for remain: a server-side failure that may pass (RFC 3261
      // §21.5.4), not the caller's mistake. Checked before any call slot is taken.
      this.logger.warn({ number: e164, callId: next.req.callId }, "no gateway of the number route could be located");
      return respond(503, "Service Unavailable", [["Retry-After", String(TRANSIENT_RETRY_AFTER_SECONDS)]]);
    }
    const gateways = next.counted ? await this.trunksWithRoom(located, next, callerParties) : located;
    if (!Array.isArray(gateways)) return gateways as Decision;
    // Every branch is toward an address (no flow): one pair of Record-Route values for all.
    const recordRoutes = next.recordRoute ? recordRoutesByAddress(recordRouting(this.tokens, next.inbound)) : [];
    return forward({
      groups: gatewayGroups(e164, gateways, this.settings.proxy.gatewayProvisionalTimeoutMs, recordRoutes),
      // Every Route value goes: ours are done with, and one the caller preloaded must neither
      // steer the request away from the gateway nor reach the carrier.
      rewriteRoutes: true,
      routes: [],
      removeHeaders: [...HEADERS_REMOVED_TOWARD_CARRIER],
      addHeaders: [assertedIdentity(user, domain.name, trunks)],
      failover: Forward_Failover.FAILOVER_SERVER_FAILURE,
      // Every branch goes to a carrier: the caller's Via and Contact stay inside the platform.
      carrierSide: Forward_CarrierSide.CARRIER_SIDE_BRANCHES,
    });
  }

  /**
   * §16.5/§16.6: the target set is every live binding of each AOR (RFC 3261 §10), forked by q as
   * one set (equal q rings together, whichever user it belongs to); 480 when none is live.
   */
  private async forwardToUsers(
    callees: readonly UserRef[],
    next: NextHops,
    fixedParties: readonly LimitedParty[] = [],
    carrierSide: Forward_CarrierSide = Forward_CarrierSide.CARRIER_SIDE_UNSPECIFIED,
  ): Promise<Decision> {
    const aors = callees.map((c) => userAddressOfRecord(c.user, c.domain).aor);
    let perCallee;
    try {
      perCallee = await Promise.all(aors.map((aor) => this.store.lookup(aor)));
    } catch (e) {
      this.logger.error({ err: e, aors }, "binding store unavailable");
      return locationUnavailable();
    }
    // Only callees that can ring (a live binding) take a slot; one at their limit is left out and
    // the others ring (a number owned by several users); when none is left the call is refused.
    let ringing = callees.map((c, i) => ({ party: userParty(this.settings, c, respond(CALLEE_FULL_STATUS, "Busy Here")), bindings: perCallee[i]! })).filter((c) => c.bindings.length > 0);
    if (next.counted && ringing.length > 0) {
      for (;;) {
        const parties = [...fixedParties, ...present(ringing.map((c) => c.party))];
        const taken = await this.takeSlots(next.req, parties);
        if (taken === "taken") break;
        if (taken.kind === "unavailable") return taken.decision;
        const full = taken.party;
        if (fixedParties.includes(full)) return full.whenFull;
        ringing = ringing.filter((c) => c.party !== full);
        if (ringing.length === 0) return full.whenFull;
      }
    }
    const bindings = ringing.flatMap((c) => c.bindings);

    // The caller-side value is signed here once for every branch.
    const plan = targetGroups(bindings, this.settings.proxy, next.recordRoute ? recordRouting(this.tokens, next.inbound) : undefined);
    if (plan.unusable.length > 0) {
      this.logger.warn({ aors, contacts: plan.unusable.map((b) => b.contact) }, "stored contacts that do not parse were skipped");
    }
    // §16.5 via §10: a user with no live binding cannot be reached now.
    if (plan.groups.length === 0) return respond(UNAVAILABLE_STATUS, UNAVAILABLE_REASON);
    return forward({ groups: plan.groups, popRoutes: next.popRoutes, removeHeaders: next.removeHeaders, carrierSide });
  }

  /**
   * The gateways a counted call to a carrier may use: those of the first trunk with a limit that
   * has room (in the order they would be tried), whose slot the call takes with the caller's, and
   * those of trunks without a limit. A full trunk is skipped for the next one, as carriers expect
   * of a route; later limited trunks are left out, as failing over to one would use a trunk whose
   * slot the call does not hold. No trunk left: 503 (trunkFull).
   */
  private async trunksWithRoom<G extends TrunkGateway>(gateways: readonly G[], next: NextHops, callerParties: readonly LimitedParty[]): Promise<readonly G[] | Decision> {
    const byName = new Map(this.settings.trunks.map((t) => [t.name, t]));
    const limited: LimitedParty[] = [];
    const partyOf = new Map<string, LimitedParty>();
    for (const g of gateways) {
      const trunk = byName.get(g.trunk);
      const party = trunk === undefined || partyOf.has(g.trunk) ? undefined : trunkParty(trunk);
      if (party !== undefined) {
        partyOf.set(g.trunk, party);
        limited.push(party);
      }
    }
    const unlimited = gateways.filter((g) => !partyOf.has(g.trunk));
    for (const trunk of [...limited, undefined]) {
      if (trunk === undefined && unlimited.length === 0) return trunkFull();
      const parties = trunk === undefined ? [...callerParties] : [...callerParties, trunk];
      const taken = await this.takeSlots(next.req, parties);
      if (taken === "taken") return gateways.filter((g) => !partyOf.has(g.trunk) || partyOf.get(g.trunk) === trunk);
      if (taken.kind === "unavailable") return taken.decision;
      if (taken.party !== trunk) return taken.party.whenFull;
    }
    return trunkFull();
  }

  /** Takes a slot of each party for this INVITE, or says which one is full; nothing to take costs no request. */
  private async takeSlots(req: SipRequest, claimed: readonly LimitedParty[]): Promise<"taken" | { kind: "full"; party: LimitedParty } | { kind: "unavailable"; decision: Decision }> {
    // A user calling themselves (or a number they own) is in the call once: the first party of a key stays.
    const parties = claimed.filter((p, i) => claimed.findIndex((q) => q.claim.key === p.claim.key) === i);
    if (parties.length === 0 || this.callSlots === undefined) return "taken";
    let result;
    try {
      result = await this.callSlots.acquireCallSlots({
        callId: req.callId,
        inviteCseq: req.cseq.seq,
        claims: parties.map((p) => p.claim),
        ttlMs: this.settings.proxy.callSlotLifetimeMs,
      });
    } catch (e) {
      // Fail closed: a limit that stops holding while the store is down is what stolen
      // credentials would wait for.
      this.logger.error({ err: e, callId: req.callId }, "call slots unavailable");
      return { kind: "unavailable", decision: locationUnavailable() };
    }
    if (result.acquired) return "taken";
    const party = parties.find((p) => p.claim.key === result.fullKey);
    if (party === undefined) throw new Error(`call slots: the store named ${result.fullKey}, which was not claimed`);
    this.logger.warn({ callId: req.callId, key: result.fullKey, limit: party.claim.limit }, "concurrent-call limit reached");
    return { kind: "full", party };
  }

  /**
   * RFC 3261 §22.3: a proxy removes the credentials meant for it (§16.6 leaves those of other
   * realms to the proxies that asked for them): a served realm's, or `trunkRealm` for a trunk's
   * request it challenged. The edge removes header fields by name, so they
   * go only when every value is for a served realm.
   */
  private ownCredentialsOnly(req: SipRequest, trunkRealm?: string): boolean {
    try {
      const credentials = req.proxyAuthorization;
      return credentials.length > 0 && credentials.every((c) => c.realm !== undefined && (this.settings.domains.has(c.realm) || c.realm === trunkRealm));
    } catch {
      return false; // unparsable: not ours to judge, passed on untouched
    }
  }
}

function present<T>(items: readonly (T | undefined)[]): T[] {
  return items.filter((i): i is T => i !== undefined);
}

function fromReply(r: AuthReply): Decision {
  const d = respond(r.status, r.reason, r.headers);
  // The edge counts failed credentials toward a ban of the source (Respond.credentials_failed).
  if (r.credentialsFailed === true && d.action?.$case === "respond") d.action.value.credentialsFailed = true;
  return d;
}

/** The store is unreachable: transient, the UA may retry (RFC 3261 §21.5.4), as the registrar answers. */
function locationUnavailable(): Decision {
  return respond(503, "Location Service Unavailable", [["Retry-After", String(TRANSIENT_RETRY_AFTER_SECONDS)]]);
}

/** A reason phrase from an error message: one line, printable, bounded. */
function firstLine(s: string): string {
  return s.split(/[\r\n]/, 1)[0]!.replace(/[^\x20-\x7e]/g, "?").slice(0, 120);
}
