import type { OutboundCredentials, Trunk } from "@sipfleet/trunks";
import { PlatformIdentity } from "./options-responder.js";

/**
 * What of the platform's configuration the edge applies while it runs: the served domains (as
 * the platform's identity, with the edge's own addresses) and the carrier trunks. Immutable: a new
 * configuration builds a new one, which `LiveDirectory.swap` puts in place in one assignment, so a
 * request sees either the old directory whole or the new one whole, never half of each.
 */
export class EdgeDirectory {
  private readonly credentials: ReadonlyMap<string, OutboundCredentials | undefined>;

  private constructor(
    readonly domains: ReadonlySet<string>,
    readonly trunks: readonly Trunk[],
    readonly platform: PlatformIdentity,
  ) {
    this.credentials = new Map(trunks.map((t) => [t.name, t.outbound.credentials]));
  }

  /** `ownAddresses`: the listen and public addresses, which stay what they were at start. */
  static build(domains: Iterable<string>, trunks: readonly Trunk[], ownAddresses: readonly string[], interfaces?: () => Iterable<string>): EdgeDirectory {
    const served = new Set([...domains].map((d) => d.toLowerCase()));
    return new EdgeDirectory(served, trunks, new PlatformIdentity(served, ownAddresses, interfaces));
  }

  /** A trunk's outbound credentials (never logged: the object hides its password). */
  credentialsOf(trunk: string): OutboundCredentials | undefined {
    return this.credentials.get(trunk);
  }
}

/**
 * The one place the edge's components read the current directory from, per request (a field
 * read). Swapped whole on a configuration change.
 */
export class LiveDirectory {
  constructor(public current: EdgeDirectory) {}

  swap(next: EdgeDirectory): EdgeDirectory {
    const previous = this.current;
    this.current = next;
    return previous;
  }
}

/** What the components that only need the trunks read: `LiveDirectory` or a fixed list. */
export interface TrunksView {
  readonly current: { readonly trunks: readonly Trunk[] };
}

/** A view of trunks that never change (tests, components built outside an edge). */
export function fixedTrunks(trunks: readonly Trunk[]): TrunksView {
  return { current: { trunks } };
}

/** What the request path reads the platform's identity (served domains, own addresses) from. */
export interface PlatformView {
  readonly current: { readonly platform: PlatformIdentity };
}
