// The implementations the parser benchmark compares: @sipfleet/sip and the npm SIP parsers a
// Node user would otherwise pick. Every implementation does the same work per message:
//
//   read:    parse the bytes a socket gave, then read the routing fields below into `out`
//            (forcing any lazily parsed value, URIs included) — see newFields().
//   forward: read, then forward the way a proxy does with the library's own API: a request
//            gets one Via on top and Max-Forwards decremented (RFC 3261 §16.6), a response
//            loses its top Via (§16.7); then it is serialized to a Buffer.
//
// Peers that want a string get the Buffer → string conversion inside the timed work, as they
// would have to do it on a real socket too.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { PROXY_VIA, PROXY_VIA_TEXT } from "./messages.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, "..");
const require = createRequire(import.meta.url);

/** The routing fields each implementation reads (a fixed shape, so stores stay monomorphic). */
export function newFields() {
  return {
    viaBranch: undefined,
    viaHost: undefined,
    viaPort: undefined,
    fromTag: undefined,
    fromUser: undefined,
    fromHost: undefined,
    toTag: undefined,
    toUser: undefined,
    toHost: undefined,
    callId: undefined,
    cseqSeq: 0,
    cseqMethod: undefined,
    maxForwards: undefined,
    routeCount: 0,
    routeHosts: new Array(8).fill(""),
    rrCount: 0,
    rrHosts: new Array(8).fill(""),
    contactCount: 0,
    contactUsers: new Array(8).fill(""),
    contactHosts: new Array(8).fill(""),
  };
}

/** The fields as plain values, for comparison with a message's `expect`. */
export function fieldsSnapshot(o) {
  return {
    viaBranch: o.viaBranch,
    viaHost: o.viaHost,
    viaPort: o.viaPort,
    fromTag: o.fromTag,
    fromUser: o.fromUser,
    fromHost: o.fromHost,
    toTag: o.toTag,
    toUser: o.toUser,
    toHost: o.toHost,
    callId: o.callId,
    cseqSeq: o.cseqSeq,
    cseqMethod: o.cseqMethod,
    maxForwards: o.maxForwards,
    routeHosts: o.routeHosts.slice(0, o.routeCount),
    rrHosts: o.rrHosts.slice(0, o.rrCount),
    contactUsers: o.contactUsers.slice(0, o.contactCount),
    contactHosts: o.contactHosts.slice(0, o.contactCount),
  };
}

/** The installed package's directory (found from its resolved entry point) and version. */
function packageInfo(name, entry = name) {
  try {
    let dir = dirname(require.resolve(entry));
    for (let k = 0; k < 6; k++) {
      try {
        const pj = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
        if (pj.name === name) return { dir, version: pj.version };
      } catch {
        // not here
      }
      dir = dirname(dir);
    }
  } catch {
    // unresolvable
  }
  return { dir: undefined, version: "?" };
}

/** `pkg/path/in/package.js` for a resolved file. */
function modulePath(name, file) {
  const { dir } = packageInfo(name);
  return dir ? `${name}/${relative(dir, file).split("\\").join("/")}` : file;
}

function errorText(e) {
  const msg = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  return msg.split("\n")[0];
}

// ---- @sipfleet/sip --------------------------------------------------------------------------

async function loadSipfleet() {
  const impl = {
    name: "@sipfleet/sip",
    version: JSON.parse(readFileSync(join(pkgRoot, "package.json"), "utf8")).version,
    module: "packages/sip/dist/index.js: parseMessage(buf), editMessage(m)",
    ours: true,
  };
  let lib;
  try {
    lib = await import("../dist/index.js");
  } catch (e) {
    return { ...impl, error: `cannot import ../dist/index.js (build the package first: npx tsc -b packages/sip): ${errorText(e)}` };
  }
  const { parseMessage, editMessage } = lib;
  if (typeof parseMessage !== "function" || typeof editMessage !== "function") {
    return { ...impl, error: "dist/index.js does not export parseMessage/editMessage" };
  }

  function read(buf, o) {
    const m = parseMessage(buf);
    const v = m.topVia;
    o.viaBranch = v.branch;
    o.viaHost = v.host;
    o.viaPort = v.port;
    const f = m.from;
    o.fromTag = f.tag;
    const fu = f.uri;
    o.fromUser = fu.user;
    o.fromHost = fu.host;
    const t = m.to;
    o.toTag = t.tag;
    const tu = t.uri;
    o.toUser = tu.user;
    o.toHost = tu.host;
    o.callId = m.callId;
    const cs = m.cseq;
    o.cseqSeq = cs.seq;
    o.cseqMethod = cs.method;
    o.maxForwards = m.maxForwards;
    const route = m.route;
    for (let i = 0; i < route.length; i++) o.routeHosts[i] = route[i].uri.host;
    o.routeCount = route.length;
    const rr = m.recordRoute;
    for (let i = 0; i < rr.length; i++) o.rrHosts[i] = rr[i].uri.host;
    o.rrCount = rr.length;
    const contact = m.contact;
    for (let i = 0; i < contact.length; i++) {
      const u = contact[i].uri;
      o.contactUsers[i] = u.user;
      o.contactHosts[i] = u.host;
    }
    o.contactCount = contact.length;
    return m;
  }

  function forward(buf, o, isRequest) {
    const m = read(buf, o);
    const e = editMessage(m);
    return (isRequest ? e.prependVia(PROXY_VIA_TEXT).decrementMaxForwards() : e.removeTopVia()).toBuffer();
  }

  return { ...impl, read, forward, parseOnly: (buf) => parseMessage(buf), lib };
}

// ---- sip (kirm/sip.js on npm as "sip") ------------------------------------------------------

function loadKirmSip() {
  const impl = { name: "sip", version: packageInfo("sip").version, module: "" };
  let sip;
  try {
    sip = require("sip");
    impl.module = `${modulePath("sip", require.resolve("sip"))}: require("sip").parse(buf) / .parseUri / .stringify`;
  } catch (e) {
    return { ...impl, error: `require("sip") failed: ${errorText(e)}` };
  }
  const { parse, stringify, parseUri } = sip;

  function read(buf, o) {
    // sip's own UDP transport hands the datagram Buffer to parse(), which decodes it as 'binary'.
    const m = parse(buf);
    const h = m.headers;
    const v = h.via[0];
    o.viaBranch = v.params.branch;
    o.viaHost = v.host;
    o.viaPort = v.port;
    // From/To/Contact URIs are left as strings by parse(): parseUri() is sip's way to read them.
    const f = h.from;
    o.fromTag = f.params.tag;
    const fu = parseUri(f.uri);
    o.fromUser = fu.user;
    o.fromHost = fu.host;
    const t = h.to;
    o.toTag = t.params.tag;
    const tu = parseUri(t.uri);
    o.toUser = tu.user;
    o.toHost = tu.host;
    o.callId = h["call-id"];
    const cs = h.cseq;
    o.cseqSeq = cs.seq;
    o.cseqMethod = cs.method;
    const mf = h["max-forwards"];
    o.maxForwards = mf === undefined ? undefined : +mf;
    // Route / Record-Route URIs are parsed by parse() already.
    const route = h.route;
    let n = 0;
    if (route !== undefined) for (; n < route.length; n++) o.routeHosts[n] = route[n].uri.host;
    o.routeCount = n;
    const rr = h["record-route"];
    n = 0;
    if (rr !== undefined) for (; n < rr.length; n++) o.rrHosts[n] = rr[n].uri.host;
    o.rrCount = n;
    const contact = h.contact;
    n = 0;
    if (contact !== undefined && contact !== "*") {
      for (; n < contact.length; n++) {
        const u = parseUri(contact[n].uri);
        o.contactUsers[n] = u.user;
        o.contactHosts[n] = u.host;
      }
    }
    o.contactCount = n;
    return m;
  }

  function forward(buf, o, isRequest) {
    const m = read(buf, o);
    const h = m.headers;
    if (isRequest) {
      h.via.unshift({
        version: "2.0",
        protocol: PROXY_VIA.transport,
        host: PROXY_VIA.host,
        port: PROXY_VIA.port,
        params: { branch: PROXY_VIA.branch },
      });
      h["max-forwards"] = o.maxForwards - 1;
    } else {
      h.via.shift();
    }
    // As sip's UDP transport sends: Buffer.from(stringify(m), 'binary').
    return Buffer.from(stringify(m), "binary");
  }

  return {
    ...impl,
    read,
    forward,
    parseOnly: (buf) => parse(buf),
    notes:
      "parse() is given the datagram Buffer, as sip's own UDP transport does (it decodes it as 'binary'). " +
      "From/To/Contact URIs stay strings after parse() and are read with sip.parseUri(); Route/Record-Route come parsed. " +
      "Forward: a Via object is unshifted onto headers.via (or the top one shifted off for a response), " +
      "headers['max-forwards'] set to n - 1, then Buffer.from(sip.stringify(m), 'binary') as its UDP transport sends.",
  };
}

// ---- JsSIP ----------------------------------------------------------------------------------

function loadJsSIP() {
  const impl = { name: "jssip", version: packageInfo("jssip").version, module: "" };
  let Parser;
  let Grammar;
  try {
    // JsSIP's index exports Grammar but not Parser; the package has no "exports" map, so the
    // parser module can be required directly.
    const JsSIP = require("jssip");
    Grammar = JsSIP.Grammar;
    Parser = require("jssip/lib/Parser.js");
    impl.module =
      `${modulePath("jssip", require.resolve("jssip/lib/Parser.js"))}: parseMessage(string, ua);` +
      ` ${modulePath("jssip", require.resolve("jssip"))}: JsSIP.Grammar.parse`;
  } catch (e) {
    return { ...impl, error: `cannot load JsSIP's parser in Node: ${errorText(e)}` };
  }
  if (typeof Parser.parseMessage !== "function" || typeof Grammar?.parse !== "function") {
    return { ...impl, error: "jssip/lib/Parser.js has no parseMessage or JsSIP.Grammar.parse is missing" };
  }
  // parseMessage() only stores the UA on incoming requests (for replying later); it reads nothing
  // from it while parsing, so an empty object stands in for a JsSIP.UA.
  const ua = {};

  function read(buf, o) {
    const m = Parser.parseMessage(buf.toString(), ua);
    const v = m.via; // the top Via, parsed by parseMessage
    o.viaBranch = v.branch;
    o.viaHost = v.host;
    o.viaPort = v.port;
    o.fromTag = m.from_tag;
    const fu = m.from.uri;
    o.fromUser = fu.user;
    o.fromHost = fu.host;
    o.toTag = m.to_tag;
    const tu = m.to.uri;
    o.toUser = tu.user;
    o.toHost = tu.host;
    o.callId = m.call_id;
    const hs = m.headers;
    const cs = hs.CSeq[0].parsed;
    o.cseqSeq = cs.value;
    o.cseqMethod = cs.method;
    const mf = hs["Max-Forwards"];
    o.maxForwards = mf === undefined ? undefined : mf[0].parsed;
    // parseMessage() leaves Route unparsed. JsSIP's "Route" start rule keeps only one value, so
    // the list is parsed with its "Record_Route" rule (the same ABNF: name-addr *(SEMI param)).
    const route = hs.Route;
    let n = 0;
    if (route !== undefined) {
      for (let i = 0; i < route.length; i++) {
        const list = Grammar.parse(route[i].raw, "Record_Route");
        for (let k = 0; k < list.length; k++) o.routeHosts[n++] = list[k].parsed.uri.host;
      }
    }
    o.routeCount = n;
    const rr = hs["Record-Route"];
    n = 0;
    if (rr !== undefined) for (; n < rr.length; n++) o.rrHosts[n] = rr[n].parsed.uri.host;
    o.rrCount = n;
    const contact = hs.Contact;
    n = 0;
    if (contact !== undefined) {
      for (; n < contact.length; n++) {
        const u = contact[n].parsed.uri;
        o.contactUsers[n] = u.user;
        o.contactHosts[n] = u.host;
      }
    }
    o.contactCount = n;
    return m;
  }

  return {
    ...impl,
    read,
    forwardUnsupported:
      "JsSIP (a user agent) cannot re-serialize a received message: IncomingMessage.toString() returns the received text",
    parseOnly: (buf) => Parser.parseMessage(buf.toString(), ua),
    notes:
      "Parser is not exported by the package index, so it is required from jssip/lib/Parser.js; it runs in Node as is " +
      "with an empty object for the ua argument (parseMessage only stores it on requests). parseMessage leaves Route " +
      "unparsed: each Route value is parsed with JsSIP.Grammar.parse(value, 'Record_Route') (same ABNF; its 'Route' rule " +
      "keeps only one value). No forwarding: a received message cannot be re-serialized.",
  };
}

// ---- SIP.js ---------------------------------------------------------------------------------

async function loadSipJs() {
  const impl = { name: "sip.js", version: packageInfo("sip.js").version, module: "" };
  let Parser;
  let Grammar;
  try {
    // "sip.js/lib/core" is a directory: ESM needs the file (the package has no "exports" map).
    ({ Parser } = await import("sip.js/lib/core/index.js"));
    ({ Grammar } = await import("sip.js/lib/grammar/index.js"));
    const core = require.resolve("sip.js/lib/core/index.js");
    impl.module =
      `${modulePath("sip.js", core)}: Parser.parseMessage(string, logger);` +
      ` ${modulePath("sip.js", join(dirname(core), "..", "grammar", "index.js"))}: Grammar.parse`;
  } catch (e) {
    return { ...impl, error: `cannot import sip.js/lib/core in Node: ${errorText(e)}` };
  }
  if (typeof Parser?.parseMessage !== "function" || typeof Grammar?.parse !== "function") {
    return { ...impl, error: "sip.js/lib/core has no Parser.parseMessage or Grammar.parse" };
  }
  // The logger is used only to report unparsable messages.
  const logger = { error() {}, warn() {}, log() {}, debug() {} };

  function read(buf, o) {
    const m = Parser.parseMessage(buf.toString(), logger);
    const v = m.via; // the top Via, parsed by parseMessage
    o.viaBranch = m.viaBranch;
    o.viaHost = v.host;
    o.viaPort = v.port;
    o.fromTag = m.fromTag;
    const fu = m.from.uri;
    o.fromUser = fu.user;
    o.fromHost = fu.host;
    o.toTag = m.toTag;
    const tu = m.to.uri;
    o.toUser = tu.user;
    o.toHost = tu.host;
    o.callId = m.callId;
    const hs = m.headers;
    const cs = hs.CSeq[0].parsed;
    o.cseqSeq = cs.value;
    o.cseqMethod = cs.method;
    const mf = hs["Max-Forwards"];
    o.maxForwards = mf === undefined ? undefined : mf[0].parsed;
    // parseMessage() leaves Route unparsed and SIP.js's grammar has no Route start rule; its
    // "Record_Route" rule parses the same ABNF (name-addr *(SEMI param), comma-separated).
    const route = hs.Route;
    let n = 0;
    if (route !== undefined) {
      for (let i = 0; i < route.length; i++) {
        const list = Grammar.parse(route[i].raw, "Record_Route");
        for (let k = 0; k < list.length; k++) o.routeHosts[n++] = list[k].parsed.uri.host;
      }
    }
    o.routeCount = n;
    const rr = hs["Record-Route"];
    n = 0;
    if (rr !== undefined) for (; n < rr.length; n++) o.rrHosts[n] = rr[n].parsed.uri.host;
    o.rrCount = n;
    const contact = hs.Contact;
    n = 0;
    if (contact !== undefined) {
      for (; n < contact.length; n++) {
        const u = contact[n].parsed.uri;
        o.contactUsers[n] = u.user;
        o.contactHosts[n] = u.host;
      }
    }
    o.contactCount = n;
    return m;
  }

  return {
    ...impl,
    read,
    forwardUnsupported:
      "SIP.js (a user agent) cannot re-serialize a received message: IncomingMessage.toString() returns the received text",
    parseOnly: (buf) => Parser.parseMessage(buf.toString(), logger),
    notes:
      "Imported as sip.js/lib/core/index.js (a bare 'sip.js/lib/core' is a directory import, which Node's ESM loader " +
      "refuses); runs in Node as is. Route is parsed with Grammar.parse(value, 'Record_Route') (its grammar has no Route " +
      "rule). It is slow because its peggy-generated grammar decodes its whole bytecode table (235 rules) on every " +
      "Grammar.parse call, and parseMessage calls that for every known header. No forwarding: a received message " +
      "cannot be re-serialized.",
  };
}

/** Ours first, then the peers, each either usable or carrying `error` (why it could not load). */
export async function loadImplementations() {
  return [await loadSipfleet(), loadKirmSip(), loadJsSIP(), await loadSipJs()];
}
