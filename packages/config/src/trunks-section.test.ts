import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import { computeHa1 } from "@sipfleet/sip";
import { destinationAllowed, longestPrefixRoute, normalizeNumber, numberOwner, trunkForSource } from "@sipfleet/trunks";
import { writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { ConfigError } from "./errors.js";
import { parseConfig } from "./parse-config.js";
import type { Env } from "./schema.js";

const SOURCE = "test.yaml";
const REALM = "sipfleet.local";
const MD5 = computeHa1("alice", REALM, "pw", "MD5");
const CARRIER_MD5 = computeHa1("carrier", REALM, "carrier-pw", "MD5");

const DOMAINS = `
domains:
  - name: ${REALM}
    dialPlan:
      - { match: "0", replace: "+49" }
      - { match: "00", replace: "+" }
    blockedPrefixes: ["+", "+49900"]
    allowedPrefixes: ["+49"]
    users:
      - name: alice
        ha1: { md5: "${MD5}" }
        allowedDestinations: ["+44"]
        maxConcurrentCalls: 2
      - name: bob
        ha1: { md5: "${MD5}" }
`;

const TRUNKS = `
trunks:
  - name: lab-carrier
    gateways:
      - { host: 127.0.0.1, port: 5090, transport: udp, priority: 1, weight: 10 }
      - { host: Carrier.Example.Test }
    inbound:
      allow: [127.0.0.0/8, "::1"]
      credentials: { username: carrier, realm: ${REALM}, ha1: { md5: "${CARRIER_MD5}" } }
    numbers:
      - { number: "+4930123400-+4930123499", owner: alice@${REALM} }
      - { number: "+4930123500", owner: [alice@${REALM}, bob@${REALM}] }
    outbound:
      credentials: { username: lab, passwordEnv: LAB_CARRIER_PASSWORD }
      register: { aor: "sip:4930123400@127.0.0.1:5090", expires: 600 }
    maxConcurrentCalls: 30
  - name: backup
    gateways: [{ host: "::1", port: 5092, transport: tcp }]
    inbound: { allow: [127.0.0.2] }
numberRoutes:
  - prefix: "+49"
    trunks:
      - { trunk: lab-carrier, priority: 1, weight: 1 }
      - { trunk: backup, priority: 2 }
  - prefix: default
    trunks: [{ trunk: backup }]
`;

const ENV: Env = { LAB_CARRIER_PASSWORD: "lab-secret" };

function assertIssues(text: string, expected: readonly string[], env: Env = ENV, baseDir?: string): void {
  assert.throws(
    () => parseConfig(text, SOURCE, env, baseDir === undefined ? {} : { baseDir }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.deepEqual(error.message.split("\n"), [...expected]);
      return true;
    },
  );
}

describe("parseConfig: trunks and number routes", () => {
  it("reads a full trunk, its routes and the dial policy into the @sipfleet/trunks types", () => {
    const config = parseConfig(DOMAINS + TRUNKS, SOURCE, ENV);
    const [lab, backup] = config.trunks;
    assert.equal(lab?.name, "lab-carrier");
    assert.deepEqual(lab?.gateways, [
      { host: "127.0.0.1", port: 5090, transport: "udp", priority: 1, weight: 10 },
      { host: "carrier.example.test", port: undefined, transport: undefined, priority: 1, weight: 1 },
    ]);
    assert.deepEqual(lab?.inbound.allow, [
      { family: "ipv4", address: "127.0.0.0", prefix: 8 },
      { family: "ipv6", address: "::1", prefix: 128 },
    ]);
    assert.deepEqual(lab?.inbound.credentials, { username: "carrier", realm: REALM, ha1: { MD5: CARRIER_MD5 } });
    assert.equal(lab?.outbound.credentials?.password, "lab-secret");
    assert.deepEqual(lab?.outbound.register, { aor: "sip:4930123400@127.0.0.1:5090", expires: 600, interval: 300 });
    assert.equal(lab?.maxConcurrentCalls, 30);
    assert.equal(backup?.maxConcurrentCalls, undefined);
    assert.deepEqual(backup?.outbound, { credentials: undefined, register: undefined });
    assert.deepEqual(
      config.numberRoutes.map((r) => [r.prefix, r.trunks]),
      [
        ["+49", [{ trunk: "lab-carrier", priority: 1, weight: 1 }, { trunk: "backup", priority: 2, weight: 1 }]],
        ["+", [{ trunk: "backup", priority: 1, weight: 1 }]],
      ],
    );

    // The lookups work on what was parsed.
    const domain = config.domains.get(REALM);
    const alice = domain?.users.get("alice");
    assert.ok(domain !== undefined && alice !== undefined);
    assert.equal(alice.maxConcurrentCalls, 2);
    assert.equal(normalizeNumber(domain, "0301234"), "+49301234");
    assert.equal(longestPrefixRoute(config.numberRoutes, "+49301234")?.trunks[0]?.trunk, "lab-carrier");
    assert.equal(longestPrefixRoute(config.numberRoutes, "+33123456")?.prefix, "+");
    assert.equal(trunkForSource(config.trunks, "127.0.0.2")?.name, "backup");
    assert.equal(trunkForSource(config.trunks, "::1")?.name, "lab-carrier");
    assert.deepEqual(numberOwner(config.trunks, "+4930123500")?.assignment.owners, [
      { user: "alice", domain: REALM },
      { user: "bob", domain: REALM },
    ]);
    assert.equal(destinationAllowed(alice, domain, "+442079460000"), true);
    assert.equal(destinationAllowed(domain.users.get("bob") ?? alice, domain, "+442079460000"), false);
    assert.equal(destinationAllowed(alice, domain, "+49900123456"), false);
  });

  it("never shows the outbound password when the configuration is logged", () => {
    const config = parseConfig(DOMAINS + TRUNKS, SOURCE, ENV);
    assert.ok(!JSON.stringify(config.trunks).includes("lab-secret"));
    assert.ok(!inspect(config.trunks, { depth: 10 }).includes("lab-secret"));
  });

  it("defaults: no trunks or routes, a dial policy that blocks every number until allowed", () => {
    const config = parseConfig(`domains:\n  - name: ${REALM}\n`, SOURCE, {});
    assert.deepEqual(config.trunks, []);
    assert.deepEqual(config.numberRoutes, []);
    const domain = config.domains.get(REALM);
    assert.deepEqual(domain?.dialPlan, []);
    assert.deepEqual(domain?.blockedPrefixes, ["+"]);
    assert.equal(domain && destinationAllowed({ allowedDestinations: [] }, domain, "+4930123"), false);
  });

  it("reads the outbound password from a file relative to the config, without its trailing newline", () => {
    const dir = mkdtempSync(join(tmpdir(), "sipfleet-trunk-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "lab.password"), "file-secret\n");
    const text = DOMAINS + TRUNKS.replace("passwordEnv: LAB_CARRIER_PASSWORD", "passwordFile: lab.password");
    const config = parseConfig(text, SOURCE, {}, { baseDir: dir });
    assert.equal(config.trunks[0]?.outbound.credentials?.password, "file-secret");
    assertIssues(
      DOMAINS + TRUNKS.replace("passwordEnv: LAB_CARRIER_PASSWORD", "passwordFile: missing.password"),
      [`test.yaml: trunks[0].outbound.credentials.passwordFile: cannot read missing.password (${join(dir, "missing.password")}): ENOENT`],
      {},
      dir,
    );
  });

  it("refuses duplicate trunk names", () => {
    assertIssues(DOMAINS + TRUNKS.replace("name: backup", "name: lab-carrier"), [
      'test.yaml: trunks[1].name: duplicate of trunks[0].name ("lab-carrier")',
    ]);
  });

  it("refuses a bad CIDR, naming the entry", () => {
    assertIssues(DOMAINS + TRUNKS.replace("allow: [127.0.0.2]", "allow: [127.0.0.2/33, 10.0.0.1/24, carrier.example]"), [
      'test.yaml: trunks[1].inbound.allow[0]: prefix length must be 0..32 for an IPv4 block, got "127.0.0.2/33"',
      'test.yaml: trunks[1].inbound.allow[1]: host bits are set under /24: write 10.0.0.0/24 for the block, or the address alone, got "10.0.0.1/24"',
      'test.yaml: trunks[1].inbound.allow[2]: must be an IPv4 or IPv6 address or CIDR block (e.g. 192.0.2.0/24), got "carrier.example"',
    ]);
  });

  it("refuses the same source block in two trunks", () => {
    assertIssues(DOMAINS + TRUNKS.replace("allow: [127.0.0.2]", "allow: [127.0.0.0/8]"), [
      'test.yaml: trunks[1].inbound.allow[0]: 127.0.0.0/8 is also trunks[0].inbound.allow[0] of trunk "lab-carrier": a source must identify one trunk',
    ]);
  });

  it("refuses a trunk without inbound allow", () => {
    assertIssues(DOMAINS + TRUNKS.replace("inbound: { allow: [127.0.0.2] }", "inbound: { allow: [] }"), [
      "test.yaml: trunks[1].inbound: must give allow (source addresses or CIDR blocks)",
    ]);
  });

  it("refuses inbound credentials without inbound allow: a trunk is never known by its username alone", () => {
    const text = TRUNKS.replace("inbound: { allow: [127.0.0.2] }", `inbound: { credentials: { username: carrier, realm: ${REALM}, ha1: { md5: "${CARRIER_MD5}" } } }`);
    assertIssues(DOMAINS + text, [
      "test.yaml: trunks[1].inbound: credentials need allow (source addresses or CIDR blocks): they are checked on top of the source, not instead of it",
    ]);
  });

  it("refuses a number that is not E.164, and an unquoted one", () => {
    assertIssues(DOMAINS + TRUNKS.replace('number: "+4930123500"', 'number: "030123500"'), [
      'test.yaml: trunks[0].numbers[1].number: must be an E.164 number: "+", then 1 to 15 digits, the first not 0, got "030123500"',
    ]);
    assertIssues(DOMAINS + TRUNKS.replace('number: "+4930123500"', "number: +4930123500"), [
      'test.yaml: trunks[0].numbers[1].number: YAML read a number (4930123500), dropping any "+" or leading 0: quote the value as written',
    ]);
  });

  it("refuses a range that runs backwards or whose ends differ in length", () => {
    assertIssues(DOMAINS + TRUNKS.replace("+4930123400-+4930123499", "+4930123499-+4930123400"), [
      "test.yaml: trunks[0].numbers[0].number: range runs backwards: +4930123499 is after +4930123400",
    ]);
    assertIssues(DOMAINS + TRUNKS.replace("+4930123400-+4930123499", "+4930123400-+493012349"), [
      'test.yaml: trunks[0].numbers[0].number: a range\'s ends must have the same number of digits (numbers of other lengths are other numbers), got "+4930123400-+493012349"',
    ]);
  });

  it("refuses overlapping numbers, naming both", () => {
    assertIssues(DOMAINS + TRUNKS.replace('number: "+4930123500"', 'number: "+4930123450"'), [
      "test.yaml: trunks[0].numbers[1].number: +4930123450 overlaps trunks[0].numbers[0].number (+4930123400-+4930123499): a number has one owner",
    ]);
  });

  it("refuses an owner who is not a served user", () => {
    assertIssues(DOMAINS + TRUNKS.replace(`owner: alice@${REALM} }`, "owner: carol@sipfleet.local }").replace(`bob@${REALM}]`, "bob@elsewhere.test]"), [
      'test.yaml: trunks[0].numbers[0].owner: no user "carol" in domain "sipfleet.local"',
      'test.yaml: trunks[0].numbers[1].owner[1]: domain "elsewhere.test" is not served (not in domains)',
    ]);
  });

  it("refuses a route to a trunk that does not exist, naming the route and the trunk", () => {
    assertIssues(DOMAINS + TRUNKS.replace("trunks: [{ trunk: backup }]", "trunks: [{ trunk: nowhere }]"), [
      'test.yaml: numberRoutes[1].trunks[0].trunk: route default names trunk "nowhere", which does not exist (trunks: lab-carrier, backup)',
    ]);
  });

  it("refuses a duplicate route prefix, `default` being `+`", () => {
    assertIssues(DOMAINS + TRUNKS + '  - prefix: "+"\n    trunks: [{ trunk: backup }]\n', [
      'test.yaml: numberRoutes[2].prefix: duplicate of numberRoutes[1].prefix ("+" (default))',
    ]);
  });

  it("refuses a password variable that is not set, naming the variable but not showing a value", () => {
    assertIssues(
      DOMAINS + TRUNKS,
      ["test.yaml: trunks[0].outbound.credentials.passwordEnv: environment variable LAB_CARRIER_PASSWORD is not set (or empty); it must hold the trunk's password"],
      {},
    );
  });

  it("refuses both or neither password source", () => {
    assertIssues(DOMAINS + TRUNKS.replace("passwordEnv: LAB_CARRIER_PASSWORD", "passwordEnv: LAB_CARRIER_PASSWORD, passwordFile: x"), [
      "test.yaml: trunks[0].outbound.credentials: give passwordEnv or passwordFile, not both",
    ]);
    assertIssues(DOMAINS + TRUNKS.replace("passwordEnv: LAB_CARRIER_PASSWORD", "password: cleartext"), [
      "test.yaml: trunks[0].outbound.credentials.password: unknown key; allowed here: username, passwordEnv, passwordFile",
      "test.yaml: trunks[0].outbound.credentials: required: passwordEnv (an environment variable's name) or passwordFile (a file holding the password); the password itself is never written in this file",
    ]);
  });

  it("refuses a gateway with a bad host or port, and a register interval not below expires", () => {
    assertIssues(
      DOMAINS +
        TRUNKS.replace("host: Carrier.Example.Test", "host: \"[::1]\", port: 70000").replace(
          "expires: 600",
          "expires: 600, interval: 600",
        ),
      [
        'test.yaml: trunks[0].gateways[1].host: write an IPv6 address without brackets, got "[::1]"',
        "test.yaml: trunks[0].gateways[1].port: must be <= 65535, got 70000",
        "test.yaml: trunks[0].outbound.register.interval: must be < trunks[0].outbound.register.expires (600): refresh before the registration lapses, got 600",
      ],
    );
  });

  it("refuses a trunk name Kubernetes would refuse and a register aor that is not a SIP URI with a user", () => {
    assertIssues(DOMAINS + TRUNKS.replace("name: backup", "name: Backup_1").replace('aor: "sip:4930123400@127.0.0.1:5090"', 'aor: "sip:127.0.0.1:5090"'), [
      'test.yaml: trunks[0].outbound.register.aor: must be a sip: or sips: URI with a user part (the address-of-record registered), got "sip:127.0.0.1:5090"',
      'test.yaml: trunks[1].name: must be lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit (RFC 1123, as Kubernetes names), got "Backup_1"',
    ]);
  });

  it("matches an owner's domain case-insensitively", () => {
    const config = parseConfig(DOMAINS + TRUNKS.replace(`owner: alice@${REALM} }`, "owner: alice@SIPFLEET.Local }"), SOURCE, ENV);
    assert.deepEqual(numberOwner(config.trunks, "+4930123401")?.assignment.owners, [{ user: "alice", domain: REALM }]);
  });

  it("refuses bad dial plan rules and prefixes", () => {
    const text = DOMAINS.replace('{ match: "00", replace: "+" }', '{ match: "0", replace: "49" }').replace(
      'allowedPrefixes: ["+49"]',
      'allowedPrefixes: ["+49", "+", "49"]',
    );
    assertIssues(text, [
      'test.yaml: domains[0].dialPlan[1].replace: must be "+" and up to 15 digits (the result is E.164), got "49"',
      'test.yaml: domains[0].allowedPrefixes[2]: must be an E.164 prefix: "+", then up to 15 digits, the first not 0, got "49"',
    ]);
    assertIssues(DOMAINS.replace('allowedPrefixes: ["+49"]', 'allowedPrefixes: ["+49900"]'), [
      'test.yaml: domains[0].allowedPrefixes[0]: "+49900" is also in blockedPrefixes; keep it in one list',
    ]);
  });
});

describe("parseConfig: trunks[].inbound.tlsNames (mutual TLS)", () => {
  let certs: TestCertificates;
  before(() => {
    certs = writeTestCertificates();
  });
  after(() => rmSync(certs.dir, { recursive: true, force: true }));

  const EDGE_MTLS = `
edge:
  listen: "udp:127.0.0.1:5060,tls:127.0.0.1:5061"
  tls: { certFile: server.pem, keyFile: server.key, caFile: ca.pem }
`;
  const withNames = (names: string): string => TRUNKS.replace("inbound: { allow: [127.0.0.2] }", `inbound: { allow: [127.0.0.2], tlsNames: ${names} }`);

  it("reads the names lower-case; a trunk without tlsNames has none", () => {
    const config = parseConfig(DOMAINS + EDGE_MTLS + withNames('["SBC1.Carrier.Example", sbc2.carrier.example]'), SOURCE, ENV, { baseDir: certs.dir });
    const [lab, backup] = config.trunks;
    assert.deepEqual(backup?.inbound.tlsNames, ["sbc1.carrier.example", "sbc2.carrier.example"]);
    assert.equal(lab?.inbound.tlsNames, undefined);
  });

  it("refuses an empty list, a non-list, and names that are no DNS names, each at its key", () => {
    assertIssues(DOMAINS + EDGE_MTLS + withNames("[]"), [
      "test.yaml: trunks[1].inbound.tlsNames: must list at least one certificate name (leave tlsNames out to recognise the trunk by its source alone)",
    ], ENV, certs.dir);
    assertIssues(DOMAINS + EDGE_MTLS + withNames('"sbc1.carrier.example"'), ['test.yaml: trunks[1].inbound.tlsNames: expected a list, got "sbc1.carrier.example"'], ENV, certs.dir);
    assertIssues(DOMAINS + EDGE_MTLS + withNames('["*.carrier.example", 192.0.2.1, "bad_name.example", 7]'), [
      'test.yaml: trunks[1].inbound.tlsNames[0]: wildcards are not matched (RFC 5922 §7.2): list each name, got "*.carrier.example"',
      'test.yaml: trunks[1].inbound.tlsNames[1]: must be a DNS name (a certificate\'s subjectAltName dNSName), not an IP address, got "192.0.2.1"',
      'test.yaml: trunks[1].inbound.tlsNames[2]: must be a DNS name, got "bad_name.example"',
      "test.yaml: trunks[1].inbound.tlsNames[3]: expected a DNS name, got 7",
    ], ENV, certs.dir);
  });

  it("refuses tlsNames (and credentials) on a trunk without inbound.allow", () => {
    const text = TRUNKS.replace(
      "inbound: { allow: [127.0.0.2] }",
      `inbound: { credentials: { username: carrier, realm: ${REALM}, ha1: { md5: "${CARRIER_MD5}" } }, tlsNames: [sbc1.carrier.example] }`,
    );
    assertIssues(DOMAINS + EDGE_MTLS + text, [
      "test.yaml: trunks[1].inbound: credentials need allow (source addresses or CIDR blocks): they are checked on top of the source, not instead of it",
    ], ENV, certs.dir);
  });
});
