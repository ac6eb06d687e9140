import { createHash, timingSafeEqual } from "node:crypto";
import { ConfigError } from "./errors.js";

/** `read` may call every GET; `admin` may also change state. */
export type Role = "read" | "admin";

const ROLE_RANK: Record<Role, number> = { read: 1, admin: 2 };

/** True when a caller holding `held` may call a route that needs `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLE_RANK[held] >= ROLE_RANK[needed];
}

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * The bearer tokens the API accepts. Only SHA-256 digests are kept, so a heap dump does not hand
 * out tokens, and every lookup compares digests of equal length in constant time.
 */
export class TokenTable {
  private readonly entries: readonly { digest: Buffer; role: Role }[];

  constructor(tokens: readonly { token: string; role: Role }[]) {
    this.entries = tokens.map(({ token, role }) => ({ digest: sha256(token), role }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The role of `token`, or undefined for one not configured. */
  roleOf(token: string): Role | undefined {
    const digest = sha256(token);
    let found: Role | undefined;
    // Every entry is compared, found or not, so the time taken says nothing about which matched.
    for (const e of this.entries) if (timingSafeEqual(e.digest, digest)) found ??= e.role;
    return found;
  }
}

/**
 * Parses the token list: `token:role` entries separated by commas, whitespace or new lines
 * (`#` starts a comment line in a file). `source` is the setting named in errors (ADMIN_TOKENS
 * or ADMIN_TOKENS_FILE). Throws ConfigError on a bad entry or when no token is given.
 */
export function parseTokens(text: string, source: string): TokenTable {
  const tokens: { token: string; role: Role }[] = [];
  const entries = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((e) => e !== "");
  for (const entry of entries) {
    const colon = entry.lastIndexOf(":");
    const token = entry.slice(0, colon);
    const role = entry.slice(colon + 1);
    if (colon <= 0) throw new ConfigError(`${source}: expected token:role, got an entry without a role`);
    if (role !== "read" && role !== "admin") throw new ConfigError(`${source}: role must be read or admin, got "${role}"`);
    if (token.length < 16) throw new ConfigError(`${source}: a token must be at least 16 characters`);
    tokens.push({ token, role });
  }
  if (tokens.length === 0) throw new ConfigError(`${source}: no token configured (token:role, role read or admin)`);
  return new TokenTable(tokens);
}
