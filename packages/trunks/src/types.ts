import type { StoredHa1 } from "@sipfleet/sip";

/*
 * Trunks and number routes as the configuration describes them. The YAML file and, later, the
 * Kubernetes custom resources are validated into these shapes (by @sipfleet/config); the
 * lookups in this package read nothing else.
 *
 * Numbers are E.164 strings: `+`, then 1 to 15 digits, the first not 0 (ITU-T E.164 §6: at most
 * 15 digits, country code first). Prefixes are `+` and 0 to 15 digits; `+` alone covers every
 * number.
 */

/** How a gateway is reached. Absent: RFC 3263 §4.1 chooses (NAPTR for a name, UDP for an IP). */
export type GatewayTransport = "udp" | "tcp" | "tls";

export interface Gateway {
  /** IP literal (IPv6 without brackets) or DNS name. */
  readonly host: string;
  /** Absent: RFC 3263 §4.2 finds it (SRV for a name; 5060, or 5061 for TLS, for an IP). */
  readonly port: number | undefined;
  readonly transport: GatewayTransport | undefined;
  /** Lower is tried first, as SRV priority (RFC 2782). */
  readonly priority: number;
  /** Share among gateways of equal priority, as SRV weight (RFC 2782). */
  readonly weight: number;
}

/** An IPv4 or IPv6 network: `address` is its network address (host bits zero). */
export interface Subnet {
  readonly family: "ipv4" | "ipv6";
  readonly address: string;
  readonly prefix: number;
}

/** What we challenge the carrier with when it sends us a request (RFC 3261 §22). */
export interface InboundCredentials {
  readonly username: string;
  readonly realm: string;
  /** HA1 = H(username:realm:password) per hash family; the password is never stored. */
  readonly ha1: StoredHa1;
}

export interface TrunkInbound {
  /** Sources whose requests come from this trunk. */
  readonly allow: readonly Subnet[];
  /** Digest credentials the carrier must answer with; absent: the source address is enough. */
  readonly credentials: InboundCredentials | undefined;
  /**
   * Mutual TLS (`inbound.tlsNames`): a request from `allow` is the trunk's only when it came over
   * a TLS connection whose client certificate the edge verified and which names one of these
   * (lower-case DNS names). Absent: the source address is enough.
   */
  readonly tlsNames?: readonly string[] | undefined;
}

/** A served user, `user@domain`. */
export interface UserRef {
  readonly user: string;
  readonly domain: string;
}

/**
 * A contiguous block of numbers: `first` and `last` have the same number of digits, so string
 * order is numeric order. A single DID has first === last.
 */
export interface NumberBlock {
  readonly first: string;
  readonly last: string;
}

/** Numbers the trunk delivers to us, and who receives them (several users: a group). */
export interface NumberAssignment {
  readonly block: NumberBlock;
  readonly owners: readonly UserRef[];
}

/**
 * Credentials we answer a carrier's 401/407 with (RFC 3261 §22.2). The password comes from an
 * environment variable or a file at startup, never from the YAML; the object shows itself as a
 * placeholder to JSON.stringify and util.inspect, so logging a trunk never logs it.
 */
export interface OutboundCredentials {
  readonly username: string;
  readonly password: string;
}

/** REGISTER we send to the carrier (RFC 3261 §10.2), refreshed every `interval` seconds. */
export interface OutboundRegistration {
  /** The address-of-record registered, a sip: or sips: URI. */
  readonly aor: string;
  /** Expires asked for, seconds. */
  readonly expires: number;
  /** Seconds between refreshes; less than expires. */
  readonly interval: number;
}

export interface TrunkOutbound {
  readonly credentials: OutboundCredentials | undefined;
  readonly register: OutboundRegistration | undefined;
}

export interface Trunk {
  /** Unique; number routes name trunks by it. */
  readonly name: string;
  /** At least one. */
  readonly gateways: readonly Gateway[];
  readonly inbound: TrunkInbound;
  readonly numbers: readonly NumberAssignment[];
  readonly outbound: TrunkOutbound;
  /** Calls in either direction at once; absent: no limit. */
  readonly maxConcurrentCalls: number | undefined;
}

/** A trunk a number route may use, ordered as gateways are (priority, then weight). */
export interface RouteTrunk {
  readonly trunk: string;
  readonly priority: number;
  readonly weight: number;
}

export interface NumberRoute {
  /** E.164 prefix; `+` is the default route (the YAML's `default`). */
  readonly prefix: string;
  /** At least one; every name is a configured trunk. */
  readonly trunks: readonly RouteTrunk[];
}

/** Dialled digits starting with `match` have it replaced by `replace` (which starts with `+`). */
export interface DialRule {
  readonly match: string;
  readonly replace: string;
}

/** What a served domain says about the numbers its users dial. */
export interface DialPolicyDomain {
  /** Normalisation to E.164; the longest matching `match` applies. */
  readonly dialPlan: readonly DialRule[];
  /** Destinations refused unless a longer (or equal) allowed prefix covers them. */
  readonly blockedPrefixes: readonly string[];
  /** Exceptions to blockedPrefixes for every user of the domain. */
  readonly allowedPrefixes: readonly string[];
}

/** What a user adds to the domain's policy. */
export interface DialPolicyUser {
  /** Exceptions to the domain's blockedPrefixes for this user. */
  readonly allowedDestinations: readonly string[];
}
