import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ParseError } from "../errors.js";
import { TelUri, parseUri, uriEquals } from "./index.js";

describe("TelUri", () => {
  it("builds from fields", () => {
    const u = new TelUri({ number: "+1-201-555-0123", params: [["EXT", "1234"], ["foo", "a b"]] });
    assert.equal(u.scheme, "tel");
    assert.equal(u.isGlobal, true);
    assert.equal(u.ext, "1234");
    assert.equal(u.toString(), "tel:+1-201-555-0123;ext=1234;foo=a%20b");
    const again = parseUri(u.toString());
    assert.ok(again instanceof TelUri && uriEquals(u, again));
    assert.equal(again.params.get("foo"), "a b");
  });

  it("builds a local number", () => {
    const u = new TelUri({ number: "7042", params: [["phone-context", "example.com"]] });
    assert.equal(u.isGlobal, false);
    assert.equal(u.phoneContext, "example.com");
    assert.equal(u.toString(), "tel:7042;phone-context=example.com");
  });

  it("validates its input", () => {
    for (const make of [
      () => new TelUri({ number: "" }),
      () => new TelUri({ number: "+1 201" }),
      () => new TelUri({ number: "abc-xyz" }),
      () => new TelUri({ number: "+1", params: [["ext", "x"]] }),
      () => new TelUri({ number: "+1", params: [["a_b", "x"]] }),
      () => new TelUri({ number: "+1", params: [["a", "1"], ["A", "2"]] }),
    ]) {
      assert.throws(make, (e: unknown) => e instanceof ParseError && e.message.startsWith("tel URI: "));
    }
  });

  it("with() replaces the number or the parameters", () => {
    const u = parseUri("tel:+1-201-555-0123;ext=12");
    assert.ok(u instanceof TelUri);
    assert.equal(u.with({ number: "+1-201-555-0199" }).toString(), "tel:+1-201-555-0199;ext=12");
    assert.equal(u.with({ params: [] }).toString(), "tel:+1-201-555-0123");
    assert.equal(u.with({}), u);
    assert.throws(() => u.with({ number: "+" }), ParseError);
  });

  it("keeps visual separators as written", () => {
    const u = parseUri("tel:+1(201)555.0123");
    assert.ok(u instanceof TelUri);
    assert.equal(u.number, "+1(201)555.0123");
    assert.equal(u.toString(), "tel:+1(201)555.0123");
  });
});
