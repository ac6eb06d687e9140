import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { inspect } from "node:util";
import type { EdgeTlsConfig, ListenAddress, TlsCredentials, TlsMinVersion } from "./config.js";
import { formatListenAddress, isSecureTransport } from "./listen.js";
import { type Env, IssueList, describeValue, isAbsent, keyPath, readBoolean, readMapping, readString } from "./schema.js";

/*
 * edge.tls: the certificate of the `tls` and `wss` listeners and who may connect to them. The
 * PEM files are read and checked here, once, so a wrong path or a key that does not belong to
 * the certificate stops the start with the key named, not the first client's handshake.
 */

/** Override edge.tls.certFile / keyFile / caFile; relative paths start at the working directory. */
export const ENV_TLS_CERT_FILE = "SIPFLEET_TLS_CERT_FILE";
export const ENV_TLS_KEY_FILE = "SIPFLEET_TLS_KEY_FILE";
export const ENV_TLS_CA_FILE = "SIPFLEET_TLS_CA_FILE";

const TLS_KEYS = ["certFile", "keyFile", "caFile", "requireClientCert", "minVersion"] as const;
const MIN_VERSIONS: readonly TlsMinVersion[] = ["TLSv1.2", "TLSv1.3"];
const DEPRECATED_VERSIONS = ["TLSv1", "TLSv1.0", "TLSv1.1", "SSLv3"];
export const DEFAULT_TLS_MIN_VERSION: TlsMinVersion = "TLSv1.2";

/** Where relative paths start: the config file's directory for the file, cwd for variables. */
export interface PathBases {
  readonly baseDir: string;
  readonly cwd: string;
}

/** A file path and where it came from, for messages. */
interface FileSetting {
  readonly given: string;
  readonly absolute: string;
  /** The issue's source (the variable) and path (empty), or the file's key path. */
  readonly source: string | undefined;
  readonly path: string;
}

/**
 * Reads `edge.tls`. Returns `{ tls }` — `tls` undefined when no listener needs it — or
 * undefined when something was refused. The section's shape is checked whether or not a `tls`
 * or `wss` listener is configured; its files are read only when one is (`listen` undefined:
 * the listen addresses were refused, so whether they are needed is unknown).
 */
export function readEdgeTls(
  issues: IssueList,
  value: unknown,
  env: Env,
  listen: readonly ListenAddress[] | undefined,
  listenFrom: string,
  bases: PathBases,
): { tls: EdgeTlsConfig | undefined } | undefined {
  const path = "edge.tls";
  const before = issues.size;
  const m = readMapping(issues, value, path, TLS_KEYS);
  const cert = readFile(issues, m?.["certFile"], keyPath(path, "certFile"), env, ENV_TLS_CERT_FILE, bases);
  const key = readFile(issues, m?.["keyFile"], keyPath(path, "keyFile"), env, ENV_TLS_KEY_FILE, bases);
  const ca = readFile(issues, m?.["caFile"], keyPath(path, "caFile"), env, ENV_TLS_CA_FILE, bases);
  const requireClientCert = readBoolean(issues, m?.["requireClientCert"], keyPath(path, "requireClientCert")) ?? false;
  const minVersion = readMinVersion(issues, m?.["minVersion"], keyPath(path, "minVersion"));
  if (ca === undefined && requireClientCert) {
    issues.add(
      keyPath(path, "requireClientCert"),
      `needs ${keyPath(path, "caFile")} (or ${ENV_TLS_CA_FILE}): the CA certificates client certificates are checked against`,
    );
  }
  if (issues.size > before) return undefined;
  const secure = listen?.filter((a) => isSecureTransport(a.transport)) ?? [];
  if (secure.length === 0) return { tls: undefined };

  const needed = `${listenFrom} has ${secure.map(formatListenAddress).join(", ")}`;
  if (cert === undefined) {
    issues.add(keyPath(path, "certFile"), `required: ${needed}; set it (or ${ENV_TLS_CERT_FILE}) to the PEM certificate chain the edge presents`);
  }
  if (key === undefined) {
    issues.add(keyPath(path, "keyFile"), `required: ${needed}; set it (or ${ENV_TLS_KEY_FILE}) to the PEM private key of that certificate`);
  }
  // Whatever is given is read and checked even when its partner is missing: one pass, every problem.
  const credentials = readCredentials(issues, cert, key, ca, minVersion);
  if (cert === undefined || key === undefined || minVersion === undefined || credentials === undefined) return undefined;
  return {
    tls: Object.freeze({
      certFile: cert.absolute,
      keyFile: key.absolute,
      caFile: ca?.absolute,
      requireClientCert,
      minVersion,
      credentials,
    }),
  };
}

/** The variable if set (relative to cwd), else the file's value (relative to the file's directory). */
function readFile(
  issues: IssueList,
  value: unknown,
  path: string,
  env: Env,
  variable: string,
  bases: PathBases,
): FileSetting | undefined {
  // The file's value is checked even when the variable overrides it, as edge.listen is.
  const fromFile = readString(issues, value, path);
  const fromEnv = env[variable];
  if (fromEnv !== undefined && fromEnv !== "") {
    return { given: fromEnv, absolute: resolve(bases.cwd, fromEnv), source: variable, path: "" };
  }
  if (fromFile === undefined) return undefined;
  return { given: fromFile, absolute: resolve(bases.baseDir, fromFile), source: undefined, path };
}

function readMinVersion(issues: IssueList, value: unknown, path: string): TlsMinVersion | undefined {
  if (isAbsent(value)) return DEFAULT_TLS_MIN_VERSION;
  if (typeof value === "string" && (MIN_VERSIONS as readonly string[]).includes(value)) return value as TlsMinVersion;
  if (typeof value === "string" && DEPRECATED_VERSIONS.includes(value)) {
    issues.add(path, `${value} is refused: RFC 8996 deprecates TLS 1.0 and 1.1; use "TLSv1.2" or "TLSv1.3"`);
  } else {
    issues.add(path, `must be ${MIN_VERSIONS.map((v) => `"${v}"`).join(" or ")}, got ${describeValue(value)}`);
  }
  return undefined;
}

/**
 * Reads the three files and checks that they hold what they should: a certificate, a private
 * key belonging to it, CA certificates; then that node:tls accepts them together. Each problem
 * is reported under the key (or variable) of the file at fault, never with the key's content.
 */
function readCredentials(
  issues: IssueList,
  cert: FileSetting | undefined,
  key: FileSetting | undefined,
  ca: FileSetting | undefined,
  minVersion: TlsMinVersion | undefined,
): TlsCredentials | undefined {
  const before = issues.size;
  const report = (f: FileSetting, message: string): void => issues.add(f.path, message, f.source);
  const certPem = cert === undefined ? undefined : readText(cert, report);
  const keyPem = key === undefined ? undefined : readText(key, report);
  const caPem = ca === undefined ? undefined : readText(ca, report);
  let x509: X509Certificate | undefined;
  let privateKey: KeyObject | undefined;
  if (cert !== undefined && certPem !== undefined) {
    x509 = parse(() => new X509Certificate(certPem), (why) => report(cert, `${shown(cert)} holds no PEM certificate (${why})`));
  }
  if (key !== undefined && keyPem !== undefined) {
    privateKey = parse(() => createPrivateKey(keyPem), (why) => report(key, `${shown(key)} holds no usable PEM private key (${why})`));
  }
  if (ca !== undefined && caPem !== undefined) {
    parse(() => new X509Certificate(caPem), (why) => report(ca, `${shown(ca)} holds no PEM CA certificate (${why})`));
  }
  if (cert !== undefined && key !== undefined && x509 !== undefined && privateKey !== undefined && !x509.checkPrivateKey(privateKey)) {
    report(key, `${shown(key)} is not the private key of the certificate in ${shown(cert)}`);
  }
  if (issues.size > before || cert === undefined || key === undefined || certPem === undefined || keyPem === undefined) return undefined;
  try {
    createSecureContext({ cert: certPem, key: keyPem, ca: caPem, minVersion });
  } catch (e) {
    report(cert, `TLS cannot use ${shown(cert)} with ${shown(key)}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  return redacted({ cert: certPem, key: keyPem, ca: caPem });
}

function readText(f: FileSetting, report: (f: FileSetting, message: string) => void): string | undefined {
  try {
    return readFileSync(f.absolute, "utf8");
  } catch (e) {
    report(f, `cannot read ${shown(f)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return undefined;
  }
}

function parse<T>(make: () => T, fail: (why: string) => void): T | undefined {
  try {
    return make();
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
    return undefined;
  }
}

/** The path as written, with the absolute one it resolved to when they differ. */
function shown(f: FileSetting): string {
  return isAbsolute(f.given) ? f.given : `${f.given} (${f.absolute})`;
}

const PLACEHOLDER = "[TLS credentials: PEM not shown]";

/** Frozen, and shown as a placeholder by JSON.stringify (pino) and util.inspect (console). */
function redacted(c: { cert: string; key: string; ca: string | undefined }): TlsCredentials {
  Object.defineProperty(c, "toJSON", { value: () => PLACEHOLDER });
  Object.defineProperty(c, inspect.custom, { value: () => PLACEHOLDER });
  return Object.freeze(c);
}
