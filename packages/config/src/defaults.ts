import type { DigestAlgorithmName } from "@sipfleet/sip";
import type { DialRule } from "@sipfleet/trunks";
import type { BanConfig, EdgeConfig, GatewayPingConfig, ListenAddress, LoggingConfig, ProxyConfig, RateLimitConfig, RegistrarConfig } from "./config.js";

/*
 * What an absent key means. Each value says where it comes from; the validator's limits
 * (schema in parse-config.ts) say what may be configured instead.
 */

export const DEFAULT_REGISTRAR_CONFIG: RegistrarConfig = Object.freeze({
  /*
   * RFC 3261 §10.3 step 7 leaves the minimum to the registrar; 60 s is the usual choice
   * (Asterisk's minimum_expiration): short enough for any NAT keep-alive scheme, long enough
   * that a misbehaving client cannot make us re-register it every second.
   */
  minExpires: 60,
  /** RFC 3261 §10.2.1.1 suggests 3600 seconds when the client asks for nothing. */
  defaultExpires: 3600,
  /** Two hours (Asterisk's maximum_expiration): a vanished device's binding is gone within that. */
  maxExpires: 7200,
  /**
   * Enough for every device a person owns; the bound keeps one AOR from growing without limit,
   * and the 200 OK lists every binding (RFC 3261 §10.3 step 8), so it must fit in one response.
   */
  maxBindingsPerAor: 20,
});

export const DEFAULT_PROXY_CONFIG: ProxyConfig = Object.freeze({
  /*
   * RFC 3261 §16.6 leaves the time a serial group rings to the proxy. 20 s is three to four rings
   * at the usual 5-6 s cadence: long enough for someone to pick up the preferred phone, short
   * enough that the caller does not hang up before the next one rings.
   */
  serialGroupTimeoutMs: 20_000,
  /**
   * Every phone a person owns rings at once in the common case (equal q-values); ten is more than
   * a person answers on and bounds the client transactions one request costs the edge.
   */
  maxTargets: 10,
  /*
   * A live gateway sends 100 Trying within a round trip: RFC 3261 §17.2.1, an INVITE server
   * transaction "MUST generate a 100 (Trying) response" unless its TU answers within 200 ms.
   * 4 s spans three retransmissions of a UDP INVITE (at 0.5, 1.5 and 3.5 s, Timer A doubling
   * from T1), so a lost datagram or two does not cost the gateway, yet a dead one costs the
   * caller 4 s instead of Timer B's 32 s (Kamailio's fr_timer, which does the same, is of that order).
   */
  gatewayProvisionalTimeoutMs: 4000,
  // Calls end by their ENDED event; this only bounds what a lost event costs. Nothing refreshes
  // a slot during a call (session timers are optional), so it is the longest call expected.
  callSlotLifetimeMs: 4 * 60 * 60 * 1000,
});

export interface AuthDefaults {
  readonly algorithms: readonly DigestAlgorithmName[];
  readonly nonceLifetimeSeconds: number;
}

export const DEFAULT_AUTH_CONFIG: AuthDefaults = Object.freeze({
  /*
   * RFC 8760 §2.4: one challenge per algorithm, most preferred first. SHA-256 (added to SIP by
   * RFC 8760) for the clients that have it, MD5 for the many that only implement RFC 3261 §22.
   */
  algorithms: Object.freeze(["SHA-256", "MD5"] as const),
  /**
   * RFC 7616 §3.3 leaves a nonce's lifetime to the server. Five minutes: a client answering a
   * challenge needs seconds; an older nonce gets stale=true and the client retries silently.
   */
  nonceLifetimeSeconds: 300,
});

/** RFC 3261 §19.1.2: 5060 is the default port for sip: over UDP and TCP. Loopback until told otherwise. */
export const DEFAULT_LISTEN: readonly ListenAddress[] = Object.freeze([
  Object.freeze({ transport: "udp", host: "127.0.0.1", port: 5060 } as const),
  Object.freeze({ transport: "tcp", host: "127.0.0.1", port: 5060 } as const),
]);

/**
 * Kamailio's dispatcher is usually run with ds_ping_interval 10-30 s and ds_probing_threshold
 * 1-3. 10 s and 3 failures: a gateway that dies is skipped within about 40 s (until then calls
 * still fail over to the next gateway after proxy.gatewayProvisionalTimeoutMs), while one lost
 * UDP ping (or two) does not take a working gateway out; the carrier sees one OPTIONS per edge
 * every 10 s, far below any rate limit it sets.
 */
export const DEFAULT_GATEWAY_PING: GatewayPingConfig = Object.freeze({
  intervalMs: 10_000,
  failuresBeforeDown: 3,
});

export const DEFAULT_RATE_LIMIT_CONFIG: RateLimitConfig = Object.freeze({
  /**
   * An office of 200 phones behind one NAT address: re-REGISTERs (with their 401 round) every few
   * minutes and OPTIONS or CRLF keep-alives every 30 s come to ~15 requests/s; a busy hour of
   * calls (INVITE, its 407 round, ACK, re-INVITE, BYE) a few dozen more; all 200 phones booting
   * at once after a power cut send ~400 REGISTERs over a few seconds. 200/s leaves that room
   * while one host's flood (thousands per second) is cut to it.
   */
  requestsPerSecond: 200,
  /**
   * A few 503s tell a real client over the limit to back off (RFC 3261 §21.5.4, Retry-After);
   * answering every request of a flood would make the edge a reflector. 10 per second, then silence.
   */
  rejectsPerSecond: 10,
  /** Four syncs per one-second window: a flood spread over edges is seen within a quarter second. */
  syncIntervalMs: 250,
  allow: Object.freeze([]),
});

export const DEFAULT_BAN_CONFIG: BanConfig = Object.freeze({
  /**
   * A user who mistypes a password fails a handful of times; a phone with a stale password retries
   * at its registration interval. Ten failures within ten minutes is guessing.
   */
  failuresBeforeBan: 10,
  windowSeconds: 600,
  /** Ten minutes: a guesser's tool gives up; a user who locked out their own office waits it out. */
  banSeconds: 600,
});

export const DEFAULT_EDGE_CONFIG: EdgeConfig = Object.freeze({
  listen: DEFAULT_LISTEN,
  /**
   * A registrar decision takes well under a millisecond; two seconds means the workers are
   * overloaded or gone. Answering 503 then, rather than letting the client retransmit until
   * Timer F (64*T1 = 32 s, RFC 3261 §17.1.2.2) fires, lets it fail over to another server.
   */
  decisionTimeoutMs: 2000,
  /** Retry-After on that 503 (RFC 3261 §21.5.4, §20.33): a short pause, then try again. */
  retryAfterSeconds: 5,
  /**
   * A CANCEL whose INVITE went to another edge is claimed by that edge within a bus round trip
   * (well under a millisecond). Waiting less than T1 (500 ms) answers the 481 for a CANCEL that
   * matches nothing before a UDP caller retransmits it (RFC 3261 §17.1.2.2, Timer E = T1).
   */
  cancelRelayTimeoutMs: 300,
  /**
   * The largest UDP datagram (RFC 768 length field); RFC 3261 §18.1.1 has larger requests use
   * a congestion-controlled transport anyway. Also bounds the buffer a TCP connection may fill.
   */
  maxMessageSize: 65535,
  /**
   * A TCP connect over a working path takes a round trip; by 5 s the SYN has been resent twice
   * and the target is not there. Well within Timer B/F (64*T1 = 32 s, RFC 3261 §17.1.1.2, §17.1.2.2), so a
   * dead target still leaves time to try the next branch.
   */
  connectTimeoutMs: 5000,
  /**
   * Longer than Timer C (RFC 3261 §16.6 step 11: more than 3 minutes), so an INVITE ringing
   * without a word still has its connection when the answer comes; a later request opens a new one.
   */
  outboundIdleTimeoutMs: 300_000,
  /**
   * A request carries six mandatory headers (RFC 3261 §8.1.1) plus a Via per hop and its
   * Route/Record-Route, Contact, Authorization and the like: a few dozen at most. 100 leaves
   * room for all of it while a message cannot make the parser index thousands of lines.
   */
  maxHeaderLines: 100,
  /**
   * A UA holds one or two flows (RFC 5626 §4.2: one per outbound proxy), a NAT a few dozen
   * UAs' worth; 32 lets an office behind one address register while one source cannot take
   * the edge's whole connection cap.
   */
  maxConnectionsPerSource: 32,
  /**
   * A message arrives within a few round trips of its first byte; 10 s is far past that on any
   * working path, and frees a socket that is fed a byte at a time to keep it half-sent.
   */
  partialMessageTimeoutMs: 10_000,
  /**
   * No drain beyond the requests in hand unless asked: a single process (pnpm start) stops at
   * once; a cluster sets it below its grace period (the Helm chart does).
   */
  drainInDialogMs: 0,
  gatewayPing: DEFAULT_GATEWAY_PING,
  rateLimit: DEFAULT_RATE_LIMIT_CONFIG,
  bans: DEFAULT_BAN_CONFIG,
});

export interface DialPolicyDefaults {
  readonly dialPlan: readonly DialRule[];
  readonly blockedPrefixes: readonly string[];
  readonly allowedPrefixes: readonly string[];
}

export const DEFAULT_DIAL_POLICY: DialPolicyDefaults = Object.freeze({
  /** No rule: only numbers dialled in E.164 (`+...`) are understood until the domain says more. */
  dialPlan: Object.freeze([]),
  /**
   * Everything outside our users is blocked until allowed: toll fraud through a trunk costs
   * money, so a domain that has not said what its users may call lets them call nothing.
   */
  blockedPrefixes: Object.freeze(["+"]),
  allowedPrefixes: Object.freeze([]),
});

export interface TrunkDefaults {
  readonly gatewayPriority: number;
  readonly gatewayWeight: number;
  readonly registerExpires: number;
}

export const DEFAULT_TRUNK: TrunkDefaults = Object.freeze({
  /** Equal priority and weight: gateways and route trunks share the load evenly (RFC 2782). */
  gatewayPriority: 1,
  gatewayWeight: 1,
  /** RFC 3261 §10.2.1.1's suggested 3600 s; the refresh interval defaults to half of it. */
  registerExpires: 3600,
});

/** Nothing listed: no SIP message is logged. */
export const DEFAULT_LOGGING_CONFIG: LoggingConfig = Object.freeze({
  sipMessages: Object.freeze({ domains: Object.freeze([]), users: Object.freeze([]) }),
});
