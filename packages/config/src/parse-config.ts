import { type DigestAlgorithmName, type DigestHashFamily, findAlgorithm } from "@sipfleet/sip";
import { parseDocument } from "yaml";
import type { SipfleetConfig } from "./config.js";
import { readAuth } from "./auth-section.js";
import { type DomainEntry, HA1_KEY_OF_FAMILY, readDomains } from "./domains-section.js";
import { type EdgeResult, readEdge } from "./edge-section.js";
import { formatListenAddress, isLoopbackAddress } from "./listen.js";
import { type NumberRouteEntry, readNumberRoutes } from "./number-routes-section.js";
import { readLogging } from "./logging-section.js";
import { readProxy } from "./proxy-section.js";
import { readRegistrar } from "./registrar-section.js";
import { type Env, IssueList, isAbsent, keyPath, readMapping } from "./schema.js";
import type { PathBases } from "./tls-section.js";
import { type TrunkEntry, readTrunks } from "./trunks-section.js";
import { userNameProblem } from "./names.js";

export { ENV_NONCE_SECRET, MIN_NONCE_SECRET_LENGTH } from "./auth-section.js";
export { ENV_LISTEN } from "./edge-section.js";
export { ENV_TLS_CA_FILE, ENV_TLS_CERT_FILE, ENV_TLS_KEY_FILE } from "./tls-section.js";
export type { Env } from "./schema.js";

export interface ParseConfigOptions {
  /**
   * Where relative file paths in the document (edge.tls.certFile, ...) start: the config
   * file's directory when it was read from one. Default: `cwd`.
   */
  readonly baseDir?: string;
  /** Where relative paths in environment variables start. Default process.cwd(). */
  readonly cwd?: string;
}

const ROOT_KEYS = ["domains", "registrar", "proxy", "auth", "edge", "trunks", "numberRoutes", "logging"] as const;

/**
 * Validates a configuration document into a SipfleetConfig, applying the environment overrides
 * (SIPFLEET_LISTEN, SIPFLEET_NONCE_SECRET, SIPFLEET_TLS_*_FILE; an empty variable counts as
 * unset). `source` names the file in messages. When a tls or wss listener is configured the
 * TLS files are read and checked too, and so are the trunks' outbound passwords (the variables
 * and files their passwordEnv / passwordFile name). Throws ConfigError listing every problem found, each as
 * `source: key.path: why` (or `VARIABLE: why` for an environment variable).
 */
export function parseConfig(
  yamlText: string,
  source: string,
  env: Env,
  options: ParseConfigOptions = {},
): SipfleetConfig {
  return validateConfigDocument(readConfigDocument(yamlText, source), source, env, options);
}

/**
 * The YAML text as a plain document (what the validator reads), or ConfigError for a syntax
 * problem. For callers that assemble a document from several sources before validating it
 * (@sipfleet/config-k8s puts the custom resources in place of domains, trunks and numberRoutes).
 */
export function readConfigDocument(yamlText: string, source: string): unknown {
  const issues = new IssueList(source);
  const document = readYaml(issues, yamlText);
  issues.throwIfAny();
  return document;
}

/**
 * Validates an in-memory configuration document (the shape of the YAML file, as plain objects)
 * exactly as parseConfig validates a file: the same readers, the same cross-section checks, the
 * same messages. Throws ConfigError listing every problem, each under `source`.
 */
export function validateConfigDocument(
  document: unknown,
  source: string,
  env: Env,
  options: ParseConfigOptions = {},
): SipfleetConfig {
  const cwd = options.cwd ?? process.cwd();
  const issues = new IssueList(source);
  const config = validateDocument(issues, document, env, { baseDir: options.baseDir ?? cwd, cwd });
  issues.throwIfAny();
  if (config === undefined) throw new Error("config validation returned nothing without reporting why");
  return config;
}

/** YAML 1.2 (core schema), one document, unique keys; each syntax problem with its line and column. */
function readYaml(issues: IssueList, text: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  // Warnings (an unknown !!tag, say) mean the value is not what it looks like: refused too.
  for (const problem of [...document.errors, ...document.warnings]) {
    const at = problem.linePos?.[0];
    const where = at === undefined ? issues.source : `${issues.source}:${at.line}:${at.col}`;
    const message =
      problem.code === "MULTIPLE_DOCS"
        ? "the file must hold one YAML document (remove the --- separator)"
        : (problem.message.split(" at line ")[0] ?? problem.message);
    issues.add("", `YAML syntax error: ${message}`, where);
  }
  if (issues.size > 0) return undefined;
  return document.toJS({ maxAliasCount: 100 });
}

function validateDocument(
  issues: IssueList,
  document: unknown,
  env: Env,
  bases: PathBases,
): SipfleetConfig | undefined {
  if (isAbsent(document)) {
    issues.add("", "the file is empty: it must at least list the domains served");
    return undefined;
  }
  const root = readMapping(issues, document, "", ROOT_KEYS);
  if (root === undefined) return undefined;

  const domains = readDomains(issues, root["domains"]);
  const registrar = readRegistrar(issues, root["registrar"]);
  const proxy = readProxy(issues, root["proxy"]);
  const auth = readAuth(issues, root["auth"], env);
  const edge = readEdge(issues, root["edge"], env, bases);
  const trunks = readTrunks(issues, root["trunks"], env, bases);
  const numberRoutes = readNumberRoutes(issues, root["numberRoutes"]);
  const logging = readLogging(issues, root["logging"]);

  if (domains !== undefined && auth !== undefined) checkHa1Coverage(issues, domains, auth.algorithms);
  if (domains !== undefined && edge !== undefined) checkUnauthenticatedExposure(issues, domains, edge);
  if (domains !== undefined && trunks !== undefined) checkNumberOwners(issues, domains, trunks);
  if (trunks !== undefined && numberRoutes !== undefined) checkRouteTrunks(issues, trunks, numberRoutes);

  if (
    domains === undefined ||
    registrar === undefined ||
    proxy === undefined ||
    auth === undefined ||
    edge === undefined ||
    trunks === undefined ||
    numberRoutes === undefined ||
    logging === undefined
  ) {
    return undefined;
  }
  return Object.freeze({
    domains: new Map(domains.map((d) => [d.domain.name, d.domain])),
    registrar,
    proxy,
    auth,
    edge: edge.config,
    trunks: Object.freeze(trunks.map((t) => t.trunk)),
    numberRoutes: Object.freeze(numberRoutes.map((r) => r.route)),
    logging,
  });
}

/**
 * A trunk's numbers go to served users: a digest domain's listed users, or any well-formed name
 * in an `authentication: none` domain (anyone may register there).
 */
function checkNumberOwners(issues: IssueList, domains: readonly DomainEntry[], trunks: readonly TrunkEntry[]): void {
  const byName = new Map(domains.map((d) => [d.domain.name, d.domain]));
  for (const trunk of trunks) {
    for (const { path, ref } of trunk.owners) {
      const domain = byName.get(ref.domain);
      if (domain === undefined) {
        issues.add(path, `domain ${JSON.stringify(ref.domain)} is not served (not in domains)`);
      } else if (domain.authentication === "digest" && !domain.users.has(ref.user)) {
        issues.add(path, `no user ${JSON.stringify(ref.user)} in domain ${JSON.stringify(domain.name)}`);
      } else {
        const problem = userNameProblem(ref.user);
        if (problem !== undefined) issues.add(path, `user ${problem}`);
      }
    }
  }
}

function checkRouteTrunks(issues: IssueList, trunks: readonly TrunkEntry[], routes: readonly NumberRouteEntry[]): void {
  const names = new Set(trunks.map((t) => t.trunk.name));
  for (const { route, trunkPaths } of routes) {
    route.trunks.forEach((t, i) => {
      if (names.has(t.trunk)) return;
      const known = names.size === 0 ? "no trunks are configured" : `trunks: ${[...names].join(", ")}`;
      const shown = route.prefix === "+" ? "default" : route.prefix;
      issues.add(trunkPaths[i] ?? "numberRoutes", `route ${shown} names trunk ${JSON.stringify(t.trunk)}, which does not exist (${known})`);
    });
  }
}

/**
 * A digest domain's users must be able to answer at least one of the challenges offered
 * (RFC 8760 §2.4: one per configured algorithm); a user with HA1s only for other families could
 * never register, which is a configuration mistake worth stopping for.
 */
function checkHa1Coverage(
  issues: IssueList,
  domains: readonly DomainEntry[],
  algorithms: readonly DigestAlgorithmName[],
): void {
  const families = new Set(algorithms.map((a) => findAlgorithm(a)?.family));
  for (const { domain, userPaths } of domains) {
    if (domain.authentication !== "digest") continue;
    for (const user of domain.users.values()) {
      const covered = Object.keys(user.ha1).some((f) => families.has(f as DigestHashFamily));
      if (covered) continue;
      const wanted = [...families].flatMap((f) => (f === undefined ? [] : [HA1_KEY_OF_FAMILY[f]]));
      issues.add(
        keyPath(userPaths.get(user.name) ?? "", "ha1"),
        `user ${JSON.stringify(user.name)} has no HA1 for any algorithm in auth.algorithms ` +
          `(${algorithms.join(", ")}): add ${wanted.join(" or ")}`,
      );
    }
  }
}

/**
 * `authentication: none` lets anyone register as anyone: tolerable on loopback for a benchmark,
 * an open relay anywhere else. Refused unless the domain says it means it.
 */
function checkUnauthenticatedExposure(issues: IssueList, domains: readonly DomainEntry[], edge: EdgeResult): void {
  const exposed = edge.config.listen.filter((a) => !isLoopbackAddress(a.host));
  if (exposed.length === 0) return;
  for (const entry of domains) {
    if (entry.domain.authentication !== "none" || entry.allowUnauthenticatedOnPublicAddress) continue;
    issues.add(
      keyPath(entry.path, "authentication"),
      `"none" is for benchmarks on loopback only, but ${edge.listenFrom} listens on ` +
        `${exposed.map(formatListenAddress).join(", ")}; use digest, listen on 127.0.0.0/8 or ::1, ` +
        `or set ${keyPath(entry.path, "allowUnauthenticatedOnPublicAddress")}: true`,
    );
  }
}

