import { Resolver } from "node:dns/promises";

/** One NAPTR record (RFC 3403 §4.1), as RFC 3263 §4.1 reads it. */
export interface NaptrRecord {
  readonly order: number;
  readonly preference: number;
  readonly flags: string;
  readonly service: string;
  readonly regexp: string;
  readonly replacement: string;
}

/** One SRV record (RFC 2782). */
export interface SrvRecord {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** The target host name. */
  readonly name: string;
}

/**
 * The DNS questions RFC 3263 asks, owned here so the locator can be given the system resolver,
 * a cache in front of it, or a resolver pointed at a test server. A name with no record of the
 * type answers an empty list; only a failure to get an answer (timeout, SERVFAIL, refused) throws.
 */
export interface SipDnsLookup {
  naptr(name: string): Promise<readonly NaptrRecord[]>;
  srv(name: string): Promise<readonly SrvRecord[]>;
  /** A then AAAA addresses of a host name. */
  addresses(name: string): Promise<readonly string[]>;
}

export class DnsLookupError extends Error {
  override readonly name = "DnsLookupError";
}

/** Codes of node:dns that mean "no such record", which RFC 3263 treats as an empty answer. */
const NO_RECORD = new Set(["ENODATA", "ENOTFOUND", "ENONAME", "NOTFOUND", "NODATA"]);

/**
 * Lookups through node:dns. Without `servers` it is the system resolver (/etc/resolv.conf), which
 * is what an operator's cluster DNS (CoreDNS, split horizon, search domains aside) answers; tests
 * pass a loopback server.
 */
export function systemDnsLookup(servers?: readonly string[]): SipDnsLookup {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  if (servers !== undefined) resolver.setServers(servers);
  return {
    naptr: (name) => emptyWhenMissing(name, "NAPTR", () => resolver.resolveNaptr(name)),
    srv: (name) => emptyWhenMissing(name, "SRV", () => resolver.resolveSrv(name)),
    async addresses(name) {
      const [v4, v6] = await Promise.all([
        emptyWhenMissing(name, "A", () => resolver.resolve4(name)),
        emptyWhenMissing(name, "AAAA", () => resolver.resolve6(name)),
      ]);
      return [...v4, ...v6];
    },
  };
}

async function emptyWhenMissing<T>(name: string, type: string, query: () => Promise<T[]>): Promise<readonly T[]> {
  try {
    return await query();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NO_RECORD.has(code)) return [];
    throw new DnsLookupError(`${type} ${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Answers kept for `ttlMs`, and one question in flight per name and type. node:dns
 * does not give NAPTR and SRV TTLs, so one lifetime serves all: short enough for an operator's
 * DNS change to take effect within it, long enough that a call rate never turns into a query rate.
 */
export function cachedDnsLookup(inner: SipDnsLookup, ttlMs: number, now: () => number = Date.now): SipDnsLookup {
  const entries = new Map<string, { readonly expires: number; readonly answer: Promise<readonly unknown[]> }>();
  function cached<T>(key: string, query: () => Promise<readonly T[]>): Promise<readonly T[]> {
    const t = now();
    const hit = entries.get(key);
    if (hit !== undefined && hit.expires > t) return hit.answer as Promise<readonly T[]>;
    const answer = query();
    entries.set(key, { expires: t + ttlMs, answer });
    // A failure is not kept: the next call asks again rather than failing for a whole TTL.
    answer.catch(() => {
      if (entries.get(key)?.answer === answer) entries.delete(key);
    });
    // The map holds one entry per name asked; names come from configuration, not from callers.
    return answer;
  }
  return {
    naptr: (name) => cached(`NAPTR ${name}`, () => inner.naptr(name)),
    srv: (name) => cached(`SRV ${name}`, () => inner.srv(name)),
    addresses: (name) => cached(`ADDR ${name}`, () => inner.addresses(name)),
  };
}
