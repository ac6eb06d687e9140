import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeHa1 } from "@sipfleet/sip";
import { ConfigError } from "./errors.js";
import { parseConfig } from "./parse-config.js";
import { parsePublicAddressEntry } from "./public-address.js";
import type { Env } from "./schema.js";

const DOMAINS = `
domains:
  - name: example.test
    users:
      - name: alice
        ha1: { md5: "${computeHa1("alice", "example.test", "pw", "MD5")}" }
`;

const parse = (text: string, env: Env = {}) => parseConfig(text, "test.yaml", env);

describe("edge.publicAddress", () => {
  it("is absent by default: the edge advertises the addresses it is bound to", () => {
    assert.equal(parse(DOMAINS).edge.publicAddress, undefined);
  });

  it("reads a host for every transport, and transport-specific entries with their ports", () => {
    const config = parse(`${DOMAINS}edge: { publicAddress: "SIP.example.com, tls:203.0.113.7:5061, udp:[2001:db8::7]:5060" }\n`);
    assert.deepEqual(config.edge.publicAddress, [
      { transport: undefined, host: "sip.example.com", port: undefined },
      { transport: "tls", host: "203.0.113.7", port: 5061 },
      { transport: "udp", host: "2001:db8::7", port: 5060 },
    ]);
  });

  it("SIPFLEET_PUBLIC_ADDRESS wins over the file", () => {
    const config = parse(`${DOMAINS}edge: { publicAddress: "198.51.100.1" }\n`, { SIPFLEET_PUBLIC_ADDRESS: "203.0.113.9:5080" });
    assert.deepEqual(config.edge.publicAddress, [{ transport: undefined, host: "203.0.113.9", port: 5080 }]);
  });

  it("refuses bad entries, naming the variable or key", () => {
    assert.throws(
      () => parse(DOMAINS, { SIPFLEET_PUBLIC_ADDRESS: "203.0.113.7:99999,udp:a,udp:b" }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /SIPFLEET_PUBLIC_ADDRESS.*"203\.0\.113\.7:99999": port must be 1-65535/);
        assert.match(e.message, /entry "udp:b": a second address for udp/);
        return true;
      },
    );
    assert.throws(() => parse(`${DOMAINS}edge: { publicAddress: 5060 }\n`), /edge\.publicAddress: expected a string/);
  });

  it("parses entries: IPv6 in brackets, names, ports", () => {
    assert.deepEqual(parsePublicAddressEntry("[::1]"), { transport: undefined, host: "::1", port: undefined });
    assert.deepEqual(parsePublicAddressEntry("wss:edge.example.com:443"), { transport: "wss", host: "edge.example.com", port: 443 });
    assert.match(String(parsePublicAddressEntry("2001:db8::1")), /in brackets/);
    assert.match(String(parsePublicAddressEntry("bad host:1")), /not a host name/);
  });
});
