import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import { computeHa1 } from "@sipfleet/sip";
import { writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { ConfigError } from "./errors.js";
import { loadConfig } from "./load-config.js";
import { parseConfig, type ParseConfigOptions } from "./parse-config.js";
import type { Env } from "./schema.js";

const SOURCE = "test.yaml";
const DOMAINS = `domains: [ { name: example.test, users: [ { name: alice, ha1: { md5: "${computeHa1("alice", "example.test", "pw", "MD5")}" } } ] } ]\n`;

describe("edge.tls", () => {
  let certs: TestCertificates;
  let options: ParseConfigOptions;

  before(() => {
    certs = writeTestCertificates();
    options = { baseDir: certs.dir, cwd: certs.dir };
  });

  after(() => {
    rmSync(certs.dir, { recursive: true, force: true });
  });

  const parse = (edge: string, env: Env = {}) => parseConfig(`${DOMAINS}edge:\n${edge}`, SOURCE, env, options);

  function assertIssues(edge: string, expected: readonly (string | RegExp)[], env: Env = {}): void {
    assert.throws(
      () => parse(edge, env),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
        const lines = error.message.split("\n");
        assert.equal(lines.length, expected.length, error.message);
        expected.forEach((e, i) => (typeof e === "string" ? assert.equal(lines[i], e) : assert.match(lines[i] ?? "", e)));
        return true;
      },
    );
  }

  it("accepts tls, ws and wss listeners and reads the certificate and key, relative to the file", () => {
    const config = parse(`  listen: "udp:127.0.0.1:5060,tls:127.0.0.1:5061,ws:127.0.0.1:8080,wss:[::1]:8443"
  tls: { certFile: server.pem, keyFile: server.key }
`);
    assert.deepEqual(
      config.edge.listen.map((a) => a.transport),
      ["udp", "tls", "ws", "wss"],
    );
    const tls = config.edge.tls;
    assert.ok(tls);
    assert.equal(tls.certFile, certs.server.certFile);
    assert.equal(tls.keyFile, certs.server.keyFile);
    assert.equal(tls.caFile, undefined);
    assert.equal(tls.requireClientCert, false);
    assert.equal(tls.minVersion, "TLSv1.2", "the default");
    assert.equal(tls.credentials.cert, certs.server.cert);
    assert.equal(tls.credentials.key, certs.server.key);
    assert.ok(Object.isFrozen(tls));
  });

  it("never shows the private key when the configuration is logged", () => {
    const config = parse(`  listen: "tls:127.0.0.1:5061"
  tls: { certFile: server.pem, keyFile: server.key }
`);
    for (const text of [JSON.stringify(config.edge), inspect(config.edge, { depth: 10 })]) {
      assert.doesNotMatch(text, /PRIVATE KEY/);
      assert.match(text, /PEM not shown/);
    }
  });

  it("mutual TLS: caFile and requireClientCert", () => {
    const config = parse(`  listen: "tls:127.0.0.1:5061"
  tls: { certFile: server.pem, keyFile: server.key, caFile: ca.pem, requireClientCert: true, minVersion: TLSv1.3 }
`);
    assert.equal(config.edge.tls?.caFile, certs.ca.certFile);
    assert.equal(config.edge.tls?.credentials.ca, certs.ca.cert);
    assert.equal(config.edge.tls?.requireClientCert, true);
    assert.equal(config.edge.tls?.minVersion, "TLSv1.3");
  });

  it("without a tls or wss listener the section is checked but no file is read, and edge.tls is absent", () => {
    const config = parse(`  listen: "udp:127.0.0.1:5060,ws:127.0.0.1:8080"
  tls: { certFile: missing.pem, keyFile: missing.key }
`);
    assert.equal("tls" in config.edge, false);
    assertIssues(`  listen: "udp:127.0.0.1:5060"\n  tls: { certFile: 5, minVersion: TLSv1.1 }\n`, [
      "test.yaml: edge.tls.certFile: expected a non-empty string, got 5",
      'test.yaml: edge.tls.minVersion: TLSv1.1 is refused: RFC 8996 deprecates TLS 1.0 and 1.1; use "TLSv1.2" or "TLSv1.3"',
    ]);
  });

  it("a tls or wss listener without certificate and key: each key named, with why", () => {
    assertIssues(`  listen: "udp:127.0.0.1:5060,tls:127.0.0.1:5061,wss:127.0.0.1:8443"\n`, [
      "test.yaml: edge.tls.certFile: required: edge.listen has tls:127.0.0.1:5061, wss:127.0.0.1:8443; set it (or SIPFLEET_TLS_CERT_FILE) to the PEM certificate chain the edge presents",
      "test.yaml: edge.tls.keyFile: required: edge.listen has tls:127.0.0.1:5061, wss:127.0.0.1:8443; set it (or SIPFLEET_TLS_KEY_FILE) to the PEM private key of that certificate",
    ]);
    assertIssues(
      "  tls: { certFile: server.pem }\n",
      [/^test\.yaml: edge\.tls\.keyFile: required: SIPFLEET_LISTEN has wss:127\.0\.0\.1:8443; /],
      { SIPFLEET_LISTEN: "udp:127.0.0.1:5060,wss:127.0.0.1:8443" },
    );
  });

  it("unreadable files: the key, the path as written and where it resolved to, the error code", () => {
    assertIssues(`  listen: "tls:127.0.0.1:5061"\n  tls: { certFile: nope.pem, keyFile: ${certs.dir} }\n`, [
      `test.yaml: edge.tls.certFile: cannot read nope.pem (${join(certs.dir, "nope.pem")}): ENOENT`,
      `test.yaml: edge.tls.keyFile: cannot read ${certs.dir}: EISDIR`,
    ]);
  });

  it("files that do not hold what they should", () => {
    writeFileSync(join(certs.dir, "garbage.pem"), "not a certificate\n");
    assertIssues(`  listen: "tls:127.0.0.1:5061"\n  tls: { certFile: server.key, keyFile: garbage.pem, caFile: garbage.pem }\n`, [
      /^test\.yaml: edge\.tls\.certFile: server\.key \(.*\) holds no PEM certificate \(.+\)$/,
      /^test\.yaml: edge\.tls\.keyFile: garbage\.pem \(.*\) holds no usable PEM private key \(.+\)$/,
      /^test\.yaml: edge\.tls\.caFile: garbage\.pem \(.*\) holds no PEM CA certificate \(.+\)$/,
    ]);
  });

  it("a key that is not the certificate's", () => {
    assertIssues(`  listen: "tls:127.0.0.1:5061"\n  tls: { certFile: server.pem, keyFile: client.key }\n`, [
      /^test\.yaml: edge\.tls\.keyFile: client\.key \(.*\) is not the private key of the certificate in server\.pem \(.*\)$/,
    ]);
  });

  it("requireClientCert needs caFile; minVersion below TLS 1.2 or unknown is refused", () => {
    assertIssues(`  listen: "tls:127.0.0.1:5061"\n  tls: { certFile: server.pem, keyFile: server.key, requireClientCert: true, minVersion: TLSv1 }\n`, [
      'test.yaml: edge.tls.minVersion: TLSv1 is refused: RFC 8996 deprecates TLS 1.0 and 1.1; use "TLSv1.2" or "TLSv1.3"',
      "test.yaml: edge.tls.requireClientCert: needs edge.tls.caFile (or SIPFLEET_TLS_CA_FILE): the CA certificates client certificates are checked against",
    ]);
    assertIssues(`  tls: { minVersion: 1.2, requireClientCert: "yes", extra: 1 }\n`, [
      "test.yaml: edge.tls.extra: unknown key; allowed here: certFile, keyFile, caFile, requireClientCert, minVersion",
      'test.yaml: edge.tls.requireClientCert: must be true or false, got "yes"',
      'test.yaml: edge.tls.minVersion: must be "TLSv1.2" or "TLSv1.3", got 1.2',
    ]);
  });

  it("SIPFLEET_TLS_CERT_FILE, _KEY_FILE and _CA_FILE override the file, relative to the working directory", () => {
    const sub = join(certs.dir, "env");
    mkdirSync(sub, { recursive: true });
    copyFileSync(certs.client.certFile, join(sub, "c.pem"));
    copyFileSync(certs.client.keyFile, join(sub, "c.key"));
    const config = parseConfig(
      `${DOMAINS}edge:\n  listen: "wss:127.0.0.1:8443"\n  tls: { certFile: server.pem, keyFile: server.key }\n`,
      SOURCE,
      { SIPFLEET_TLS_CERT_FILE: "c.pem", SIPFLEET_TLS_KEY_FILE: "c.key", SIPFLEET_TLS_CA_FILE: certs.ca.certFile },
      { baseDir: certs.dir, cwd: sub },
    );
    assert.equal(config.edge.tls?.certFile, join(sub, "c.pem"));
    assert.equal(config.edge.tls?.credentials.cert, certs.client.cert);
    assert.equal(config.edge.tls?.caFile, certs.ca.certFile);
  });

  it("a bad variable is reported under its name", () => {
    assertIssues(`  listen: "tls:127.0.0.1:5061"\n`, [/^test\.yaml: edge\.tls\.keyFile: required/, `SIPFLEET_TLS_CERT_FILE: cannot read ${join(certs.dir, "x", "y.pem")}: ENOENT`], {
      SIPFLEET_TLS_CERT_FILE: join(certs.dir, "x", "y.pem"),
    });
  });

  it("a file the process may not read", { skip: process.getuid?.() === 0 ? "root reads any file" : false }, () => {
    const locked = join(certs.dir, "locked.key");
    copyFileSync(certs.server.keyFile, locked);
    chmodSync(locked, 0o000);
    assertIssues(`  listen: "tls:127.0.0.1:5061"\n  tls: { certFile: server.pem, keyFile: ${locked} }\n`, [
      `test.yaml: edge.tls.keyFile: cannot read ${locked}: EACCES`,
    ]);
  });

  it("loadConfig resolves the file's paths against the file's own directory", () => {
    const path = join(certs.dir, "sipfleet.yaml");
    writeFileSync(path, `${DOMAINS}edge:\n  listen: "tls:127.0.0.1:5061"\n  tls: { certFile: server.pem, keyFile: ./server.key }\n`);
    const config = loadConfig({ path, env: {}, cwd: "/" });
    assert.equal(config.edge.tls?.keyFile, certs.server.keyFile);
  });
});

describe("listen: the connection transports", () => {
  it("tcp, tls, ws and wss may not share a TCP port; udp may", () => {
    assert.throws(
      () => parseConfig(`${DOMAINS}edge: { listen: "udp:127.0.0.1:5060,tcp:127.0.0.1:5060,ws:127.0.0.1:5060" }\n`, SOURCE, {}),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          'test.yaml: edge.listen: entry "ws:127.0.0.1:5060": tcp:127.0.0.1:5060 listens on the same TCP port; tcp, tls, ws and wss each need a port of their own',
    );
  });
});
