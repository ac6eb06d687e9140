import { randomFillSync } from "node:crypto";

/*
 * Random identifiers: branches, tags, Call-IDs. One syscall fills a pool that serves many ids,
 * because a branch is minted for every forwarded request.
 */

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const POOL = Buffer.allocUnsafe(4096);
let at = POOL.length;

function randomChars(n: number): string {
  if (at + n > POOL.length) {
    randomFillSync(POOL);
    at = 0;
  }
  let s = "";
  // 256 % 36 leaves a slight bias, irrelevant for ids that only need to be unique.
  for (let i = 0; i < n; i++) s += ALPHABET[(POOL[at++] as number) % 36];
  return s;
}

/** RFC 3261 §8.1.1.7: branches start with the magic cookie z9hG4bK. */
export const BRANCH_MAGIC_COOKIE = "z9hG4bK";

/** A new branch: magic cookie plus 96+ bits of randomness. */
export function newBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomChars(20);
}

/** RFC 3261 §19.3: a tag with at least 32 bits of randomness. */
export function newTag(): string {
  return randomChars(12);
}

export function newCallId(host?: string): string {
  return host === undefined ? randomChars(24) : `${randomChars(24)}@${host}`;
}
