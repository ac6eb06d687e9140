import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { parseChallenge, parseCredentials } from "../header/auth.js";
import { buildAuthorization } from "./authorization.js";
import { computeHa1, computeSessionHa1, computeUserhash } from "./ha1.js";
import { computeDigestResponse } from "./response.js";
import { verifyCredentials } from "./verify.js";

/*
 * Published test vectors. Each number was also recomputed independently (plain createHash) while
 * writing this file.
 */

const md5 = (s: string): string => createHash("md5").update(s).digest("hex");

describe("RFC 2617 §3.5 example", () => {
  const ha1 = computeHa1("Mufasa", "testrealm@host.com", "Circle Of Life", "MD5");
  const header =
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

  it("HA1", () => {
    assert.equal(ha1, md5("Mufasa:testrealm@host.com:Circle Of Life"));
    assert.equal(ha1, "939e7578ed9e3c518a452acee763bce9");
  });

  it("response", () => {
    const r = computeDigestResponse({
      ha1,
      method: "GET",
      uri: "/dir/index.html",
      nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      cnonce: "0a4f113b",
      nc: "00000001",
      qop: "auth",
      algorithm: "MD5",
    });
    assert.equal(r, "6629fae49393a05397450978507c4ef1");
  });

  it("verifies the example Authorization header", () => {
    const v = verifyCredentials({ credentials: header, method: "GET", ha1: { MD5: ha1 }, realm: "testrealm@host.com" });
    assert.deepEqual(v, {
      ok: true,
      username: "Mufasa",
      userhash: false,
      algorithm: "MD5",
      nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      cnonce: "0a4f113b",
      nc: 1,
      qop: "auth",
      uri: "/dir/index.html",
    });
  });

  it("buildAuthorization reproduces the example", () => {
    const value = buildAuthorization({
      challenge:
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      username: "Mufasa",
      password: "Circle Of Life",
      method: "GET",
      uri: "/dir/index.html",
      cnonce: "0a4f113b",
      nc: 1,
    });
    const c = parseCredentials(value);
    assert.equal(c.response, "6629fae49393a05397450978507c4ef1");
    assert.equal(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
    assert.equal(c.qop, "auth");
    assert.equal(c.nc, "00000001");
  });
});

describe("RFC 7616 §3.9.1 example (password \"Circle of Life\", erratum 4495)", () => {
  const realm = "http-auth@example.org";
  const nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  const cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  const opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
  const challenge = (algorithm: string): string =>
    `Digest\r\n       realm="${realm}",\r\n       qop="auth, auth-int",\r\n       algorithm=${algorithm},\r\n       nonce="${nonce}",\r\n       opaque="${opaque}"`;
  const expected = {
    MD5: "8ca523f5e9506fed4657c9700eebdbec",
    "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
  } as const;

  for (const algorithm of ["MD5", "SHA-256"] as const) {
    it(`${algorithm} response`, () => {
      const ha1 = computeHa1("Mufasa", realm, "Circle of Life", algorithm);
      const r = computeDigestResponse({ ha1, method: "GET", uri: "/dir/index.html", nonce, cnonce, nc: 1, qop: "auth", algorithm });
      assert.equal(r, expected[algorithm]);
    });

    it(`${algorithm} client and server`, () => {
      const value = buildAuthorization({
        challenge: challenge(algorithm),
        username: "Mufasa",
        password: "Circle of Life",
        method: "GET",
        uri: "/dir/index.html",
        cnonce,
        nc: 1,
      });
      assert.equal(
        value,
        `Digest username="Mufasa", realm="${realm}", nonce="${nonce}", uri="/dir/index.html", response="${expected[algorithm]}", algorithm=${algorithm}, cnonce="${cnonce}", opaque="${opaque}", qop=auth, nc=00000001`,
      );
      const ha1 = computeHa1("Mufasa", realm, "Circle of Life", algorithm);
      const v = verifyCredentials({ credentials: value, method: "GET", ha1: { [algorithm]: ha1 }, realm, opaque });
      assert.equal(v.ok, true);
    });
  }

  it("the RFC's own SHA-256 Authorization header verifies", () => {
    const header = `Digest username="Mufasa",\r\n realm="${realm}",\r\n uri="/dir/index.html",\r\n algorithm=SHA-256,\r\n nonce="${nonce}",\r\n nc=00000001,\r\n cnonce="${cnonce}",\r\n qop=auth,\r\n response="${expected["SHA-256"]}",\r\n opaque="${opaque}"`;
    const ha1 = computeHa1("Mufasa", realm, "Circle of Life", "SHA-256");
    assert.equal(verifyCredentials({ credentials: header, method: "GET", ha1: { "SHA-256": ha1 }, realm }).ok, true);
    // "Circle Of Life" (RFC 2617's spelling) does not.
    const wrong = computeHa1("Mufasa", realm, "Circle Of Life", "SHA-256");
    const v = verifyCredentials({ credentials: header, method: "GET", ha1: { "SHA-256": wrong }, realm });
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.reason, "bad-response");
  });
});

describe("RFC 7616 §3.9.2 setting (SHA-512-256, userhash)", () => {
  // The response and userhash printed in RFC 7616 §3.9.2 do not match its own inputs (erratum
  // 4897, reported); these values are recomputed from the inputs with plain createHash.
  const username = "J\u00e4s\u00f8n Doe";
  const realm = "api@example.org";
  const nonce = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK";
  const cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v";
  const challenge = `Digest realm="${realm}", qop="auth", algorithm=SHA-512-256, nonce="${nonce}", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true`;

  it("hashes the username as UTF-8", () => {
    assert.equal(
      computeUserhash(username, realm, "SHA-512-256"),
      "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b",
    );
  });

  it("answers with the hashed username and a verifiable response", () => {
    const value = buildAuthorization({
      challenge,
      username,
      password: "Secret, or not?",
      method: "GET",
      uri: "/doe.json",
      cnonce,
      nc: 1,
    });
    const c = parseCredentials(value);
    assert.equal(c.username, "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b");
    assert.equal(c.userhash, true);
    assert.equal(c.algorithm, "SHA-512-256");
    assert.equal(c.response, "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5");
    const ha1 = computeHa1(username, realm, "Secret, or not?", "SHA-512-256");
    const v = verifyCredentials({ credentials: c, method: "GET", ha1: { "SHA-512-256": ha1 }, realm });
    assert.ok(v.ok);
    assert.equal(v.userhash, true);
  });
});

describe("other response forms", () => {
  const ha1 = computeHa1("Mufasa", "testrealm@host.com", "Circle Of Life");
  const nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";

  it("no qop: RFC 2069 KD(HA1, nonce:HA2)", () => {
    const r = computeDigestResponse({ ha1, method: "GET", uri: "/dir/index.html", nonce, algorithm: "MD5" });
    assert.equal(r, md5(`${ha1}:${nonce}:${md5("GET:/dir/index.html")}`));
    assert.equal(r, "670fd8c2df070c60b045671b8b24ff02");
  });

  it("auth-int hashes the body into A2, H(\"\") for none", () => {
    const base = { ha1, method: "INVITE", uri: "sip:bob@biloxi.com", nonce, cnonce: "c", nc: 1, qop: "auth-int", algorithm: "MD5" };
    const body = "v=0\r\no=- 0 0 IN IP4 192.0.2.1\r\n";
    const a2 = `INVITE:sip:bob@biloxi.com:${md5(body)}`;
    assert.equal(computeDigestResponse({ ...base, body }), md5(`${ha1}:${nonce}:00000001:c:auth-int:${md5(a2)}`));
    assert.equal(computeDigestResponse({ ...base, body: Buffer.from(body) }), computeDigestResponse({ ...base, body }));
    const empty = md5(`${ha1}:${nonce}:00000001:c:auth-int:${md5(`INVITE:sip:bob@biloxi.com:${md5("")}`)}`);
    assert.equal(computeDigestResponse(base), empty);
  });

  it("-sess derives HA1' = H(HA1:nonce:cnonce) from the stored HA1", () => {
    const sessHa1 = md5(`${ha1}:${nonce}:0a4f113b`);
    assert.equal(computeSessionHa1(ha1, nonce, "0a4f113b", "MD5-sess"), sessHa1);
    const r = computeDigestResponse({
      ha1,
      method: "GET",
      uri: "/dir/index.html",
      nonce,
      cnonce: "0a4f113b",
      nc: "00000001",
      qop: "auth",
      algorithm: "MD5-sess",
    });
    assert.equal(r, md5(`${sessHa1}:${nonce}:00000001:0a4f113b:auth:${md5("GET:/dir/index.html")}`));
    // The stored HA1 is the same for MD5 and MD5-sess.
    assert.equal(computeHa1("Mufasa", "testrealm@host.com", "Circle Of Life", "MD5-sess"), ha1);
  });

  it("SHA-256-sess", () => {
    const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
    const h = computeHa1("u", "r", "p", "SHA-256");
    assert.equal(h, sha("u:r:p"));
    const r = computeDigestResponse({ ha1: h, method: "REGISTER", uri: "sip:r", nonce: "n", cnonce: "c", nc: 2, qop: "auth", algorithm: "SHA-256-sess" });
    assert.equal(r, sha(`${sha(`${h}:n:c`)}:n:00000002:c:auth:${sha("REGISTER:sip:r")}`));
  });

  it("accepts an upper-case stored HA1", () => {
    const a = computeDigestResponse({ ha1, method: "GET", uri: "/", nonce, algorithm: "MD5" });
    const b = computeDigestResponse({ ha1: ha1.toUpperCase(), method: "GET", uri: "/", nonce, algorithm: "MD5" });
    assert.equal(a, b);
  });

  it("parses a challenge the way buildAuthorization reads it", () => {
    assert.deepEqual(parseChallenge('Digest realm="r", nonce="n", qop="auth-int"').qop, ["auth-int"]);
  });
});
