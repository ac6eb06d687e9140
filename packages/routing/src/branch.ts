import { randomBytes } from "node:crypto";
import { BRANCH_MAGIC_COOKIE } from "@sipfleet/sip";

/*
 * The Via branch an edge writes on a request it forwards names that edge (architecture invariant
 * 1): a response that lands on any other edge is relayed to the owner of the client transaction
 * by reading the branch, with no shared state.
 *
 *   z9hG4bK.sf.<edge id>.<loop hash>.<random>
 *
 * RFC 3261 §8.1.1.7 only asks for the magic cookie and uniqueness; the rest is ours. Edge ids are
 * 1-64 of [A-Za-z0-9_-] (never "."), so the dots split the fields unambiguously, and every
 * character is a SIP token character. The loop hash (loop-hash.ts) lets a proxy tell a looped
 * request from a spiral (§16.3 step 4).
 */

const PREFIX = `${BRANCH_MAGIC_COOKIE}.sf.`;
const EDGE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The fields of a branch the platform wrote. */
export interface PlatformBranch {
  readonly edgeId: string;
  readonly loopHash: string;
}

/** A new branch for a request `edgeId` forwards; `loopHash` from `loopHash()` of the received request. */
export function platformBranch(edgeId: string, loopHash: string): string {
  if (!EDGE_ID.test(edgeId)) throw new Error(`platformBranch: edge id ${JSON.stringify(edgeId)} is not 1-64 of A-Z a-z 0-9 _ -`);
  return `${PREFIX}${edgeId}.${loopHash}.${randomBytes(8).toString("hex")}`;
}

/** The owner and loop hash of a branch the platform wrote; undefined for any other branch. */
export function readPlatformBranch(branch: string | undefined): PlatformBranch | undefined {
  if (branch === undefined || !branch.startsWith(PREFIX)) return undefined;
  const a = PREFIX.length;
  const b = branch.indexOf(".", a);
  if (b < 0) return undefined;
  const c = branch.indexOf(".", b + 1);
  if (c < 0 || branch.indexOf(".", c + 1) >= 0 || c === branch.length - 1) return undefined;
  const edgeId = branch.slice(a, b);
  if (!EDGE_ID.test(edgeId)) return undefined;
  return { edgeId, loopHash: branch.slice(b + 1, c) };
}

/** The edge that owns the client transaction a response belongs to, from its top Via branch. */
export function branchOwner(branch: string | undefined): string | undefined {
  return readPlatformBranch(branch)?.edgeId;
}
