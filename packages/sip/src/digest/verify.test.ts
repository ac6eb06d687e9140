import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SipError } from "../errors.js";
import { formatCredentials, parseCredentials } from "../header/auth.js";
import { type DigestFailureReason, type VerifyOptions, verifyCredentials } from "./verify.js";
import { computeHa1 } from "./ha1.js";
import { computeDigestResponse } from "./response.js";

const realm = "biloxi.com";
const md5Ha1 = computeHa1("bob", realm, "zanzibar", "MD5");
const shaHa1 = computeHa1("bob", realm, "zanzibar", "SHA-256");

interface Fields {
  username?: string | undefined;
  realm?: string | undefined;
  nonce?: string | undefined;
  uri?: string | undefined;
  algorithm?: string | undefined;
  cnonce?: string | undefined;
  nc?: string | undefined;
  qop?: string | undefined;
  opaque?: string | undefined;
  response?: string | undefined;
}

/** Credentials with a correct response for `fields`, then `override` applied after hashing. */
function creds(fields: Fields = {}, override: Fields = {}, body?: string): string {
  const f: Fields = {
    username: "bob",
    realm,
    nonce: "n0nce",
    uri: "sip:bob@biloxi.com",
    algorithm: "MD5",
    cnonce: "c0",
    nc: "00000001",
    qop: "auth",
    ...fields,
  };
  const alg = f.algorithm ?? "MD5";
  const response =
    f.response ??
    computeDigestResponse({
      ha1: alg.toUpperCase().startsWith("SHA-256") ? shaHa1 : md5Ha1,
      method: "REGISTER",
      uri: f.uri ?? "",
      nonce: f.nonce ?? "",
      cnonce: f.cnonce,
      nc: f.nc,
      qop: f.qop,
      algorithm: alg,
      body,
    });
  return formatCredentials({ ...f, response, ...override });
}

function verify(credentials: string, extra: Partial<VerifyOptions> = {}) {
  return verifyCredentials({ credentials, method: "REGISTER", ha1: { MD5: md5Ha1, "SHA-256": shaHa1 }, realm, ...extra });
}

function fails(credentials: string, reason: DigestFailureReason, extra: Partial<VerifyOptions> = {}): void {
  const v = verify(credentials, extra);
  assert.equal(v.ok, false, `expected ${reason}`);
  if (!v.ok) {
    assert.equal(v.reason, reason, v.detail);
    assert.ok(v.detail.length > 0);
  }
}

describe("verifyCredentials", () => {
  it("accepts correct credentials and returns nc as a number", () => {
    const v = verify(creds({ nc: "0000010a" }));
    assert.ok(v.ok);
    assert.equal(v.nc, 0x10a);
    assert.equal(v.cnonce, "c0");
    assert.equal(v.nonce, "n0nce");
    assert.equal(v.username, "bob");
    assert.equal(v.algorithm, "MD5");
    assert.equal(v.qop, "auth");
  });

  it("accepts a parsed Credentials object", () => {
    assert.equal(verify(creds()).ok, true);
    assert.equal(
      verifyCredentials({ credentials: parseCredentials(creds()), method: "REGISTER", ha1: { MD5: md5Ha1 }, realm }).ok,
      true,
    );
  });

  it("picks the stored HA1 by the credentials' algorithm family", () => {
    const sha = creds({ algorithm: "SHA-256" });
    assert.equal(verify(sha).ok, true);
    assert.equal(verify(creds({ algorithm: "sha-256-sess" })).ok, true);
    assert.equal(verify(creds({ algorithm: "MD5-sess" })).ok, true);
    fails(sha, "unsupported-algorithm", { ha1: { MD5: md5Ha1 } });
    fails(creds(), "unsupported-algorithm", { ha1: { "SHA-256": shaHa1 } });
  });

  it("enforces the offered algorithms when told them", () => {
    fails(creds({ algorithm: "MD5" }), "algorithm-not-offered", { algorithms: ["SHA-256"] });
    assert.equal(verify(creds({ algorithm: "SHA-256" }), { algorithms: ["sha-256", "MD5"] }).ok, true);
  });

  it("treats an absent algorithm as MD5", () => {
    assert.equal(verify(creds({ algorithm: undefined })).ok, true);
  });

  it("bad-response: wrong password", () => {
    const wrong = computeHa1("bob", realm, "zanzibaR");
    fails(creds(), "bad-response", { ha1: { MD5: wrong } });
  });

  it("bad-response: wrong method", () => {
    fails(creds(), "bad-response", { method: "INVITE" });
  });

  it("bad-response: any hashed field tampered with after signing", () => {
    fails(creds({}, { uri: "sip:alice@biloxi.com" }), "bad-response");
    fails(creds({}, { nonce: "other" }), "bad-response");
    fails(creds({}, { cnonce: "c1" }), "bad-response");
    fails(creds({}, { nc: "00000002" }), "bad-response");
    fails(creds({}, { response: "0".repeat(32) }), "bad-response");
  });

  it("binds the username only through the HA1 the caller looked up for it", () => {
    // The username is not hashed into the response (A1 is the stored HA1), so a changed
    // username verifies against the HA1 passed in: the caller must fetch it by this username.
    const v = verify(creds({}, { username: "alice" }));
    assert.ok(v.ok);
    assert.equal(v.username, "alice");
  });

  it("bad-response: malformed response values, without throwing", () => {
    fails(creds({ response: "abc" }), "bad-response");
    fails(creds({ response: "z".repeat(32) }), "bad-response");
    fails(creds({ response: "0".repeat(64) }), "bad-response");
    fails(creds({ algorithm: "SHA-256", response: "0".repeat(32) }), "bad-response");
  });

  it("accepts an upper-case response", () => {
    const c = parseCredentials(creds());
    const upper = formatCredentials({ ...c, response: c.response?.toUpperCase() });
    assert.equal(verify(upper).ok, true);
  });

  it("wrong-realm", () => {
    fails(creds({ realm: "atlanta.com" }), "wrong-realm");
    fails(creds({ realm: "BILOXI.COM" }), "wrong-realm");
  });

  it("missing-param for each required parameter", () => {
    for (const name of ["username", "realm", "nonce", "uri", "response", "cnonce", "nc"] as const) {
      fails(creds({}, { [name]: undefined }), "missing-param");
    }
    fails(creds({ qop: undefined, nc: undefined, cnonce: undefined, algorithm: "MD5-sess", response: "0".repeat(32) }), "missing-param", { qop: [] });
  });

  it("bad-nc", () => {
    fails(creds({ nc: "1" }), "bad-nc");
    fails(creds({ nc: "000000001" }), "bad-nc");
    fails(creds({ nc: "0000000g" }), "bad-nc");
    fails(creds({ nc: "00000000" }), "bad-nc");
    const v = verify(creds({ nc: "FFFFFFFF" }));
    assert.ok(v.ok);
    assert.equal(v.nc, 0xffffffff);
  });

  it("qop-not-offered: downgrade to no qop, unknown qop, auth-int not offered", () => {
    fails(creds({ qop: undefined, nc: undefined, cnonce: undefined }), "qop-not-offered");
    fails(creds({ qop: "auth-conf", response: "0".repeat(32) }), "qop-not-offered", { qop: ["auth", "auth-conf"] });
    fails(creds({ qop: "auth-int" }), "qop-not-offered");
    fails(creds({ qop: "auth" }), "qop-not-offered", { qop: [] });
  });

  it("auth-int covers the body", () => {
    const body = "v=0\r\n";
    const c = creds({ qop: "auth-int" }, {}, body);
    const v = verify(c, { qop: ["auth", "auth-int"], body });
    assert.ok(v.ok);
    assert.equal(v.qop, "auth-int");
    fails(c, "bad-response", { qop: ["auth-int"], body: "v=1\r\n" });
  });

  it("RFC 2069 form when the challenge had no qop", () => {
    const c = creds({ qop: undefined, nc: undefined, cnonce: undefined });
    const v = verify(c, { qop: [] });
    assert.ok(v.ok);
    assert.equal(v.nc, undefined);
    assert.equal(v.cnonce, undefined);
    assert.equal(v.qop, undefined);
  });

  it("opaque-mismatch and uri-mismatch when those checks are asked for", () => {
    fails(creds({ opaque: "abc" }), "opaque-mismatch", { opaque: "xyz" });
    fails(creds(), "opaque-mismatch", { opaque: "xyz" });
    assert.equal(verify(creds({ opaque: "xyz" }), { opaque: "xyz" }).ok, true);
    fails(creds(), "uri-mismatch", { requestUri: "sip:biloxi.com" });
    assert.equal(verify(creds(), { requestUri: "sip:bob@biloxi.com" }).ok, true);
  });

  it("not-digest and malformed, never throwing on client input", () => {
    fails("Basic Ym9iOnphbnppYmFy", "not-digest");
    fails('Digest username="bob", username="eve"', "malformed");
    fails('Digest username="bob', "malformed");
    fails("", "malformed");
    fails("Digest", "missing-param");
    fails(creds({ algorithm: "SHA-1", response: "0".repeat(40) }), "unsupported-algorithm");
  });

  it("throws SipError for a malformed stored HA1 (a server bug, not a client failure)", () => {
    assert.throws(() => verify(creds(), { ha1: { MD5: "nothex" } }), SipError);
  });
});
