import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyHost, hostsEqual, parseIPv4, parseIPv6 } from "./uri-host.js";

const classify = (h: string): string | undefined => classifyHost(h, 0, h.length);

function v6(s: string): number[] | undefined {
  const out = new Uint16Array(8);
  return parseIPv6(s, 0, s.length, out) ? [...out] : undefined;
}

describe("classifyHost", () => {
  it("recognizes IPv4 addresses", () => {
    for (const h of ["192.0.2.4", "0.0.0.0", "255.255.255.255", "10.0.0.1"]) assert.equal(classify(h), "ipv4", h);
  });

  it("recognizes host names, with the optional trailing dot and '_'", () => {
    for (const h of ["atlanta.com", "AtLanTa.CoM", "example.com.", "a", "x-1.example", "123.example.com", "_sip._udp.example.com", "localhost"]) {
      assert.equal(classify(h), "name", h);
    }
  });

  it("recognizes IPv6 references", () => {
    for (const h of ["[::1]", "[2001:db8::10]", "[::]", "[::ffff:192.0.2.1]", "[2001:DB8:0:0:8:800:200C:417A]"]) {
      assert.equal(classify(h), "ipv6", h);
    }
  });

  it("rejects what is neither", () => {
    for (const h of [
      "",
      ".",
      "a..b",
      ".example.com",
      "example.com..",
      "-a.com",
      "a-.com",
      "256.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.4.",
      "example.123",
      "ex ample.com",
      "exa%41mple.com",
      "[]",
      "[::1",
      "[1:2:3]",
      "[2001:db8::10]x",
    ]) {
      assert.equal(classify(h), undefined, JSON.stringify(h));
    }
  });
});

describe("parseIPv4", () => {
  it("returns the address as a number", () => {
    assert.equal(parseIPv4("192.0.2.4", 0, 9), 0xc0000204);
    assert.equal(parseIPv4("255.255.255.255", 0, 15), 0xffffffff);
  });

  it("rejects bad forms", () => {
    for (const s of ["1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.256", "1.2.3.0004", "a.b.c.d", "1.2.3.4 "]) {
      assert.equal(parseIPv4(s, 0, s.length), -1, s);
    }
  });
});

describe("parseIPv6 (RFC 3986 §3.2.2, adopted by RFC 5954)", () => {
  it("expands '::' and reads embedded IPv4", () => {
    assert.deepEqual(v6("::1"), [0, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual(v6("::"), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(v6("1::"), [1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(v6("2001:db8::10"), [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10]);
    assert.deepEqual(v6("1:2:3:4:5:6:7:8"), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(v6("1:2:3:4:5:6:7::"), [1, 2, 3, 4, 5, 6, 7, 0]);
    assert.deepEqual(v6("::ffff:192.0.2.1"), [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
    assert.deepEqual(v6("1:2:3:4:5:6:1.2.3.4"), [1, 2, 3, 4, 5, 6, 0x102, 0x304]);
  });

  it("rejects malformed addresses", () => {
    for (const s of [
      "",
      ":",
      ":1",
      "1:",
      "1:::2",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7:8::",
      "g::1",
      "1:2:3:4:5:6:7:1.2.3.4",
      "::1.2.3",
      "::1.2.3.256",
      "fe80::1%eth0",
    ]) {
      assert.equal(v6(s), undefined, JSON.stringify(s));
    }
  });
});

describe("hostsEqual", () => {
  it("compares names and IPv4 addresses case-insensitively as text", () => {
    assert.ok(hostsEqual("atlanta.com", "name", "AtLanTa.CoM", "name"));
    assert.ok(!hostsEqual("atlanta.com", "name", "atlanta.net", "name"));
  });

  it("never equates a name with an address (RFC 3261 §19.1.4)", () => {
    assert.ok(!hostsEqual("phone21.boxesbybob.com", "name", "192.0.2.4", "ipv4"));
  });

  it("compares IPv6 references by address", () => {
    assert.ok(hostsEqual("[2001:db8::10]", "ipv6", "[2001:DB8:0:0:0:0:0:10]", "ipv6"));
    assert.ok(!hostsEqual("[2001:db8::10]", "ipv6", "[2001:db8::11]", "ipv6"));
  });
});
