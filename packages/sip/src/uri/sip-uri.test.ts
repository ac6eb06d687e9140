import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ParseError } from "../errors.js";
import { Params } from "../header/lexer.js";
import { SipUri, parseUri, uriEquals } from "./index.js";

function sip(text: string): SipUri {
  const u = parseUri(text);
  assert.ok(u instanceof SipUri);
  return u;
}

describe("SipUri constructor", () => {
  it("builds a URI from unescaped fields and escapes them on output", () => {
    const u = new SipUri({
      scheme: "sips",
      user: "sips:user@example.com",
      password: "p;w",
      host: "example.net",
      port: 5061,
      params: [
        ["Transport", "tcp"],
        ["lr", null],
        ["x", "a;b"],
      ],
      headers: [
        ["Subject", "project x"],
        ["to", "sip:bob@biloxi.com"],
      ],
    });
    assert.equal(u.scheme, "sips");
    assert.equal(u.user, "sips:user@example.com");
    assert.equal(u.password, "p;w");
    assert.equal(u.transport, "tcp");
    assert.deepEqual([...u.params], [["transport", "tcp"], ["lr", null], ["x", "a;b"]]);
    assert.equal(
      u.toString(),
      "sips:sips%3Auser%40example.com:p%3Bw@example.net:5061;transport=tcp;lr;x=a%3Bb?Subject=project%20x&to=sip:bob%40biloxi.com",
    );
    const again = sip(u.toString());
    assert.ok(uriEquals(u, again));
    assert.equal(again.user, u.user);
    assert.deepEqual(again.headers, u.headers);
  });

  it("defaults to sip: and no optional parts", () => {
    const u = new SipUri({ host: "atlanta.com" });
    assert.equal(u.toString(), "sip:atlanta.com");
    assert.equal(u.hostType, "name");
  });

  it("adds brackets to a bare IPv6 address", () => {
    const u = new SipUri({ host: "2001:db8::10", port: 5070 });
    assert.equal(u.host, "[2001:db8::10]");
    assert.equal(u.hostType, "ipv6");
    assert.equal(u.toString(), "sip:[2001:db8::10]:5070");
  });

  it("accepts a Params instance", () => {
    const u = new SipUri({ host: "a.com", params: new Params(["lr", null, "transport", "udp"]) });
    assert.equal(u.toString(), "sip:a.com;lr;transport=udp");
  });

  it("keeps NUL and other bytes escaped on the wire", () => {
    assert.equal(new SipUri({ user: "null-\x00-null", host: "example.com" }).toString(), "sip:null-%00-null@example.com");
  });

  it("validates its input", () => {
    const bad: Array<[() => unknown, RegExp]> = [
      [() => new SipUri({ host: "" }), /invalid host ""/],
      [() => new SipUri({ host: "a b" }), /invalid host/],
      [() => new SipUri({ host: "[::1" }), /invalid host/],
      [() => new SipUri({ host: "a.com", port: 70000 }), /invalid port "70000"/],
      [() => new SipUri({ host: "a.com", port: 1.5 }), /invalid port/],
      [() => new SipUri({ host: "a.com", user: "" }), /empty user part/],
      [() => new SipUri({ host: "a.com", params: [["", "x"]] }), /empty parameter name/],
      [() => new SipUri({ host: "a.com", params: [["x", ""]] }), /empty value/],
      [() => new SipUri({ host: "a.com", params: [["lr", null], ["LR", null]] }), /duplicate parameter "lr"/],
      [() => new SipUri({ host: "a.com", params: [["ttl", "999"]] }), /invalid ttl parameter/],
      [() => new SipUri({ host: "a.com", params: [["maddr", "x..y"]] }), /invalid maddr parameter/],
      [() => new SipUri({ host: "a.com", headers: [["", "x"]] }), /empty header name/],
      [() => new SipUri({ host: "a.com", scheme: "tel" as "sip" }), /invalid scheme/],
    ];
    for (const [make, message] of bad) {
      assert.throws(make, (e: unknown) => e instanceof ParseError && message.test(e.message) && e.message.startsWith("SIP URI: "));
    }
  });

  it("ignores a password without a user", () => {
    assert.equal(new SipUri({ host: "a.com", password: "x" }).password, undefined);
  });
});

describe("SipUri getters", () => {
  it("reads the RFC 3261 §19.1.1 parameters", () => {
    const u = sip("sip:alice@atlanta.com;maddr=239.255.255.1;ttl=15;transport=UDP;user=phone;method=REGISTER;lr");
    assert.equal(u.maddr, "239.255.255.1");
    assert.equal(u.ttl, 15);
    assert.equal(u.transport, "udp");
    assert.equal(u.userParam, "phone");
    assert.equal(u.method, "REGISTER");
    assert.equal(u.lr, true);
  });

  it("returns undefined / false when absent", () => {
    const u = sip("sip:alice@atlanta.com");
    assert.equal(u.maddr, undefined);
    assert.equal(u.ttl, undefined);
    assert.equal(u.transport, undefined);
    assert.equal(u.userParam, undefined);
    assert.equal(u.method, undefined);
    assert.equal(u.lr, false);
  });

  it("tells the host type", () => {
    assert.equal(sip("sip:192.0.2.4").hostType, "ipv4");
    assert.equal(sip("sip:[::1]").hostType, "ipv6");
    assert.equal(sip("sip:atlanta.com").hostType, "name");
  });
});

describe("SipUri.with and friends", () => {
  const base = sip("sip:alice:secret@atlanta.com:5060;transport=tcp;lr?subject=hi%20there");

  it("replaces the host and port, keeping the rest", () => {
    const u = base.with({ host: "192.0.2.4", port: 5070 });
    assert.equal(u.toString(), "sip:alice:secret@192.0.2.4:5070;transport=tcp;lr?subject=hi%20there");
    assert.equal(u.hostType, "ipv4");
    assert.equal(base.toString(), "sip:alice:secret@atlanta.com:5060;transport=tcp;lr?subject=hi%20there");
  });

  it("removes components given as undefined", () => {
    const u = base.with({ port: undefined, user: undefined, headers: undefined, params: undefined });
    assert.equal(u.toString(), "sip:atlanta.com");
    assert.equal(u.password, undefined);
  });

  it("changes the scheme and user", () => {
    const u = base.with({ scheme: "sips", user: "bob smith" });
    assert.equal(u.toString(), "sips:bob%20smith:secret@atlanta.com:5060;transport=tcp;lr?subject=hi%20there");
  });

  it("changes the password", () => {
    assert.equal(base.with({ password: undefined }).toString(), "sip:alice@atlanta.com:5060;transport=tcp;lr?subject=hi%20there");
    assert.equal(base.with({ password: "a:b" }).password, "a:b");
    assert.match(base.with({ password: "a:b" }).toString(), /^sip:alice:a%3Ab@/);
  });

  it("keeps escaped reserved chars of unchanged components as they were", () => {
    const u = sip("sip:a%3Bb@atlanta.com;x=a%2Fb").with({ port: 5060 });
    assert.equal(u.toString(), "sip:a%3Bb@atlanta.com:5060;x=a%2Fb");
  });

  it("validates the changed fields", () => {
    assert.throws(() => base.with({ host: "bad host" }), ParseError);
    assert.throws(() => base.with({ port: -1 }), ParseError);
    assert.throws(() => base.with({ params: [["ttl", "x"]] }), ParseError);
  });

  it("withParam adds or replaces a parameter", () => {
    assert.equal(base.withParam("transport", "udp").toString(), "sip:alice:secret@atlanta.com:5060;transport=udp;lr?subject=hi%20there");
    const r = sip("sip:proxy.example.com").withParam("lr");
    assert.equal(r.toString(), "sip:proxy.example.com;lr");
    assert.equal(r.lr, true);
    assert.equal(sip("sip:a.com").withParam("Maddr", "192.0.2.1").maddr, "192.0.2.1");
  });

  it("withoutParams drops parameters by name, case-insensitively", () => {
    assert.equal(base.withoutParams("LR", "transport").toString(), "sip:alice:secret@atlanta.com:5060?subject=hi%20there");
    assert.equal(base.withoutParams("maddr"), base);
  });
});
