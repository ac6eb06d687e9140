import type { ConfigIssue } from "@sipfleet/config";
import { type ConfigKind, type ConfigResource, type ResourceSnapshot, type SecretResource, resourceLabel } from "./resources.js";

/*
 * Custom resources -> the configuration document the YAML file would hold, so @sipfleet/config
 * validates both with the same code. The base document (the SIPFLEET_CONFIG file: listen
 * addresses, timers, auth) keeps everything but `domains`, `trunks` and `numberRoutes`, which the
 * resources replace. Each part of the document remembers the resource it came from, so a
 * validation issue (`trunks[2].gateways[0].port`) is reported on that resource under its own key
 * (`spec.gateways[0].port`).
 */

/** What is wrong with one resource, under its own key (`spec.gateways[0].port`). */
export interface ResourceProblem {
  readonly kind: ConfigKind;
  readonly name: string;
  readonly key: string;
  readonly message: string;
}

/** Which part of the document a resource became, and how its document paths read as its keys. */
interface DocumentPart {
  readonly prefix: string;
  readonly kind: ConfigKind;
  readonly name: string;
  /** The rest of a document path below `prefix` (".gateways[0].port", "") as the resource's key. */
  readonly keyOf: (rest: string) => string;
}

export interface ConfigDocument {
  readonly document: Record<string, unknown>;
  /**
   * Variables the document's `passwordEnv`s name: the trunks' passwords, read from their Secrets.
   * Merged over the process environment for validation; never logged.
   */
  readonly secretEnv: Readonly<Record<string, string>>;
  /** References that do not resolve (a user's domain, a Secret or its key): checked before validation. */
  readonly referenceProblems: readonly ResourceProblem[];
  readonly parts: readonly DocumentPart[];
}

/** The environment variable a trunk's password is handed to the validator under. */
const TRUNK_PASSWORD_VARIABLE = "SIPFLEET_K8S_TRUNK_PASSWORD_";
const HA1_SECRET_KEYS = ["md5", "sha256", "sha512-256"] as const;
const DEFAULT_PASSWORD_KEY = "password";

export function buildConfigDocument(base: unknown, snapshot: ResourceSnapshot): ConfigDocument {
  const problems: ResourceProblem[] = [];
  const parts: DocumentPart[] = [];
  const secretEnv: Record<string, string> = {};
  const problem = (kind: ConfigKind, name: string, key: string, message: string): void => {
    problems.push({ kind, name, key, message });
  };

  const domains: Record<string, unknown>[] = [];
  const domainIndex = new Map<string, { doc: Record<string, unknown>; users: Record<string, unknown>[]; path: string }>();
  for (const resource of sortByName(snapshot.SipDomain)) {
    const name = resource.metadata.name;
    const spec = specOf(resource);
    if (spec === undefined) {
      problem("SipDomain", name, "spec", "expected a mapping");
      continue;
    }
    if ("users" in spec) problem("SipDomain", name, "spec.users", "users are SipUser resources, not part of the domain");
    const path = `domains[${domains.length}]`;
    const domainName = typeof spec["name"] === "string" ? spec["name"] : name;
    const users: Record<string, unknown>[] = [];
    const doc = { ...spec, name: domainName, users };
    domains.push(doc);
    domainIndex.set(domainName, { doc, users, path });
    const nameKey = "name" in spec ? "spec.name" : "metadata.name";
    parts.push({ prefix: path, kind: "SipDomain", name, keyOf: (rest) => (rest === ".name" ? nameKey : `spec${rest}`) });
  }

  for (const resource of sortByName(snapshot.SipUser, (r) => String(specOf(r)?.["name"] ?? r.metadata.name))) {
    const name = resource.metadata.name;
    const spec = specOf(resource);
    if (spec === undefined) {
      problem("SipUser", name, "spec", "expected a mapping with domain and ha1SecretRef");
      continue;
    }
    const { domain, ha1SecretRef, ha1, ...rest } = spec;
    if (ha1 !== undefined) problem("SipUser", name, "spec.ha1", "HA1s go in a Secret: name it in spec.ha1SecretRef");
    const served = typeof domain === "string" ? domainIndex.get(domain) : undefined;
    if (served === undefined) {
      problem(
        "SipUser",
        name,
        "spec.domain",
        typeof domain === "string" ? `no SipDomain serves ${JSON.stringify(domain)} in this namespace` : "required: the served domain (a SipDomain's name)",
      );
      continue;
    }
    const secret = secretRef(ha1SecretRef, snapshot.secrets);
    if ("problem" in secret) {
      problem("SipUser", name, "spec.ha1SecretRef", secret.problem);
      continue;
    }
    const ha1FromSecret: Record<string, string> = {};
    for (const key of HA1_SECRET_KEYS) {
      const value = secretValue(secret.secret, key);
      if (value !== undefined) ha1FromSecret[key] = value.trim();
    }
    const path = `${served.path}.users[${served.users.length}]`;
    served.users.push({ ...rest, name: rest["name"] ?? name, ha1: ha1FromSecret });
    const secretKey = `spec.ha1SecretRef (Secret ${secret.secret.metadata.name})`;
    const nameKey = "name" in rest ? "spec.name" : "metadata.name";
    parts.push({
      prefix: path,
      kind: "SipUser",
      name,
      keyOf: (r) => (r === ".name" ? nameKey : r.startsWith(".ha1") ? `${secretKey}${r.slice(".ha1".length)}` : `spec${r}`),
    });
  }

  const trunks: Record<string, unknown>[] = [];
  for (const resource of sortByName(snapshot.SipTrunk)) {
    const name = resource.metadata.name;
    const spec = specOf(resource);
    if (spec === undefined) {
      problem("SipTrunk", name, "spec", "expected a mapping with at least gateways and inbound");
      continue;
    }
    if ("name" in spec) problem("SipTrunk", name, "spec.name", "the trunk's name is metadata.name; remove spec.name");
    const index = trunks.length;
    const doc: Record<string, unknown> = { ...spec, name };
    const outbound = asMapping(spec["outbound"]);
    const credentials = asMapping(outbound?.["credentials"]);
    if (outbound !== undefined && credentials !== undefined) {
      const { passwordSecretRef, ...others } = credentials;
      if ("passwordEnv" in others || "passwordFile" in others) {
        problem("SipTrunk", name, "spec.outbound.credentials", "the password comes from a Secret: use passwordSecretRef { name, key }");
        continue;
      }
      const secret = secretRef(passwordSecretRef, snapshot.secrets);
      if ("problem" in secret) {
        problem("SipTrunk", name, "spec.outbound.credentials.passwordSecretRef", secret.problem);
        continue;
      }
      const key = typeof asMapping(passwordSecretRef)?.["key"] === "string" ? String(asMapping(passwordSecretRef)?.["key"]) : DEFAULT_PASSWORD_KEY;
      const password = secretValue(secret.secret, key);
      if (password === undefined || password === "") {
        problem("SipTrunk", name, "spec.outbound.credentials.passwordSecretRef", `Secret ${secret.secret.metadata.name} has no (or an empty) key ${JSON.stringify(key)}`);
        continue;
      }
      const variable = `${TRUNK_PASSWORD_VARIABLE}${index}`;
      secretEnv[variable] = password;
      doc["outbound"] = { ...outbound, credentials: { ...others, passwordEnv: variable } };
    }
    trunks.push(doc);
    const path = `trunks[${index}]`;
    parts.push({
      prefix: path,
      kind: "SipTrunk",
      name,
      keyOf: (r) =>
        r === ".name" ? "metadata.name" : r === ".outbound.credentials.passwordEnv" ? "spec.outbound.credentials.passwordSecretRef" : `spec${r}`,
    });
  }

  const numberRoutes: unknown[] = [];
  for (const resource of sortByName(snapshot.NumberRoute)) {
    const spec = specOf(resource);
    if (spec === undefined) {
      problem("NumberRoute", resource.metadata.name, "spec", "expected a mapping with prefix and trunks");
      continue;
    }
    parts.push({ prefix: `numberRoutes[${numberRoutes.length}]`, kind: "NumberRoute", name: resource.metadata.name, keyOf: (r) => `spec${r}` });
    numberRoutes.push(spec);
  }

  const baseMapping = asMapping(base) ?? {};
  return {
    document: { ...baseMapping, domains, trunks, numberRoutes },
    secretEnv,
    referenceProblems: problems,
    parts,
  };
}

export interface AttributedIssues {
  /** By resource label (`SipTrunk/lab-carrier`). */
  readonly byResource: ReadonlyMap<string, readonly ResourceProblem[]>;
  /** Issues of the document as a whole or of the base file (`domains: must list at least one domain`). */
  readonly unattributed: readonly ConfigIssue[];
}

/**
 * Each validation issue on the resource whose part of the document it names (the most specific
 * part wins: a user inside its domain), under that resource's key; other resources' document
 * paths in the message are named as resources too.
 */
export function attributeIssues(issues: readonly ConfigIssue[], parts: readonly DocumentPart[]): AttributedIssues {
  const longestFirst = [...parts].sort((a, b) => b.prefix.length - a.prefix.length);
  const byResource = new Map<string, ResourceProblem[]>();
  const unattributed: ConfigIssue[] = [];
  const rename = (message: string): string =>
    message.replace(/\b(?:domains|trunks|numberRoutes)\[\d+\](?:\.users\[\d+\])?(?:[.[][^\s,:;()]*)?/g, (path) => {
      const part = partOf(path, longestFirst);
      return part === undefined ? path : `${resourceLabel(part.kind, part.name)} ${part.keyOf(path.slice(part.prefix.length))}`;
    });
  for (const issue of issues) {
    const part = partOf(issue.path, longestFirst);
    if (part === undefined) {
      unattributed.push({ ...issue, message: rename(issue.message) });
      continue;
    }
    const label = resourceLabel(part.kind, part.name);
    const list = byResource.get(label) ?? [];
    list.push({ kind: part.kind, name: part.name, key: part.keyOf(issue.path.slice(part.prefix.length)), message: rename(issue.message) });
    byResource.set(label, list);
  }
  return { byResource, unattributed };
}

function partOf(path: string, longestFirst: readonly DocumentPart[]): DocumentPart | undefined {
  return longestFirst.find((p) => path === p.prefix || path.startsWith(`${p.prefix}.`) || path.startsWith(`${p.prefix}[`));
}

function sortByName(resources: readonly ConfigResource[], key: (r: ConfigResource) => string = (r) => r.metadata.name): ConfigResource[] {
  return [...resources].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function specOf(resource: ConfigResource): Record<string, unknown> | undefined {
  return resource.spec === undefined || resource.spec === null ? {} : asMapping(resource.spec);
}

function asMapping(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function secretRef(ref: unknown, secrets: ReadonlyMap<string, SecretResource>): { secret: SecretResource } | { problem: string } {
  const name = asMapping(ref)?.["name"];
  if (typeof name !== "string" || name === "") return { problem: "required: { name } of a Secret in this namespace" };
  const secret = secrets.get(name);
  return secret === undefined ? { problem: `Secret ${JSON.stringify(name)} not found in this namespace` } : { secret };
}

function secretValue(secret: SecretResource, key: string): string | undefined {
  const encoded = secret.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
}
