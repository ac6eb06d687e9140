import type { AuthConfig, DomainConfig, RegistrarConfig } from "@sipfleet/config";

/** What the registrar needs from the configuration. */
export interface RegistrarSettings {
  readonly domains: ReadonlyMap<string, DomainConfig>;
  readonly registrar: RegistrarConfig;
  readonly auth: AuthConfig;
}

/**
 * Option tags this registrar supports (RFC 3261 §8.2.2.3: a Require naming anything else gets
 * 420): path (RFC 3327) and outbound (RFC 5626).
 */
export const SUPPORTED_OPTION_TAGS: ReadonlySet<string> = new Set(["path", "outbound"]);
