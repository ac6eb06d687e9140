/**
 * Registrations as the platform holds them (RFC 3261 §10): an address-of-record maps to bindings,
 * each a contact address with an expiry. The wire form is `sipfleet.location.v1.Binding`; these are
 * the types code works with inside.
 */

export type TransportName = "udp" | "tcp" | "tls" | "ws" | "wss";

export interface HostPort {
  readonly ip: string;
  readonly port: number;
}

/**
 * The way back to a UA (RFC 5626 flow, RFC 3581 pinhole): the edge holding the socket, which of
 * its connections, and the addresses on both ends.
 */
export interface Flow {
  readonly edgeId: string;
  readonly connectionId: string;
  readonly transport: TransportName;
  readonly remote: HostPort;
  readonly local: HostPort;
  /**
   * What the edge advertises for this flow instead of `local` (edge.publicAddress: the Service or
   * load balancer in front of the pod); absent: `local`. Written in Record-Route, and, like
   * `local`, an address a Route or Request-URI names the platform by.
   */
  readonly advertised?: AdvertisedAddress | undefined;
}

/** A host (a DNS name or an IP address, IPv6 without brackets) and port an edge advertises. */
export interface AdvertisedAddress {
  readonly host: string;
  readonly port: number;
}

export interface Binding {
  /**
   * What identifies the binding within its AOR: `<+sip.instance> reg-id` when the UA gave both
   * (RFC 5626 §6), otherwise the contact URI's comparison form (`bindingKey`).
   */
  readonly key: string;
  /** The Contact value as the UA sent it, without the expires parameter. */
  readonly contact: string;
  readonly callId: string;
  readonly cseq: number;
  /** q (RFC 3261 §20.10) in thousandths, 0..1000; 1000 when the contact gave none. */
  readonly qMillis: number;
  /** The +sip.instance value, or "" */
  readonly instanceId: string;
  /** RFC 5626 reg-id, or 0 */
  readonly regId: number;
  /** Path header values as received (RFC 3327), top first. */
  readonly path: readonly string[];
  readonly flow: Flow;
  readonly userAgent: string;
  /** Unix ms of the REGISTER that last wrote it. */
  readonly updatedAtMs: number;
  /** Unix ms at which it expires (computed by the store from its remaining lifetime). */
  readonly expiresAtMs: number;
}

/** A change one REGISTER asks for: a binding to add or refresh, or (lifetimeMs 0) to remove. */
export interface BindingChange extends Omit<Binding, "callId" | "cseq" | "expiresAtMs" | "updatedAtMs"> {
  /** Lifetime from now; 0 removes the binding. */
  readonly lifetimeMs: number;
}

/** The REGISTER's claim on a digest nonce-count, refused when replayed (RFC 7616 §3.3). */
export interface NonceUse {
  readonly nonce: string;
  readonly nc: number;
  /** How long to remember the counts of this nonce (its validity). */
  readonly ttlMs: number;
}

/**
 * A nonce count used by a request that writes no bindings (a proxy's Proxy-Authorization),
 * checked and recorded alone with the same rule as a save's. The record is the one a save with
 * the same AOR and nonce keeps: a count is spent whichever server saw it first.
 */
export interface UseNonce {
  /** The AOR of the user whose credentials these are: their nonce records live with their bindings. */
  readonly aor: string;
  readonly callId: string;
  readonly cseq: number;
  readonly nonceUse: NonceUse;
}

/** `accepted`: recorded; `nonce-replayed`: this count (or a higher one) was used by another request. */
export type UseNonceResult = "accepted" | "nonce-replayed";

/** Everything one REGISTER changes for one AOR, applied atomically or not at all. */
export interface SaveBindings {
  readonly aor: string;
  readonly callId: string;
  readonly cseq: number;
  readonly changes: readonly BindingChange[];
  /** `Contact: *` with Expires 0: remove every binding, subject to the same Call-ID/CSeq rules. */
  readonly removeAll: boolean;
  readonly nonceUse?: NonceUse | undefined;
  /** Refuse a save that would leave more bindings than this; 0 for no limit. */
  readonly maxBindings: number;
  /** Unix ms of the REGISTER (becomes updatedAtMs). */
  readonly nowMs: number;
}

export type SaveResult =
  /** Applied; the AOR's bindings afterwards. */
  | { readonly outcome: "saved"; readonly bindings: readonly Binding[] }
  /** RFC 3261 §10.3 step 7: same Call-ID with an equal or higher CSeq stored. Nothing applied. */
  | { readonly outcome: "out-of-order" }
  /** The nonce was used before with this count or a higher one. Nothing applied. */
  | { readonly outcome: "nonce-replayed" }
  /** The AOR would hold more than maxBindings. Nothing applied. */
  | { readonly outcome: "too-many-bindings" };

export interface AorBindings {
  readonly aor: string;
  readonly bindings: readonly Binding[];
}

export interface ListPage {
  readonly entries: readonly AorBindings[];
  /** Undefined when this was the last page. */
  readonly nextPageToken: string | undefined;
}
