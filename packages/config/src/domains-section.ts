import type { DigestHashFamily } from "@sipfleet/sip";
import type { DomainConfig, UserConfig } from "./config.js";
import { DEFAULT_DIAL_POLICY } from "./defaults.js";
import { readDialPlan, readPrefixList } from "./dial-policy-section.js";
import { domainNameProblem, userNameProblem } from "./names.js";
import {
  type IntRule,
  IssueList,
  indexPath,
  isAbsent,
  keyPath,
  readBoolean,
  readEnum,
  readInt,
  readList,
  readMapping,
  readString,
} from "./schema.js";

/*
 * domains[]: each served domain, its authentication mode and its users' HA1s.
 */

const DOMAIN_KEYS = [
  "name",
  "authentication",
  "users",
  "allowUnauthenticatedOnPublicAddress",
  "dialPlan",
  "blockedPrefixes",
  "allowedPrefixes",
] as const;
const USER_KEYS = ["name", "ha1", "allowedDestinations", "maxConcurrentCalls"] as const;

export const MAX_CONCURRENT_CALLS_RULE: IntRule = { min: 1, max: 1_000_000 };
const AUTHENTICATION_MODES = ["digest", "none"] as const;

/** The YAML key of each HA1 family, and the family it stores. */
const HA1_KEYS: Readonly<Record<string, DigestHashFamily>> = Object.freeze({
  md5: "MD5",
  sha256: "SHA-256",
  "sha512-256": "SHA-512-256",
});
const HA1_HEX_LENGTH: Readonly<Record<DigestHashFamily, number>> = { MD5: 32, "SHA-256": 64, "SHA-512-256": 64 };
export const HA1_KEY_OF_FAMILY = Object.fromEntries(Object.entries(HA1_KEYS).map(([k, f]) => [f, k])) as Record<
  DigestHashFamily,
  string
>;

/** A validated domain with what the cross-section checks need to name keys. */
export interface DomainEntry {
  readonly path: string;
  readonly domain: DomainConfig;
  readonly allowUnauthenticatedOnPublicAddress: boolean;
  readonly userPaths: ReadonlyMap<string, string>;
}

export function readDomains(issues: IssueList, value: unknown): DomainEntry[] | undefined {
  if (isAbsent(value)) {
    issues.add("domains", "required: list at least one domain");
    return undefined;
  }
  const list = readList(issues, value, "domains");
  if (list === undefined) return undefined;
  if (list.length === 0) {
    issues.add("domains", "must list at least one domain");
    return undefined;
  }
  const out: DomainEntry[] = [];
  const seen = new Map<string, string>();
  let ok = true;
  list.forEach((item, i) => {
    const path = indexPath("domains", i);
    const entry = readDomain(issues, item, path);
    if (entry === undefined) {
      ok = false;
      return;
    }
    const first = seen.get(entry.domain.name);
    if (first !== undefined) {
      issues.add(keyPath(path, "name"), `duplicate of ${first}.name (${JSON.stringify(entry.domain.name)})`);
      ok = false;
      return;
    }
    seen.set(entry.domain.name, path);
    out.push(entry);
  });
  return ok ? out : undefined;
}

function readDomain(issues: IssueList, value: unknown, path: string): DomainEntry | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, DOMAIN_KEYS);
  if (m === undefined) {
    if (isAbsent(value)) issues.add(path, "expected a mapping with at least a name, got nothing");
    return undefined;
  }
  const name = readRequiredString(issues, m["name"], keyPath(path, "name"));
  if (name !== undefined) {
    const problem = domainNameProblem(name);
    if (problem !== undefined) issues.add(keyPath(path, "name"), problem);
  }
  const authentication =
    readEnum(issues, m["authentication"], keyPath(path, "authentication"), AUTHENTICATION_MODES) ??
    (isAbsent(m["authentication"]) ? "digest" : undefined);
  const allowKey = keyPath(path, "allowUnauthenticatedOnPublicAddress");
  const allowPublic = readBoolean(issues, m["allowUnauthenticatedOnPublicAddress"], allowKey) ?? false;
  if (allowPublic && authentication === "digest") {
    issues.add(allowKey, 'only applies to authentication: "none"; remove it');
  }
  const users = readUsers(issues, m["users"], keyPath(path, "users"));
  const dialPlan = readDialPlan(issues, m["dialPlan"], keyPath(path, "dialPlan"));
  const blockedPrefixes = readPrefixList(issues, m["blockedPrefixes"], keyPath(path, "blockedPrefixes"));
  const allowedPrefixes = readPrefixList(issues, m["allowedPrefixes"], keyPath(path, "allowedPrefixes"));
  for (const [i, prefix] of (allowedPrefixes ?? []).entries()) {
    if (!(blockedPrefixes ?? DEFAULT_DIAL_POLICY.blockedPrefixes).includes(prefix)) continue;
    issues.add(
      indexPath(keyPath(path, "allowedPrefixes"), i),
      `${JSON.stringify(prefix)} is also in blockedPrefixes${isAbsent(m["blockedPrefixes"]) ? " (the default)" : ""}; keep it in one list`,
    );
  }
  if (issues.size > before || name === undefined || authentication === undefined || users === undefined) {
    return undefined;
  }
  const domain: DomainConfig = Object.freeze({
    name,
    authentication,
    users: new Map(users.map((u) => [u.user.name, u.user])),
    dialPlan: dialPlan ?? DEFAULT_DIAL_POLICY.dialPlan,
    blockedPrefixes: blockedPrefixes ?? DEFAULT_DIAL_POLICY.blockedPrefixes,
    allowedPrefixes: allowedPrefixes ?? DEFAULT_DIAL_POLICY.allowedPrefixes,
  });
  return {
    path,
    domain,
    allowUnauthenticatedOnPublicAddress: allowPublic,
    userPaths: new Map(users.map((u) => [u.user.name, u.path])),
  };
}

function readUsers(
  issues: IssueList,
  value: unknown,
  path: string,
): { path: string; user: UserConfig }[] | undefined {
  const list = readList(issues, value, path);
  if (list === undefined) return isAbsent(value) ? [] : undefined;
  const out: { path: string; user: UserConfig }[] = [];
  const seen = new Map<string, string>();
  let ok = true;
  list.forEach((item, i) => {
    const userPath = indexPath(path, i);
    const user = readUser(issues, item, userPath);
    if (user === undefined) {
      ok = false;
      return;
    }
    const first = seen.get(user.name);
    if (first !== undefined) {
      issues.add(keyPath(userPath, "name"), `duplicate of ${first}.name (${JSON.stringify(user.name)})`);
      ok = false;
      return;
    }
    seen.set(user.name, userPath);
    out.push({ path: userPath, user });
  });
  return ok ? out : undefined;
}

function readUser(issues: IssueList, value: unknown, path: string): UserConfig | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, USER_KEYS);
  if (m === undefined) {
    if (isAbsent(value)) issues.add(path, "expected a mapping with name and ha1, got nothing");
    return undefined;
  }
  const name = readRequiredString(issues, m["name"], keyPath(path, "name"));
  if (name !== undefined) {
    const problem = userNameProblem(name);
    if (problem !== undefined) issues.add(keyPath(path, "name"), problem);
  }
  const ha1Path = keyPath(path, "ha1");
  if (isAbsent(m["ha1"])) issues.add(ha1Path, "required: HA1 = H(user:realm:password), see sipfleet-ha1");
  const ha1 = readHa1(issues, m["ha1"], ha1Path);
  const allowedDestinations = readPrefixList(issues, m["allowedDestinations"], keyPath(path, "allowedDestinations"));
  const maxCalls = readInt(issues, m["maxConcurrentCalls"], keyPath(path, "maxConcurrentCalls"), MAX_CONCURRENT_CALLS_RULE);
  if (issues.size > before || name === undefined || ha1 === undefined) return undefined;
  return Object.freeze({
    name,
    ha1,
    allowedDestinations: allowedDestinations ?? Object.freeze([]),
    maxConcurrentCalls: maxCalls,
  });
}

/**
 * `{ md5: <32 hex>, sha256: <64 hex> }`: lower-case hex, as RFC 7616 §3.4 writes digests and as
 * the response computation hashes them. Never echoed in messages: an HA1 is as good as the
 * password for its realm.
 */
export function readHa1(issues: IssueList, value: unknown, path: string): Partial<Record<DigestHashFamily, string>> | undefined {
  const keys = Object.keys(HA1_KEYS);
  const m = readMapping(issues, value, path, keys);
  if (m === undefined) return undefined;
  const out: Partial<Record<DigestHashFamily, string>> = {};
  let ok = true;
  for (const key of keys) {
    const hex = m[key];
    if (isAbsent(hex)) continue;
    const family = HA1_KEYS[key] as DigestHashFamily;
    const length = HA1_HEX_LENGTH[family];
    if (typeof hex === "string" && hex.length === length && /^[0-9a-f]+$/.test(hex)) {
      out[family] = hex;
      continue;
    }
    const quoteHint = typeof hex === "number" ? " (YAML read a number: quote the value)" : "";
    issues.add(keyPath(path, key), `expected ${length} lower-case hex digits${quoteHint}`);
    ok = false;
  }
  if (!ok) return undefined;
  if (Object.keys(out).length === 0) {
    issues.add(path, `must give at least one of ${keys.join(", ")}`);
    return undefined;
  }
  return Object.freeze(out);
}

/** A required non-empty string; absent is reported as missing. */
export function readRequiredString(issues: IssueList, value: unknown, path: string): string | undefined {
  if (isAbsent(value)) {
    issues.add(path, "required");
    return undefined;
  }
  return readString(issues, value, path);
}
