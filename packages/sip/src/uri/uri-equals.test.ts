import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SipUri, parseUri, uriEquals } from "./index.js";

function equal(a: string, b: string): void {
  const x = parseUri(a);
  const y = parseUri(b);
  assert.ok(uriEquals(x, y), `${a} should equal ${b}`);
  assert.ok(uriEquals(y, x), `${b} should equal ${a}`);
}

function notEqual(a: string, b: string): void {
  const x = parseUri(a);
  const y = parseUri(b);
  assert.ok(!uriEquals(x, y), `${a} should not equal ${b}`);
  assert.ok(!uriEquals(y, x), `${b} should not equal ${a}`);
}

/** Every pair within each set must be equal. */
function allEqual(set: string[]): void {
  for (const a of set) for (const b of set) equal(a, b);
}

describe("uriEquals: RFC 3261 §19.1.4 examples", () => {
  describe("The URIs within each of the following sets are equivalent", () => {
    it("sip:%61lice@atlanta.com;transport=TCP / sip:alice@AtLanTa.CoM;Transport=tcp", () => {
      allEqual(["sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"]);
    });

    it("sip:carol@chicago.com / ;newparam=5 / ;security=on", () => {
      allEqual(["sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"]);
    });

    it("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com, parameters reordered", () => {
      allEqual([
        "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
        "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
      ]);
    });

    it("sip:alice@atlanta.com?subject=project%20x&priority=urgent, headers reordered", () => {
      allEqual([
        "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
        "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
      ]);
    });
  });

  describe("The URIs within each of the following sets are not equivalent", () => {
    it("different usernames", () => {
      notEqual("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP");
    });

    it("can resolve to different ports", () => {
      notEqual("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060");
    });

    it("can resolve to different transports", () => {
      notEqual("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp");
    });

    it("can resolve to different port and transports", () => {
      notEqual("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp");
    });

    it("different header component", () => {
      notEqual("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting");
    });

    it("a host name and the address it resolves to", () => {
      notEqual("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4");
    });
  });

  it("Note that equality is not transitive", () => {
    equal("sip:carol@chicago.com", "sip:carol@chicago.com;security=on");
    equal("sip:carol@chicago.com", "sip:carol@chicago.com;security=off");
    notEqual("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off");
  });
});

describe("uriEquals: RFC 3261 §19.1.4 rules", () => {
  it("A SIP and SIPS URI are never equivalent", () => {
    notEqual("sip:alice@atlanta.com", "sips:alice@atlanta.com");
  });

  it("userinfo is case-sensitive, including passwords", () => {
    notEqual("sip:alice@atlanta.com", "sip:Alice@atlanta.com");
    notEqual("sip:alice:secret@atlanta.com", "sip:alice:Secret@atlanta.com");
    equal("sip:alice:secret@atlanta.com", "sip:alice:secret@ATLANTA.com");
  });

  it("a URI omitting the user or password does not match one that has it", () => {
    notEqual("sip:atlanta.com", "sip:alice@atlanta.com");
    notEqual("sip:alice@atlanta.com", "sip:alice:secret@atlanta.com");
    notEqual("sip:alice@atlanta.com", "sip:alice:@atlanta.com");
  });

  it("escapes of unreserved chars are equivalent to the chars; of reserved chars they are not", () => {
    equal("sip:%61%6c%69%63%65@atlanta.com", "sip:alice@atlanta.com");
    equal("sip:a%3bb@atlanta.com", "sip:a%3Bb@atlanta.com");
    notEqual("sip:a%3Bb@atlanta.com", "sip:a;b@atlanta.com");
    notEqual("sip:a%2Fb@atlanta.com", "sip:a/b@atlanta.com");
    equal("sip:atlanta.com;x=%5B1%5D", "sip:atlanta.com;x=[1]");
    notEqual("sip:atlanta.com;x=a%2Fb", "sip:atlanta.com;x=a/b");
    equal("sip:atlanta.com?subject=project%20x", "sip:atlanta.com?subject=project%20%78");
  });

  it("escaped parameter names match their unescaped form (RFC 4475 §3.1.1.3)", () => {
    equal("sip:caller@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", "sip:caller@host5.example.net;lr;name=value%2541");
    notEqual("sip:caller@host5.example.net;name=value%2541", "sip:caller@host5.example.net;name=valueA");
  });

  it("ports must match", () => {
    notEqual("sip:bob@biloxi.com:5060", "sip:bob@biloxi.com:5070");
    equal("sip:bob@biloxi.com:5060", "sip:bob@biloxi.com:05060");
  });

  it("hosts compare case-insensitively; IPv6 references by address", () => {
    equal("sip:bob@BILOXI.com", "sip:bob@biloxi.COM");
    equal("sip:bob@[2001:db8::10]", "sip:bob@[2001:DB8:0:0:0:0:0:10]");
    notEqual("sip:bob@[2001:db8::10]", "sip:bob@[2001:db8::11]");
    notEqual("sip:bob@[::1]", "sip:bob@127.0.0.1");
  });

  it("transport, ttl, user, method and maddr present in one URI only never match", () => {
    notEqual("sip:bob@biloxi.com", "sip:bob@biloxi.com;ttl=1");
    notEqual("sip:bob@biloxi.com", "sip:bob@biloxi.com;user=ip");
    notEqual("sip:bob@biloxi.com", "sip:bob@biloxi.com;method=INVITE");
    notEqual("sip:bob@biloxi.com", "sip:bob@biloxi.com;maddr=239.255.255.1");
    notEqual("sip:bob@biloxi.com;transport=tcp", "sip:bob@biloxi.com;maddr=239.255.255.1");
  });

  it("parameters in both URIs must match, case-insensitively", () => {
    equal("sip:bob@biloxi.com;maddr=Host.Example.com;ttl=15", "sip:bob@biloxi.com;ttl=15;MADDR=host.example.COM");
    notEqual("sip:bob@biloxi.com;ttl=15", "sip:bob@biloxi.com;ttl=16");
    notEqual("sip:bob@biloxi.com;transport=tcp", "sip:bob@biloxi.com;transport=udp");
    notEqual("sip:bob@biloxi.com;user=phone", "sip:bob@biloxi.com;user=ip");
    notEqual("sip:bob@biloxi.com;method=INVITE", "sip:bob@biloxi.com;method=REGISTER");
    notEqual("sip:bob@biloxi.com;lr", "sip:bob@biloxi.com;lr=on");
    equal("sip:bob@biloxi.com;lr", "sip:bob@biloxi.com");
  });

  it("header components are never ignored: same set, names case-insensitive, values exact", () => {
    equal("sip:carol@chicago.com?Subject=next%20meeting", "sip:carol@chicago.com?subject=next%20meeting");
    notEqual("sip:carol@chicago.com?Subject=next%20meeting", "sip:carol@chicago.com?Subject=Next%20meeting");
    notEqual("sip:carol@chicago.com?a=1", "sip:carol@chicago.com?a=1&b=2");
    equal("sip:carol@chicago.com?route=a&route=b", "sip:carol@chicago.com?route=b&route=a");
    notEqual("sip:carol@chicago.com?route=a&route=a", "sip:carol@chicago.com?route=a&route=b");
  });

  it("tel-derived user parts compare as case-sensitive strings (RFC 3261 §19.1.6)", () => {
    notEqual("sip:+358-555-1234567;postd=pp22@foo.com;user=phone", "sip:+358-555-1234567;POSTD=PP22@foo.com;user=phone");
    notEqual(
      "sip:+358-555-1234567;postd=pp22;isub=1411@foo.com;user=phone",
      "sip:+358-555-1234567;isub=1411;postd=pp22@foo.com;user=phone",
    );
  });

  it("compares URIs built through the API with parsed ones", () => {
    const built = new SipUri({ user: "alice", host: "atlanta.com", params: [["transport", "TCP"]] });
    assert.ok(uriEquals(built, parseUri("sip:%61lice@AtLanTa.CoM;Transport=tcp")));
    assert.ok(uriEquals(new SipUri({ user: "j@s0n", host: "a.com" }), parseUri("sip:j%40s0n@a.com")));
  });
});

describe("uriEquals: tel (RFC 3966 §4)", () => {
  it("ignores visual separators and case, and parameter order (RFC 3261 §19.1.6 examples)", () => {
    equal("tel:+358-555-1234567;postd=pp22", "tel:+358-555-1234567;POSTD=PP22");
    equal("tel:+358-555-1234567;postd=pp22;isub=1411", "tel:+358-555-1234567;isub=1411;postd=pp22");
    equal("tel:+358-555-1234567;tsp=a.b;phone-context=5", "tel:+358-555-1234567;phone-context=5;tsp=a.b");
    equal("tel:+1-201-555-0123", "tel:+1.201.555.0123");
    equal("tel:+1(201)5550123", "tel:+12015550123");
    equal("tel:7A3f;phone-context=example.com", "tel:7a-3F;phone-context=EXAMPLE.com");
  });

  it("needs both global or both local, and the same digits", () => {
    notEqual("tel:+12015550123", "tel:12015550123;phone-context=example.com");
    notEqual("tel:+12015550123", "tel:+12015550124");
  });

  it("compares phone-context as digits when global, as a host name otherwise", () => {
    equal("tel:7042;phone-context=+1-201", "tel:7042;phone-context=+1201");
    equal("tel:7042;phone-context=Example.COM", "tel:7042;phone-context=example.com");
    notEqual("tel:7042;phone-context=example.com", "tel:7042;phone-context=example.net");
  });

  it("compares ext without visual separators", () => {
    equal("tel:+1-201-555-0123;ext=1-2", "tel:+12015550123;ext=12");
    notEqual("tel:+12015550123;ext=12", "tel:+12015550123;ext=13");
  });

  it("a parameter present in only one URI makes them differ", () => {
    notEqual("tel:+12015550123", "tel:+12015550123;ext=12");
    notEqual("tel:+12015550123;foo", "tel:+12015550123;bar");
    notEqual("tel:+12015550123;foo", "tel:+12015550123;foo=1");
  });
});

describe("uriEquals: across schemes and other schemes", () => {
  it("never equates URIs of different schemes", () => {
    notEqual("sip:+12015550123@example.com;user=phone", "tel:+12015550123");
    notEqual("sip:alice@atlanta.com", "http://alice@atlanta.com");
    notEqual("tel:+12015550123", "http:+12015550123");
  });

  it("compares other schemes by case-insensitive scheme and exact rest", () => {
    equal("http://www.example.com", "HTTP://www.example.com");
    notEqual("http://www.example.com", "http://WWW.example.com");
    notEqual("http://www.example.com", "https://www.example.com");
  });

  it("is reflexive", () => {
    for (const s of ["sip:a@b", "tel:+1", "urn:x:y"]) {
      const u = parseUri(s);
      assert.ok(uriEquals(u, u));
    }
  });
});
