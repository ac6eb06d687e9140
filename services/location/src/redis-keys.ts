import { createHash } from "node:crypto";

export const DEFAULT_KEY_PREFIX = "sipfleet:loc:";

/**
 * Where one AOR lives in Redis. Every key carries the AOR as its `{...}` hash tag, so that all of
 * them sit in one Redis Cluster slot and one Lua script can touch them all:
 *
 *   <prefix>{<aor>}:i           SET of binding ids (the index); PEXPIRE = the longest binding lifetime
 *   <prefix>{<aor>}:b:<id>      HASH v=<sipfleet.location.v1.Binding bytes> c=<Call-ID> s=<CSeq>; PEXPIRE = lifetime
 *   <prefix>{<aor>}:n:<nid>     HASH nc=<last nonce-count> c=<Call-ID> s=<CSeq>; PEXPIRE = nonce validity
 *
 * <id> is base64url(SHA-1(binding key)), <nid> the same of the nonce: fixed length whatever the
 * contact or nonce, and never a `}` or a `*`. An AOR containing `}` still works: Redis takes the
 * tag up to the first `}`, the same for every key of that AOR.
 */
export class AorKeys {
  readonly index: string;
  /** Binding key = bindingPrefix + id; the index holds the ids. */
  readonly bindingPrefix: string;
  private readonly base: string;

  constructor(prefix: string, aor: string) {
    this.base = `${prefix}{${aor}}:`;
    this.index = this.base + "i";
    this.bindingPrefix = this.base + "b:";
  }

  /** The id of a binding key: what the index holds and the scripts append to bindingPrefix. */
  static bindingId(key: string): string {
    return shortHash(key);
  }

  binding(key: string): string {
    return this.bindingPrefix + shortHash(key);
  }

  nonce(nonce: string): string {
    return this.base + "n:" + shortHash(nonce);
  }
}

/** SCAN MATCH pattern of every index key. */
export function indexPattern(prefix: string): string {
  return `${escapeGlob(prefix)}{*}:i`;
}

/** The AOR an index key belongs to, or undefined for a key of another shape. */
export function aorOfIndexKey(prefix: string, key: string): string | undefined {
  const head = prefix + "{";
  if (!key.startsWith(head) || !key.endsWith("}:i") || key.length < head.length + 3) return undefined;
  return key.slice(head.length, key.length - 3);
}

function shortHash(s: string): string {
  return createHash("sha1").update(s).digest("base64url");
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => "\\" + c);
}
