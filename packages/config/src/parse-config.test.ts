import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SUPPORTED_ALGORITHMS, computeHa1 } from "@sipfleet/sip";
import { DEFAULT_AUTH_CONFIG, DEFAULT_EDGE_CONFIG, DEFAULT_PROXY_CONFIG, DEFAULT_REGISTRAR_CONFIG } from "./defaults.js";
import { ConfigError } from "./errors.js";
import { parseConfig } from "./parse-config.js";
import type { Env } from "./schema.js";

const SOURCE = "test.yaml";
const REALM = "example.test";
const MD5 = computeHa1("alice", REALM, "pw", "MD5");
const SHA256 = computeHa1("alice", REALM, "pw", "SHA-256");
const BOB_MD5 = computeHa1("bob", REALM, "pw2", "MD5");

/** A valid domain block; tests append sections or replace it. */
const DOMAINS = `
domains:
  - name: ${REALM}
    users:
      - name: alice
        ha1: { md5: "${MD5}", sha256: "${SHA256}" }
      - name: bob
        ha1: { md5: "${BOB_MD5}" }
`;

function parse(text: string, env: Env = {}) {
  return parseConfig(text, SOURCE, env);
}

/** Asserts that parsing fails with exactly these issue lines (source included). */
function assertIssues(text: string, expected: readonly string[], env: Env = {}): void {
  assert.throws(
    () => parse(text, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.deepEqual(error.message.split("\n"), [...expected]);
      assert.equal(error.issues.length, expected.length);
      return true;
    },
  );
}

describe("parseConfig: a minimal file gets every default", () => {
  it("fills registrar, proxy, auth and edge from the documented defaults", () => {
    const config = parse(DOMAINS);
    assert.deepEqual(config.registrar, {
      minExpires: 60,
      defaultExpires: 3600,
      maxExpires: 7200,
      maxBindingsPerAor: 20,
    });
    assert.deepEqual(config.registrar, DEFAULT_REGISTRAR_CONFIG);
    assert.deepEqual(config.proxy, { serialGroupTimeoutMs: 20_000, maxTargets: 10, gatewayProvisionalTimeoutMs: 4000, callSlotLifetimeMs: 14_400_000 });
    assert.deepEqual(config.proxy, DEFAULT_PROXY_CONFIG);
    assert.deepEqual(config.auth.algorithms, ["SHA-256", "MD5"]);
    assert.deepEqual(config.auth.algorithms, DEFAULT_AUTH_CONFIG.algorithms);
    assert.equal(config.auth.nonceLifetimeMs, 300_000);
    assert.deepEqual(config.edge.listen, [
      { transport: "udp", host: "127.0.0.1", port: 5060 },
      { transport: "tcp", host: "127.0.0.1", port: 5060 },
    ]);
    assert.equal(config.edge.decisionTimeoutMs, 2000);
    assert.equal(config.edge.retryAfterSeconds, 5);
    assert.equal(config.edge.cancelRelayTimeoutMs, 300);
    assert.equal(config.edge.maxMessageSize, 65535);
    assert.equal(config.edge.connectTimeoutMs, 5000);
    assert.equal(config.edge.outboundIdleTimeoutMs, 300_000);
    assert.equal(config.edge.maxHeaderLines, 100);
    assert.equal(config.edge.maxConnectionsPerSource, 32);
    assert.equal(config.edge.partialMessageTimeoutMs, 10_000);
    assert.deepEqual(config.edge.gatewayPing, { intervalMs: 10_000, failuresBeforeDown: 3 });
    assert.deepEqual(config.edge, DEFAULT_EDGE_CONFIG);
  });

  it("keys domains by name and users by name, with their HA1 per family", () => {
    const config = parse(DOMAINS);
    assert.deepEqual([...config.domains.keys()], [REALM]);
    const domain = config.domains.get(REALM);
    assert.equal(domain?.name, REALM);
    assert.equal(domain?.authentication, "digest");
    assert.deepEqual([...(domain?.users.keys() ?? [])], ["alice", "bob"]);
    assert.deepEqual(domain?.users.get("alice")?.ha1, { MD5: MD5, "SHA-256": SHA256 });
    assert.deepEqual(domain?.users.get("bob")?.ha1, { MD5: BOB_MD5 });
  });

  it("draws a random 32-byte nonce secret per parse when none is configured", () => {
    const a = parse(DOMAINS).auth;
    const b = parse(DOMAINS).auth;
    assert.equal(a.nonceSecretSource, "random");
    assert.equal(a.nonceSecret.length, 32);
    assert.notDeepEqual(Buffer.from(a.nonceSecret), Buffer.from(b.nonceSecret));
  });

  it("treats a key with no value (YAML null) as absent", () => {
    const config = parse(`${DOMAINS}registrar:\nauth: ~\nedge:\n  listen:\n`);
    assert.deepEqual(config.registrar, DEFAULT_REGISTRAR_CONFIG);
    assert.deepEqual(config.edge.listen, DEFAULT_EDGE_CONFIG.listen);
  });

  it("returns frozen sections", () => {
    const config = parse(DOMAINS);
    assert.ok(Object.isFrozen(config.registrar));
    assert.ok(Object.isFrozen(config.proxy));
    assert.ok(Object.isFrozen(config.auth));
    assert.ok(Object.isFrozen(config.edge.listen));
    assert.ok(Object.isFrozen(config.domains.get(REALM)?.users.get("alice")?.ha1));
  });
});

describe("parseConfig: explicit values", () => {
  it("reads every section", () => {
    const config = parse(`${DOMAINS}
registrar: { minExpires: 30, defaultExpires: 600, maxExpires: 900, maxBindingsPerAor: 5 }
proxy: { serialGroupTimeoutMs: 15000, maxTargets: 3, gatewayProvisionalTimeoutMs: 2500, callSlotLifetimeMs: 7200000 }
auth:
  algorithms: [md5, sha-256-sess]
  nonceLifetimeSeconds: 60
  nonceSecret: "0123456789abcdef0123456789abcdef"
edge:
  listen: [ "udp:[::1]:5070", "TCP:10.0.0.1:5071" ]
  decisionTimeoutMs: 500
  retryAfterSeconds: 30
  cancelRelayTimeoutMs: 150
  maxMessageSize: 8192
  connectTimeoutMs: 2000
  outboundIdleTimeoutMs: 60000
  maxHeaderLines: 50
  maxConnectionsPerSource: 4
  partialMessageTimeoutMs: 2000
  drainInDialogMs: 30000
  gatewayPing: { intervalMs: 5000, failuresBeforeDown: 2 }
  rateLimit: { requestsPerSecond: 50, rejectsPerSecond: 0, syncIntervalMs: 100, allow: [192.0.2.0/24, "2001:db8::1"] }
  bans: { failuresBeforeBan: 3, windowSeconds: 60, banSeconds: 3600 }
`);
    assert.deepEqual(config.registrar, { minExpires: 30, defaultExpires: 600, maxExpires: 900, maxBindingsPerAor: 5 });
    assert.deepEqual(config.proxy, { serialGroupTimeoutMs: 15000, maxTargets: 3, gatewayProvisionalTimeoutMs: 2500, callSlotLifetimeMs: 7_200_000 });
    // Matched case-insensitively, stored in the registry's spelling.
    assert.deepEqual(config.auth.algorithms, ["MD5", "SHA-256-sess"]);
    assert.equal(config.auth.nonceLifetimeMs, 60_000);
    assert.equal(Buffer.from(config.auth.nonceSecret).toString("utf8"), "0123456789abcdef0123456789abcdef");
    assert.equal(config.auth.nonceSecretSource, "config");
    assert.deepEqual(config.edge, {
      listen: [
        { transport: "udp", host: "::1", port: 5070 },
        { transport: "tcp", host: "10.0.0.1", port: 5071 },
      ],
      decisionTimeoutMs: 500,
      retryAfterSeconds: 30,
      cancelRelayTimeoutMs: 150,
      maxMessageSize: 8192,
      connectTimeoutMs: 2000,
      outboundIdleTimeoutMs: 60000,
      maxHeaderLines: 50,
      maxConnectionsPerSource: 4,
      partialMessageTimeoutMs: 2000,
      drainInDialogMs: 30000,
      gatewayPing: { intervalMs: 5000, failuresBeforeDown: 2 },
      rateLimit: {
        requestsPerSecond: 50,
        rejectsPerSecond: 0,
        syncIntervalMs: 100,
        allow: [
          { family: "ipv4", address: "192.0.2.0", prefix: 24 },
          { family: "ipv6", address: "2001:db8::1", prefix: 128 },
        ],
      },
      bans: { failuresBeforeBan: 3, windowSeconds: 60, banSeconds: 3600 },
    });
  });

  it("accepts min = default = max", () => {
    const config = parse(`${DOMAINS}registrar: { minExpires: 600, defaultExpires: 600, maxExpires: 600 }\n`);
    assert.equal(config.registrar.defaultExpires, 600);
  });

  it("accepts an IPv4 address as a domain, and every RFC 3261 user character", () => {
    const name = "+1-555_.!~*'()&=$,;?/x";
    const ha1 = computeHa1(name, "192.0.2.1", "pw", "MD5");
    const config = parse(`domains:
  - name: 192.0.2.1
    users: [ { name: "${name}", ha1: { md5: "${ha1}" } } ]
`);
    assert.equal(config.domains.get("192.0.2.1")?.users.get(name)?.ha1.MD5, ha1);
  });
});

describe("parseConfig: YAML syntax", () => {
  it("reports a syntax error with line and column", () => {
    assertIssues("domains:\n  - name: [a\nregistrar: {}\n", [
      "test.yaml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
  });

  it("reports a duplicated key with its position", () => {
    assertIssues(`${DOMAINS}registrar: {}\nregistrar: {}\n`, [
      "test.yaml:10:1: YAML syntax error: Map keys must be unique",
    ]);
  });

  it("refuses several documents in one file", () => {
    assertIssues(`${DOMAINS}---\n${DOMAINS}`, [
      "test.yaml:9:1: YAML syntax error: the file must hold one YAML document (remove the --- separator)",
    ]);
  });

  it("refuses an unknown tag instead of reading it as a string", () => {
    assertIssues(`${DOMAINS}registrar: { minExpires: !!nope 60 }\n`, [
      "test.yaml:9:26: YAML syntax error: Unresolved tag: tag:yaml.org,2002:nope",
    ]);
  });
});

describe("parseConfig: document shape and unknown keys", () => {
  it("refuses an empty file", () => {
    assertIssues("", ["test.yaml: the file is empty: it must at least list the domains served"]);
    assertIssues("# only a comment\n", ["test.yaml: the file is empty: it must at least list the domains served"]);
  });

  it("refuses a document that is not a mapping", () => {
    assertIssues("- a\n- b\n", ["test.yaml: expected a mapping with keys domains, registrar, proxy, auth, edge, trunks, numberRoutes, logging, got a list"]);
  });

  it("names unknown keys at every level, with a suggestion for a near miss", () => {
    assertIssues(
      `domains:
  - name: ${REALM}
    autentication: digest
    users:
      - name: alice
        password: secret
        ha1: { md5: "${MD5}", SHA256: "${SHA256}" }
registrar: { minExpire: 60 }
auth: { algorithm: [MD5] }
edge: { listen: "udp:127.0.0.1:5060", timeout: 5 }
extra: 1
`,
      [
        "test.yaml: extra: unknown key; allowed here: domains, registrar, proxy, auth, edge, trunks, numberRoutes, logging",
        'test.yaml: domains[0].autentication: unknown key (did you mean "authentication"?); allowed here: name, authentication, users, allowUnauthenticatedOnPublicAddress, dialPlan, blockedPrefixes, allowedPrefixes',
        "test.yaml: domains[0].users[0].password: unknown key; allowed here: name, ha1, allowedDestinations, maxConcurrentCalls",
        'test.yaml: domains[0].users[0].ha1.SHA256: unknown key (did you mean "sha256"?); allowed here: md5, sha256, sha512-256',
        'test.yaml: registrar.minExpire: unknown key (did you mean "minExpires"?); allowed here: minExpires, defaultExpires, maxExpires, maxBindingsPerAor',
        'test.yaml: auth.algorithm: unknown key (did you mean "algorithms"?); allowed here: algorithms, nonceLifetimeSeconds, nonceSecret',
        "test.yaml: edge.timeout: unknown key; allowed here: listen, decisionTimeoutMs, retryAfterSeconds, cancelRelayTimeoutMs, maxMessageSize, connectTimeoutMs, outboundIdleTimeoutMs, maxHeaderLines, maxConnectionsPerSource, partialMessageTimeoutMs, drainInDialogMs, gatewayPing, rateLimit, bans, tls, publicAddress",
      ],
    );
  });

  it("quotes a key that would not read as a path segment", () => {
    assertIssues(`${DOMAINS}registrar: { "min expires": 1 }\n`, [
      'test.yaml: registrar["min expires"]: unknown key (did you mean "minExpires"?); allowed here: minExpires, defaultExpires, maxExpires, maxBindingsPerAor',
    ]);
  });

  it("refuses a section that is not a mapping", () => {
    assertIssues(`${DOMAINS}registrar: 5\n`, [
      "test.yaml: registrar: expected a mapping with keys minExpires, defaultExpires, maxExpires, maxBindingsPerAor, got 5",
    ]);
  });
});

describe("parseConfig: domains", () => {
  it("requires at least one domain", () => {
    assertIssues("registrar: {}\n", ["test.yaml: domains: required: list at least one domain"]);
    assertIssues("domains: []\n", ["test.yaml: domains: must list at least one domain"]);
    assertIssues("domains: sipfleet.local\n", ['test.yaml: domains: expected a list, got "sipfleet.local"']);
  });

  it("requires a well-formed, lower-case name", () => {
    assertIssues(
      `domains:
  - authentication: none
  - name: Example.Test
  - name: "bad_name.test"
  - name: 42
  - name: ""
  - null
`,
      [
        "test.yaml: domains[0].name: required",
        'test.yaml: domains[1].name: must be lower-case (it is the digest realm, which HA1 hashes exactly), got "Example.Test"',
        'test.yaml: domains[2].name: must be a host name (RFC 3261 §25.1) or an IPv4 address, got "bad_name.test"',
        "test.yaml: domains[3].name: expected a non-empty string, got 42",
        'test.yaml: domains[4].name: expected a non-empty string, got ""',
        "test.yaml: domains[5]: expected a mapping with at least a name, got nothing",
      ],
    );
  });

  it("refuses a domain listed twice", () => {
    assertIssues(
      `domains:
  - { name: a.test, authentication: none }
  - { name: b.test, authentication: none }
  - { name: a.test, authentication: none }
`,
      ['test.yaml: domains[2].name: duplicate of domains[0].name ("a.test")'],
    );
  });

  it("accepts only digest or none", () => {
    assertIssues(`domains: [ { name: a.test, authentication: basic } ]\n`, [
      'test.yaml: domains[0].authentication: must be "digest" or "none", got "basic"',
    ]);
  });

  it("allows a domain with no users", () => {
    const config = parse("domains: [ { name: a.test } ]\n");
    assert.equal(config.domains.get("a.test")?.users.size, 0);
  });
});

describe("parseConfig: users and HA1", () => {
  const withUsers = (users: string) => `domains:\n  - name: ${REALM}\n    users:\n${users}`;

  it("requires HA1 as lower-case hex of the family's length, never echoing it", () => {
    assertIssues(
      withUsers(`      - { name: u0, ha1: { md5: "${MD5.toUpperCase()}" } }
      - { name: u1, ha1: { md5: "${MD5.slice(1)}" } }
      - { name: u2, ha1: { md5: "${MD5}", sha256: "${MD5}" } }
      - { name: u3, ha1: { sha512-256: "xyz" } }
      - { name: u4, ha1: { md5: 12345678901234567890123456789012 } }
`),
      [
        "test.yaml: domains[0].users[0].ha1.md5: expected 32 lower-case hex digits",
        "test.yaml: domains[0].users[1].ha1.md5: expected 32 lower-case hex digits",
        "test.yaml: domains[0].users[2].ha1.sha256: expected 64 lower-case hex digits",
        "test.yaml: domains[0].users[3].ha1.sha512-256: expected 64 lower-case hex digits",
        "test.yaml: domains[0].users[4].ha1.md5: expected 32 lower-case hex digits (YAML read a number: quote the value)",
      ],
    );
  });

  it("requires a name and at least one HA1", () => {
    assertIssues(
      withUsers(`      - { ha1: { md5: "${MD5}" } }
      - { name: u1 }
      - { name: u2, ha1: {} }
      - { name: u3, ha1: "${MD5}" }
`),
      [
        "test.yaml: domains[0].users[0].name: required",
        "test.yaml: domains[0].users[1].ha1: required: HA1 = H(user:realm:password), see sipfleet-ha1",
        "test.yaml: domains[0].users[2].ha1: must give at least one of md5, sha256, sha512-256",
        `test.yaml: domains[0].users[3].ha1: expected a mapping with keys md5, sha256, sha512-256, got "${MD5}"`,
      ],
    );
  });

  it("refuses user names outside the RFC 3261 user characters", () => {
    assertIssues(withUsers(`      - { name: "al ice", ha1: { md5: "${MD5}" } }\n      - { name: "a%41", ha1: { md5: "${MD5}" } }\n`), [
      "test.yaml: domains[0].users[0].name: may contain only letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? / (the RFC 3261 §25.1 user characters that need no escaping), got \"al ice\"",
      "test.yaml: domains[0].users[1].name: may contain only letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? / (the RFC 3261 §25.1 user characters that need no escaping), got \"a%41\"",
    ]);
  });

  it("refuses a user listed twice in one domain (names are case-sensitive)", () => {
    assertIssues(
      withUsers(`      - { name: alice, ha1: { md5: "${MD5}" } }
      - { name: Alice, ha1: { md5: "${MD5}" } }
      - { name: alice, ha1: { md5: "${MD5}" } }
`),
      ['test.yaml: domains[0].users[2].name: duplicate of domains[0].users[0].name ("alice")'],
    );
  });

  it("allows the same user name in two domains", () => {
    const config = parse(`domains:
  - { name: a.test, users: [ { name: alice, ha1: { md5: "${MD5}" } } ] }
  - { name: b.test, users: [ { name: alice, ha1: { md5: "${MD5}" } } ] }
`);
    assert.equal(config.domains.size, 2);
  });

  it("refuses a digest user with no HA1 for any configured algorithm, naming the user", () => {
    assertIssues(`${DOMAINS}auth: { algorithms: [SHA-256, SHA-256-sess] }\n`, [
      'test.yaml: domains[0].users[1].ha1: user "bob" has no HA1 for any algorithm in auth.algorithms (SHA-256, SHA-256-sess): add sha256',
    ]);
  });

  it("does not require HA1 coverage in a domain without authentication", () => {
    const config = parse(`domains:
  - { name: a.test, authentication: none, users: [ { name: bob, ha1: { md5: "${BOB_MD5}" } } ] }
auth: { algorithms: [SHA-256] }
`);
    assert.deepEqual(config.auth.algorithms, ["SHA-256"]);
  });
});

describe("parseConfig: registrar", () => {
  it("requires integers with the documented bounds", () => {
    assertIssues(
      `${DOMAINS}registrar:
  minExpires: ten
  defaultExpires: 0
  maxExpires: 1.5
  maxBindingsPerAor: "20"
`,
      [
        'test.yaml: registrar.minExpires: must be an integer >= 1, got "ten"',
        "test.yaml: registrar.defaultExpires: must be an integer >= 1, got 0",
        "test.yaml: registrar.maxExpires: must be an integer >= 1, got 1.5",
        'test.yaml: registrar.maxBindingsPerAor: must be an integer >= 1, got "20"',
      ],
    );
  });

  it("caps values with the reason", () => {
    assertIssues(`${DOMAINS}registrar: { minExpires: 3601, maxExpires: 4294967296, maxBindingsPerAor: 1001 }\n`, [
      "test.yaml: registrar.minExpires: must be <= 3600 (RFC 3261 §10.3 step 7 lets a registrar refuse with 423 only intervals shorter than one hour), got 3601",
      "test.yaml: registrar.maxExpires: must be <= 4294967295 (RFC 3261 §20.19 delta-seconds), got 4294967296",
      "test.yaml: registrar.maxBindingsPerAor: must be <= 1000 (the 200 OK lists every binding (RFC 3261 §10.3 step 8) and must fit in one message), got 1001",
    ]);
  });

  it("requires minExpires <= defaultExpires <= maxExpires, blaming the key that was set", () => {
    assertIssues(`${DOMAINS}registrar: { minExpires: 3600, defaultExpires: 600 }\n`, [
      "test.yaml: registrar.defaultExpires: must be >= registrar.minExpires (3600), got 600",
    ]);
    assertIssues(`${DOMAINS}registrar: { minExpires: 3000, maxExpires: 2000 }\n`, [
      "test.yaml: registrar.maxExpires: must be >= registrar.defaultExpires (3600, the default), got 2000",
    ]);
    assertIssues(`${DOMAINS}registrar: { minExpires: 3000, defaultExpires: 2000, maxExpires: 1000 }\n`, [
      "test.yaml: registrar.defaultExpires: must be >= registrar.minExpires (3000), got 2000",
      "test.yaml: registrar.maxExpires: must be >= registrar.defaultExpires (2000), got 1000",
    ]);
    assertIssues(`${DOMAINS}registrar: { defaultExpires: 10000 }\n`, [
      "test.yaml: registrar.defaultExpires: must be <= registrar.maxExpires (7200, the default), got 10000",
    ]);
    assertIssues(`${DOMAINS}registrar: { defaultExpires: 30 }\n`, [
      "test.yaml: registrar.defaultExpires: must be >= registrar.minExpires (60, the default), got 30",
    ]);
    assertIssues(`${DOMAINS}registrar: { defaultExpires: 900, maxExpires: 600 }\n`, [
      "test.yaml: registrar.maxExpires: must be >= registrar.defaultExpires (900), got 600",
    ]);
  });
});

describe("parseConfig: proxy", () => {
  it("requires integers with the documented bounds, naming the key", () => {
    assertIssues(`${DOMAINS}proxy: { serialGroupTimeoutMs: 999, maxTargets: "3", gatewayProvisionalTimeoutMs: 499, callSlotLifetimeMs: 59999 }\n`, [
      "test.yaml: proxy.serialGroupTimeoutMs: must be an integer >= 1000, got 999",
      'test.yaml: proxy.maxTargets: must be an integer >= 1, got "3"',
      "test.yaml: proxy.gatewayProvisionalTimeoutMs: must be an integer >= 500, got 499",
      "test.yaml: proxy.callSlotLifetimeMs: must be an integer >= 60000, got 59999",
    ]);
  });

  it("caps values with the reason", () => {
    assertIssues(`${DOMAINS}proxy: { serialGroupTimeoutMs: 180001, maxTargets: 101, gatewayProvisionalTimeoutMs: 32001 }\n`, [
      "test.yaml: proxy.serialGroupTimeoutMs: must be <= 180000 (an INVITE branch is cancelled by Timer C, > 3 min, anyway (RFC 3261 §16.6 step 11)), got 180001",
      "test.yaml: proxy.maxTargets: must be <= 100 (each target is a client transaction at the edge; this bounds what one request fans out to), got 101",
      "test.yaml: proxy.gatewayProvisionalTimeoutMs: must be <= 32000 (Timer B (64*T1 = 32 s) ends a silent INVITE branch by then anyway (RFC 3261 §17.1.1.2)), got 32001",
    ]);
  });

  it("refuses unknown keys with a suggestion", () => {
    assertIssues(`${DOMAINS}proxy: { maxTarget: 3 }\n`, [
      'test.yaml: proxy.maxTarget: unknown key (did you mean "maxTargets"?); allowed here: serialGroupTimeoutMs, maxTargets, gatewayProvisionalTimeoutMs, callSlotLifetimeMs',
    ]);
  });
});

describe("parseConfig: auth", () => {
  it("accepts only supported algorithms, once each", () => {
    assertIssues(`${DOMAINS}auth: { algorithms: [SHA-256, SHA-1, 5, md5, MD5] }\n`, [
      `test.yaml: auth.algorithms[1]: unsupported digest algorithm "SHA-1"; supported here: ${SUPPORTED_ALGORITHMS.join(", ")}`,
      `test.yaml: auth.algorithms[2]: unsupported digest algorithm 5; supported here: ${SUPPORTED_ALGORITHMS.join(", ")}`,
      "test.yaml: auth.algorithms[4]: MD5 is listed twice",
    ]);
    assertIssues(`${DOMAINS}auth: { algorithms: [] }\n`, [
      "test.yaml: auth.algorithms: must list at least one algorithm, e.g. [SHA-256, MD5]",
    ]);
    assertIssues(`${DOMAINS}auth: { algorithms: MD5 }\n`, ['test.yaml: auth.algorithms: expected a list, got "MD5"']);
  });

  it("bounds the nonce lifetime", () => {
    assertIssues(`${DOMAINS}auth: { nonceLifetimeSeconds: 0 }\n`, [
      "test.yaml: auth.nonceLifetimeSeconds: must be an integer >= 1, got 0",
    ]);
    assertIssues(`${DOMAINS}auth: { nonceLifetimeSeconds: 86401 }\n`, [
      "test.yaml: auth.nonceLifetimeSeconds: must be <= 86400 (a nonce valid for more than a day gives a captured response that long to be replayed), got 86401",
    ]);
  });

  it("requires a nonce secret of at least 32 characters without showing it", () => {
    assertIssues(`${DOMAINS}auth: { nonceSecret: "short-secret" }\n`, [
      "test.yaml: auth.nonceSecret: must be at least 32 characters, got 12",
    ]);
    assertIssues(`${DOMAINS}auth: { nonceSecret: 123456 }\n`, [
      "test.yaml: auth.nonceSecret: expected a string of at least 32 characters, got a number",
    ]);
  });
});

describe("parseConfig: edge", () => {
  it("accepts listen as a comma-separated string or a list", () => {
    const a = parse(`${DOMAINS}edge: { listen: " udp:127.0.0.1:5070 , tcp:[::1]:5071" }\n`).edge.listen;
    const b = parse(`${DOMAINS}edge: { listen: [ "udp:127.0.0.1:5070", "tcp:[::1]:5071" ] }\n`).edge.listen;
    assert.deepEqual(a, [
      { transport: "udp", host: "127.0.0.1", port: 5070 },
      { transport: "tcp", host: "::1", port: 5071 },
    ]);
    assert.deepEqual(b, a);
  });

  it("names each bad listen entry", () => {
    assertIssues(`${DOMAINS}edge: { listen: "udp:127.0.0.1:5060,sctp:127.0.0.1:5061,,udp:localhost:5060" }\n`, [
      'test.yaml: edge.listen: entry "sctp:127.0.0.1:5061": transport must be udp, tcp, tls, ws or wss, got "sctp"',
      "test.yaml: edge.listen: empty entry (stray comma?)",
      'test.yaml: edge.listen: entry "udp:localhost:5060": host must be an IP address (names are not resolved for listening), got "localhost"',
    ]);
    assertIssues(`${DOMAINS}edge: { listen: [ "udp:127.0.0.1:5060", "udp:127.0.0.1:5060", 5060, "tcp:::1:5060" ] }\n`, [
      "test.yaml: edge.listen[1]: listed twice",
      'test.yaml: edge.listen[2]: expected a string like "udp:127.0.0.1:5060", got 5060',
      "test.yaml: edge.listen[3]: IPv6 addresses go in brackets, e.g. tcp:[::1]:5060",
    ]);
    assertIssues(`${DOMAINS}edge: { listen: [] }\n`, [
      "test.yaml: edge.listen: must list at least one address, e.g. udp:127.0.0.1:5060",
    ]);
    assertIssues(`${DOMAINS}edge: { listen: { udp: 5060 } }\n`, [
      'test.yaml: edge.listen: expected a string like "udp:127.0.0.1:5060,tcp:127.0.0.1:5060" or a list of such entries, got a mapping',
    ]);
  });

  it("bounds the timeouts and the message size", () => {
    assertIssues(
      `${DOMAINS}edge: { decisionTimeoutMs: 32001, retryAfterSeconds: -1, cancelRelayTimeoutMs: 0, maxMessageSize: 1023, connectTimeoutMs: 32001, outboundIdleTimeoutMs: 999 }
`,
      [
        "test.yaml: edge.decisionTimeoutMs: must be <= 32000 (the client gives up at Timer F = 64*T1 = 32 s, RFC 3261 §17.1.2.2), got 32001",
        "test.yaml: edge.retryAfterSeconds: must be an integer >= 1, got -1",
        "test.yaml: edge.cancelRelayTimeoutMs: must be an integer >= 1, got 0",
        "test.yaml: edge.maxMessageSize: must be an integer >= 1024, got 1023",
        "test.yaml: edge.connectTimeoutMs: must be <= 32000 (the branch's transaction gives up at Timer B/F = 64*T1 = 32 s, RFC 3261 §17.1.1.2, §17.1.2.2), got 32001",
        "test.yaml: edge.outboundIdleTimeoutMs: must be an integer >= 1000, got 999",
      ],
    );
    assertIssues(
      `${DOMAINS}edge:\n  rateLimit: { requestsPerSecond: 0, syncIntervalMs: 5000, allow: [10.0.0.1/8], burst: 3 }\n  bans: { failuresBeforeBan: 0, banSeconds: x }\n`,
      [
        "test.yaml: edge.rateLimit.burst: unknown key; allowed here: requestsPerSecond, rejectsPerSecond, syncIntervalMs, allow",
        "test.yaml: edge.rateLimit.requestsPerSecond: must be an integer >= 1, got 0",
        "test.yaml: edge.rateLimit.syncIntervalMs: must be <= 1000 (the counting window is one second: a sync must come within it), got 5000",
        'test.yaml: edge.rateLimit.allow[0]: host bits are set under /8: write 10.0.0.0/8 for the block, or the address alone, got "10.0.0.1/8"',
        "test.yaml: edge.bans.failuresBeforeBan: must be an integer >= 1, got 0",
        'test.yaml: edge.bans.banSeconds: must be an integer >= 1, got "x"',
      ],
    );
    assertIssues(`${DOMAINS}edge: { maxHeaderLines: 15, maxConnectionsPerSource: 0, partialMessageTimeoutMs: 600001 }\n`, [
      "test.yaml: edge.maxHeaderLines: must be an integer >= 16, got 15",
      "test.yaml: edge.maxConnectionsPerSource: must be an integer >= 1, got 0",
      "test.yaml: edge.partialMessageTimeoutMs: must be <= 600000 (ten minutes; a message takes one round trip to arrive, not minutes), got 600001",
    ]);
    assertIssues(`${DOMAINS}edge: { gatewayPing: { intervalMs: 999, failuresBeforeDown: 0, every: 5 } }\n`, [
      'test.yaml: edge.gatewayPing.every: unknown key; allowed here: intervalMs, failuresBeforeDown',
      "test.yaml: edge.gatewayPing.failuresBeforeDown: must be an integer >= 1, got 0",
      "test.yaml: edge.gatewayPing.intervalMs: must be 0 (no pings) or >= 1000, got 999",
    ]);
    assertIssues(`${DOMAINS}edge: { gatewayPing: { intervalMs: 3600001, failuresBeforeDown: 101 } }\n`, [
      "test.yaml: edge.gatewayPing.intervalMs: must be <= 3600000 (an hour; a gateway pinged less often is not watched), got 3600001",
      "test.yaml: edge.gatewayPing.failuresBeforeDown: must be <= 100 (more would leave a dead gateway in use for hours), got 101",
    ]);
    assertIssues(`${DOMAINS}edge: { gatewayPing: { intervalMs: -1 } }\n`, [
      "test.yaml: edge.gatewayPing.intervalMs: must be an integer >= 0, got -1",
    ]);
    assert.deepEqual(parse(`${DOMAINS}edge: { gatewayPing: { intervalMs: 0 } }\n`).edge.gatewayPing, { intervalMs: 0, failuresBeforeDown: 3 });
    assertIssues(`${DOMAINS}edge: { gatewayPing: 10 }\n`, [
      "test.yaml: edge.gatewayPing: expected a mapping with keys intervalMs, failuresBeforeDown, got 10",
    ]);
    assertIssues(`${DOMAINS}edge: { cancelRelayTimeoutMs: 32001 }\n`, [
      "test.yaml: edge.cancelRelayTimeoutMs: must be <= 32000 (the caller's CANCEL transaction gives up at Timer F = 64*T1 = 32 s, RFC 3261 §17.1.2.2), got 32001",
    ]);
  });
});

describe("parseConfig: authentication none outside loopback", () => {
  const BENCH = "domains: [ { name: bench.test, authentication: none } ]\n";

  it("is accepted on 127.0.0.0/8 and ::1", () => {
    const config = parse(`${BENCH}edge: { listen: "udp:127.0.0.2:5060,tcp:[::1]:5060" }\n`);
    assert.equal(config.domains.get("bench.test")?.authentication, "none");
  });

  it("is refused on any other address, naming the key and the address", () => {
    assertIssues(`${BENCH}edge: { listen: "udp:127.0.0.1:5060,udp:0.0.0.0:5060,tcp:[::]:5060" }\n`, [
      'test.yaml: domains[0].authentication: "none" is for benchmarks on loopback only, but edge.listen listens on udp:0.0.0.0:5060, tcp:[::]:5060; use digest, listen on 127.0.0.0/8 or ::1, or set domains[0].allowUnauthenticatedOnPublicAddress: true',
    ]);
  });

  it("is refused when SIPFLEET_LISTEN moves the edge off loopback", () => {
    assertIssues(
      BENCH,
      [
        'test.yaml: domains[0].authentication: "none" is for benchmarks on loopback only, but SIPFLEET_LISTEN listens on udp:192.0.2.10:5060; use digest, listen on 127.0.0.0/8 or ::1, or set domains[0].allowUnauthenticatedOnPublicAddress: true',
      ],
      { SIPFLEET_LISTEN: "udp:192.0.2.10:5060" },
    );
  });

  it("is accepted with allowUnauthenticatedOnPublicAddress: true", () => {
    const config = parse(
      "domains: [ { name: bench.test, authentication: none, allowUnauthenticatedOnPublicAddress: true } ]\n",
      { SIPFLEET_LISTEN: "udp:0.0.0.0:5060" },
    );
    assert.equal(config.edge.listen[0]?.host, "0.0.0.0");
  });

  it("refuses the flag on a digest domain, or as a non-boolean", () => {
    assertIssues("domains: [ { name: a.test, allowUnauthenticatedOnPublicAddress: true } ]\n", [
      'test.yaml: domains[0].allowUnauthenticatedOnPublicAddress: only applies to authentication: "none"; remove it',
    ]);
    assertIssues("domains: [ { name: a.test, authentication: none, allowUnauthenticatedOnPublicAddress: yes } ]\n", [
      'test.yaml: domains[0].allowUnauthenticatedOnPublicAddress: must be true or false, got "yes"',
    ]);
  });

  it("does not concern digest domains", () => {
    const config = parse(DOMAINS, { SIPFLEET_LISTEN: "udp:0.0.0.0:5060" });
    assert.equal(config.edge.listen[0]?.host, "0.0.0.0");
  });
});

describe("parseConfig: environment overrides", () => {
  it("SIPFLEET_LISTEN replaces edge.listen", () => {
    const config = parse(`${DOMAINS}edge: { listen: "udp:127.0.0.1:5060" }\n`, {
      SIPFLEET_LISTEN: "udp:127.0.0.1:5070,tcp:[::1]:5070",
    });
    assert.deepEqual(config.edge.listen, [
      { transport: "udp", host: "127.0.0.1", port: 5070 },
      { transport: "tcp", host: "::1", port: 5070 },
    ]);
  });

  it("a bad SIPFLEET_LISTEN is reported under the variable's name", () => {
    assertIssues(DOMAINS, ['SIPFLEET_LISTEN: entry "udp:127.0.0.1:70000": port must be 1-65535, got "70000"'], {
      SIPFLEET_LISTEN: "udp:127.0.0.1:70000",
    });
  });

  it("the file's edge.listen is still validated under an override", () => {
    assertIssues(
      `${DOMAINS}edge: { listen: "udp:127.0.0.1" }\n`,
      ['test.yaml: edge.listen: entry "udp:127.0.0.1": missing :port, e.g. udp:127.0.0.1:5060'],
      { SIPFLEET_LISTEN: "udp:127.0.0.1:5070" },
    );
  });

  it("SIPFLEET_NONCE_SECRET replaces auth.nonceSecret", () => {
    const secret = "s".repeat(40);
    const config = parse(`${DOMAINS}auth: { nonceSecret: "${"c".repeat(32)}" }\n`, { SIPFLEET_NONCE_SECRET: secret });
    assert.equal(config.auth.nonceSecretSource, "env");
    assert.equal(Buffer.from(config.auth.nonceSecret).toString("utf8"), secret);
  });

  it("a short SIPFLEET_NONCE_SECRET is reported under the variable's name, without its value", () => {
    assertIssues(DOMAINS, ["SIPFLEET_NONCE_SECRET: must be at least 32 characters, got 6"], {
      SIPFLEET_NONCE_SECRET: "hunter",
    });
  });

  it("empty variables count as unset", () => {
    const config = parse(DOMAINS, { SIPFLEET_LISTEN: "", SIPFLEET_NONCE_SECRET: "" });
    assert.deepEqual(config.edge.listen, DEFAULT_EDGE_CONFIG.listen);
    assert.equal(config.auth.nonceSecretSource, "random");
  });
});

describe("parseConfig: reporting", () => {
  it("reports problems from every section in one error", () => {
    assertIssues(
      `domains: [ { name: a.test, users: [ { name: alice, ha1: { md5: "x" } } ] } ]
registrar: { maxBindingsPerAor: 0 }
auth: { nonceLifetimeSeconds: "5m" }
edge: { retryAfterSeconds: 0 }
`,
      [
        "test.yaml: domains[0].users[0].ha1.md5: expected 32 lower-case hex digits",
        "test.yaml: registrar.maxBindingsPerAor: must be an integer >= 1, got 0",
        'test.yaml: auth.nonceLifetimeSeconds: must be an integer >= 1, got "5m"',
        "SIPFLEET_NONCE_SECRET: must be at least 32 characters, got 1",
        "test.yaml: edge.retryAfterSeconds: must be an integer >= 1, got 0",
      ],
      { SIPFLEET_NONCE_SECRET: "x" },
    );
  });

  it("exposes each issue's source, path and message", () => {
    try {
      parse(`${DOMAINS}registrar: { minExpires: 0 }\n`, { SIPFLEET_LISTEN: "udp:1.2.3.4" });
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues, [
        { source: "test.yaml", path: "registrar.minExpires", message: "must be an integer >= 1, got 0" },
        { source: "SIPFLEET_LISTEN", path: "", message: 'entry "udp:1.2.3.4": missing :port, e.g. udp:127.0.0.1:5060' },
      ]);
    }
  });
});
