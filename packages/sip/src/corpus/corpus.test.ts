/*
 * The message corpus (test/corpus/, written by test/corpus/generate.mjs): RFC 3665 flows and
 * torture messages in the spirit of RFC 4475. Valid messages must parse, validate, give the
 * expected value from every typed accessor and survive serialization unchanged; invalid ones must
 * give exactly the outcome expectations.json records (from the RFC text), and never anything but
 * a SipError.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
  type AnyMessage,
  createResponse,
  editMessage,
  type NameAddr,
  type Params,
  parseMessage,
  ParseError,
  SipError,
  SipUri,
  serializeMessage,
  validateMessage,
} from "../index.js";
import {
  CORPUS_DIRS,
  describeOutcome,
  type Expectation,
  exerciseAccessors,
  listCorpusFiles,
  loadExpectations,
  loadMessage,
  outcomeMatches,
  outcomeOf,
  type OutcomeSpec,
  shapeOf,
  toValidateOptions,
} from "./corpus-support.js";

const expectations = loadExpectations();
const files = listCorpusFiles();
const validFiles = files.filter((f) => !f.startsWith("torture-invalid/"));
const invalidFiles = files.filter((f) => f.startsWith("torture-invalid/"));

function expectationOf(path: string): Expectation {
  const e = expectations[path];
  assert.ok(e !== undefined, `${path} has no entry in expectations.json`);
  return e;
}

const paramsObject = (p: Params): Record<string, string | null> => Object.fromEntries([...p]);

function sipUri(u: unknown, what: string): SipUri {
  assert.ok(u instanceof SipUri, `${what} is not a SIP URI: ${String(u)}`);
  return u;
}

/** Expectation keys that are not message fields. */
const META = new Set(["why", "outcome", "status", "alsoAcceptable", "validateOptions", "policies", "serializedAddsContentLength", "trailingBytes"]);

/**
 * Each expectation field and how the message is checked against it. Keys of expectations.json
 * that are not here (nor in META) fail the test, so a typo cannot silently skip a check.
 */
const CHECKS: Record<string, (m: AnyMessage, want: unknown) => void> = {
  kind: (m, w) => assert.equal(m.isRequest ? "request" : "response", w),
  method: (m, w) => assert.equal(m.isRequest ? m.method : undefined, w),
  status: (m, w) => assert.equal(m.isRequest ? undefined : m.status, w),
  reason: (m, w) => assert.equal(m.isRequest ? undefined : m.reason, w),
  requestUri: (m, w) => assert.equal(m.isRequest ? m.uriText : undefined, w),
  requestUriScheme: (m, w) => assert.equal(m.isRequest ? m.uri.scheme : undefined, w),
  requestUriUser: (m, w) => assert.equal(m.isRequest ? sipUri(m.uri, "Request-URI").user : undefined, w),
  requestUriPassword: (m, w) => assert.equal(m.isRequest ? sipUri(m.uri, "Request-URI").password : undefined, w),
  requestUriHost: (m, w) => assert.equal(m.isRequest ? sipUri(m.uri, "Request-URI").host : undefined, w),
  requestUriParamCount: (m, w) => assert.equal(m.isRequest ? sipUri(m.uri, "Request-URI").params.size : undefined, w),
  callId: (m, w) => assert.equal(m.callId, w),
  cseq: (m, w) => assert.deepEqual([m.cseq.seq, m.cseq.method], w),
  vias: (m, w) => assert.equal(m.via.length, w),
  topBranch: (m, w) => {
    assert.equal(m.topVia?.branch ?? null, w);
    assert.equal(m.via[0]?.branch ?? null, w, "topVia and via[0] disagree");
  },
  viaBranches: (m, w) => assert.deepEqual(m.via.map((v) => v.branch ?? null), w),
  viaTransports: (m, w) => assert.deepEqual(m.via.map((v) => v.transport), w),
  viaHosts: (m, w) => assert.deepEqual(m.via.map((v) => v.host), w),
  topViaPort: (m, w) => assert.equal(m.topVia?.port, w),
  topViaRport: (m, w) => assert.equal(m.topVia?.rport, w),
  topViaReceived: (m, w) => assert.equal(m.topVia?.received, w),
  maxForwards: (m, w) => assert.equal(m.maxForwards ?? null, w),
  fromTag: (m, w) => assert.equal(m.from.tag ?? null, w),
  toTag: (m, w) => assert.equal(m.to.tag ?? null, w),
  fromDisplayName: (m, w) => assert.equal(m.from.displayName, w),
  toDisplayName: (m, w) => assert.equal(m.to.displayName, w),
  fromUri: (m, w) => assert.equal(m.from.uriText, w),
  toUri: (m, w) => assert.equal(m.to.uriText, w),
  fromUriScheme: (m, w) => assert.equal(m.from.uri.scheme, w),
  toUriScheme: (m, w) => assert.equal(m.to.uri.scheme, w),
  fromUriUser: (m, w) => assert.equal(sipUri(m.from.uri, "From URI").user, w),
  toUriUser: (m, w) => assert.equal(sipUri(m.to.uri, "To URI").user, w),
  toUriPort: (m, w) => assert.equal(sipUri(m.to.uri, "To URI").port, w),
  fromUriUserParam: (m, w) => assert.equal(sipUri(m.from.uri, "From URI").userParam, w),
  toParams: (m, w) => assert.deepEqual(paramsObject(m.to.params), w),
  fromParamNames: (m, w) => assert.deepEqual([...m.from.params].map(([n]) => n), w),
  wildcard: (m, w) => assert.equal(m.contactIsWildcard, w),
  contacts: (m, w) => assert.equal(m.contact.length, w),
  contactUris: (m, w) => assert.deepEqual(m.contact.map((c) => c.uriText), w),
  contactDisplayNames: (m, w) => assert.deepEqual(m.contact.map((c) => c.displayName), w),
  contactQ: (m, w) => assert.deepEqual(m.contact.map((c) => c.q), w),
  contactExpires: (m, w) => assert.deepEqual(m.contact.map((c) => c.expires), w),
  contactParams: (m, w) => assert.deepEqual(m.contact.map((c) => paramsObject(c.params)), w),
  contactSchemes: (m, w) => assert.deepEqual(m.contact.map((c) => c.uri.scheme), w),
  contactTransport: (m, w) => assert.equal(sipUri(m.contact[0]?.uri, "Contact URI").transport, w),
  contactUriUsers: (m, w) => assert.deepEqual(m.contact.map((c, k) => sipUri(c.uri, `Contact ${k} URI`).user), w),
  contactUriParams: (m, w) => assert.deepEqual(m.contact.map((c, k) => paramsObject(sipUri(c.uri, `Contact ${k} URI`).params)), w),
  contactUriHeaders: (m, w) => assert.deepEqual(m.contact.map((c, k) => sipUri(c.uri, `Contact ${k} URI`).headers.map(([n, v]) => [n, v])), w),
  expires: (m, w) => assert.equal(m.expires ?? null, w),
  routes: (m, w) => assert.equal(m.route.length, w),
  routeUris: (m, w) => assert.deepEqual(m.route.map((r: NameAddr) => r.uriText), w),
  recordRoutes: (m, w) => assert.equal(m.recordRoute.length, w),
  contentType: (m, w) => assert.equal(m.contentType?.mediaType ?? null, w),
  contentTypeParams: (m, w) => {
    const ct = m.contentType;
    assert.ok(ct !== undefined, "Content-Type present");
    assert.deepEqual(paramsObject(ct.params), w);
  },
  contentLength: (m, w) => assert.equal(m.contentLength ?? null, w),
  bodyLength: (m, w) => assert.equal(m.body.length, w),
  bodySha256: (m, w) => assert.equal(createHash("sha256").update(m.body).digest("hex"), w),
  allow: (m, w) => assert.deepEqual(m.allow, w),
  supported: (m, w) => assert.deepEqual(m.supported, w),
  require: (m, w) => assert.deepEqual(m.require, w),
  proxyRequire: (m, w) => assert.deepEqual(m.proxyRequire, w),
  userAgent: (m, w) => assert.equal(m.userAgent, w),
  headers: (m, w) => {
    for (const [name, value] of Object.entries(w as Record<string, string>)) assert.equal(m.header(name), value, `header ${name}`);
  },
  headerLists: (m, w) => {
    for (const [name, values] of Object.entries(w as Record<string, string[]>)) assert.deepEqual(m.headers(name), values, `headers ${name}`);
  },
  authorization: (m, w) => checkAuth(m.authorization, w, "Authorization"),
  proxyAuthorization: (m, w) => checkAuth(m.proxyAuthorization, w, "Proxy-Authorization"),
  wwwAuthenticate: (m, w) => checkAuth(m.wwwAuthenticate, w, "WWW-Authenticate"),
  proxyAuthenticate: (m, w) => checkAuth(m.proxyAuthenticate, w, "Proxy-Authenticate"),
};

function checkAuth(values: readonly object[], want: unknown, what: string): void {
  assert.equal(values.length, 1, `one ${what} value`);
  const v = values[0] as Record<string, unknown>;
  for (const [k, w] of Object.entries(want as Record<string, unknown>)) assert.deepEqual(v[k], w, `${what} ${k}`);
}

describe("corpus files", () => {
  it("every .dat file has an expectation and every expectation a file", () => {
    assert.deepEqual(files, Object.keys(expectations).sort());
    for (const dir of CORPUS_DIRS) assert.ok(files.some((f) => f.startsWith(`${dir}/`)), `${dir} is empty`);
  });

  it("every file uses CRLF line ends in its header section", () => {
    for (const f of files) {
      const b = loadMessage(f);
      const end = b.indexOf("\r\n\r\n");
      const head = b.toString("latin1", 0, end < 0 ? b.length : end);
      assert.ok(!/[^\r]\n/.test(head) && !/\r[^\n]/.test(head), `${f}: bare LF or CR in the header section`);
    }
  });
});

describe("corpus: valid messages (RFC 3665 flows, RFC 4475 valid cases)", () => {
  for (const path of validFiles) {
    const e = expectationOf(path);
    describe(path, () => {
      const bytes = loadMessage(path);
      const options = toValidateOptions(e.validateOptions);

      it("parses and validates ok", () => {
        const m = parseMessage(bytes);
        assert.equal(m.defect, undefined, `defect: ${m.defect?.reason}`);
        const v = validateMessage(m, options);
        assert.deepEqual(v, { ok: true }, `${e.why}\nvalidation: ${JSON.stringify(v)}`);
      });

      for (const p of e.policies ?? []) {
        it(`with validation options ${JSON.stringify(p.options)}: ${describeOutcome(p.expect)}`, () => {
          const got = outcomeOf(bytes, toValidateOptions(p.options));
          assert.ok(outcomeMatches(got, p.expect), `${p.why}\nwant ${describeOutcome(p.expect)}, got ${describeOutcome(got)}`);
          if (got.outcome === "respond") assert.ok(got.reason !== undefined && got.reason.length > 0 && !/[\r\n]/.test(got.reason));
        });
      }

      it("every typed accessor works and gives the expected values", () => {
        const m = parseMessage(bytes);
        const errors = exerciseAccessors(m);
        assert.deepEqual([...errors].map(([k, err]) => `${k}: ${err.message}`), [], "accessors that threw");
        for (const [key, want] of Object.entries(e)) {
          if (META.has(key)) continue;
          const check = CHECKS[key];
          assert.ok(check !== undefined, `unknown expectation field "${key}"`);
          try {
            check(m, want);
          } catch (err) {
            if (err instanceof assert.AssertionError) err.message = `${key}: ${err.message}`;
            throw err;
          }
        }
      });

      it("round-trips: parse(serialize(m)) equals m", () => {
        const m = parseMessage(bytes);
        const out = serializeMessage(m);
        const again = parseMessage(out);
        const want = shapeOf(m);
        if (e.serializedAddsContentLength === true) want.headers.push(["Content-Length", String(m.body.length)]);
        assert.deepEqual(shapeOf(again), want);
        assert.deepEqual(validateMessage(again, options), { ok: true });
      });

      if (e.contentLength !== null && e.contentLength === e.bodyLength) {
        it("serializes byte-identical to the input (extra datagram bytes dropped)", () => {
          const m = parseMessage(bytes);
          const trailing = typeof e.trailingBytes === "number" ? e.trailingBytes : 0;
          assert.ok(serializeMessage(m).equals(bytes.subarray(0, bytes.length - trailing)));
        });
      }

      if (e.kind === "request" && e.maxForwards !== 0) {
        it("edits like a proxy: new top Via, Max-Forwards one less, everything else unchanged", () => {
          const m = parseMessage(bytes);
          const via = "SIP/2.0/TCP proxy.corpus.example.net:5060;branch=z9hG4bK-corpus-edit";
          const out = editMessage(m).prependVia(via).decrementMaxForwards().toBuffer();
          const again = parseMessage(out);
          assert.equal(again.via.length, m.via.length + 1);
          assert.equal(again.topVia?.branch, "z9hG4bK-corpus-edit");
          const mf = m.maxForwards;
          assert.equal(again.maxForwards, mf === undefined ? 70 : mf - 1);
          const want = shapeOf(m);
          const mfLine = want.headers.findIndex(([n]) => n.toLowerCase() === "max-forwards");
          if (mfLine >= 0) want.headers[mfLine] = [want.headers[mfLine]?.[0] ?? "", String(Number(mf) - 1)];
          want.headers.unshift(["Via", via]);
          if (e.serializedAddsContentLength === true) want.headers.push(["Content-Length", String(m.body.length)]);
          const got = shapeOf(again);
          if (mf === undefined) {
            // Where the added Max-Forwards line goes is the editor's choice: take it out, then compare.
            const k = got.headers.findIndex(([n, v]) => n === "Max-Forwards" && v === "70");
            assert.ok(k >= 0, "Max-Forwards: 70 added");
            got.headers.splice(k, 1);
          }
          assert.deepEqual(got, want);
          assert.deepEqual(validateMessage(again, { ...options, allowZeroMaxForwards: true }), { ok: true });
        });
      }
    });
  }
});

function acceptable(e: Expectation): OutcomeSpec[] {
  return [e, ...(e.alsoAcceptable ?? [])];
}

describe("corpus: invalid messages (RFC 4475 invalid cases)", () => {
  for (const path of invalidFiles) {
    const e = expectationOf(path);
    const label = `${path}: ${describeOutcome(e)}${e.alsoAcceptable ? ` (or ${e.alsoAcceptable.map((a) => describeOutcome(a)).join(", ")})` : ""}`;
    it(label, () => {
      const bytes = loadMessage(path);
      const got = outcomeOf(bytes, toValidateOptions(e.validateOptions));
      assert.ok(
        acceptable(e).some((a) => outcomeMatches(got, a)),
        `${e.why}\nwant ${acceptable(e).map((a) => describeOutcome(a)).join(" or ")}, got ${describeOutcome(got)}`,
      );
      if (got.outcome === "respond") {
        assert.ok(got.reason !== undefined && got.reason.length > 0 && got.reason.length <= 160, "a short reason phrase");
        assert.ok(!/[\r\n]/.test(got.reason), "no CR/LF in the reason phrase");
      }
      // Whatever the outcome, reading the message never throws anything but a SipError.
      if (got.message !== undefined) exerciseAccessors(got.message);
    });
  }

  it("headerLines() never runs one line into the next (RFC 3261 §7.3.1: a field is one line plus its folds)", () => {
    // A line without ':' (nocolon.dat) has no field-name; whatever name is reported for it must
    // not swallow the CRLF and the lines after it up to the next ':' of the header section.
    for (const path of files) {
      let m: ReturnType<typeof parseMessage>;
      try {
        m = parseMessage(loadMessage(path));
      } catch (e) {
        if (e instanceof ParseError) continue; // e.g. bigcode: nothing was parsed, nothing to list
        throw e;
      }
      for (const [name] of m.headerLines()) {
        assert.ok(!/[\r\n]/.test(name), `${path}: header name ${JSON.stringify(name)} spans lines`);
      }
    }
  });

  it("every request validation answers can be answered: createResponse builds a parseable response", () => {
    let answered = 0;
    for (const path of files) {
      let m: ReturnType<typeof parseMessage>;
      try {
        m = parseMessage(loadMessage(path));
      } catch (e) {
        if (e instanceof ParseError) continue;
        throw e;
      }
      const v = validateMessage(m);
      if (v.ok || v.action !== "respond" || !m.isRequest) continue;
      const res = createResponse(m, v.status, { reason: v.reason, headers: v.headers });
      const again = parseMessage(res.bytes);
      assert.ok(!again.isRequest && again.status === v.status, `${path}: answered ${v.status}`);
      assert.equal(again.count("via"), m.count("via"), `${path}: every Via copied`);
      answered++;
    }
    assert.ok(answered >= 15, `only ${answered} corpus requests were answered`);
  });

  it("no invalid message throws anything but a SipError, from any entry point", () => {
    for (const path of invalidFiles) {
      const bytes = loadMessage(path);
      try {
        const m = parseMessage(bytes);
        validateMessage(m);
        exerciseAccessors(m);
      } catch (err) {
        assert.ok(err instanceof SipError, `${path}: ${String(err)}`);
      }
    }
  });
});
