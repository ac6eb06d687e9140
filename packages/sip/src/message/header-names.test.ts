import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalHeaderName, H, knownHeaderNameIn } from "./header-names.js";
import { parseMessage } from "./parse.js";

const bytes = (s: string): Buffer => Buffer.from(s, "latin1");

describe("header names", () => {
  it("finds every known name in any case, in place", () => {
    for (const key of Object.values(H)) {
      const mixed = [...key].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
      for (const spelling of [key, key.toUpperCase(), mixed]) {
        const text = bytes(`xx${spelling}:`);
        assert.equal(knownHeaderNameIn(text, 2, 2 + spelling.length), key, spelling);
        assert.equal(canonicalHeaderName(spelling), key, spelling);
      }
    }
  });

  it("maps compact forms to their long form", () => {
    assert.equal(canonicalHeaderName("v"), H.via);
    assert.equal(canonicalHeaderName("I"), H.callId);
    assert.equal(knownHeaderNameIn(bytes("m"), 0, 1), H.contact);
  });

  it("does not take a name with a char no token holds for a known one", () => {
    // CR folded with | 0x20 would read as "-".
    assert.equal(knownHeaderNameIn(bytes("call\rid"), 0, 7), undefined);
    assert.equal(knownHeaderNameIn(bytes("vi\u00e1"), 0, 3), undefined);
    assert.equal(canonicalHeaderName("Call\rID"), "call\rid");
  });

  it("lower-cases unknown names", () => {
    assert.equal(canonicalHeaderName("X-Custom"), "x-custom");
    assert.equal(canonicalHeaderName("P-Asserted-Identity-Very-Long-Name"), "p-asserted-identity-very-long-name");
    assert.equal(knownHeaderNameIn(bytes("viaa"), 0, 4), undefined);
    assert.equal(knownHeaderNameIn(bytes(""), 0, 0), undefined);
  });
});

describe("header names as the parser finds them", () => {
  /** The keys the parser gives header lines with these names. */
  function parsedKeys(names: string[]): readonly string[] {
    const lines = ["OPTIONS sip:b@example.com SIP/2.0", ...names.map((n) => `${n}: x`), "Content-Length: 0", "", ""];
    return parseMessage(Buffer.from(lines.join("\r\n"), "latin1")).headerTable.keys.slice(0, names.length);
  }

  it("gives every spelling of a known name its key, and every near miss its own lower-cased name", () => {
    const names: string[] = [];
    for (const key of [...Object.values(H), ..."abcdefijklmorstuvxy"]) {
      const mixed = [...key].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
      names.push(key, key.toUpperCase(), mixed, `${key}x`, `x${key}`, key.slice(1));
      // One char changed at each position: the parser reads the first and last four bytes of a
      // name as words and compares only the bytes between them, so every position is tried.
      for (let k = 0; k < key.length; k++) {
        for (const c of ["x", "_", "-", "~"]) if (key[k] !== c) names.push(key.slice(0, k) + c + key.slice(k + 1));
      }
    }
    const keys = parsedKeys(names);
    names.forEach((n, k) => assert.equal(keys[k], canonicalHeaderName(n), n));
  });
});
