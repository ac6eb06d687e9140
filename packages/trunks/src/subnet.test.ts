import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { subnet, trunk } from "./fixtures.js";
import { parseSubnet, trunkForSource } from "./subnet.js";

describe("parseSubnet", () => {
  it("reads IPv4 and IPv6 blocks and single addresses", () => {
    assert.deepEqual(subnet("192.0.2.0/24"), { family: "ipv4", address: "192.0.2.0", prefix: 24 });
    assert.deepEqual(subnet("127.0.0.1"), { family: "ipv4", address: "127.0.0.1", prefix: 32 });
    assert.deepEqual(subnet("2001:db8::/32"), { family: "ipv6", address: "2001:db8::", prefix: 32 });
    assert.deepEqual(subnet("::1"), { family: "ipv6", address: "::1", prefix: 128 });
    assert.deepEqual(subnet("::ffff:192.0.2.0/120"), { family: "ipv6", address: "::ffff:c000:200", prefix: 120 });
  });

  it("refuses what is not an address, a bad prefix length, and host bits set", () => {
    for (const bad of ["carrier.example", "192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "192.0.2.0/-1", "10.0.0.1/24"]) {
      assert.ok("problem" in parseSubnet(bad), bad);
    }
    const hostBits = parseSubnet("2001:db8::1/64");
    assert.ok("problem" in hostBits && hostBits.problem.includes("2001:db8::/64"), JSON.stringify(hostBits));
  });

  it("writes the network address one way (RFC 5952), so the same block written two ways compares equal", () => {
    assert.deepEqual(subnet("2001:0DB8:0:0::/32"), subnet("2001:db8::/32"));
    assert.equal(subnet("2001:0db8:0000:0000:0000:0000:0000:0001").address, "2001:db8::1");
    assert.deepEqual(subnet("10.0.0.0/8"), { family: "ipv4", address: "10.0.0.0", prefix: 8 });
  });
});

describe("trunkForSource", () => {
  const trunks = [
    trunk("wide", { allow: ["127.0.0.0/8", "2001:db8::/32"] }),
    trunk("narrow", { allow: ["127.0.0.2", "2001:db8:1::/48"] }),
  ];

  it("matches IPv4 and IPv6 sources, the most specific block winning", () => {
    assert.equal(trunkForSource(trunks, "127.0.0.1")?.name, "wide");
    assert.equal(trunkForSource(trunks, "127.0.0.2")?.name, "narrow");
    assert.equal(trunkForSource(trunks, "2001:db8:2::5")?.name, "wide");
    assert.equal(trunkForSource(trunks, "2001:db8:1::5")?.name, "narrow");
  });

  it("matches an IPv4-mapped IPv6 source as the IPv4 address", () => {
    assert.equal(trunkForSource(trunks, "::ffff:127.0.0.2")?.name, "narrow");
  });

  it("returns undefined for an unknown source or a non-address", () => {
    assert.equal(trunkForSource(trunks, "192.0.2.1"), undefined);
    assert.equal(trunkForSource(trunks, "::1"), undefined);
    assert.equal(trunkForSource(trunks, "not-an-ip"), undefined);
  });
});
