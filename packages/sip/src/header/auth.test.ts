import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ParseError, SipError } from "../errors.js";
import { toWire } from "../message/wire-text.js";
import { Challenge, Credentials, formatChallenge, formatCredentials, formatNc, parseChallenge, parseCredentials } from "./auth.js";

/** Asserts that `fn` throws a ParseError whose message matches `message`. */
function throwsParse(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ParseError, `expected ParseError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe("parseChallenge", () => {
  it("parses the RFC 3261 §20.44 / §25 example challenge", () => {
    const c = parseChallenge(
      'Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5',
    );
    assert.ok(c instanceof Challenge);
    assert.equal(c.scheme, "Digest");
    assert.equal(c.isDigest, true);
    assert.equal(c.realm, "atlanta.com");
    assert.equal(c.domain, "sip:boxesbybob.com");
    assert.deepEqual(c.qop, ["auth"]);
    assert.equal(c.nonce, "f84f1cec41e6cbe5aea9c8e88d359");
    assert.equal(c.opaque, "");
    assert.equal(c.stale, false);
    assert.equal(c.algorithm, "MD5");
    assert.equal(c.userhash, false);
    assert.equal(c.params.size, 7);
  });

  it("defaults algorithm to MD5 and qop to an empty list", () => {
    const c = parseChallenge('Digest realm="r", nonce="n"');
    assert.equal(c.algorithm, "MD5");
    assert.deepEqual(c.qop, []);
    assert.equal(c.stale, false);
    assert.equal(c.opaque, undefined);
  });

  it("treats scheme and parameter names case-insensitively, keeping the scheme as written", () => {
    const c = parseChallenge('dIgEsT REALM="r", Nonce="n", STALE=True, Algorithm=sha-256, QOP="auth, auth-int"');
    assert.equal(c.scheme, "dIgEsT");
    assert.equal(c.isDigest, true);
    assert.equal(c.realm, "r");
    assert.equal(c.nonce, "n");
    assert.equal(c.stale, true);
    assert.equal(c.algorithm, "sha-256");
    assert.deepEqual(c.qop, ["auth", "auth-int"]);
    assert.deepEqual([...c.params.keys()], ["realm", "nonce", "stale", "algorithm", "qop"]);
  });

  it("accepts LWS (folded lines) around '=' and ',' and around the value", () => {
    const c = parseChallenge(' Digest\r\n realm = "r" ,\r\n\tnonce=\t"n" ,qop=auth  ');
    assert.equal(c.realm, "r");
    assert.equal(c.nonce, "n");
    assert.deepEqual(c.qop, ["auth"]);
  });

  it("resolves quoted-pairs and keeps commas inside quoted strings", () => {
    const c = parseChallenge('Digest realm="a \\"quoted\\", realm\\\\x", nonce="n,1"');
    assert.equal(c.realm, 'a "quoted", realm\\x');
    assert.equal(c.nonce, "n,1");
  });

  it("takes the wire form and decodes quoted values from UTF-8", () => {
    const wire = toWire('Digest realm="Z\u00fcrich \u2603", nonce="n"');
    assert.equal(wire.length, 'Digest realm="Z\u00fcrich \u2603", nonce="n"'.length + 3);
    const c = parseChallenge(wire);
    assert.equal(c.realm, "Z\u00fcrich \u2603");
    assert.equal(c.raw, wire);
  });

  it("reads unquoted base64 nonces as servers in the field send them", () => {
    const c = parseChallenge("Digest realm=r, nonce=ab/c+d==, opaque=x");
    assert.equal(c.nonce, "ab/c+d==");
    assert.equal(c.opaque, "x");
  });

  it("skips empty list elements", () => {
    const c = parseChallenge('Digest , realm="r",, nonce="n",');
    assert.equal(c.realm, "r");
    assert.equal(c.nonce, "n");
  });

  it("parses the RFC 7616 §3.9.2 challenge with charset and userhash", () => {
    const c = parseChallenge(
      'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true',
    );
    assert.equal(c.algorithm, "SHA-512-256");
    assert.equal(c.charset, "UTF-8");
    assert.equal(c.userhash, true);
  });

  it("parses an unknown scheme (RFC 4475 §3.1.2.17 regaut01) without error", () => {
    const c = parseChallenge("NoOneKnowsThisScheme opaque-data=here");
    assert.equal(c.scheme, "NoOneKnowsThisScheme");
    assert.equal(c.isDigest, false);
    assert.equal(c.params.get("opaque-data"), "here");
    assert.equal(c.raw, "NoOneKnowsThisScheme opaque-data=here");
  });

  it("keeps the raw text of an unknown scheme whose parameters do not parse", () => {
    const raw = 'Weird a=1, b, c="unterminated';
    const c = parseChallenge(raw);
    assert.equal(c.scheme, "Weird");
    assert.equal(c.raw, raw);
    assert.equal(c.params.get("a"), "1");
    assert.equal(c.params.has("b"), false);
  });

  it("reads a token68 (RFC 7235 §2.1) for non-Digest schemes", () => {
    const c = parseCredentials("Bearer mF_9.B5f-4.1JqM/+==");
    assert.equal(c.scheme, "Bearer");
    assert.equal(c.token68, "mF_9.B5f-4.1JqM/+==");
    assert.equal(c.params.size, 0);
  });

  it("accepts a scheme without parameters", () => {
    const c = parseChallenge("Negotiate");
    assert.equal(c.scheme, "Negotiate");
    assert.equal(c.params.size, 0);
  });
});

describe("parseCredentials", () => {
  it("parses the RFC 3261 §25 example credentials", () => {
    const c = parseCredentials(
      'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    assert.ok(c instanceof Credentials);
    assert.equal(c.username, "bob");
    assert.equal(c.realm, "biloxi.com");
    assert.equal(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert.equal(c.uri, "sip:bob@biloxi.com");
    assert.equal(c.qop, "auth");
    assert.equal(c.nc, "00000001");
    assert.equal(c.cnonce, "0a4f113b");
    assert.equal(c.response, "6629fae49393a05397450978507c4ef1");
    assert.equal(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
    assert.equal(c.algorithm, "MD5");
    assert.equal(c.userhash, false);
  });

  it("accepts a quoted qop, which some clients send", () => {
    assert.equal(parseCredentials('Digest username="a", qop="auth"').qop, "auth");
  });

  it("keeps nc exactly as sent", () => {
    assert.equal(parseCredentials("Digest nc=0000000A").nc, "0000000A");
  });

  it("decodes username* (RFC 7616 §3.4.4, RFC 8187)", () => {
    const c = parseCredentials("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"r\"");
    assert.equal(c.username, "J\u00e4s\u00f8n Doe");
    assert.equal(parseCredentials("Digest username*=iso-8859-1'en'J%E4s").username, "J\u00e4s");
  });

  it("parses the RFC 4475 regaut01 credentials", () => {
    const c = parseCredentials("NoOneKnowsThisScheme opaque-data=here");
    assert.equal(c.scheme, "NoOneKnowsThisScheme");
    assert.equal(c.params.get("opaque-data"), "here");
    assert.equal(c.username, undefined);
  });
});

describe("parse errors", () => {
  const cases: [string, string, RegExp][] = [
    ["empty value", "", /missing authentication scheme/],
    ["only white space", "  \r\n ", /missing authentication scheme/],
    ["no scheme", '="x"', /does not start with an authentication scheme/],
    ["scheme glued to a parameter", 'Digest,realm="r"', /white space after auth scheme "Digest"/],
    ["duplicate parameter", 'Digest realm="a", nonce="n", realm="b"', /duplicate auth-param "realm"/],
    ["duplicate parameter, different case", 'Digest realm="a", REALM="a"', /duplicate auth-param "realm"/],
    ["missing '='", 'Digest realm="a", stale, nonce="n"', /auth-param "stale" has no value/],
    ["missing '=' at the end", 'Digest realm="a", nonce', /auth-param "nonce" has no value/],
    ["unterminated quote", 'Digest realm="a", nonce="n', /auth-param "nonce" has an unterminated quoted string/],
    ["unterminated quote at the end", 'Digest realm="abc', /auth-param "realm" has an unterminated quoted string/],
    ["quote ending in a backslash", 'Digest realm="abc\\', /auth-param "realm" has an unterminated quoted string/],
    ["empty bare value", "Digest realm=, nonce=n", /auth-param "realm" has an empty value/],
    ["empty bare value at the end", "Digest realm=", /auth-param "realm" has an empty value/],
    ["two values without a comma", 'Digest realm="a" nonce="n"', /expected ',' after auth-param "realm"/],
    ["two challenges in one value", 'Digest realm="a", Digest realm="b"', /auth-param "digest" has no value/],
    ["parameter name missing", 'Digest ="a"', /expected an auth-param name/],
    ["token68 for Digest", "Digest abc==", /auth-param "abc" has an empty value/],
    ["token68 for Digest, no padding", "Digest abc", /auth-param "abc" has no value/],
  ];
  for (const [name, value, message] of cases) {
    it(`${name}: ${JSON.stringify(value)}`, () => {
      throwsParse(() => parseChallenge(value), message);
      throwsParse(() => parseCredentials(value), message);
    });
  }

  it("rejects username together with username*", () => {
    throwsParse(
      () => parseCredentials("Digest username=\"a\", username*=UTF-8''a"),
      /"username" and "username\*" must not both be present/,
    );
  });

  it("rejects a malformed username*", () => {
    throwsParse(() => parseCredentials("Digest username*=no-quotes"), /username\*/);
    throwsParse(() => parseCredentials("Digest username*=UTF-8''%FF%FE"), /not valid UTF-8/);
    throwsParse(() => parseCredentials("Digest username*=KOI8-R''abc"), /unsupported charset/);
  });

  it("reports an offset into the value", () => {
    try {
      parseChallenge('Digest realm="a", realm="b"');
      assert.fail("no error");
    } catch (e) {
      assert.ok(e instanceof ParseError);
      assert.equal(e.offset, 18);
      assert.equal(e.status, 400);
    }
  });

  it("throws nothing but ParseError on mangled input", () => {
    const seeds = [
      'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1"',
      'Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth,auth-int", nonce="f84f", opaque="", stale=FALSE, algorithm=MD5',
      "Digest username*=UTF-8''J%C3%A4s, realm=\"r\"",
    ];
    const alphabet = ['"', "\\", ",", "=", " ", "\r\n", "*", "'", "%", "a", "\u0000", "\u00ff", "\u2028"];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 3000; round++) {
      let s = seeds[rand(seeds.length)] ?? "";
      const edits = 1 + rand(4);
      for (let k = 0; k < edits; k++) {
        const at = rand(s.length + 1);
        const op = rand(3);
        if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
        else if (op === 1) s = s.slice(0, at) + (alphabet[rand(alphabet.length)] ?? "") + s.slice(at);
        else s = s.slice(0, at);
      }
      for (const parse of [parseChallenge, parseCredentials]) {
        try {
          const v = parse(s);
          // Whatever parsed must be readable and re-formattable (or refuse cleanly).
          void [...v.params];
          try {
            if (v instanceof Challenge) formatChallenge(v);
            else formatCredentials(v as Credentials);
          } catch (e) {
            assert.ok(e instanceof SipError, `format threw ${String(e)} for ${JSON.stringify(s)}`);
          }
        } catch (e) {
          assert.ok(e instanceof ParseError, `parse threw ${String(e)} for ${JSON.stringify(s)}`);
        }
      }
    }
  });
});

describe("formatChallenge", () => {
  it("quotes realm, domain, nonce, opaque and qop; leaves stale and algorithm bare", () => {
    assert.equal(
      formatChallenge({
        realm: "atlanta.com",
        domain: ["sip:a.com", "sip:b.com"],
        nonce: "abc",
        opaque: "",
        stale: true,
        algorithm: "SHA-256",
        qop: ["auth", "auth-int"],
      }),
      'Digest realm="atlanta.com", domain="sip:a.com sip:b.com", nonce="abc", opaque="", stale=true, algorithm=SHA-256, qop="auth,auth-int"',
    );
  });

  it("omits an empty qop list, stale=false and userhash=false", () => {
    assert.equal(formatChallenge({ realm: "r", nonce: "n", qop: [], stale: false, userhash: false }), 'Digest realm="r", nonce="n"');
  });

  it("escapes quotes and backslashes", () => {
    const v = formatChallenge({ realm: 'a "b" \\c', nonce: "n" });
    assert.equal(v, 'Digest realm="a \\"b\\" \\\\c", nonce="n"');
    assert.equal(parseChallenge(v).realm, 'a "b" \\c');
  });

  it("round-trips a parsed challenge, extra parameters included", () => {
    const c = parseChallenge('Digest realm="r", nonce="n", qop="auth", stale=true, x-ext="hello world", y=tok');
    const again = parseChallenge(formatChallenge(c));
    assert.deepEqual([...again.params], [
      ["realm", "r"],
      ["nonce", "n"],
      ["stale", "true"],
      ["algorithm", "MD5"],
      ["qop", "auth"],
      ["x-ext", "hello world"],
      ["y", "tok"],
    ]);
  });

  it("formats other schemes, with params or a token68", () => {
    assert.equal(formatChallenge({ scheme: "Bearer", params: [["realm", "x y"], ["scope", "a"]] }), 'Bearer realm="x y", scope=a');
    assert.equal(formatCredentials({ scheme: "Bearer", token68: "abc.def==" }), "Bearer abc.def==");
  });

  it("refuses values that would break the header", () => {
    assert.throws(() => formatChallenge({ realm: "a\r\nVia: evil", nonce: "n" }), SipError);
    assert.throws(() => formatChallenge({ realm: "r", nonce: "n", algorithm: "MD5, qop=x" }), SipError);
    assert.throws(() => formatChallenge({ realm: "r", nonce: "n", qop: ["auth,auth-int"] }), SipError);
    assert.throws(() => formatChallenge({ scheme: "Dig est", realm: "r" }), SipError);
    assert.throws(() => formatChallenge({ realm: "r", params: [["bad name", "v"]] }), SipError);
    assert.throws(() => formatCredentials({ token68: "abc" }), SipError);
  });
});

describe("formatCredentials", () => {
  it("quotes username, realm, nonce, uri, response, cnonce, opaque; not algorithm, qop, nc", () => {
    assert.equal(
      formatCredentials({
        username: "bob",
        realm: "biloxi.com",
        nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        uri: "sip:bob@biloxi.com",
        response: "6629fae49393a05397450978507c4ef1",
        algorithm: "MD5",
        cnonce: "0a4f113b",
        opaque: "5ccc",
        qop: "auth",
        nc: 1,
      }),
      'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", opaque="5ccc", qop=auth, nc=00000001',
    );
  });

  it("writes userhash=true and nc from a number", () => {
    assert.equal(formatCredentials({ username: "h", nc: 0x1a, qop: "auth", userhash: true }), 'Digest username="h", qop=auth, nc=0000001a, userhash=true');
  });

  it("round-trips parsed credentials, sending username rather than username*", () => {
    const c = parseCredentials("Digest username*=UTF-8''J%C3%A4s, realm=\"r\", nc=00000002, qop=auth");
    const v = formatCredentials(c);
    assert.equal(v, 'Digest username="J\u00e4s", realm="r", algorithm=MD5, qop=auth, nc=00000002');
    assert.equal(parseCredentials(toWire(v)).username, "J\u00e4s");
  });
});

describe("formatNc", () => {
  it("writes 8 lower-case hex digits and refuses out-of-range counts", () => {
    assert.equal(formatNc(1), "00000001");
    assert.equal(formatNc(0xffffffff), "ffffffff");
    assert.throws(() => formatNc(0), SipError);
    assert.throws(() => formatNc(2 ** 32), SipError);
    assert.throws(() => formatNc(1.5), SipError);
  });
});
