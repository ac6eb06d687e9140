import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ParseError, SipError } from "../errors.js";
import { parseChallenge, parseCredentials } from "../header/auth.js";
import { toWire } from "../message/wire-text.js";
import {
  type DigestVerification,
  type NonceStatus,
  type StoredHa1,
  buildAuthorization,
  buildChallenge,
  buildChallenges,
  checkNonce,
  computeHa1,
  createNonce,
  selectChallenge,
  verifyCredentials,
} from "./index.js";

/*
 * A registrar and a UA, end to end through the header text, as a SIP stack would run them:
 * REGISTER → 401 (WWW-Authenticate) → REGISTER with Authorization → verified.
 */

const secret = Buffer.from("5f1a6c0e9d2b4a7382c1e0f9a8b7c6d5", "hex");
const realm = "sip.example.com";
const user = { name: "alice", password: "w0nderland!" };
const stored: StoredHa1 = {
  MD5: computeHa1(user.name, realm, user.password, "MD5"),
  "SHA-256": computeHa1(user.name, realm, user.password, "SHA-256"),
};
const T0 = 1_700_000_000_000;
const MAX_AGE = 60_000;
const requestUri = "sip:sip.example.com";

/** What the registrar does with a REGISTER carrying `authorization` at `now`. */
function registrar(
  authorization: string,
  now: number,
  method = "REGISTER",
): { nonce: NonceStatus; result: DigestVerification } {
  const creds = parseCredentials(authorization);
  const nonce = checkNonce(secret, creds.nonce ?? "", now, MAX_AGE);
  const result = verifyCredentials({ credentials: creds, method, ha1: stored, realm, requestUri });
  return { nonce, result };
}

function challenge401(now: number, algorithm = "SHA-256"): string {
  return buildChallenge({ realm, nonce: createNonce(secret, now), algorithm, opaque: "op1" });
}

function answer(challengeValue: string, password = user.password, nc = 1, uri = requestUri): string {
  return buildAuthorization({
    challenge: parseChallenge(challengeValue),
    username: user.name,
    password,
    method: "REGISTER",
    uri,
    nc,
  });
}

describe("REGISTER round trip", () => {
  for (const algorithm of ["MD5", "SHA-256", "SHA-256-sess", "MD5-sess"]) {
    it(`succeeds with ${algorithm}`, () => {
      const ch = challenge401(T0, algorithm);
      const parsed = parseChallenge(ch);
      assert.equal(parsed.algorithm, algorithm);
      assert.deepEqual(parsed.qop, ["auth"]);
      const auth = answer(ch);
      const { nonce, result } = registrar(auth, T0 + 1_000);
      assert.equal(nonce, "valid");
      assert.ok(result.ok, result.ok ? "" : result.detail);
      assert.equal(result.username, "alice");
      assert.equal(result.nc, 1);
      assert.equal(result.nonce, parsed.nonce);
    });
  }

  it("reports increasing nonce counts for reuse of one nonce", () => {
    const ch = challenge401(T0);
    const counts = [1, 2, 3].map((nc) => {
      const { result } = registrar(answer(ch, user.password, nc), T0);
      assert.ok(result.ok);
      return result.nc;
    });
    assert.deepEqual(counts, [1, 2, 3]);
  });

  it("fails on a wrong password", () => {
    const { nonce, result } = registrar(answer(challenge401(T0), "wonderland!"), T0);
    assert.equal(nonce, "valid");
    assert.equal(!result.ok && result.reason, "bad-response");
  });

  it("fails when replayed with another method", () => {
    const { result } = registrar(answer(challenge401(T0)), T0, "INVITE");
    assert.equal(!result.ok && result.reason, "bad-response");
  });

  it("fails when the uri parameter is tampered with", () => {
    const auth = answer(challenge401(T0)).replace(`uri="${requestUri}"`, 'uri="sip:evil.example.com"');
    const r = verifyCredentials({ credentials: auth, method: "REGISTER", ha1: stored, realm });
    assert.equal(!r.ok && r.reason, "bad-response");
  });

  it("fails when signed for another Request-URI", () => {
    const { result } = registrar(answer(challenge401(T0), user.password, 1, "sip:other.example.com"), T0);
    assert.equal(!result.ok && result.reason, "uri-mismatch");
  });

  it("fails for another realm's challenge", () => {
    const foreign = buildChallenge({ realm: "other.example.com", nonce: createNonce(secret, T0) });
    const { result } = registrar(answer(foreign), T0);
    assert.equal(!result.ok && result.reason, "wrong-realm");
  });

  it("stale nonce: the credentials verify, so the registrar re-challenges with stale=true", () => {
    const { nonce, result } = registrar(answer(challenge401(T0)), T0 + MAX_AGE + 1);
    assert.equal(nonce, "stale");
    assert.ok(result.ok);
    const again = parseChallenge(
      buildChallenge({ realm, nonce: createNonce(secret, T0 + MAX_AGE + 1), algorithm: "SHA-256", stale: true }),
    );
    assert.equal(again.stale, true);
    const retry = registrar(answer(formatBack(again)), T0 + MAX_AGE + 2);
    assert.equal(retry.nonce, "valid");
    assert.ok(retry.result.ok);
  });

  it("forged nonce: invalid even though the response is right for it", () => {
    const forged = buildChallenge({ realm, nonce: createNonce(Buffer.alloc(32, 7), T0), algorithm: "SHA-256" });
    const { nonce, result } = registrar(answer(forged), T0);
    assert.equal(nonce, "invalid");
    assert.ok(result.ok); // the client did nothing wrong; the nonce is what betrays it
    const garbage = buildChallenge({ realm, nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093" });
    assert.equal(registrar(answer(garbage), T0).nonce, "invalid");
  });

  it("a nonce from the future is invalid", () => {
    const { nonce } = registrar(answer(challenge401(T0 + 3_600_000)), T0);
    assert.equal(nonce, "invalid");
  });
});

/** The challenge's header value again (buildAuthorization also takes the parsed form). */
function formatBack(c: ReturnType<typeof parseChallenge>): string {
  return c.raw;
}

describe("non-ASCII user and realm through the wire form", () => {
  it("hashes the UTF-8 bytes the client sent", () => {
    const realm8 = "b\u00fcro.example";
    const name = "J\u00f6rg";
    // The registrar formats text; the message builder encodes it (toWire) onto the wire.
    const wireChallenge = toWire(buildChallenge({ realm: realm8, nonce: createNonce(secret, T0), algorithm: "SHA-256" }));
    // The UA parses the wire form (as SipMessage.wwwAuthenticate does) and answers in text.
    const auth = buildAuthorization({ challenge: parseChallenge(wireChallenge), username: name, password: "p\u00e4ss", method: "REGISTER", uri: "sip:x" });
    const creds = parseCredentials(toWire(auth));
    assert.equal(creds.username, name);
    assert.equal(creds.realm, realm8);
    const ha1 = { "SHA-256": computeHa1(name, realm8, "p\u00e4ss", "SHA-256") };
    assert.equal(verifyCredentials({ credentials: creds, method: "REGISTER", ha1, realm: realm8 }).ok, true);
  });
});

describe("buildChallenge", () => {
  it("writes a 401/407 value with qop=auth by default", () => {
    assert.equal(
      buildChallenge({ realm: "r", nonce: "n" }),
      'Digest realm="r", nonce="n", algorithm=MD5, qop="auth"',
    );
  });

  it("writes every option", () => {
    assert.equal(
      buildChallenge({
        realm: "r",
        nonce: "n",
        opaque: "o",
        algorithm: "sha-256",
        qop: ["auth", "auth-int"],
        stale: true,
        domain: "sip:r",
        userhash: true,
      }),
      'Digest realm="r", domain="sip:r", nonce="n", opaque="o", stale=true, algorithm=SHA-256, qop="auth,auth-int", userhash=true',
    );
    assert.equal(buildChallenge({ realm: "r", nonce: "n", qop: null }), 'Digest realm="r", nonce="n", algorithm=MD5');
  });

  it("one value per algorithm, in the given preference order (RFC 8760 §2.3)", () => {
    const values = buildChallenges({ realm, nonce: "n" }, ["SHA-256", "MD5"]);
    assert.deepEqual(
      values.map((v) => parseChallenge(v).algorithm),
      ["SHA-256", "MD5"],
    );
    assert.throws(() => buildChallenges({ realm, nonce: "n" }, []), SipError);
  });

  it("refuses unsupported algorithms and qops, and an empty nonce", () => {
    assert.throws(() => buildChallenge({ realm, nonce: "n", algorithm: "SHA-1" }), SipError);
    assert.throws(() => buildChallenge({ realm, nonce: "n", qop: "auth-conf" as "auth" }), SipError);
    assert.throws(() => buildChallenge({ realm, nonce: "" }), SipError);
  });
});

describe("selectChallenge", () => {
  it("takes the topmost challenge with a supported algorithm (RFC 8760 §2.4)", () => {
    const picked = selectChallenge([
      "NoOneKnowsThisScheme opaque-data=here",
      'Digest realm="r", nonce="n1", algorithm=SHA-1',
      'Digest realm="r", nonce="broken',
      'Digest realm="r", nonce="n2", qop="auth-conf"',
      'Digest realm="r", algorithm=SHA-256',
      'Digest realm="r", nonce="n3", algorithm=SHA-256, qop="auth"',
      'Digest realm="r", nonce="n4", algorithm=MD5, qop="auth"',
    ]);
    assert.equal(picked?.nonce, "n3");
  });

  it("filters by realm, and returns undefined when nothing fits", () => {
    const list = ['Digest realm="a", nonce="1"', 'Digest realm="b", nonce="2"'];
    assert.equal(selectChallenge(list, "b")?.nonce, "2");
    assert.equal(selectChallenge(list, "c"), undefined);
    assert.equal(selectChallenge([]), undefined);
  });
});

describe("buildAuthorization", () => {
  const ch = 'Digest realm="r", nonce="n", qop="auth,auth-int", opaque=""';

  it("uses a stored HA1 instead of the password, picked by family", () => {
    const viaPassword = buildAuthorization({ challenge: ch, username: "u", password: "p", method: "INVITE", uri: "sip:x@r", cnonce: "c" });
    const viaHa1 = buildAuthorization({ challenge: ch, username: "u", ha1: { MD5: computeHa1("u", "r", "p") }, method: "INVITE", uri: "sip:x@r", cnonce: "c" });
    const viaHex = buildAuthorization({ challenge: ch, username: "u", ha1: computeHa1("u", "r", "p"), method: "INVITE", uri: "sip:x@r", cnonce: "c" });
    assert.equal(viaHa1, viaPassword);
    assert.equal(viaHex, viaPassword);
    assert.throws(
      () => buildAuthorization({ challenge: ch, username: "u", ha1: { "SHA-256": computeHa1("u", "r", "p", "SHA-256") }, method: "INVITE", uri: "sip:x@r" }),
      /no MD5 HA1/,
    );
  });

  it("echoes an empty opaque and generates a cnonce", () => {
    const c = parseCredentials(buildAuthorization({ challenge: ch, username: "u", password: "p", method: "INVITE", uri: "sip:x@r" }));
    assert.equal(c.opaque, "");
    assert.match(c.cnonce ?? "", /^[A-Za-z0-9_-]{22}$/);
    assert.equal(c.nc, "00000001");
  });

  it("uses auth-int when asked, hashing the body", () => {
    const body = "v=0\r\n";
    const value = buildAuthorization({ challenge: ch, username: "u", password: "p", method: "INVITE", uri: "sip:x@r", qop: "auth-int", body });
    assert.equal(parseCredentials(value).qop, "auth-int");
    const ha1 = { MD5: computeHa1("u", "r", "p") };
    const ok = verifyCredentials({ credentials: value, method: "INVITE", ha1, realm: "r", qop: ["auth", "auth-int"], body });
    assert.equal(ok.ok, true);
  });

  it("sends the RFC 2069 form to a challenge without qop", () => {
    const value = buildAuthorization({ challenge: 'Digest realm="r", nonce="n"', username: "u", password: "p", method: "BYE", uri: "sip:x@r" });
    const c = parseCredentials(value);
    assert.equal(c.qop, undefined);
    assert.equal(c.nc, undefined);
    assert.equal(c.cnonce, undefined);
    const v = verifyCredentials({ credentials: c, method: "BYE", ha1: { MD5: computeHa1("u", "r", "p") }, realm: "r", qop: [] });
    assert.equal(v.ok, true);
  });

  it("refuses challenges it cannot answer", () => {
    const base = { username: "u", password: "p", method: "INVITE", uri: "sip:x@r" };
    assert.throws(() => buildAuthorization({ ...base, challenge: "Basic realm=\"r\"" }), SipError);
    assert.throws(() => buildAuthorization({ ...base, challenge: 'Digest nonce="n"' }), ParseError);
    assert.throws(() => buildAuthorization({ ...base, challenge: 'Digest realm="r"' }), ParseError);
    assert.throws(() => buildAuthorization({ ...base, challenge: 'Digest realm="r", nonce="n", algorithm=SHA-1' }), SipError);
    assert.throws(() => buildAuthorization({ ...base, challenge: 'Digest realm="r", nonce="n", qop="auth-conf"' }), SipError);
    assert.throws(() => buildAuthorization({ ...base, challenge: 'Digest realm="r", nonce="n", qop="auth"', qop: "auth-int" }), SipError);
    assert.throws(() => buildAuthorization({ ...base, challenge: 'Digest realm="r", nonce="n' }), ParseError);
    assert.throws(() => buildAuthorization({ ...base, password: undefined, challenge: 'Digest realm="r", nonce="n"' }), SipError);
    assert.throws(() => buildAuthorization({ ...base, ha1: "00", challenge: 'Digest realm="r", nonce="n"' }), SipError);
  });
});
