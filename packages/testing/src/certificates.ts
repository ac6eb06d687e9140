import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One certificate and its key: paths, and the PEM text for clients that take it inline. */
export interface TestKeyPair {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

export interface TestCertificates {
  /** The directory holding every file (a fresh temporary one). */
  readonly dir: string;
  /** A CA that signed `server` and `client`. */
  readonly ca: TestKeyPair;
  /** For 127.0.0.1, ::1 and localhost (serverAuth), signed by `ca`. */
  readonly server: TestKeyPair;
  /** A client certificate (clientAuth), signed by `ca`: subject CN carrier.test, no subjectAltName. */
  readonly client: TestKeyPair;
  /**
   * A client certificate (clientAuth), signed by `ca`, whose subjectAltName names
   * sbc1.carrier.test and sbc2.carrier.test (and an IP); its CN (cn-only.carrier.test) is not a
   * name of it then (RFC 5922 §7.1).
   */
  readonly sanClient: TestKeyPair;
  /** Self-signed, unrelated to `ca`: what a client nobody vouches for presents. */
  readonly stranger: TestKeyPair;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * A throw-away PKI for TLS tests, made with the openssl command line (OpenSSL 3: `req -x509 -CA`)
 * in a new temporary directory. Valid for two days; P-256 keys, which are quick to make.
 */
export function writeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-certs-"));
  const file = (name: string): string => join(dir, name);
  const openssl = (args: string[]): void => {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  };
  const pair = (name: string): TestKeyPair => ({
    certFile: file(`${name}.pem`),
    keyFile: file(`${name}.key`),
    cert: readFileSync(file(`${name}.pem`), "utf8"),
    key: readFileSync(file(`${name}.key`), "utf8"),
  });
  const selfSigned = (name: string, subject: string, extensions: string[]): void => {
    openssl(["req", "-x509", ...EC_KEY, "-keyout", file(`${name}.key`), "-out", file(`${name}.pem`), "-days", "2", "-subj", subject, ...extensions]);
  };
  const signed = (name: string, subject: string, extensions: string[]): void => {
    openssl([
      "req", "-x509", ...EC_KEY,
      "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
      "-keyout", file(`${name}.key`), "-out", file(`${name}.pem`), "-days", "2", "-subj", subject,
      ...extensions,
    ]);
  };
  selfSigned("ca", "/CN=sipfleet test CA", ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  signed("server", "/CN=localhost", [
    "-addext", "basicConstraints=critical,CA:FALSE",
    "-addext", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
    "-addext", "extendedKeyUsage=serverAuth",
  ]);
  signed("client", "/CN=carrier.test", ["-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=clientAuth"]);
  signed("san-client", "/CN=cn-only.carrier.test", [
    "-addext", "basicConstraints=critical,CA:FALSE",
    "-addext", "subjectAltName=DNS:SBC1.carrier.test,DNS:sbc2.carrier.test,IP:127.0.0.1",
    "-addext", "extendedKeyUsage=clientAuth",
  ]);
  selfSigned("stranger", "/CN=stranger.test", ["-addext", "extendedKeyUsage=clientAuth"]);
  writeFileSync(file("README"), "Temporary certificates for sipfleet tests; safe to delete.\n");
  return { dir, ca: pair("ca"), server: pair("server"), client: pair("client"), sanClient: pair("san-client"), stranger: pair("stranger") };
}
