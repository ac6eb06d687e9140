import assert from "node:assert/strict";
import { getHashes } from "node:crypto";
import { describe, it } from "node:test";
import { SipError } from "../errors.js";
import { SUPPORTED_ALGORITHMS, familyOf, findAlgorithm, hashHex, requireAlgorithm } from "./algorithms.js";
import { computeHa1, computeSessionHa1 } from "./ha1.js";
import { computeDigestResponse } from "./response.js";

describe("algorithms", () => {
  it("knows MD5 and SHA-256, with -sess variants, case-insensitively", () => {
    assert.deepEqual(findAlgorithm("md5"), { name: "MD5", family: "MD5", sess: false, hexLength: 32 });
    assert.deepEqual(findAlgorithm("Md5-SeSs"), { name: "MD5-sess", family: "MD5", sess: true, hexLength: 32 });
    assert.deepEqual(findAlgorithm("sha-256"), { name: "SHA-256", family: "SHA-256", sess: false, hexLength: 64 });
    assert.deepEqual(findAlgorithm("SHA-256-sess"), { name: "SHA-256-sess", family: "SHA-256", sess: true, hexLength: 64 });
    assert.equal(familyOf("SHA-256-SESS"), "SHA-256");
  });

  it("rejects unknown names", () => {
    for (const n of ["SHA256", "SHA-1", "AKAv1-MD5", "", "MD5 ", "sess"]) assert.equal(findAlgorithm(n), undefined, n);
    assert.throws(() => requireAlgorithm("SHA-1"), SipError);
    assert.throws(() => computeHa1("u", "r", "p", "SHA-1"), SipError);
  });

  it("offers SHA-512-256 exactly when node:crypto has it", () => {
    const has = getHashes().includes("sha512-256");
    assert.equal(findAlgorithm("SHA-512-256") !== undefined, has);
    assert.equal(SUPPORTED_ALGORITHMS.includes("SHA-512-256-sess"), has);
    if (has) {
      // FIPS 180-4 SHA-512/256 of "abc" (its own IV, not truncated SHA-512).
      assert.equal(hashHex("SHA-512-256", "abc"), "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
    }
  });

  it("lists the strongest first", () => {
    assert.equal(SUPPORTED_ALGORITHMS.at(-1), "MD5-sess");
    assert.ok(SUPPORTED_ALGORITHMS.indexOf("SHA-256") < SUPPORTED_ALGORITHMS.indexOf("MD5"));
  });

  it("hashes strings as UTF-8", () => {
    assert.equal(hashHex("MD5", "\u00e4"), hashHex("MD5", Buffer.from([0xc3, 0xa4])));
  });
});

describe("HA1 checks", () => {
  it("refuses an HA1 of the wrong family or shape", () => {
    const md5Ha1 = computeHa1("u", "r", "p", "MD5");
    const base = { method: "REGISTER", uri: "sip:r", nonce: "n", cnonce: "c", nc: 1, qop: "auth" };
    assert.throws(() => computeDigestResponse({ ...base, ha1: md5Ha1, algorithm: "SHA-256" }), /HA1 for SHA-256 must be 64 hex digits/);
    assert.throws(() => computeDigestResponse({ ...base, ha1: "z".repeat(32), algorithm: "MD5" }), SipError);
    assert.throws(() => computeSessionHa1("abc", "n", "c", "MD5-sess"), SipError);
  });

  it("refuses inputs that cannot form a digest", () => {
    const ha1 = computeHa1("u", "r", "p");
    const base = { ha1, method: "REGISTER", uri: "sip:r", nonce: "n", algorithm: "MD5" };
    assert.throws(() => computeDigestResponse({ ...base, qop: "auth" }), /needs a cnonce/);
    assert.throws(() => computeDigestResponse({ ...base, qop: "auth", cnonce: "c" }), /needs a nonce count/);
    assert.throws(() => computeDigestResponse({ ...base, qop: "auth-conf", cnonce: "c", nc: 1 }), /unsupported qop/);
    assert.throws(() => computeDigestResponse({ ...base, algorithm: "MD5-sess" }), /needs a cnonce/);
    assert.throws(() => computeDigestResponse({ ...base, qop: "auth", cnonce: "c", nc: 0 }), SipError);
  });
});
