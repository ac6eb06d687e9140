/*
 * Shared helpers of the corpus and fuzz tests: where the corpus lives, how a message is reduced to
 * a comparable shape, how every accessor is exercised, what outcome an edge gives a message, and a
 * seeded PRNG. Test-only: nothing here is exported by the package.
 */
import { readdirSync, readFileSync } from "node:fs";
import {
  type AnyMessage,
  type NameAddr,
  parseMessage,
  SipError,
  serializeMessage,
  validateMessage,
  type ValidateOptions,
} from "../index.js";

/** `test/corpus/` of the package, from `dist/corpus/` (and `src/corpus/`). */
export const CORPUS_ROOT = new URL("../../test/corpus/", import.meta.url);

export const CORPUS_DIRS = ["rfc3665", "torture-valid", "torture-invalid"] as const;

/** One expected outcome of the edge checks (parse, then validate). */
export interface OutcomeSpec {
  outcome: "ok" | "respond" | "drop" | "parse-error";
  status?: number;
  /** For 420: the Unsupported header value. */
  unsupported?: string;
}

/** A validation policy to try besides the one the file is checked with (see expectations.json). */
export interface PolicySpec {
  options: ValidateOptionsJson;
  expect: OutcomeSpec;
  why: string;
}

export interface ValidateOptionsJson {
  uriSchemes?: string[];
  proxyRequireSupported?: string[];
  allowZeroMaxForwards?: boolean;
}

/** One entry of expectations.json. Field names are documented where the corpus test checks them. */
export interface Expectation extends OutcomeSpec {
  why: string;
  alsoAcceptable?: OutcomeSpec[];
  validateOptions?: ValidateOptionsJson;
  policies?: PolicySpec[];
  [field: string]: unknown;
}

export function loadExpectations(): Record<string, Expectation> {
  return JSON.parse(readFileSync(new URL("expectations.json", CORPUS_ROOT), "utf8")) as Record<string, Expectation>;
}

export function loadMessage(path: string): Buffer {
  return readFileSync(new URL(path, CORPUS_ROOT));
}

/** Every `.dat` file of the corpus, as `dir/name.dat`, sorted. */
export function listCorpusFiles(): string[] {
  const out: string[] = [];
  for (const dir of CORPUS_DIRS) {
    for (const f of readdirSync(new URL(`${dir}/`, CORPUS_ROOT))) if (f.endsWith(".dat")) out.push(`${dir}/${f}`);
  }
  return out.sort();
}

export function toValidateOptions(o: ValidateOptionsJson | undefined): Partial<ValidateOptions> {
  const out: { -readonly [K in keyof ValidateOptions]?: ValidateOptions[K] } = {};
  if (o === undefined) return out;
  if (o.uriSchemes !== undefined) out.uriSchemes = new Set(o.uriSchemes);
  if (o.proxyRequireSupported !== undefined) out.proxyRequireSupported = new Set(o.proxyRequireSupported);
  if (o.allowZeroMaxForwards !== undefined) out.allowZeroMaxForwards = o.allowZeroMaxForwards;
  return out;
}

/** What an edge does with these bytes: parse, then validate. Non-SipError exceptions propagate. */
export interface Outcome extends OutcomeSpec {
  reason?: string;
  message?: AnyMessage;
}

export function outcomeOf(bytes: Buffer, options?: Partial<ValidateOptions>): Outcome {
  let m: AnyMessage;
  try {
    m = parseMessage(bytes);
  } catch (e) {
    if (e instanceof SipError) return { outcome: "parse-error", reason: e.message };
    throw e;
  }
  const v = validateMessage(m, options);
  if (v.ok) return { outcome: "ok", message: m };
  if (v.action === "drop") return { outcome: "drop", reason: v.reason, message: m };
  const out: Outcome = { outcome: "respond", status: v.status, reason: v.reason, message: m };
  const unsupported = v.headers?.find(([n]) => n.toLowerCase() === "unsupported");
  if (unsupported !== undefined) out.unsupported = unsupported[1];
  return out;
}

export function describeOutcome(o: OutcomeSpec & { reason?: string }): string {
  const what = o.outcome === "respond" ? `respond ${o.status}` : o.outcome;
  return o.reason === undefined ? what : `${what} (${o.reason})`;
}

/** True when `actual` is `want` (status and Unsupported compared when `want` gives them). */
export function outcomeMatches(actual: OutcomeSpec, want: OutcomeSpec): boolean {
  if (actual.outcome !== want.outcome) return false;
  if (want.status !== undefined && actual.status !== want.status) return false;
  if (want.unsupported !== undefined && actual.unsupported !== want.unsupported) return false;
  return true;
}

/** A message reduced to what must survive a round trip. */
export interface Shape {
  startLine: string;
  kind: "request" | "response";
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  version: string;
  headers: [string, string][];
  body: string;
}

export function shapeOf(m: AnyMessage): Shape {
  const startLine = m.head.slice(m.startLineStart, m.headersStart - 2);
  const common = { startLine, version: m.version, headers: [...m.headerLines()], body: m.body.toString("latin1") };
  return m.isRequest
    ? { kind: "request", method: m.method, uri: m.uriText, ...common }
    : { kind: "response", status: m.status, reason: m.reason, ...common };
}

/** Calls `fn`; a SipError is the library refusing bad input and is returned, anything else is rethrown. */
export function trySip<T>(fn: () => T): T | SipError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SipError) return e;
    throw e;
  }
}

/**
 * Reads every typed accessor (and the values inside: URIs, Via fields, auth parameters, the
 * generic header API, serialization). Each one is tried on its own, so one malformed header
 * does not hide another accessor's behaviour. Returns the SipErrors met, by accessor name;
 * anything that is not a SipError propagates.
 */
export function exerciseAccessors(m: AnyMessage): Map<string, SipError> {
  const errors = new Map<string, SipError>();
  const run = (name: string, fn: () => unknown): void => {
    const r = trySip(fn);
    if (r instanceof SipError) errors.set(name, r);
  };
  const nameAddr = (a: NameAddr): void => {
    void a.tag;
    void a.displayName;
    void [...a.params];
    void a.expires;
    void a.q;
    void String(a.toString());
    void String(a.uri);
  };
  run("via", () => {
    for (const v of m.via) {
      void [v.branch, v.received, v.rport, v.maddr, v.ttl, v.sentBy, v.transport, v.host, v.port, [...v.params]];
      void v.toString();
    }
  });
  run("topVia", () => m.topVia?.toString());
  run("from", () => nameAddr(m.from));
  run("to", () => nameAddr(m.to));
  run("callId", () => m.callId);
  run("cseq", () => m.cseq);
  run("maxForwards", () => m.maxForwards);
  run("contactIsWildcard", () => m.contactIsWildcard);
  run("contact", () => m.contact.forEach(nameAddr));
  run("route", () => m.route.forEach(nameAddr));
  run("recordRoute", () => m.recordRoute.forEach(nameAddr));
  run("path", () => m.path.forEach(nameAddr));
  run("expires", () => m.expires);
  run("minExpires", () => m.minExpires);
  run("contentLength", () => m.contentLength);
  run("contentType", () => {
    const ct = m.contentType;
    if (ct !== undefined) void [ct.mediaType, [...ct.params]];
  });
  run("supported", () => m.supported);
  run("require", () => m.require);
  run("proxyRequire", () => m.proxyRequire);
  run("allow", () => m.allow);
  run("userAgent", () => m.userAgent);
  run("authorization", () => m.authorization.map((c) => [c.scheme, c.username, c.realm, c.nonce, c.uri, c.response, c.qop, c.nc, [...c.params]]));
  run("proxyAuthorization", () => m.proxyAuthorization.map((c) => [c.scheme, c.username, [...c.params]]));
  run("wwwAuthenticate", () => m.wwwAuthenticate.map((c) => [c.scheme, c.realm, c.nonce, c.qop, c.stale, [...c.params]]));
  run("proxyAuthenticate", () => m.proxyAuthenticate.map((c) => [c.scheme, c.realm, c.nonce, c.qop, c.stale, [...c.params]]));
  if (m.isRequest) run("uri", () => String(m.uri));
  else run("reason", () => m.reason);
  run("headerLines", () => {
    const names = new Set<string>();
    for (const [name] of m.headerLines()) names.add(name);
    // Each distinct name once, as a proxy or a logger walking the header section would.
    for (const name of names) {
      void m.header(name);
      void m.headers(name);
      void m.count(name);
      void m.has(name);
    }
  });
  run("body", () => [m.body.length, m.bytes.length]);
  run("serializeMessage", () => serializeMessage(m));
  return errors;
}

/** Wire text of a buffer for failure messages: printable ASCII kept, the rest escaped; cut to `max`. */
export function printable(b: Buffer, max = 400): string {
  const s = b.toString("latin1", 0, Math.min(b.length, max));
  // eslint-disable-next-line no-control-regex
  const esc = s.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => (c === "\n" ? "\\n\n" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
  return b.length > max ? `${esc}... (${b.length} bytes)` : esc;
}

// ---- seeded PRNG --------------------------------------------------------------------------------

/** mulberry32: small, fast, good enough to drive a fuzzer reproducibly from a 32-bit seed. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** `n` chars drawn from `alphabet`. */
  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
}

/** The seed of a fuzz run: FUZZ_SEED from the environment (to reproduce a failure) or a fixed default. */
export function fuzzSeed(fallback: number): number {
  const env = process.env.FUZZ_SEED;
  if (env === undefined || env === "") return fallback;
  const n = Number(env);
  if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got "${env}"`);
  return n >>> 0;
}

