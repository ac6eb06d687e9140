import type { AuthConfig, DomainConfig, ProxyConfig } from "@sipfleet/config";
import type { NumberRoute, Trunk } from "@sipfleet/trunks";

/** What the proxy needs from the configuration (a `SipfleetConfig` is one). */
export interface ProxySettings {
  /** Served domains by lower-cased name: a Request-URI in one of them is ours to resolve. */
  readonly domains: ReadonlyMap<string, DomainConfig>;
  readonly proxy: ProxyConfig;
  /** Digest algorithms and nonces; the nonce secret also keys the flow tokens. */
  readonly auth: AuthConfig;
  /** Carrier trunks: their source addresses and the numbers they deliver (inbound-trunks.ts). */
  readonly trunks: readonly Trunk[];
  /** Where numbers our users dial go out (outbound-trunks.ts): longest prefix, then its trunks. */
  readonly numberRoutes: readonly NumberRoute[];
}

/**
 * Requests that create a dialog the platform stays in (RFC 3261 §16.6 step 4: Record-Route):
 * INVITE (§12), SUBSCRIBE (RFC 6665 §4.1.2), REFER (RFC 3515, an implicit subscription).
 */
export const DIALOG_CREATING_METHODS: ReadonlySet<string> = new Set(["INVITE", "SUBSCRIBE", "REFER"]);

/**
 * Requests the edge keeps for itself or for the registrar and never asks the proxy about: CANCEL
 * (the edge matches it to its server transaction, RFC 3261 §9.2) and REGISTER.
 */
export const NOT_ROUTED_METHODS: ReadonlySet<string> = new Set(["CANCEL", "REGISTER"]);

/**
 * Retry-After on a 503 for a failure that should pass soon (the location service or DNS did not
 * answer): a short pause (RFC 3261 §21.5.4).
 */
export const TRANSIENT_RETRY_AFTER_SECONDS = 5;
