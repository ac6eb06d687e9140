import { isIP } from "node:net";
import { userAddressOfRecord, type AorBindings, type BindingStore } from "@sipfleet/bindings";
import { LocationRequestError } from "@sipfleet/location-client";
import { badRequest, notFound } from "./errors.js";
import { filterRegistration, registrationView, type RegistrationFilter, type RegistrationView } from "./registration-view.js";

export interface RegistrationQueryOptions {
  /** Page size when the request gives no `limit`. */
  defaultLimit: number;
  /** The largest `limit` accepted. */
  maxLimit: number;
  /**
   * How many location pages one filtered request may read looking for a match before it answers
   * with none and a page token to go on from: a search over many AORs stays a bounded request.
   */
  maxScanPages: number;
}

export const DEFAULT_REGISTRATION_QUERY_OPTIONS: RegistrationQueryOptions = { defaultLimit: 100, maxLimit: 1000, maxScanPages: 20 };

export interface RegistrationPage {
  registrations: RegistrationView[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

/** `limit` as a whole number in 1..max; absent: the default. */
export function parseLimit(text: string | null, o: RegistrationQueryOptions): number {
  if (text === null) return o.defaultLimit;
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= o.maxLimit)) throw badRequest("limit", `limit: expected a whole number from 1 to ${o.maxLimit}, got "${text}"`);
  return n;
}

/**
 * The canonical AOR (`sip:user@domain`, the key bindings are stored under) a path segment names,
 * percent-decoded; `sip:`/`sips:` optional.
 */
export function parseAor(segment: string): string {
  let text: string;
  try {
    text = decodeURIComponent(segment);
  } catch {
    throw badRequest("aor", "aor: not a valid percent-encoded value");
  }
  const m = /^(?:sips?:)?([^@\s;?<>]+)@([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])$/.exec(text);
  if (m === null) throw badRequest("aor", `aor: expected sip:user@domain, got "${text}"`);
  return userAddressOfRecord(m[1]!, m[2]!).aor;
}

/** `ip`, `v4:port` or `[v6]:port`. */
function isSourceAddress(text: string): boolean {
  if (isIP(text) !== 0) return true;
  const m = /^(\[([^\]]+)\]|[^:]+):(\d{1,5})$/.exec(text);
  if (m === null || Number(m[3]) > 65535) return false;
  return m[2] === undefined ? isIP(m[1]!) === 4 : isIP(m[2]) === 6;
}

function filterFrom(query: URLSearchParams): RegistrationFilter {
  const f: RegistrationFilter = {};
  for (const name of ["user", "domain", "source"] as const) {
    const value = query.get(name);
    if (value === null) continue;
    if (value === "") throw badRequest(name, `${name}: must not be empty`);
    f[name] = value;
  }
  if (f.source !== undefined && !isSourceAddress(f.source)) throw badRequest("source", `source: expected an IP address or ip:port ([v6]:port), got "${f.source}"`);
  return f;
}

/** A location page token the service refused is the client's mistake, not an outage. */
function pageTokenError(err: unknown): never {
  if (err instanceof LocationRequestError) throw badRequest("pageToken", "pageToken: not a token this API issued, or one that is no longer valid");
  throw err;
}

/**
 * One page of registrations matching the query. Pages follow the location service's list, so a
 * token goes on where the last page stopped; with filters a page may hold fewer than `limit`
 * (never more) and still have a next one.
 */
export async function listRegistrations(store: BindingStore, query: URLSearchParams, o: RegistrationQueryOptions, nowMs: () => number): Promise<RegistrationPage> {
  const limit = parseLimit(query.get("limit"), o);
  const filter = filterFrom(query);
  let token = query.get("pageToken") ?? undefined;
  if (token === "") throw badRequest("pageToken", "pageToken: must not be empty");
  for (let scanned = 0; ; ) {
    const page = await store.list(limit, token).catch(pageTokenError);
    scanned++;
    const matches = page.entries.map((e) => filterRegistration(e, filter)).filter((e): e is AorBindings => e !== undefined);
    token = page.nextPageToken;
    if (matches.length > 0 || token === undefined || scanned >= o.maxScanPages) {
      const now = nowMs();
      const result: RegistrationPage = { registrations: matches.map((e) => registrationView(e, now)) };
      if (token !== undefined) result.nextPageToken = token;
      return result;
    }
  }
}

export async function getRegistration(store: BindingStore, aorSegment: string, nowMs: () => number): Promise<RegistrationView> {
  const aor = parseAor(aorSegment);
  const bindings = await store.lookup(aor);
  if (bindings.length === 0) throw notFound(`no live registration for ${aor}`, "aor");
  return registrationView({ aor, bindings }, nowMs());
}

/**
 * Removes the AOR's bindings, or with `contact` only the binding it names (its `key`, or its
 * contact URI with or without angle brackets). 404 when there is nothing to remove.
 */
export async function removeRegistration(store: BindingStore, aorSegment: string, query: URLSearchParams): Promise<{ removed: number }> {
  const aor = parseAor(aorSegment);
  const contact = query.get("contact");
  if (contact === null) {
    const removed = await store.remove(aor, []);
    if (removed === 0) throw notFound(`no live registration for ${aor}`, "aor");
    return { removed };
  }
  if (contact === "") throw badRequest("contact", "contact: must not be empty");
  const bare = contact.replace(/^<(.*)>$/, "$1");
  const bindings = await store.lookup(aor);
  if (bindings.length === 0) throw notFound(`no live registration for ${aor}`, "aor");
  const keys = bindings.filter((b) => b.key === contact || b.contact.replace(/^<([^>]*)>.*$/, "$1") === bare).map((b) => b.key);
  if (keys.length === 0) throw notFound(`${aor} has no binding ${contact}`, "contact");
  return { removed: await store.remove(aor, keys) };
}
