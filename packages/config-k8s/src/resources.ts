/*
 * The custom resources (charts/sipfleet/crds) and the Secrets they name, as the watcher sees them.
 * Only the fields read here are typed; the spec is the YAML config's shape and is validated by
 * @sipfleet/config, so it stays `unknown` until then.
 */

export const GROUP = "sipfleet.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export type ConfigKind = "SipDomain" | "SipUser" | "SipTrunk" | "NumberRoute";

export const PLURAL_OF_KIND: Readonly<Record<ConfigKind, string>> = Object.freeze({
  SipDomain: "sipdomains",
  SipUser: "sipusers",
  SipTrunk: "siptrunks",
  NumberRoute: "numberroutes",
});

export const CONFIG_KINDS: readonly ConfigKind[] = Object.freeze(["SipDomain", "SipUser", "SipTrunk", "NumberRoute"]);

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
}

export interface AcceptedCondition {
  readonly type: "Accepted";
  readonly status: "True" | "False" | "Unknown";
  /** Accepted, Invalid (the message names the key at fault) or Pending (another resource holds it up). */
  readonly reason: "Accepted" | "Invalid" | "Pending";
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

export interface ConfigResource {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly spec?: unknown;
  readonly status?: { readonly conditions?: readonly AcceptedCondition[]; readonly observedGeneration?: number };
}

export interface SecretResource {
  readonly metadata: ObjectMeta;
  /** Base64 values, as the API serves them. */
  readonly data?: Readonly<Record<string, string>>;
}

/** Every resource the configuration is built from, by kind, as the informers hold them now. */
export interface ResourceSnapshot {
  readonly SipDomain: readonly ConfigResource[];
  readonly SipUser: readonly ConfigResource[];
  readonly SipTrunk: readonly ConfigResource[];
  readonly NumberRoute: readonly ConfigResource[];
  /** Secrets by name. */
  readonly secrets: ReadonlyMap<string, SecretResource>;
}

/** `SipTrunk/lab-carrier`: how messages and logs name a resource. */
export function resourceLabel(kind: ConfigKind, name: string): string {
  return `${kind}/${name}`;
}
