import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "./errors.js";
import { formatListenAddress, isLoopbackAddress, parseListen } from "./listen.js";

function assertListenError(spec: string, expected: readonly string[]): void {
  assert.throws(
    () => parseListen(spec, "SIPFLEET_LISTEN"),
    (error: unknown) => error instanceof ConfigError && assert.deepEqual(error.message.split("\n"), expected) === undefined,
  );
}

describe("parseListen", () => {
  it("parses IPv4 and bracketed IPv6 entries, trimming spaces and lower-casing the transport", () => {
    assert.deepEqual(parseListen("udp:127.0.0.1:5070, TCP:[::1]:5071 ,udp:[fe80::1%eth0]:5060", "x"), [
      { transport: "udp", host: "127.0.0.1", port: 5070 },
      { transport: "tcp", host: "::1", port: 5071 },
      { transport: "udp", host: "fe80::1%eth0", port: 5060 },
    ]);
  });

  it("accepts the connection transports tls, ws and wss", () => {
    assert.deepEqual(
      parseListen("tls:127.0.0.1:5061,WS:127.0.0.1:8080,wss:[::1]:8443", "x").map((a) => a.transport),
      ["tls", "ws", "wss"],
    );
  });

  it("accepts the port bounds", () => {
    assert.equal(parseListen("udp:0.0.0.0:1", "x")[0]?.port, 1);
    assert.equal(parseListen("udp:0.0.0.0:65535", "x")[0]?.port, 65535);
  });

  it("reports every bad entry, prefixed with what was parsed", () => {
    assertListenError("udp:127.0.0.1:0,udp:127.0.0.1:65536,udp:127.0.0.1:50a,udp:127.0.0.1:", [
      'SIPFLEET_LISTEN: entry "udp:127.0.0.1:0": port must be 1-65535, got "0"',
      'SIPFLEET_LISTEN: entry "udp:127.0.0.1:65536": port must be 1-65535, got "65536"',
      'SIPFLEET_LISTEN: entry "udp:127.0.0.1:50a": port must be 1-65535, got "50a"',
      'SIPFLEET_LISTEN: entry "udp:127.0.0.1:": port must be 1-65535, got ""',
    ]);
    assertListenError("127.0.0.1,sctp:127.0.0.1:5060,udp:example.com:5060,udp:999.0.0.1:5060", [
      'SIPFLEET_LISTEN: entry "127.0.0.1": expected transport:host:port, e.g. udp:127.0.0.1:5060',
      'SIPFLEET_LISTEN: entry "sctp:127.0.0.1:5060": transport must be udp, tcp, tls, ws or wss, got "sctp"',
      'SIPFLEET_LISTEN: entry "udp:example.com:5060": host must be an IP address (names are not resolved for listening), got "example.com"',
      'SIPFLEET_LISTEN: entry "udp:999.0.0.1:5060": host must be an IP address (names are not resolved for listening), got "999.0.0.1"',
    ]);
    assertListenError("udp5060,udp:[::1:5060,udp:[::1]5060,udp:[nope]:5060,udp:::1:5060,tcp:[::1]:5060,tcp:[::1]:5060", [
      'SIPFLEET_LISTEN: entry "udp5060": expected transport:host:port, e.g. udp:127.0.0.1:5060',
      'SIPFLEET_LISTEN: entry "udp:[::1:5060": missing ] after the IPv6 address',
      'SIPFLEET_LISTEN: entry "udp:[::1]5060": expected :port after the ]',
      'SIPFLEET_LISTEN: entry "udp:[nope]:5060": host must be an IPv6 address inside [ ], got "nope"',
      'SIPFLEET_LISTEN: entry "udp:::1:5060": IPv6 addresses go in brackets, e.g. udp:[::1]:5060',
      'SIPFLEET_LISTEN: entry "tcp:[::1]:5060": listed twice',
    ]);
  });

  it("refuses an empty spec and empty entries", () => {
    assertListenError("", ["SIPFLEET_LISTEN: must list at least one address, e.g. udp:127.0.0.1:5060"]);
    assertListenError("udp:127.0.0.1:5060,", ["SIPFLEET_LISTEN: empty entry (stray comma?)"]);
  });
});

describe("formatListenAddress", () => {
  it("writes the spec syntax back, bracketing IPv6", () => {
    for (const spec of ["udp:127.0.0.1:5060", "tcp:[::1]:5070", "udp:[2001:db8::1]:1"]) {
      const [address] = parseListen(spec, "x");
      assert.ok(address);
      assert.equal(formatListenAddress(address), spec);
    }
  });
});

describe("isLoopbackAddress", () => {
  it("is true for 127.0.0.0/8 and ::1 in any spelling", () => {
    for (const host of ["127.0.0.1", "127.255.0.9", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]) {
      assert.equal(isLoopbackAddress(host), true, host);
    }
  });

  it("is false for wildcards, other addresses and names", () => {
    for (const host of ["0.0.0.0", "::", "128.0.0.1", "10.0.0.1", "::2", "::ffff:10.0.0.1", "localhost", ""]) {
      assert.equal(isLoopbackAddress(host), false, host);
    }
  });
});
