import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { parseUri, SipUri } from "@sipfleet/sip";
import { ContactMasks, CONTACT_TOKEN_PARAM } from "./index.js";

const SECRET = "a shared secret of at least 32 characters!!";
const ORIGINAL = "sip:alice@192.168.1.10:5062;transport=tcp;ob";

describe("ContactMasks", () => {
  const masks = new ContactMasks(SECRET);

  it("round-trips a URI, and a string secret equals its UTF-8 bytes", () => {
    const token = masks.encode(ORIGINAL);
    assert.equal(masks.decode(token), ORIGINAL);
    assert.equal(new ContactMasks(Buffer.from(SECRET, "utf8")).decode(token), ORIGINAL);
  });

  it("does not reveal the address: no trace of it in the token, and two tokens of one URI differ", () => {
    const a = masks.encode(ORIGINAL);
    const b = masks.encode(ORIGINAL);
    assert.notEqual(a, b);
    for (const t of [a, b]) {
      for (const needle of ["192.168", "alice", "5062"]) assert.ok(!t.includes(needle), t);
      assert.ok(!Buffer.from(t, "base64url").toString("latin1").includes("192.168"));
    }
  });

  it("rejects a changed token (GCM authentication)", () => {
    const token = masks.encode(ORIGINAL);
    const raw = Buffer.from(token, "base64url");
    for (const at of [0, 12, 20, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at] = bad[at]! ^ 0x01;
      assert.equal(masks.decode(bad.toString("base64url")), undefined, `byte ${at}`);
    }
    assert.equal(masks.decode(token.slice(0, -2)), undefined);
  });

  it("rejects a token of another key, and garbage", () => {
    const other = new ContactMasks("another secret, also long enough to be used");
    assert.equal(other.decode(masks.encode(ORIGINAL)), undefined);
    for (const junk of ["", "abc", "!!!!", "A".repeat(5000)]) assert.equal(masks.decode(junk), undefined);
  });

  it("builds a masked URI on the edge's address that parses and carries the token", () => {
    const text = masks.maskedUri(ORIGINAL, "203.0.113.5:5060", "tcp");
    const uri = parseUri(text);
    assert.ok(uri instanceof SipUri);
    assert.equal(uri.host, "203.0.113.5");
    assert.equal(uri.port, 5060);
    assert.equal(uri.params.get("transport"), "tcp");
    assert.equal(uri.user, undefined);
    const token = uri.params.get(CONTACT_TOKEN_PARAM);
    assert.equal(typeof token, "string");
    assert.equal(masks.decode(token as string), ORIGINAL);
    assert.ok(!text.includes("192.168"));
    assert.equal(masks.maskedUri(ORIGINAL, "[2001:db8::1]:5060", undefined).startsWith("sip:[2001:db8::1]:5060;ct="), true);
  });
});
