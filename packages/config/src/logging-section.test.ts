import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeHa1 } from "@sipfleet/sip";
import { DEFAULT_LOGGING_CONFIG } from "./defaults.js";
import { ConfigError } from "./errors.js";
import { parseConfig } from "./parse-config.js";

const DOMAINS = `
domains:
  - name: example.test
    users:
      - name: alice
        ha1: { md5: "${computeHa1("alice", "example.test", "pw", "MD5")}" }
`;

const parse = (text: string) => parseConfig(text, "test.yaml", {});

function assertIssues(text: string, expected: readonly string[]): void {
  assert.throws(
    () => parse(text),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.deepEqual(error.message.split("\n"), [...expected]);
      return true;
    },
  );
}

describe("parseConfig: logging.sipMessages", () => {
  it("is off (nothing listed) when absent, or when the keys are written without values", () => {
    assert.deepEqual(parse(DOMAINS).logging, { sipMessages: { domains: [], users: [] } });
    assert.deepEqual(parse(DOMAINS).logging, DEFAULT_LOGGING_CONFIG);
    assert.deepEqual(parse(`${DOMAINS}logging:\n  sipMessages:\n`).logging, DEFAULT_LOGGING_CONFIG);
    assert.deepEqual(parse(`${DOMAINS}logging:\n  sipMessages: { domains: ~, users: ~ }\n`).logging, DEFAULT_LOGGING_CONFIG);
  });

  it("reads domains and user@domain addresses, served or not", () => {
    const config = parse(`${DOMAINS}logging:\n  sipMessages:\n    domains: [example.test, carrier.example, 192.0.2.7]\n    users: ["alice@example.test", "+4930123@carrier.example"]\n`);
    assert.deepEqual(config.logging.sipMessages, {
      domains: ["example.test", "carrier.example", "192.0.2.7"],
      users: ["alice@example.test", "+4930123@carrier.example"],
    });
  });

  it("names the key of every refused entry", () => {
    assertIssues(
      `${DOMAINS}logging:\n  sipMessages:\n    domains: [Example.test, "bad_name", example.test, example.test, 7]\n    users: [alice, "@example.test", "al ice@example.test", "bob@EXAMPLE.test", "bob@x.test", "bob@x.test", ""]\n`,
      [
        'test.yaml: logging.sipMessages.domains[0]: domain must be lower-case (it is the digest realm, which HA1 hashes exactly), got "Example.test"',
        'test.yaml: logging.sipMessages.domains[1]: domain must be a host name (RFC 3261 §25.1) or an IPv4 address, got "bad_name"',
        'test.yaml: logging.sipMessages.domains[3]: duplicate of logging.sipMessages.domains[2] ("example.test")',
        "test.yaml: logging.sipMessages.domains[4]: expected a non-empty string, got 7",
        'test.yaml: logging.sipMessages.users[0]: must be user@domain, got "alice"',
        'test.yaml: logging.sipMessages.users[1]: must be user@domain, got "@example.test"',
        "test.yaml: logging.sipMessages.users[2]: user may contain only letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? / (the RFC 3261 §25.1 user characters that need no escaping), got \"al ice\"",
        'test.yaml: logging.sipMessages.users[3]: domain must be lower-case (it is the digest realm, which HA1 hashes exactly), got "EXAMPLE.test"',
        'test.yaml: logging.sipMessages.users[5]: duplicate of logging.sipMessages.users[4] ("bob@x.test")',
        'test.yaml: logging.sipMessages.users[6]: expected a non-empty string, got ""',
      ],
    );
  });

  it("refuses unknown keys and wrong shapes, naming the key", () => {
    assertIssues(`${DOMAINS}logging:\n  sipMessage: {}\n`, [
      'test.yaml: logging.sipMessage: unknown key (did you mean "sipMessages"?); allowed here: sipMessages',
    ]);
    assertIssues(`${DOMAINS}logging:\n  sipMessages:\n    domains: example.test\n    user: []\n`, [
      'test.yaml: logging.sipMessages.user: unknown key (did you mean "users"?); allowed here: domains, users',
      "test.yaml: logging.sipMessages.domains: expected a list, got \"example.test\"",
    ]);
    assertIssues(`${DOMAINS}logging: true\n`, ["test.yaml: logging: expected a mapping with keys sipMessages, got true"]);
  });
});
