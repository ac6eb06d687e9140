import { uriEquals, type Clock, type NameAddr, type SipResponse, type TimerHandle, type Uri } from "@sipfleet/sip";
import type { Gateway, OutboundCredentials, OutboundRegistration } from "@sipfleet/trunks";
import { answerChallenge, type ChallengeAnswer } from "./carrier-credentials.js";
import type { EdgeLogger } from "./logger.js";

/*
 * Outbound REGISTER to a carrier (RFC 3261 §10.2), one state machine per trunk with
 * `outbound.register`. It decides what to send and when; sending (next hop, Via, Contact, client
 * transaction) is the `RegisterExchange` it is given (carrier-registrations.ts on the edge, a
 * fake in unit tests), so it runs on an injected clock.
 *
 *   idle ──start──▶ registering ──2xx──▶ registered ──(refresh timer)──▶ registering …
 *                        │  ▲                                               │
 *                        ▼  └──────(retry timer: Retry-After or backoff)────┤
 *                      failed ◀───── 4xx, or every gateway failed ◀─────────┘
 *   any ──stop──▶ stopped (Expires: 0 to the gateway that last accepted, bounded in time)
 */

/** One REGISTER to send. */
export interface RegisterAttempt {
  readonly gateway: Gateway;
  /** RFC 3261 §10.2: the Request-URI names the registrar's domain, `sip:carrier.example` (no user part). */
  readonly requestUri: string;
  /** To and From (RFC 3261 §10.2: the address-of-record). */
  readonly aor: string;
  /** RFC 3261 §10.2: "SHOULD use the same Call-ID for all registrations during a single boot cycle". */
  readonly callId: string;
  /** §10.2: incremented by one for each REGISTER with the same Call-ID. */
  readonly cseq: number;
  /**
   * The CSeq of another REGISTER sent for this attempt (the exchange tries the gateway's next
   * located server): a new request, so a new number from the same count (§10.2).
   */
  readonly nextCseq: () => number;
  /** Seconds asked for; 0 removes our Contact (§10.2.2). */
  readonly expires: number;
  /** The answer to the challenge of the previous attempt, if it was challenged. */
  readonly authorization: ChallengeAnswer | undefined;
}

/** What came of an attempt: its final response and the Contact it registered, or no response at all. */
export type RegisterResult =
  | { readonly kind: "response"; readonly response: SipResponse; readonly contact: Uri }
  /** No final response: the gateway did not resolve, the transport failed, or Timer F fired. */
  | { readonly kind: "failed"; readonly why: string };

export type RegisterExchange = (attempt: RegisterAttempt) => Promise<RegisterResult>;

export type RegistrationState = "idle" | "registering" | "registered" | "failed" | "stopped";

export interface CarrierRegistrationOptions {
  /**
   * First wait after a failed round (every gateway tried), doubled per consecutive failure up to
   * `retryMaxMs`, each wait drawn between half and all of it: RFC 5626 §4.5's flow-recovery
   * backoff (base 30 s, max 1800 s), so a carrier coming back is not hit by every edge at once.
   */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Longest stop() waits for the answer to its Expires: 0 (challenge included). */
  readonly unregisterTimeoutMs: number;
  /** In [0, 1): the backoff jitter. */
  readonly random: () => number;
}

export const DEFAULT_CARRIER_REGISTRATION_OPTIONS: CarrierRegistrationOptions = {
  retryBaseMs: 30_000,
  retryMaxMs: 1_800_000,
  unregisterTimeoutMs: 2_000,
  random: Math.random,
};

export interface CarrierRegistrationParams {
  readonly trunk: string;
  readonly register: OutboundRegistration;
  readonly credentials: OutboundCredentials | undefined;
  /** Ordered: the first is tried first (by priority, carrier-registrations.ts). At least one. */
  readonly gateways: readonly Gateway[];
  readonly callId: string;
  readonly exchange: RegisterExchange;
  readonly clock: Clock;
  readonly logger: EdgeLogger;
}

/** Challenges answered in a row for one request: a stale=true chain longer than this is a loop. */
const MAX_CHALLENGES = 3;

export class CarrierRegistration {
  private current: RegistrationState = "idle";
  private cseq = 0;
  /** Bumped by every send and by stop: a result for an older one is ignored. */
  private generation = 0;
  private timer: TimerHandle | undefined;
  private consecutiveFailures = 0;
  /** Seconds asked for: the configured expires, raised by a 423's Min-Expires (RFC 3261 §10.2.8). */
  private expires: number;
  /** Where our Contact is bound (the gateway of the last 2xx): where stop() removes it. */
  private boundAt: Gateway | undefined;
  /** When the last 2xx was received and what it granted (seconds): for tests and stats. */
  lastGrantedSeconds: number | undefined;
  /** Delay until the next REGISTER as last scheduled, ms. */
  nextDelayMs: number | undefined;
  private readonly requestUri: string;
  private readonly o: CarrierRegistrationOptions;

  constructor(
    private readonly p: CarrierRegistrationParams,
    options: Partial<CarrierRegistrationOptions> = {},
  ) {
    this.o = { ...DEFAULT_CARRIER_REGISTRATION_OPTIONS, ...options };
    this.expires = p.register.expires;
    this.requestUri = registrarUri(p.register.aor);
  }

  get state(): RegistrationState {
    return this.current;
  }

  start(): void {
    if (this.current !== "idle") return;
    this.round();
  }

  /**
   * Stops refreshing and removes our Contact where it was bound (RFC 3261 §10.2.2: Expires 0),
   * answering one challenge; resolves once answered, failed, or after `unregisterTimeoutMs`.
   */
  stop(): Promise<void> {
    if (this.current === "stopped") return Promise.resolve();
    this.setState("stopped", {});
    this.generation++;
    if (this.timer !== undefined) this.p.clock.clearTimer(this.timer);
    this.timer = undefined;
    const gateway = this.boundAt;
    if (gateway === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.p.clock.setTimer(this.o.unregisterTimeoutMs, () => {
        this.p.logger.warn({ trunk: this.p.trunk, timeoutMs: this.o.unregisterTimeoutMs }, "carrier unregistration not answered in time");
        resolve();
      }, undefined);
      void this.unregister(gateway).then((outcome) => {
        this.p.clock.clearTimer(timer);
        if (outcome === "ok") this.p.logger.info?.({ trunk: this.p.trunk }, "unregistered from carrier");
        else this.p.logger.warn({ trunk: this.p.trunk, reason: outcome }, "carrier unregistration failed");
        resolve();
      });
    });
  }

  // ---- registering ------------------------------------------------------------------------------

  /** One round: the gateways in order until one answers. */
  private round(): void {
    this.timer = undefined;
    if (this.current !== "registered" && this.current !== "failed") this.setState("registering", {});
    this.send(0, undefined, 0, undefined);
  }

  private send(gatewayIndex: number, authorization: ChallengeAnswer | undefined, challenges: number, retryAfter: number | undefined): void {
    const gen = ++this.generation;
    const gateway = this.p.gateways[gatewayIndex] as Gateway;
    const attempt = this.attempt(gateway, this.expires, authorization);
    const done = (r: RegisterResult): void => {
      if (gen !== this.generation) return;
      this.onResult(gatewayIndex, challenges, retryAfter, r);
    };
    this.p.exchange(attempt).then(done, (e: unknown) => done({ kind: "failed", why: e instanceof Error ? e.message : String(e) }));
  }

  private onResult(gatewayIndex: number, challenges: number, retryAfter: number | undefined, r: RegisterResult): void {
    const gateway = this.p.gateways[gatewayIndex] as Gateway;
    const next = (why: string, after: number | undefined): void => {
      // RFC 3263 §4.3: no response, or a 5xx (503 above all), means trying the next server.
      if (gatewayIndex + 1 < this.p.gateways.length) {
        this.p.logger.debug?.({ trunk: this.p.trunk, gateway: gateway.host, reason: why }, "carrier gateway failed; trying the next");
        return this.send(gatewayIndex + 1, undefined, 0, after ?? retryAfter);
      }
      this.failed(why, after ?? retryAfter);
    };
    if (r.kind === "failed") return next(r.why, undefined);
    const res = r.response;
    const status = res.status;
    if (status >= 200 && status < 300) return this.registered(gateway, res, r.contact);
    if (status === 401 || status === 407) {
      const why = this.challengeRefused(res, challenges);
      if (why !== undefined) return this.failed(why, undefined);
      const answer = answerChallenge(res, { method: "REGISTER", uri: this.requestUri }, this.p.credentials as OutboundCredentials);
      if (typeof answer === "string") return this.failed(answer, undefined);
      return this.send(gatewayIndex, answer, challenges + 1, retryAfter);
    }
    if (status === 423) {
      // RFC 3261 §10.2.8: ask again with at least Min-Expires.
      const min = safe(() => res.minExpires);
      if (min !== undefined && min > this.expires) {
        this.p.logger.warn({ trunk: this.p.trunk, expires: this.expires, minExpires: min }, "carrier asks for a longer registration; using its Min-Expires");
        this.expires = min;
        return this.send(gatewayIndex, undefined, 0, retryAfter);
      }
      return this.failed(`423 without a usable Min-Expires`, undefined);
    }
    const why = `${status} ${safe(() => res.reason) ?? ""}`.trim();
    if (status >= 500) return next(why, retryAfterSeconds(res));
    // 3xx, 4xx: this carrier refuses us; another of its gateways would say the same.
    this.failed(why, retryAfterSeconds(res));
  }

  /** Why a 401/407 is not answered, or undefined to answer it. */
  private challengeRefused(res: SipResponse, challenges: number): string | undefined {
    if (this.p.credentials === undefined) return `challenged (${res.status}) but the trunk has no outbound.credentials`;
    if (challenges === 0) return undefined;
    // A second challenge to our answer: the credentials were wrong, unless the nonce was only stale.
    const stale = safe(() => (res.status === 407 ? res.proxyAuthenticate : res.wwwAuthenticate).some((c) => c.stale)) ?? false;
    if (!stale) return `credentials refused (${res.status} to our answer)`;
    if (challenges >= MAX_CHALLENGES) return `challenged ${challenges} times in a row`;
    return undefined;
  }

  private registered(gateway: Gateway, res: SipResponse, contact: Uri): void {
    const granted = grantedSeconds(res, contact, this.expires);
    if (granted <= 0) return this.failed(`${res.status} without our Contact bound`, undefined);
    this.boundAt = gateway;
    this.consecutiveFailures = 0;
    this.lastGrantedSeconds = granted;
    const { interval, expires } = this.p.register;
    // Refresh every `interval`; a shorter grant keeps the configured proportion of it, so the
    // refresh still comes before the binding runs out (RFC 3261 §10.2.4: the registrar may
    // shorten the expiration, and the UA refreshes "before the expiration interval").
    const seconds = granted >= expires ? interval : Math.max(1, Math.min(interval, Math.floor((granted * interval) / expires)));
    this.setState("registered", { gateway: gateway.host, grantedSeconds: granted });
    this.schedule(seconds * 1000);
  }

  private failed(why: string, retryAfter: number | undefined): void {
    this.consecutiveFailures++;
    // RFC 3261 §21.5.4 (503), §20.33: not before Retry-After; else the RFC 5626 §4.5 backoff.
    const delay = retryAfter !== undefined ? retryAfter * 1000 : this.backoffMs();
    this.setState("failed", { reason: why, retryInMs: delay });
    this.schedule(delay);
  }

  private backoffMs(): number {
    const { retryBaseMs, retryMaxMs, random } = this.o;
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(this.consecutiveFailures - 1, 30));
    return Math.round(ceiling * (0.5 + random() / 2));
  }

  private schedule(ms: number): void {
    this.nextDelayMs = ms;
    this.timer = this.p.clock.setTimer(ms, () => this.round(), undefined);
  }

  /** State changes are logged once each: a refresh that keeps the state says nothing. */
  private setState(s: RegistrationState, info: object): void {
    const before = this.current;
    this.current = s;
    if (before === s) return;
    const obj = { trunk: this.p.trunk, aor: this.p.register.aor, ...info };
    if (s === "failed") this.p.logger.warn(obj, "carrier registration failed");
    else if (s === "registered") this.p.logger.info?.(obj, "registered with carrier");
    else this.p.logger.debug?.(obj, `carrier registration ${s}`);
  }

  // ---- unregistering ----------------------------------------------------------------------------

  /** The next REGISTER to `gateway` (§10.2.4: the same Call-ID, a CSeq above every earlier one). */
  private attempt(gateway: Gateway, expires: number, authorization: ChallengeAnswer | undefined): RegisterAttempt {
    return {
      gateway,
      requestUri: this.requestUri,
      aor: this.p.register.aor,
      callId: this.p.callId,
      cseq: ++this.cseq,
      nextCseq: () => ++this.cseq,
      expires,
      authorization,
    };
  }

  private async unregister(gateway: Gateway): Promise<"ok" | string> {
    let authorization: ChallengeAnswer | undefined;
    for (let challenges = 0; ; challenges++) {
      const attempt = this.attempt(gateway, 0, authorization);
      let r: RegisterResult;
      try {
        r = await this.p.exchange(attempt);
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
      if (r.kind === "failed") return r.why;
      const res = r.response;
      if (res.status >= 200 && res.status < 300) return "ok";
      if (res.status !== 401 && res.status !== 407) return String(res.status);
      const why = this.challengeRefused(res, challenges);
      if (why !== undefined) return why;
      const answer = answerChallenge(res, { method: "REGISTER", uri: this.requestUri }, this.p.credentials as OutboundCredentials);
      if (typeof answer === "string") return answer;
      authorization = answer;
    }
  }
}

/** RFC 3261 §10.2: the Request-URI "names the domain of the location service": the AOR without user, password, parameters or headers. */
export function registrarUri(aor: string): string {
  const m = /^(sips?):(?:[^@;?]*@)?([^;?]+)/i.exec(aor.trim());
  if (m === null) throw new Error(`not a sip or sips URI: ${JSON.stringify(aor)}`);
  return `${(m[1] as string).toLowerCase()}:${m[2] as string}`;
}

/**
 * RFC 3261 §10.2.4: the expiration granted for our binding is the `expires` parameter of our
 * Contact in the 2xx; failing that, its Expires header; failing that, what we asked for.
 */
export function grantedSeconds(res: SipResponse, contact: Uri, asked: number): number {
  let contacts: readonly NameAddr[];
  try {
    contacts = res.contact;
  } catch {
    contacts = [];
  }
  const ours = contacts.find((c) => safe(() => uriEquals(c.uri, contact)) === true);
  const param = ours === undefined ? undefined : safe(() => ours.expires);
  if (param !== undefined && Number.isFinite(param)) return param;
  const header = safe(() => res.expires);
  if (header !== undefined && Number.isFinite(header)) return header;
  // Our Contact not found (some registrars rewrite it, e.g. with NAT parameters): what we asked for.
  return asked;
}

/** Retry-After's delta-seconds (RFC 3261 §20.33), without comment or parameters. */
export function retryAfterSeconds(res: SipResponse): number | undefined {
  const v = safe(() => res.header("Retry-After"));
  if (v === undefined) return undefined;
  const m = /^\s*(\d{1,9})/.exec(v);
  return m === null ? undefined : Number(m[1]);
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
