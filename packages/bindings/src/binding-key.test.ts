import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseNameAddr, parseUri, uriEquals } from "@sipfleet/sip";
import { bindingKey, contactBindingKey, instanceBindingKey, uriBindingKey } from "./binding-key.js";

const key = (uri: string) => uriBindingKey(parseUri(uri));

/** uriEquals(a, b) ⇒ same key; and for these pairs the converse too. */
function sameKey(a: string, b: string): void {
  assert.ok(uriEquals(parseUri(a), parseUri(b)), `${a} = ${b}`);
  assert.equal(key(a), key(b), `${a} and ${b} share a key`);
}

function differentKey(a: string, b: string): void {
  assert.ok(!uriEquals(parseUri(a), parseUri(b)), `${a} ≠ ${b}`);
  assert.notEqual(key(a), key(b), `${a} and ${b} have different keys`);
}

describe("uriBindingKey: RFC 3261 §19.1.4 examples", () => {
  it("equivalent URIs share a key", () => {
    sameKey("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp");
    sameKey("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5");
    sameKey("sip:carol@chicago.com", "sip:carol@chicago.com;security=on");
    sameKey("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on");
    sameKey("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com");
    sameKey("sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x");
  });

  it("URIs that are not equivalent get different keys", () => {
    differentKey("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP");
    differentKey("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060");
    differentKey("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp");
    differentKey("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp");
    differentKey("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting");
    differentKey("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4");
  });

  it("the parameters that must match: user, ttl, method, maddr, transport", () => {
    for (const p of ["user=phone", "ttl=5", "method=INVITE", "maddr=239.255.255.1", "transport=tcp"]) {
      differentKey("sip:a@h.example", `sip:a@h.example;${p}`);
      sameKey(`sip:a@h.example;${p};lr`, `sip:a@H.EXAMPLE;${p.toUpperCase().replace(/^[A-Z]+/, (n) => n.toLowerCase())}`);
    }
    sameKey("sip:a@h.example;transport=tcp;maddr=239.255.255.1", "sip:a@h.example;maddr=239.255.255.1;transport=TCP");
  });

  it("userinfo is case-sensitive, password included; escapes of unreserved chars do not matter, of reserved ones do", () => {
    differentKey("sip:Alice@h.example", "sip:alice@h.example");
    differentKey("sip:alice:pw@h.example", "sip:alice@h.example");
    differentKey("sip:alice:pw@h.example", "sip:alice:PW@h.example");
    differentKey("sip:a%3Bb@h.example", "sip:a;b@h.example");
    sameKey("sip:%41lice@h.example", "sip:Alice@h.example");
  });

  it("sip and sips, IPv6 references by value", () => {
    differentKey("sip:a@h.example", "sips:a@h.example");
    sameKey("sip:a@[2001:DB8:0:0:0:0:0:1]:5060", "sip:a@[2001:db8::1]:5060");
    differentKey("sip:a@[2001:db8::1]", "sip:a@[2001:db8::2]");
  });

  it("tel URIs ignore visual separators, keep every parameter", () => {
    sameKey("tel:+1-201-555-0123", "tel:+12015550123");
    differentKey("tel:+12015550123", "tel:+12015550123;ext=1");
    sameKey("tel:7042;phone-context=EXAMPLE.com", "tel:7042;phone-context=example.com");
  });
});

describe("bindingKey of a Contact", () => {
  it("names an outbound binding by +sip.instance and reg-id (RFC 5626 §6), whatever the URI", () => {
    const a = bindingKey('<sip:alice@127.0.0.2:5070;transport=tcp>;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1;expires=3600');
    const b = bindingKey('"A" <sip:alice@127.0.0.9:6000>;reg-id=1;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"');
    assert.equal(a, "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6> 1");
    assert.equal(a, b);
    assert.notEqual(a, bindingKey('<sip:alice@127.0.0.2:5070;transport=tcp>;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=2'));
  });

  it("uses the URI form without reg-id, or without an instance", () => {
    assert.equal(bindingKey('<sip:alice@127.0.0.2>;+sip.instance="<urn:uuid:1>"'), "sip:alice@127.0.0.2");
    assert.equal(bindingKey("<sip:alice@127.0.0.2>;reg-id=1"), "sip:alice@127.0.0.2");
    assert.equal(bindingKey("<sip:Alice@EXAMPLE.com;Transport=TCP;lr>;expires=60"), "sip:Alice@example.com;transport=tcp");
    // Without <>, the parameters belong to the header field, not the URI (RFC 3261 §20).
    assert.equal(bindingKey("sip:Alice@EXAMPLE.com;transport=tcp"), "sip:Alice@example.com");
    assert.equal(bindingKey(parseNameAddr("<sip:alice@127.0.0.2?Subject=x&A=1>")), "sip:alice@127.0.0.2?a=1&subject=x");
  });

  it("contactBindingKey agrees with bindingKey", () => {
    const na = parseNameAddr('<sip:bob@127.0.0.3>;+sip.instance="<urn:uuid:2>";reg-id=3');
    assert.equal(contactBindingKey(na.uri, na.instance ?? "", na.regId ?? 0), bindingKey(na));
    assert.equal(contactBindingKey(na.uri, "", 0), "sip:bob@127.0.0.3");
    assert.equal(instanceBindingKey("<urn:uuid:2>", 3), "<urn:uuid:2> 3");
  });

  it("throws on a contact that does not parse", () => {
    assert.throws(() => bindingKey("<sip:alice@>"));
  });
});
