import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SipError } from "../errors.js";
import { checkNonce, createNonce, nonceIssuedAt } from "./nonce.js";

const secret = Buffer.from("0123456789abcdef0123456789abcdef", "hex");
const other = Buffer.from("fedcba9876543210fedcba9876543210", "hex");
const T0 = 1_700_000_000_000;
const MAX_AGE = 30_000;

describe("createNonce", () => {
  it("is 40 base64url characters carrying the issue time", () => {
    const n = createNonce(secret, T0);
    assert.match(n, /^[A-Za-z0-9_-]{40}$/);
    assert.equal(nonceIssuedAt(n), T0);
  });

  it("differs between two nonces issued in the same millisecond", () => {
    assert.notEqual(createNonce(secret, T0), createNonce(secret, T0));
  });

  it("refuses a short secret or a bad time", () => {
    assert.throws(() => createNonce(Buffer.alloc(15), T0), SipError);
    assert.throws(() => createNonce(secret, -1), SipError);
    assert.throws(() => createNonce(secret, 1.5), SipError);
    assert.throws(() => createNonce(secret, Number.NaN), SipError);
    assert.throws(() => createNonce(secret, 2 ** 48), SipError);
  });
});

describe("checkNonce", () => {
  it("valid within maxAge, on any replica holding the secret", () => {
    const n = createNonce(Buffer.from(secret), T0);
    assert.equal(checkNonce(secret, n, T0, MAX_AGE), "valid");
    assert.equal(checkNonce(secret, n, T0 + MAX_AGE, MAX_AGE), "valid");
  });

  it("stale once older than maxAge", () => {
    const n = createNonce(secret, T0);
    assert.equal(checkNonce(secret, n, T0 + MAX_AGE + 1, MAX_AGE), "stale");
    assert.equal(checkNonce(secret, n, T0 + 86_400_000, MAX_AGE), "stale");
  });

  it("invalid under another secret, even when old (forgeries are never merely stale)", () => {
    const n = createNonce(other, T0);
    assert.equal(checkNonce(secret, n, T0, MAX_AGE), "invalid");
    assert.equal(checkNonce(secret, n, T0 + 86_400_000, MAX_AGE), "invalid");
  });

  it("invalid when issued beyond the allowed clock skew in the future", () => {
    const n = createNonce(secret, T0 + 10_000);
    assert.equal(checkNonce(secret, n, T0, MAX_AGE), "invalid");
    assert.equal(checkNonce(secret, n, T0, MAX_AGE, 10_000), "valid");
    const near = createNonce(secret, T0 + 4_000);
    assert.equal(checkNonce(secret, near, T0, MAX_AGE), "valid");
  });

  it("invalid when any bit is changed", () => {
    const n = createNonce(secret, T0);
    const raw = Buffer.from(n, "base64url");
    for (let byte = 0; byte < raw.length; byte++) {
      const bad = Buffer.from(raw);
      bad[byte] = (bad[byte] ?? 0) ^ 0x01;
      assert.equal(checkNonce(secret, bad.toString("base64url"), T0, MAX_AGE), "invalid", `byte ${byte}`);
    }
  });

  it("invalid when the timestamp is moved forward to refresh an old nonce", () => {
    const n = createNonce(secret, T0);
    const raw = Buffer.from(n, "base64url");
    raw.writeUIntBE(T0 + 60_000, 0, 6);
    assert.equal(checkNonce(secret, raw.toString("base64url"), T0 + 60_000, MAX_AGE), "invalid");
  });

  it("invalid for garbage, never throwing", () => {
    const n = createNonce(secret, T0);
    for (const bad of ["", "x", n.slice(1), `${n}A`, `${n.slice(0, 39)}=`, `${n.slice(0, 39)}!`, " ".repeat(40), "dcd98b7102dd2f0e8b11d0f600bfb0c093", "\u00e9".repeat(40)]) {
      assert.equal(checkNonce(secret, bad, T0, MAX_AGE), "invalid", JSON.stringify(bad));
    }
    assert.equal(checkNonce(secret, undefined as unknown as string, T0, MAX_AGE), "invalid");
    assert.equal(nonceIssuedAt("garbage"), undefined);
  });

  it("refuses bad arguments from the caller", () => {
    const n = createNonce(secret, T0);
    assert.throws(() => checkNonce(Buffer.alloc(4), n, T0, MAX_AGE), SipError);
    assert.throws(() => checkNonce(secret, n, T0, -1), SipError);
  });
});
