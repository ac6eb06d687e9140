import { randomBytes } from "node:crypto";
import { type DigestAlgorithmName, SUPPORTED_ALGORITHMS, findAlgorithm } from "@sipfleet/sip";
import type { AuthConfig, NonceSecretSource } from "./config.js";
import { DEFAULT_AUTH_CONFIG } from "./defaults.js";
import {
  type Env,
  type IntRule,
  IssueList,
  describeValue,
  indexPath,
  isAbsent,
  keyPath,
  readIntSection,
  readList,
  readMapping,
} from "./schema.js";

/*
 * auth: the digest challenge (algorithms, nonce lifetime) and the nonce HMAC key, which
 * SIPFLEET_NONCE_SECRET overrides.
 */

/** Overrides auth.nonceSecret; errors name the variable, never show the value. Empty counts as unset. */
export const ENV_NONCE_SECRET = "SIPFLEET_NONCE_SECRET";

/** Shortest nonce secret accepted: 32 characters, the size of the HMAC-SHA256 key it becomes. */
export const MIN_NONCE_SECRET_LENGTH = 32;
const RANDOM_NONCE_SECRET_BYTES = 32;

const AUTH_KEYS = ["algorithms", "nonceLifetimeSeconds", "nonceSecret"] as const;

const NONCE_LIFETIME_RULE: IntRule = {
  min: 1,
  max: 86_400,
  maxWhy: "a nonce valid for more than a day gives a captured response that long to be replayed",
};

export function readAuth(
  issues: IssueList,
  value: unknown,
  env: Env,
): AuthConfig | undefined {
  const path = "auth";
  const m = readMapping(issues, value, path, AUTH_KEYS);
  const algorithms = readAlgorithms(issues, m?.["algorithms"], keyPath(path, "algorithms"));
  const lifetime = readIntSection(
    issues,
    m,
    path,
    { nonceLifetimeSeconds: NONCE_LIFETIME_RULE },
    { nonceLifetimeSeconds: DEFAULT_AUTH_CONFIG.nonceLifetimeSeconds },
  ).values.nonceLifetimeSeconds;
  const secret = readNonceSecret(issues, m?.["nonceSecret"], keyPath(path, "nonceSecret"), env);
  if (algorithms === undefined || lifetime === undefined || secret === undefined) return undefined;
  return Object.freeze({
    algorithms,
    nonceLifetimeMs: lifetime * 1000,
    nonceSecret: secret.bytes,
    nonceSecretSource: secret.source,
  });
}

/** Canonical names of supported algorithms (matched case-insensitively), no repeats, at least one. */
function readAlgorithms(issues: IssueList, value: unknown, path: string): readonly DigestAlgorithmName[] | undefined {
  if (isAbsent(value)) return DEFAULT_AUTH_CONFIG.algorithms;
  const list = readList(issues, value, path);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    issues.add(path, `must list at least one algorithm, e.g. [${DEFAULT_AUTH_CONFIG.algorithms.join(", ")}]`);
    return undefined;
  }
  const out: DigestAlgorithmName[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const itemPath = indexPath(path, i);
    const algorithm = typeof item === "string" ? findAlgorithm(item) : undefined;
    if (algorithm === undefined) {
      issues.add(
        itemPath,
        `unsupported digest algorithm ${describeValue(item)}; supported here: ${SUPPORTED_ALGORITHMS.join(", ")}`,
      );
      ok = false;
    } else if (out.includes(algorithm.name)) {
      issues.add(itemPath, `${algorithm.name} is listed twice`);
      ok = false;
    } else {
      out.push(algorithm.name);
    }
  });
  return ok ? Object.freeze(out) : undefined;
}

/**
 * SIPFLEET_NONCE_SECRET, else auth.nonceSecret, else 32 random bytes. The text's UTF-8 bytes
 * are the HMAC key. Only lengths appear in messages, never the secret.
 */
function readNonceSecret(
  issues: IssueList,
  value: unknown,
  path: string,
  env: Env,
): { bytes: Uint8Array; source: NonceSecretSource } | undefined {
  let fromFile: string | undefined;
  let fileOk = true;
  if (!isAbsent(value)) {
    if (typeof value !== "string") {
      const kind = Array.isArray(value) ? "a list" : typeof value === "object" ? "a mapping" : `a ${typeof value}`;
      issues.add(path, `expected a string of at least ${MIN_NONCE_SECRET_LENGTH} characters, got ${kind}`);
      fileOk = false;
    } else if (value.length < MIN_NONCE_SECRET_LENGTH) {
      issues.add(path, `must be at least ${MIN_NONCE_SECRET_LENGTH} characters, got ${value.length}`);
      fileOk = false;
    } else {
      fromFile = value;
    }
  }
  const fromEnv = env[ENV_NONCE_SECRET];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (fromEnv.length < MIN_NONCE_SECRET_LENGTH) {
      issues.add("", `must be at least ${MIN_NONCE_SECRET_LENGTH} characters, got ${fromEnv.length}`, ENV_NONCE_SECRET);
      return undefined;
    }
    return fileOk ? { bytes: new Uint8Array(Buffer.from(fromEnv, "utf8")), source: "env" } : undefined;
  }
  if (!fileOk) return undefined;
  if (fromFile !== undefined) return { bytes: new Uint8Array(Buffer.from(fromFile, "utf8")), source: "config" };
  return { bytes: new Uint8Array(randomBytes(RANDOM_NONCE_SECRET_BYTES)), source: "random" };
}

