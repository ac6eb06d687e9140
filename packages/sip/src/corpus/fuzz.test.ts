/*
 * Property and robustness tests with a seeded PRNG (no dependencies):
 *  (a) random valid messages built from parts round-trip through parse/serialize and proxy edits;
 *  (b) thousands of random mutations of the corpus, and a few 60 KB pathological inputs, run
 *      through every entry point: nothing throws anything but a SipError, nothing hangs.
 * Every failure message carries the seed: rerun with FUZZ_SEED=<seed> to reproduce it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type AnyMessage,
  editMessage,
  frameDatagram,
  parseMessage,
  SipError,
  serializeMessage,
  StreamFramer,
  validateMessage,
} from "../index.js";
import {
  exerciseAccessors,
  fuzzSeed,
  listCorpusFiles,
  loadMessage,
  printable,
  Rng,
  type Shape,
  shapeOf,
} from "./corpus-support.js";

const SEED = fuzzSeed(0x5eed_2024);
/** Generated messages for the round-trip property. */
const GENERATED = 600;
/** Mutated corpus messages. */
const MUTATIONS = 4000;
/** A hang detector, not a speed test: a 64 KB message parses in well under a millisecond. */
const HANG_MS = Number(process.env.FUZZ_HANG_MS ?? 200);

// =============================================================================================
// (a) random valid messages from parts
// =============================================================================================

const ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGIT = "0123456789";
const ALNUM = ALPHA + DIGIT;
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") (RFC 3261 §25.1) */
const TOKEN = ALNUM + "-.!%*_+`'~";
/** word adds ( ) < > : \ " / [ ] ? { } to token (Call-ID). */
const WORD = TOKEN + "()<>:\\\"/[]?{}";
/** unreserved and user-unreserved chars that may stand unescaped in a SIP URI user part. */
const USER = ALNUM + "-_.!~*'()&=+$,;?/";
/** Printable text for unknown header values: no CR, LF; quotes kept balanced by construction. */
const TEXT = ALNUM + " -_.!~*'()&=+$/?:@[]{}#^|`";

interface Generated {
  bytes: Buffer;
  startLine: string;
  /** [name as written, value after unfolding] in order. */
  headers: [string, string][];
  body: Buffer;
  kind: "request" | "response";
  method?: string;
  callId: string;
  cseq: number;
  branches: string[];
  maxForwards: number | undefined;
  contacts: number;
}

function token(r: Rng, min = 1, max = 12): string {
  return r.chars(TOKEN, r.int(min, max));
}

function host(r: Rng): string {
  switch (r.int(0, 3)) {
    case 0:
      return `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
    case 1:
      return `[2001:db8::${r.int(1, 0xffff).toString(16)}]`;
    default: {
      const labels: string[] = [];
      for (let k = r.int(1, 4); k > 0; k--) labels.push(r.chars(ALPHA, 1) + r.chars(ALNUM + "-", r.int(0, 8)) + r.chars(ALNUM, 1));
      return `${labels.join(".")}.example.${r.pick(["com", "net", "org"])}`;
    }
  }
}

function uriParams(r: Rng): string {
  const seen = new Set<string>();
  let out = "";
  for (let k = r.int(0, 3); k > 0; k--) {
    let name: string;
    let value: string | undefined;
    switch (r.int(0, 4)) {
      case 0:
        [name, value] = ["transport", r.pick(["udp", "tcp", "tls", "ws", "sctp"])];
        break;
      case 1:
        name = "lr";
        break;
      case 2:
        [name, value] = ["user", r.pick(["phone", "ip"])];
        break;
      default:
        name = `x${r.chars(ALNUM, r.int(0, 6))}`.toLowerCase();
        if (r.bool()) value = r.chars(ALNUM, r.int(1, 8));
    }
    // RFC 3261 §19.1.1: a parameter name appears at most once.
    if (seen.has(name)) continue;
    seen.add(name);
    out += value === undefined ? `;${name}` : `;${name}=${value}`;
  }
  return out;
}

function sipUri(r: Rng, withParams = true): string {
  const scheme = r.bool(0.8) ? "sip" : "sips";
  let user = "";
  if (r.bool(0.85)) {
    user = r.chars(ALNUM, 1) + r.chars(USER.replace(/[;?,]/g, ""), r.int(0, 10));
    if (r.bool(0.15)) user += `%${r.pick(["20", "40", "3A", "25"])}`;
    user += "@";
  }
  const port = r.bool(0.3) ? `:${r.int(1, 65535)}` : "";
  return `${scheme}:${user}${host(r)}${port}${withParams ? uriParams(r) : ""}`;
}

function requestUri(r: Rng): string {
  if (r.bool(0.9)) return sipUri(r);
  // RFC 3966 §3: phone-context belongs to local numbers only.
  return r.bool() ? `tel:+1${r.chars(DIGIT, 10)}` : `tel:${r.chars(DIGIT, 4)};phone-context=example.com`;
}

function quoted(r: Rng): string {
  let s = "";
  for (let k = r.int(0, 12); k > 0; k--) {
    const c = r.int(0, 9);
    if (c === 0) s += `\\${r.pick(['"', "\\", "x"])}`;
    else if (c === 1) s += r.pick(["é", "Ω", "中"]);
    else s += r.chars(TEXT + ",;<>", 1);
  }
  return `"${s}"`;
}

function genericParams(r: Rng, max = 2): string {
  let out = "";
  for (let k = r.int(0, max); k > 0; k--) {
    out += `;${token(r, 1, 8)}`;
    if (r.bool(0.7)) out += `=${r.bool(0.2) ? quoted(r) : token(r, 1, 10)}`;
  }
  return out;
}

/** name-addr or (when `allowSpec`) addr-spec, with header parameters. */
function nameAddr(r: Rng, tag: string | undefined, allowSpec = true): string {
  const uri = sipUri(r);
  const params = (tag === undefined ? "" : `;tag=${tag}`) + genericParams(r);
  const form = r.int(0, allowSpec ? 3 : 2);
  if (form === 0) return `${quoted(r)} <${uri}>${params}`;
  if (form === 1) return `${token(r, 1, 8)} ${token(r, 1, 8)} <${uri}>${params}`;
  if (form === 2 || /[;?,]/.test(uri)) return `<${uri}>${params}`;
  return `${uri}${params}`;
}

function viaValue(r: Rng, branch: string): string {
  const transport = r.pick(["UDP", "TCP", "TLS", "SCTP", "WS", "WSS", "tcp", "TLS-SCTP"]);
  const port = r.bool(0.6) ? `:${r.int(1, 65535)}` : "";
  let params = `;branch=${branch}`;
  if (r.bool(0.3)) params += ";rport";
  if (r.bool(0.2)) params = `;received=192.0.2.${r.int(1, 254)}` + params;
  if (r.bool(0.1)) params += `;ttl=${r.int(0, 255)}`;
  return `SIP/2.0/${transport} ${host(r)}${port}${params}`;
}

/** A header line with random (legal) spelling and spacing; returns [line(s), name, unfolded value]. */
function headerLine(r: Rng, name: string, value: string, compact?: string): [string, string, string] {
  let n = compact !== undefined && r.bool(0.3) ? compact : name;
  if (r.bool(0.15)) n = r.bool() ? n.toLowerCase() : n.toUpperCase();
  const before = r.bool(0.1) ? " ".repeat(r.int(1, 3)) : "";
  const after = r.pick(["", " ", " ", " ", "  ", "\t"]);
  // Fold at a space of the value (RFC 3261 §7.3.1): "a b" may be sent as "a\r\n b".
  let wireValue = value;
  let unfolded = value;
  const sp = value.indexOf(" ", 1 + r.int(0, Math.max(0, value.length - 2)));
  const lone = sp > 0 && !/[ \t]/.test(value.charAt(sp - 1)) && !/[ \t]/.test(value.charAt(sp + 1)) && sp + 1 < value.length;
  if (r.bool(0.1) && lone && !value.slice(0, sp).includes('"')) {
    wireValue = `${value.slice(0, sp)}\r\n${r.pick([" ", "  ", "\t"])}${value.slice(sp + 1)}`;
    unfolded = `${value.slice(0, sp)} ${value.slice(sp + 1)}`;
  }
  if (value === "") {
    return [`${n}${before}:${after.trim()}`, n, ""];
  }
  return [`${n}${before}:${after === "" && r.bool() ? " " : after}${wireValue}`, n, unfolded];
}

const METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE", "PRACK", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH"];

function generate(r: Rng): Generated {
  const isRequest = r.bool(0.65);
  const method = r.bool(0.9) ? r.pick(METHODS) : token(r, 1, 16);
  const status = r.int(100, 699);
  const reason = r.pick(["OK", "Ringing", "Not Found", "Busy Here", "", "Très bien — 好", "Session Progress"]);
  const startLine = isRequest ? `${method} ${requestUri(r)} SIP/2.0` : `SIP/2.0 ${status} ${reason}`;
  const callId = r.chars(WORD, r.int(1, 24)) + (r.bool() ? `@${host(r)}` : "");
  const cseq = r.int(0, 0x7fffffff);
  const branches: string[] = [];
  const maxForwards = isRequest && r.bool(0.85) ? r.int(1, 255) : undefined;
  const entries: [string, string, string?][] = [];
  const viaCount = isRequest ? r.int(1, 4) : r.int(1, 5);
  const viaValues: string[] = [];
  for (let k = 0; k < viaCount; k++) {
    const b = `z9hG4bK${token(r, 1, 16)}`;
    branches.push(b);
    viaValues.push(viaValue(r, b));
  }
  // Several Via values per line sometimes (RFC 3261 §7.3.1).
  for (let k = 0; k < viaValues.length; ) {
    const n = r.bool(0.25) ? Math.min(viaValues.length - k, r.int(2, 3)) : 1;
    entries.push(["Via", viaValues.slice(k, k + n).join(r.pick([",", ", ", " ,  "])), "v"]);
    k += n;
  }
  if (maxForwards !== undefined) entries.push(["Max-Forwards", String(maxForwards)]);
  entries.push(["From", nameAddr(r, token(r, 4, 12)), "f"]);
  entries.push(["To", nameAddr(r, isRequest && r.bool(0.6) ? undefined : token(r, 4, 12)), "t"]);
  entries.push(["Call-ID", callId, "i"]);
  entries.push(["CSeq", `${cseq} ${isRequest ? method : r.pick(METHODS)}`]);
  let contacts = 0;
  if (r.bool(0.6)) {
    contacts = r.int(1, 3);
    const values: string[] = [];
    for (let k = 0; k < contacts; k++) values.push(nameAddr(r, undefined) + (r.bool(0.3) ? `;expires=${r.int(0, 0xffffffff)}` : "") + (r.bool(0.2) ? `;q=0.${r.int(0, 9)}` : ""));
    // An addr-spec with header params cannot share a line with others unambiguously: one per line then.
    if (values.every((v) => v.includes("<")) && r.bool(0.5)) entries.push(["Contact", values.join(", "), "m"]);
    else for (const v of values) entries.push(["Contact", v, "m"]);
  }
  for (let k = r.int(0, 2); k > 0; k--) entries.push([r.pick(["Route", "Record-Route"]), `<${sipUri(r, false)};lr>`]);
  if (r.bool(0.3)) entries.push(["Supported", Array.from({ length: r.int(1, 3) }, () => token(r, 1, 10)).join(", "), "k"]);
  if (r.bool(0.3)) entries.push(["Allow", METHODS.slice(0, r.int(1, METHODS.length)).join(", ")]);
  if (r.bool(0.2)) entries.push(["Expires", String(r.int(0, 0xffffffff))]);
  if (r.bool(0.2)) entries.push(["User-Agent", `${token(r)}/${r.int(1, 9)}.${r.int(0, 9)} (${r.chars(TEXT, r.int(0, 20)).trim() || "x"})`]);
  if (r.bool(0.2)) {
    entries.push([
      r.pick(["Authorization", "Proxy-Authorization"]),
      `Digest username="${r.chars(ALNUM, 6)}", realm="${host(r)}", nonce="${r.chars(ALNUM, 16)}", uri="${sipUri(r, false)}", response="${r.chars("0123456789abcdef", 32)}", qop=auth, nc=0000000${r.int(1, 9)}, cnonce="${r.chars(ALNUM, 8)}"`,
    ]);
  }
  for (let k = r.int(0, 3); k > 0; k--) {
    const v = r.bool(0.2) ? "" : r.chars(TEXT, r.int(1, 40)).trim() + (r.bool(0.2) ? ` ${quoted(r)}` : "");
    entries.push([`X-${token(r, 1, 12)}`, v]);
  }
  let body = Buffer.alloc(0);
  if (r.bool(0.5)) {
    const n = r.int(1, 600);
    body = Buffer.alloc(n);
    for (let k = 0; k < n; k++) body[k] = r.bool(0.9) ? r.int(0x20, 0x7e) : r.int(0, 255);
    entries.push(["Content-Type", r.pick(["application/sdp", "text/plain;charset=utf-8", "application/octet-stream", "multipart/mixed;boundary=xyz"]), "c"]);
  }
  entries.push(["Content-Length", String(body.length), "l"]);
  // Shuffle everything after the start line a little: header order is free except for same-name order.
  for (let k = entries.length - 1; k > 0; k--) {
    if (!r.bool(0.3)) continue;
    const j = r.int(0, k);
    const a = entries[k] as [string, string, string?];
    const b = entries[j] as [string, string, string?];
    if (a[0] === b[0]) continue;
    // Keep relative order of equal names: swap only if no same-name entry lies between.
    const between = entries.slice(j + 1, k);
    if (between.some((x) => x[0] === a[0] || x[0] === b[0])) continue;
    entries[k] = b;
    entries[j] = a;
  }
  const lines: string[] = [startLine];
  const headers: [string, string][] = [];
  for (const [name, value, compact] of entries) {
    const [l, n, v] = headerLine(r, name, value, compact);
    lines.push(l);
    headers.push([n, v]);
  }
  const head = Buffer.from(lines.join("\r\n") + "\r\n\r\n", "utf8");
  return {
    bytes: Buffer.concat([head, body]),
    startLine: Buffer.from(startLine, "utf8").toString("latin1"),
    headers: headers.map(([n, v]) => [n, v]),
    body,
    kind: isRequest ? "request" : "response",
    method: isRequest ? method : undefined,
    callId,
    cseq,
    branches,
    maxForwards,
    contacts,
  } as Generated;
}

function fail(seed: number, index: number, what: string, bytes: Buffer, detail: string): never {
  assert.fail(`seed ${seed} (FUZZ_SEED=${seed}), case ${index}: ${what}\n${detail}\n--- input ---\n${printable(bytes, 2000)}`);
}

describe(`fuzz (a): random valid messages round-trip (seed ${SEED})`, () => {
  it(`${GENERATED} generated messages parse to what was written, validate, and parse(serialize(m)) == m`, () => {
    const r = new Rng(SEED);
    const dump = Number(process.env.FUZZ_DUMP ?? 0);
    for (let i = 0; i < GENERATED; i++) {
      const g = generate(r);
      if (i < dump) console.log(`--- generated ${i} ---\n${printable(g.bytes, 4000)}`);
      let m: AnyMessage;
      try {
        m = parseMessage(g.bytes);
      } catch (e) {
        fail(SEED, i, "parse threw", g.bytes, String(e));
      }
      const shape = shapeOf(m);
      try {
        assert.equal(shape.startLine, g.startLine);
        assert.deepEqual(
          shape.headers,
          g.headers.map(([n, v]) => [n, Buffer.from(v, "utf8").toString("utf8")]),
        );
        assert.ok(m.body.equals(g.body), "body");
        assert.equal(m.callId, g.callId);
        assert.equal(m.cseq.seq, g.cseq);
        assert.deepEqual(m.via.map((v) => v.branch), g.branches);
        assert.equal(m.maxForwards, g.maxForwards);
        assert.equal(m.contact.length, g.contacts);
        const v = validateMessage(m);
        assert.deepEqual(v, { ok: true }, JSON.stringify(v));
        assert.deepEqual([...exerciseAccessors(m)].map(([k, e]) => `${k}: ${e.message}`), []);
        const out = serializeMessage(m);
        assert.ok(out.equals(g.bytes), "serialize(parse(bytes)) == bytes");
        assert.deepEqual(shapeOf(parseMessage(out)), shape);
      } catch (e) {
        fail(SEED, i, "round trip", g.bytes, e instanceof Error ? e.message : String(e));
      }
    }
  });

  it(`${GENERATED} generated messages survive proxy edits`, () => {
    const editSeed = (SEED ^ 0xa5a5a5a5) >>> 0;
    const r = new Rng(editSeed);
    for (let i = 0; i < GENERATED; i++) {
      const g = generate(r);
      const m = parseMessage(g.bytes);
      try {
        const before = shapeOf(m);
        if (m.isRequest) {
          const branch = `z9hG4bK-edit-${i}`;
          const via = `SIP/2.0/UDP edge.example.net:5060;branch=${branch};rport`;
          const out = editMessage(m).prependVia(via).decrementMaxForwards().toBuffer();
          const again = parseMessage(out);
          assert.equal(again.topVia?.branch, branch);
          assert.equal(again.via.length, m.via.length + 1);
          assert.equal(again.maxForwards, g.maxForwards === undefined ? 70 : g.maxForwards - 1);
          const want: Shape = { ...before, headers: [["Via", via], ...before.headers] };
          if (g.maxForwards !== undefined) {
            const k = want.headers.findIndex(([n]) => /^max-forwards$/i.test(n));
            const line = want.headers[k] as [string, string];
            want.headers[k] = [line[0], String(g.maxForwards - 1)];
          }
          const got = shapeOf(again);
          if (g.maxForwards === undefined) {
            const k = got.headers.findIndex(([n, v]) => n === "Max-Forwards" && v === "70");
            assert.ok(k >= 0, "Max-Forwards: 70 added");
            got.headers.splice(k, 1);
          }
          assert.deepEqual(got, want);
          // Max-Forwards may have reached 0: that is for the next hop to answer (483), not a defect.
          assert.deepEqual(validateMessage(again, { allowZeroMaxForwards: true }), { ok: true });
        } else if (m.via.length >= 2) {
          // RFC 3261 §16.7 step 3: the proxy removes its own (top) Via from a response.
          const out = editMessage(m).removeTopVia().toBuffer();
          const again = parseMessage(out);
          assert.deepEqual(
            again.via.map((v) => v.branch),
            m.via.slice(1).map((v) => v.branch),
          );
          assert.deepEqual(validateMessage(again), { ok: true });
          const others = (s: Shape): [string, string][] => s.headers.filter(([n]) => !/^(via|v)$/i.test(n));
          assert.deepEqual(others(shapeOf(again)), others(before));
          assert.ok(again.body.equals(m.body));
        }
      } catch (e) {
        fail(editSeed, i, "edit", g.bytes, e instanceof Error ? e.stack ?? e.message : String(e));
      }
    }
  });
});

// =============================================================================================
// (b) mutations and pathological inputs
// =============================================================================================

const SPECIALS = ["\r", "\n", "\r\n", "\r\n ", "\r\n\r\n", " ", "\t", ":", ";", ",", '"', "<", ">", "\\", "%", "=", "@", "/", "?", "\0", "\xff", "\x80", "*"];

/** Applies one random mutation; returns its description. */
function mutate(r: Rng, b: Buffer): [Buffer, string] {
  const at = r.int(0, b.length);
  const span = Math.min(b.length - at, r.int(1, 40));
  const lat = (s: string): Buffer => Buffer.from(s, "latin1");
  switch (r.int(0, 11)) {
    case 0: {
      const c = Buffer.from(b);
      if (c.length > 0) c[Math.min(at, c.length - 1)] = r.int(0, 255);
      return [c, `byte at ${at} replaced`];
    }
    case 1: {
      const c = Buffer.from(b);
      if (c.length > 0) c[Math.min(at, c.length - 1)]! ^= 1 << r.int(0, 7);
      return [c, `bit flip at ${at}`];
    }
    case 2:
      return [Buffer.concat([b.subarray(0, at), b.subarray(at + span)]), `deleted ${span} at ${at}`];
    case 3:
      return [Buffer.concat([b.subarray(0, at + span), b.subarray(at, at + span), b.subarray(at + span)]), `duplicated ${span} at ${at}`];
    case 4:
    case 5: {
      const s = r.pick(SPECIALS).repeat(r.int(1, 3));
      return [Buffer.concat([b.subarray(0, at), lat(s), b.subarray(at)]), `inserted ${JSON.stringify(s)} at ${at}`];
    }
    case 6:
      return [b.subarray(0, at), `truncated at ${at}`];
    case 7: {
      // A huge number over a digit run (or anywhere).
      const text = b.toString("latin1");
      const digits = [...text.matchAll(/\d+/g)];
      const huge = r.pick(["4294967296", "99999999999999999999999999", "-1", "2147483648", "0".repeat(30) + "1", "1e9", "256", "65536"]);
      if (digits.length === 0) return [Buffer.concat([b.subarray(0, at), lat(huge), b.subarray(at)]), `inserted ${huge} at ${at}`];
      const d = r.pick(digits);
      const i = d.index ?? 0;
      return [Buffer.concat([b.subarray(0, i), lat(huge), b.subarray(i + d[0].length)]), `number at ${i} → ${huge}`];
    }
    case 8: {
      const unit = r.pick([...SPECIALS, "a", "%4", ";a", ",<sip:a@b>", '\\"', "z9hG4bK", "SIP/2.0/UDP h;"]);
      const n = r.int(10, Math.max(10, Math.floor(20000 / unit.length)));
      return [Buffer.concat([b.subarray(0, at), lat(unit.repeat(n)), b.subarray(at)]), `inserted ${JSON.stringify(unit)} x${n} at ${at}`];
    }
    case 9: {
      // Swap two header lines.
      const lines = b.toString("latin1").split("\r\n");
      if (lines.length > 3) {
        const i = r.int(1, lines.length - 2);
        const j = r.int(1, lines.length - 2);
        [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
      }
      return [lat(lines.join("\r\n")), "swapped two lines"];
    }
    case 10: {
      // Rename a header: compact form, random case, unknown name, or a name with spaces.
      const text = b.toString("latin1");
      const m = [...text.matchAll(/\r\n([A-Za-z-]+)[ \t]*:/g)];
      if (m.length === 0) return [b, "no header to rename"];
      const h = r.pick(m);
      const name = r.pick(["v", "f", "t", "i", "l", "m", "c", "k", "VIA", "Content-length", "X y", "", h[1]!.toUpperCase(), "call-ID "]);
      const i = (h.index ?? 0) + 2;
      return [Buffer.concat([b.subarray(0, i), lat(name), b.subarray(i + h[1]!.length)]), `renamed ${h[1]} → ${JSON.stringify(name)}`];
    }
    default: {
      // Content-Length off by a little.
      const text = b.toString("latin1");
      const m = /(Content-Length|\r\nl)[ \t]*:[ \t]*(\d+)/i.exec(text);
      if (m === null) return [b, "no Content-Length"];
      const v = String(Math.max(0, Number(m[2]) + r.int(-3, 3)));
      const i = (m.index ?? 0) + m[0].length - (m[2] as string).length;
      return [Buffer.concat([b.subarray(0, i), lat(v), b.subarray(i + (m[2] as string).length)]), `Content-Length → ${v}`];
    }
  }
}

/**
 * Runs `bytes` through every entry point: parseMessage, validateMessage (default and lenient
 * options), every accessor, serializeMessage and a reparse, proxy edits, frameDatagram
 * and a StreamFramer. Returns a problem description, or undefined.
 */
function robustness(bytes: Buffer): string | undefined {
  const steps: string[] = [];
  const step = <T>(name: string, fn: () => T): T | SipError => {
    steps.push(name);
    try {
      return fn();
    } catch (e) {
      if (e instanceof SipError) return e;
      if (e instanceof assert.AssertionError) throw new Error(`${name}: ${e.message}`);
      throw new Error(`${name} threw a non-SipError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  };
  try {
    const m = step("parseMessage", () => parseMessage(bytes));
    step("frameDatagram", () => frameDatagram(bytes));
    step("StreamFramer", () => {
      const f = new StreamFramer({ onMessage: (x) => void parseMessage(x), onPing: () => {}, onPong: () => {} });
      f.push(bytes);
      f.push(Buffer.from("\r\n\r\n"));
    });
    if (m instanceof SipError) return undefined;
    const v = step("validateMessage", () => validateMessage(m));
    step("validateMessage(lenient)", () =>
      validateMessage(m, { uriSchemes: new Set(["sip", "sips", "tel", "http", "mailto"]), proxyRequireSupported: new Set(), allowZeroMaxForwards: true }),
    );
    step("accessors", () => exerciseAccessors(m));
    const accepted = !(v instanceof SipError) && v.ok;
    step("serialize+reparse", () => {
      let again: AnyMessage;
      try {
        again = parseMessage(serializeMessage(m));
      } catch (e) {
        // A message the edge accepted must serialize to something that parses.
        if (accepted && e instanceof SipError) assert.fail(`validated ok, but its serialization does not parse: ${e.message}`);
        throw e;
      }
      if (accepted) {
        // A message the edge accepts must come back identical from its own serialization.
        const a = shapeOf(again);
        const b = shapeOf(m);
        if (!m.has("content-length")) b.headers.push(["Content-Length", String(m.body.length)]);
        assert.deepEqual(a, b, "parse(serialize(m)) differs from m");
        const v2 = validateMessage(again);
        assert.ok(v2.ok, `validated ok, but its serialization does not: ${JSON.stringify(v2)}`);
      }
    });
    if (m.isRequest) {
      step("edit", () => parseMessage(editMessage(m).prependVia("SIP/2.0/UDP fuzz.example.net;branch=z9hG4bKfuzz").decrementMaxForwards().toBuffer()));
    } else {
      step("edit", () => parseMessage(editMessage(m).removeTopVia().toBuffer()));
    }
    return undefined;
  } catch (e) {
    return `${e instanceof Error ? e.message : String(e)}\n(steps: ${steps.join(" → ")})`;
  }
}

/** Runs `robustness` and times it. */
function timed(bytes: Buffer): { problem: string | undefined; ms: number } {
  const t0 = performance.now();
  const problem = robustness(bytes);
  return { problem, ms: performance.now() - t0 };
}

describe(`fuzz (b): mutated corpus (seed ${SEED})`, () => {
  const corpus = listCorpusFiles().map((f) => ({ name: f, bytes: loadMessage(f) }));

  it("the unmutated corpus passes the robustness checks", () => {
    for (const c of corpus) {
      const { problem, ms } = timed(c.bytes);
      assert.equal(problem, undefined, `${c.name}: ${problem}`);
      assert.ok(ms < HANG_MS, `${c.name}: ${ms.toFixed(0)} ms`);
    }
  });

  it(`${MUTATIONS} mutations: only SipErrors, no hang over ${HANG_MS} ms, accepted messages round-trip`, () => {
    const r = new Rng(SEED);
    const problems: string[] = [];
    let slowest = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      const src = r.pick(corpus);
      let bytes = src.bytes;
      const what: string[] = [];
      for (let k = r.int(1, 4); k > 0; k--) {
        const [b, d] = mutate(r, bytes);
        bytes = b.length > 65535 ? b.subarray(0, 65535) : b;
        what.push(d);
      }
      const { problem, ms } = timed(bytes);
      slowest = Math.max(slowest, ms);
      const desc = `seed ${SEED} (FUZZ_SEED=${SEED}), case ${i}: ${src.name} with ${what.join("; ")}`;
      if (problem !== undefined) problems.push(`${desc}\n  ${problem}\n  input: ${printable(bytes, 600)}`);
      else if (ms > HANG_MS) problems.push(`${desc}\n  took ${ms.toFixed(0)} ms (limit ${HANG_MS})\n  input: ${printable(bytes, 300)}`);
      if (problems.length >= Number(process.env.FUZZ_MAX_PROBLEMS ?? 5)) break;
    }
    assert.deepEqual(problems, [], `${problems.length} problem(s); slowest case ${slowest.toFixed(1)} ms\n${problems.join("\n\n")}`);
  });
});

// ---- pathological inputs ---------------------------------------------------------------------

const BASE = [
  "INVITE sip:bob@biloxi.example.com SIP/2.0",
  "Via: SIP/2.0/UDP client.atlanta.example.com;branch=z9hG4bK74bf9",
  "Max-Forwards: 70",
  "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
  "To: Bob <sip:bob@biloxi.example.com>",
  "Call-ID: 3848276298220188511@atlanta.example.com",
  "CSeq: 1 INVITE",
];

/** A message whose header section is BASE with `extra` lines (replacing lines named like them), then Content-Length: 0. */
function withHeaders(extra: string[], replace: string[] = []): Buffer {
  const keep = BASE.filter((l) => !replace.some((n) => l.toLowerCase().startsWith(n.toLowerCase() + ":")));
  return Buffer.from([...keep, ...extra, "Content-Length: 0", "", ""].join("\r\n"), "latin1");
}

const PATHOLOGICAL: [string, () => Buffer][] = [
  ["10,000 commas in Via", () => withHeaders([`Via: SIP/2.0/UDP h;branch=z9hG4bK1${",".repeat(10000)}`], ["Via"])],
  ["10,000 commas in Contact", () => withHeaders([`Contact: ${",".repeat(10000)}<sip:a@b>`])],
  ["10,000 comma-separated Contacts", () => withHeaders([`Contact: ${Array(4000).fill("<sip:a@b>").join(",")}`])],
  ["10,000 commas in Route, Supported, Allow and an unknown header", () => withHeaders([`Route: ${",".repeat(10000)}`, `Supported: ${",".repeat(10000)}`, `Allow: ${",".repeat(10000)}`, `X-Commas: ${",".repeat(10000)}`])],
  ["10,000 double quotes in From", () => withHeaders([`From: ${'"'.repeat(10001)} <sip:a@b>;tag=1`], ["From"])],
  ["10,000 double quotes in Via and Contact", () => withHeaders([`Via: SIP/2.0/UDP h;branch=z9hG4bK1;x=${'"'.repeat(10001)}`, `Contact: ${'"'.repeat(10001)}`], ["Via"])],
  ["20,000 escaped quotes inside one quoted string", () => withHeaders([`From: "${'\\"'.repeat(20000)}" <sip:a@b>;tag=1`], ["From"])],
  ["20,000 '<' in Contact", () => withHeaders([`Contact: ${"<".repeat(20000)}`])],
  ["20,000 '<' '>' pairs in Route", () => withHeaders([`Route: ${"<>".repeat(20000)}`])],
  ["15,000 ';a' parameters in Via", () => withHeaders([`Via: SIP/2.0/UDP h;branch=z9hG4bK1${";a".repeat(15000)}`], ["Via"])],
  ["15,000 parameters in a Contact URI", () => withHeaders([`Contact: <sip:a@b${";p".repeat(15000)}>`])],
  ["1,800 Via header lines", () => withHeaders(Array(1800).fill("v: SIP/2.0/UDP h;branch=z9hG4bK2"))],
  ["12,000 header lines without ':'", () => withHeaders(Array(12000).fill("a"))],
  ["15,000 folded continuation lines", () => withHeaders([`Subject: x${"\r\n y".repeat(15000)}`])],
  ["60 KB Request-URI", () => Buffer.from(`OPTIONS sip:${"a".repeat(60000)}@b SIP/2.0\r\n${BASE.slice(1).join("\r\n")}\r\n\r\n`, "latin1")],
  ["20,000 %-escapes in the Request-URI user", () => Buffer.from(`OPTIONS sip:${"%41".repeat(20000)}@b SIP/2.0\r\n${BASE.slice(1).join("\r\n").replace("CSeq: 1 INVITE", "CSeq: 1 OPTIONS")}\r\n\r\n`, "latin1")],
  ["60,000-digit Content-Length", () => withHeaders([`Content-Length: ${"9".repeat(60000)}`])],
  ["60,000-digit Max-Forwards, CSeq and Expires", () => withHeaders([`Max-Forwards: ${"1".repeat(20000)}`, `CSeq: ${"2".repeat(20000)} INVITE`, `Expires: ${"3".repeat(15000)}`], ["Max-Forwards", "CSeq"])],
  ["60,000 CRLFs before the start line", () => Buffer.concat([Buffer.from("\r\n".repeat(30000)), withHeaders([])])],
  ["60,000 spaces in the start line", () => Buffer.from(`INVITE${" ".repeat(60000)}sip:a@b SIP/2.0\r\n${BASE.slice(1).join("\r\n")}\r\n\r\n`, "latin1")],
  ["Digest credentials with 5,000 parameters", () => withHeaders([`Authorization: Digest ${Array.from({ length: 5000 }, (_, k) => `p${k}=v`).join(",")}`])],
  ["unknown auth scheme with 60,000 '='", () => withHeaders([`WWW-Authenticate: Foo ${"=".repeat(60000)}`])],
  ["a 60 KB token68 credential", () => withHeaders([`Proxy-Authorization: Bearer ${"a".repeat(60000)}`])],
  ["no empty line: 60 KB of header", () => Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${"x".repeat(60000)}\r\n`, "latin1")],
  ["a header section of CRs", () => Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${"\r".repeat(60000)}\r\n\r\n`, "latin1")],
  // LWS between two words of a value, followed later by a fold: RFC 3261 §7.3.1 allows both.
  // (These three are sized well under 60 KB: while they run in quadratic time they would
  // otherwise take seconds each; at this size they still take several times the limit.)
  ["20,000 SP inside a folded Via value", () => withHeaders([`Via: SIP/2.0/UDP h${" ".repeat(20000)};branch=z9hG4bK1\r\n ;rport`], ["Via"])],
  ["20,000 HTAB inside a folded Subject value", () => withHeaders([`Subject: a${"\t".repeat(20000)}b\r\n c`])],
];

describe("fuzz (b): pathological inputs (hang detector)", () => {
  for (const [name, make] of PATHOLOGICAL) {
    it(`${name}: only SipErrors, under ${HANG_MS} ms`, () => {
      const bytes = make();
      assert.ok(bytes.length <= 65535, `input is ${bytes.length} bytes`);
      const { problem, ms } = timed(bytes);
      assert.equal(problem, undefined);
      assert.ok(ms < HANG_MS, `took ${ms.toFixed(0)} ms for ${bytes.length} bytes (limit ${HANG_MS} ms)`);
    });
  }
});
