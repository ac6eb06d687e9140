import type { DigestAlgorithmName, StoredHa1 } from "@sipfleet/sip";
import type { DialPolicyDomain, DialPolicyUser, NumberRoute, Subnet, Trunk } from "@sipfleet/trunks";

/*
 * The validated configuration every service reads. The YAML file (`SIPFLEET_CONFIG`, default
 * deploy/local/sipfleet.yaml) and, later, the Kubernetes custom resources are validated into this
 * shape by the same code; nothing reads the raw YAML.
 */

export interface SipfleetConfig {
  /** Domains we serve, by lower-cased name. */
  readonly domains: ReadonlyMap<string, DomainConfig>;
  readonly registrar: RegistrarConfig;
  readonly proxy: ProxyConfig;
  readonly auth: AuthConfig;
  readonly edge: EdgeConfig;
  /** Carrier trunks, in the order written; names are unique. */
  readonly trunks: readonly Trunk[];
  /** Outbound number routes; every trunk named exists, no prefix is listed twice. */
  readonly numberRoutes: readonly NumberRoute[];
  readonly logging: LoggingConfig;
}

/** `logging`: what is logged beyond each service's own events. */
export interface LoggingConfig {
  readonly sipMessages: SipMessageLogConfig;
}

/**
 * `logging.sipMessages`: the edge logs every SIP message it receives or sends (credentials
 * redacted) whose From, To or Request-URI is in one of `domains`, or whose From or To is one of
 * `users`. Both empty (the default): nothing is logged. For debugging: it is one log line per
 * message of everyone matched.
 */
export interface SipMessageLogConfig {
  /** Lower-case domain names (host names or IPv4 addresses). */
  readonly domains: readonly string[];
  /** Addresses of record, `user@domain` (the domain lower-case). */
  readonly users: readonly string[];
}

/**
 * dialPlan, blockedPrefixes and allowedPrefixes (DialPolicyDomain) say how numbers the users
 * dial are normalised to E.164 and which they may call (see @sipfleet/trunks destinationAllowed).
 */
export interface DomainConfig extends DialPolicyDomain {
  /** As written in the file (lower-cased); also the digest realm. */
  readonly name: string;
  /**
   * `digest`: every REGISTER is challenged (RFC 3261 §22). `none`: anyone may register any user
   * name — for benchmarks on loopback only.
   */
  readonly authentication: "digest" | "none";
  /** Users by name (case-sensitive, as the user part of a SIP URI is). */
  readonly users: ReadonlyMap<string, UserConfig>;
}

/** allowedDestinations (DialPolicyUser): exceptions to the domain's blockedPrefixes. */
export interface UserConfig extends DialPolicyUser {
  readonly name: string;
  /** Calls the user may have at once; absent: no limit. */
  readonly maxConcurrentCalls: number | undefined;
  /** HA1 = H(username:realm:password) per hash family; the password itself is never stored. */
  readonly ha1: StoredHa1;
}

export interface RegistrarConfig {
  /** Shorter requested expiries get 423 Interval Too Brief (RFC 3261 §10.3 step 7). Seconds. */
  readonly minExpires: number;
  /** Longer requested expiries are shortened to this. Seconds. */
  readonly maxExpires: number;
  /** Used when neither the Contact nor the request gives an expiry. Seconds. */
  readonly defaultExpires: number;
  /** Most bindings one AOR may hold; a REGISTER that would exceed it is refused. */
  readonly maxBindingsPerAor: number;
}

export interface ProxyConfig {
  /**
   * Contacts of a user with different q-values are tried one group after another, highest q
   * first (RFC 3261 §16.6, serial forking); a group that has not answered by then is cancelled
   * and the next one tried. The last group runs until its branches end. Milliseconds.
   */
  readonly serialGroupTimeoutMs: number;
  /** Most contacts one request is forked to (the highest q-values win); the rest are not tried. */
  readonly maxTargets: number;
  /**
   * How long a call to a carrier gateway may go without any response (not even 100 Trying)
   * before the gateway is given up as a 408 and the next gateway tried. A gateway that has
   * answered anything rings on until its final response. Milliseconds.
   */
  readonly gatewayProvisionalTimeoutMs: number;
  /**
   * How long a call counts against concurrent-call limits when its end is never reported (an
   * edge died with the call): the longest call expected. A longer call stops counting then.
   * Milliseconds.
   */
  readonly callSlotLifetimeMs: number;
}

export interface AuthConfig {
  /** Challenges offered, in order of preference (RFC 8760 §2.4: strongest first). */
  readonly algorithms: readonly DigestAlgorithmName[];
  /** How long a nonce is accepted before a challenge says stale=true. */
  readonly nonceLifetimeMs: number;
  /**
   * Key of the HMAC that makes nonces any replica can verify. Must be the same on every replica:
   * from `auth.nonceSecret` or `SIPFLEET_NONCE_SECRET`; random per process when neither is set
   * (fine for one process, not for a cluster).
   */
  readonly nonceSecret: Uint8Array;
  /**
   * Where nonceSecret came from: `env` (SIPFLEET_NONCE_SECRET), `config` (auth.nonceSecret) or
   * `random` (neither was set). A cluster runner starting several replicas must refuse `random`:
   * each replica would reject the nonces its siblings issued.
   */
  readonly nonceSecretSource: NonceSecretSource;
}

export type NonceSecretSource = "config" | "env" | "random";

/**
 * `tls` is SIP over TLS (sips, RFC 3261 §26.2); `ws` and `wss` are SIP over WebSocket and
 * secure WebSocket (RFC 7118). Every transport but `udp` is a connection.
 */
export type ListenTransport = "udp" | "tcp" | "tls" | "ws" | "wss";

export interface ListenAddress {
  readonly transport: ListenTransport;
  /** IP literal (v4 or v6 without brackets). */
  readonly host: string;
  readonly port: number;
}

export interface EdgeConfig {
  /** Sockets to listen on; `SIPFLEET_LISTEN` (e.g. `udp:127.0.0.1:5070,tcp:127.0.0.1:5070`) overrides. */
  readonly listen: readonly ListenAddress[];
  /** How long the edge waits for a worker's decision before answering 503. */
  readonly decisionTimeoutMs: number;
  /** Retry-After (seconds) on the 503 sent when no worker answers. */
  readonly retryAfterSeconds: number;
  /**
   * How long an edge waits for another edge to claim a CANCEL whose INVITE it does not hold
   * before answering 481 (RFC 3261 §9.2).
   */
  readonly cancelRelayTimeoutMs: number;
  /** Largest SIP message accepted on any transport, bytes. */
  readonly maxMessageSize: number;
  /**
   * How long the edge waits for a TCP connection (and, for TLS, its handshake) it opens to a
   * target that has none; a target not connected by then is a transport error for its branch.
   */
  readonly connectTimeoutMs: number;
  /** A connection the edge opened that carries nothing for this long is closed. */
  readonly outboundIdleTimeoutMs: number;
  /** A message with more header lines is refused: a request with 400, a response dropped. */
  readonly maxHeaderLines: number;
  /**
   * Connections (TCP, TLS, WS, WSS) one source may hold open at once: one IPv4 address, or one
   * IPv6 /64 (what one host is usually given). More are closed as they are accepted.
   */
  readonly maxConnectionsPerSource: number;
  /**
   * A TCP or TLS connection that holds part of a message this long is closed, however slowly
   * bytes keep arriving (slowloris). Idle time between whole messages is not counted.
   */
  readonly partialMessageTimeoutMs: number;
  /**
   * The edge's drain when it stops (a scale-in, a rollout): new dialogs and registrations get 503
   * with Retry-After at once, while requests within established dialogs (BYE, re-INVITE, ACK)
   * keep being relayed for this long, so calls in progress can end (services/edge README
   * "Stopping"). 0: only while the requests in hand are being answered. Keep it under the
   * orchestrator's grace period (Kubernetes terminationGracePeriodSeconds).
   */
  readonly drainInDialogMs: number;
  /** OPTIONS pings to the trunks' gateways; a gateway they find dead is skipped (gateway health). */
  readonly gatewayPing: GatewayPingConfig;
  /** Requests per source address and second, across every edge (services/edge README "Abuse limits"). */
  readonly rateLimit: RateLimitConfig;
  /** Bans of sources that keep failing authentication, across every edge. */
  readonly bans: BanConfig;
  /**
   * Certificate and policy of the `tls` and `wss` listeners. Present exactly when one is
   * configured: its files are then read and checked at startup.
   */
  readonly tls?: EdgeTlsConfig;
  /**
   * The address the edge advertises as its own (Via sent-by, Record-Route, Path, its Contacts
   * toward carriers) instead of the one its sockets are bound to: a pod behind a Service or load
   * balancer. `SIPFLEET_PUBLIC_ADDRESS` overrides. Absent: the bound address (public-address.ts).
   */
  readonly publicAddress?: readonly PublicAddress[];
}

/** One entry of edge.publicAddress. */
export interface PublicAddress {
  /** The transport it is for; undefined: every transport no other entry names. */
  readonly transport: ListenTransport | undefined;
  /** A DNS name or IP address (IPv6 without brackets), lower-cased. */
  readonly host: string;
  /** Undefined: the listener's own port. */
  readonly port: number | undefined;
}

/**
 * `edge.gatewayPing`: each edge sends OPTIONS to every gateway of every trunk on its own
 * (services/edge README "Gateway health").
 */
export interface GatewayPingConfig {
  /**
   * Time between two pings of one gateway. A ping still unanswered when the next is due counts as
   * failed (so this is also the ping's timeout, capped by the transaction's Timer F). 0: no
   * pings at all, every gateway counts as up.
   */
  readonly intervalMs: number;
  /** Failed pings in a row that mark a gateway down; one answered ping marks it up again. */
  readonly failuresBeforeDown: number;
}

export interface RateLimitConfig {
  /**
   * Requests one source (an IPv4 address, an IPv6 /64) may send per one-second window, counted
   * over every edge. Beyond it: 503 with Retry-After, then silence for the rest of the window.
   */
  readonly requestsPerSecond: number;
  /** 503s one source is sent per window once over the limit; the rest of the window is silence. */
  readonly rejectsPerSecond: number;
  /** How often each edge adds its counts to Redis and reads the totals back. */
  readonly syncIntervalMs: number;
  /** Sources never limited nor banned (besides the trunks' inbound allow-lists, always exempt). */
  readonly allow: readonly Subnet[];
}

export interface BanConfig {
  /** Failed credentials (wrong password, unknown user) from one source that get it banned. */
  readonly failuresBeforeBan: number;
  /** The failures are counted over this long, from the first one. */
  readonly windowSeconds: number;
  /** How long a banned source gets silence on every edge. */
  readonly banSeconds: number;
}

/** RFC 8996 deprecates TLS 1.0 and 1.1: 1.2 is the lowest the edge accepts. */
export type TlsMinVersion = "TLSv1.2" | "TLSv1.3";

export interface EdgeTlsConfig {
  /** Absolute path of the PEM certificate chain the edge presents (its certificate first). */
  readonly certFile: string;
  /** Absolute path of the PEM private key of that certificate. */
  readonly keyFile: string;
  /**
   * Absolute path of the PEM CA certificates client certificates are checked against; with it
   * the edge asks clients for a certificate (mutual TLS, e.g. carrier trunks).
   */
  readonly caFile: string | undefined;
  /** Refuse a client that presents no certificate, or one `caFile` does not vouch for. */
  readonly requireClientCert: boolean;
  readonly minVersion: TlsMinVersion;
  /** The files' contents, read and checked when the configuration was loaded. */
  readonly credentials: TlsCredentials;
}

/**
 * PEM text of the files. The private key is in here, so the object shows itself as a
 * placeholder to JSON.stringify and util.inspect: logging the configuration never logs the key.
 */
export interface TlsCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
}
