import type { Binding, BindingStore, Flow, SaveResult } from "@sipfleet/bindings";
import { SipError, type SipRequest } from "@sipfleet/sip";
import { DigestAuthenticator, WWW_DIGEST } from "@sipfleet/sip-auth";
import { addressOfRecord } from "@sipfleet/bindings";
import { contactChanges } from "./contact-changes.js";
import { sipDate } from "./http-date.js";
import { reply, type RegistrarReply } from "./reply.js";
import { SUPPORTED_OPTION_TAGS, type RegistrarSettings } from "./registrar-settings.js";

/** Logger the registrar writes to; pino satisfies it. */
export interface RegistrarLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RegistrarOptions {
  settings: RegistrarSettings;
  store: BindingStore;
  clock: () => number;
  logger: RegistrarLogger;
}

/**
 * REGISTER processing, RFC 3261 §10.3, steps in the RFC's order, with RFC 3327 Path and RFC 5626
 * outbound. Holds no state between requests (architecture invariant 2): bindings live in the
 * store, nonces are verified by HMAC, nonce counts are checked by the store.
 */
export class Registrar {
  /** Read per request: applySettings swaps it (hot reload). */
  private settings: RegistrarSettings;
  private readonly store: BindingStore;
  private readonly clock: () => number;
  private readonly logger: RegistrarLogger;
  private readonly digest: DigestAuthenticator;

  constructor(options: RegistrarOptions) {
    this.settings = options.settings;
    this.store = options.store;
    this.clock = options.clock;
    this.logger = options.logger;
    this.digest = new DigestAuthenticator(options.settings.auth, WWW_DIGEST);
  }

  /**
   * Puts a new configuration in force for REGISTERs from now on, without a restart: domains,
   * users and registrar limits. `auth` stays the one the registrar started with (its nonces are
   * HMACs of that secret).
   */
  applySettings(settings: RegistrarSettings): void {
    this.settings = { domains: settings.domains, registrar: settings.registrar, auth: this.settings.auth };
  }

  /** The answer to one REGISTER that arrived over `flow`. Never throws for bad input. */
  async handle(req: SipRequest, flow: Flow): Promise<RegistrarReply> {
    try {
      return await this.process(req, flow);
    } catch (e) {
      // A header the edge did not need to check (Contact, Expires, Path, ...) that does not parse.
      if (e instanceof SipError) return reply(400, firstLine(e.message));
      throw e;
    }
  }

  private async process(req: SipRequest, flow: Flow): Promise<RegistrarReply> {
    if (req.method !== "REGISTER") return reply(405, undefined, [["Allow", "REGISTER"]]);
    const now = this.clock();

    // Step 1: "The registrar inspects the Request-URI to determine whether it has access to
    // bindings for the domain identified in the Request-URI." We never forward a REGISTER for
    // another domain (no open relay).
    const ruri = req.uri;
    const ruriHost = "host" in ruri ? ruri.host.toLowerCase() : undefined;
    const domain = ruriHost === undefined ? undefined : this.settings.domains.get(ruriHost);
    if (domain === undefined) return reply(403, "Domain Not Served");

    // Step 2: "To guarantee that the registrar supports any necessary extensions, the registrar
    // MUST process the Require header field values as described for UASs in Section 8.2.2."
    const unsupported = req.require.filter((t) => !SUPPORTED_OPTION_TAGS.has(t.toLowerCase()));
    if (unsupported.length > 0) return reply(420, undefined, [["Unsupported", unsupported.join(", ")]]);

    // Step 5 needs the AOR before step 4's authorization check can compare identities.
    const aor = addressOfRecord(req.to.uri);
    // Step 5: "If the address-of-record is not valid for the domain in the Request-URI, the
    // registrar MUST send a 404 (Not Found) response."
    if (aor === undefined || aor.domain !== domain.name) return reply(404, "Not Found");

    // Step 3: "A registrar SHOULD authenticate the UAC."
    let nonceUse;
    if (domain.authentication === "digest") {
      const auth = this.digest.authenticate(req, domain, now);
      if (!auth.ok) {
        if (auth.why !== undefined) this.logger.warn({ aor: aor.aor, why: auth.why, source: flow.remote }, "authentication failed");
        return auth.reply;
      }
      // Step 4: "The registrar SHOULD determine if the authenticated user is authorized to modify
      // registrations for this address-of-record": here a user registers only their own AOR.
      if (auth.username !== aor.user) return reply(403, "Forbidden");
      nonceUse = auth.nonceUse;
    }

    // Step 6: "The registrar checks whether the request contains the Contact header field."
    const wildcard = req.contactIsWildcard;
    const contacts = req.contact;
    if (wildcard && req.expires !== 0) {
      // "If the request has additional Contact fields or an expiration time other than zero,
      // the request is invalid, and the server MUST return a 400 (Invalid Request)."
      return reply(400, "Wildcard Contact Requires Expires: 0");
    }
    const parsed = wildcard ? { changes: [], outbound: false } : contactChanges(req, contacts, flow, this.settings.registrar);
    if ("status" in parsed) return parsed;

    // Step 7: the Call-ID/CSeq comparison and the update, atomically, in the store.
    let result: SaveResult;
    try {
      result = await this.store.save({
        aor: aor.aor,
        callId: req.callId,
        cseq: req.cseq.seq,
        changes: parsed.changes,
        removeAll: wildcard,
        nonceUse,
        maxBindings: this.settings.registrar.maxBindingsPerAor,
        nowMs: now,
      });
    } catch (e) {
      // The store is unreachable: a transient condition the UA may retry (RFC 3261 §21.5.4).
      this.logger.error({ err: e, aor: aor.aor }, "binding store unavailable");
      return reply(503, "Location Service Unavailable", [["Retry-After", "5"]]);
    }
    switch (result.outcome) {
      case "out-of-order":
        // "If not, the update MUST be aborted and the request fails."
        return reply(400, "Invalid CSeq Number");
      case "nonce-replayed":
        return this.digest.challenge(domain.name, now);
      case "too-many-bindings":
        return reply(403, "Too Many Registered Contacts");
      case "saved":
        return this.ok(req, result.bindings, parsed.outbound, now);
    }
  }

  /**
   * Step 8: "The registrar returns a 200 (OK) response. The response MUST contain Contact header
   * field values enumerating all current bindings. Each Contact value MUST feature an "expires"
   * parameter indicating its expiration interval chosen by the registrar. The response SHOULD
   * include a Date header field."
   */
  private ok(req: SipRequest, bindings: readonly Binding[], outbound: boolean, now: number): RegistrarReply {
    const headers: [string, string][] = [];
    for (const b of bindings) {
      const seconds = Math.max(0, Math.round((b.expiresAtMs - now) / 1000));
      headers.push(["Contact", `${b.contact};expires=${seconds}`]);
    }
    headers.push(["Date", sipDate(now)]);
    const supported = req.supported.map((t) => t.toLowerCase());
    // RFC 3327 §5.3: with `Supported: path` the registrar returns the Path it stored.
    if (supported.includes("path")) for (const p of req.path) headers.push(["Path", p.toString()]);
    // RFC 5626 §6: "the registrar MUST include the 'outbound' option-tag in a Require header".
    if (outbound) headers.push(["Require", "outbound"]);
    headers.push(["Supported", "path, outbound"]);
    return reply(200, undefined, headers);
  }
}

/** A reason phrase from an error message: one line, printable, bounded. */
function firstLine(s: string): string {
  return s.split(/[\r\n]/, 1)[0]!.replace(/[^\x20-\x7e]/g, "?").slice(0, 120);
}
