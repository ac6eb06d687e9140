import type { OutboundCredentials } from "@sipfleet/trunks";
import { parseCredentials, type HeaderList, type SipRequest, type SipResponse } from "@sipfleet/sip";
import { answerChallenge } from "./carrier-credentials.js";

/*
 * Answering a carrier's 401/407 with the trunk's outbound credentials (RFC 3261 §22.2, §8.1.3.5).
 * The edge re-sends the request on the same branch as a new client transaction: same Call-ID and
 * From tag, "the client SHOULD resubmit the request with the proper credentials" with a CSeq one
 * higher (§22.2 "MUST increment the CSeq"), a new Via branch. The caller never sees the
 * challenge: the credentials are the platform's, not the caller's.
 *
 * The CSeq the carrier saw is then ahead of the caller's. For a request that sets up a dialog the
 * offset is written as the `cso` parameter of the Record-Route value facing the carrier, which
 * the caller's later requests carry in their Route set back to whichever worker and edge gets
 * them (architecture invariant 1: no dialog state on an edge); the proxy turns it into
 * Forward.cseq_offset (decision.proto).
 */

/** What a branch adds to the request it sends once the edge has answered challenges on it. */
export interface BranchAuth {
  /** Added to the CSeq number (one per challenge answered). */
  readonly cseqOffset: number;
  /** Authorization / Proxy-Authorization lines, one per realm answered. */
  readonly headers: HeaderList;
  /** Realms answered, with whether a `stale=true` re-challenge was answered for it already. */
  readonly realms: ReadonlyMap<string, { readonly staleAnswered: boolean }>;
}

export const NO_AUTH: BranchAuth = { cseqOffset: 0, headers: [], realms: new Map() };

/**
 * A carrier that keeps challenging is refused after this many answers on one branch (a realm
 * answered, a stale nonce answered once, another realm: never a loop).
 */
const MAX_ANSWERS = 3;

export type ChallengeOutcome =
  /** Send the request again with `auth`. */
  | { readonly kind: "answer"; readonly auth: BranchAuth; readonly realm: string }
  /** The challenge stays unanswered: why (logged; never the credentials). */
  | { readonly kind: "refuse"; readonly reason: string; readonly realm: string | undefined };

/**
 * What to do with a 401/407 `res` to `sent` (the branch request as it went out), given the
 * branch's answers so far. A second challenge for a realm already answered is a failure (the
 * credentials were wrong), unless it says `stale=true` (RFC 7616 §3.3: the credentials were
 * right, the nonce had expired), which is answered once more.
 */
export function answerBranchChallenge(sent: SipRequest, res: SipResponse, credentials: OutboundCredentials, auth: BranchAuth): ChallengeOutcome {
  // §22.4: the digest covers the request as it was sent (its Request-URI, method and body).
  const answer = answerChallenge(res, { method: sent.method, uri: sent.uriText, body: sent.body }, credentials);
  if (typeof answer === "string") return { kind: "refuse", reason: answer, realm: undefined };
  const realm = answer.realm;
  if (realm === undefined) return { kind: "refuse", reason: "a challenge without a realm", realm };
  const before = auth.realms.get(realm);
  if (before !== undefined && (!answer.stale || before.staleAnswered)) return { kind: "refuse", reason: "the carrier refused the trunk's credentials", realm };
  if (auth.cseqOffset >= MAX_ANSWERS) return { kind: "refuse", reason: "too many challenges", realm };
  const realms = new Map(auth.realms);
  realms.set(realm, { staleAnswered: before !== undefined });
  // The answer for this realm replaces an earlier one (stale nonce); other realms' stay (§22.3:
  // a request may carry credentials for several proxies).
  const headers = auth.headers.filter(([n, v]) => !(n === answer.name && realmOf(v) === realm));
  headers.push([answer.name, answer.value]);
  return { kind: "answer", auth: { cseqOffset: auth.cseqOffset + 1, headers, realms }, realm };
}

function realmOf(credentials: string): string | undefined {
  try {
    return parseCredentials(credentials).realm;
  } catch {
    return undefined;
  }
}

/**
 * The Record-Route value facing the carrier with the CSeq offset as a URI parameter: `cso=N`
 * inside the angle brackets (a URI parameter, RFC 3261 §19.1.1, which UAs copy into their route
 * sets unchanged, §12.1.1). The flow token seals the flow only, so the token stays valid.
 */
export function withCSeqOffset(recordRoute: string, offset: number): string {
  const end = recordRoute.lastIndexOf(">");
  if (end < 0) return `${recordRoute};cso=${offset}`;
  return `${recordRoute.slice(0, end)};cso=${offset}${recordRoute.slice(end)}`;
}

/**
 * Whether the offset of an answered challenge can be kept for what follows the request: a request
 * outside a dialog that may start one (INVITE, SUBSCRIBE, REFER) needs a Record-Route value to
 * carry it (else the caller's ACK and BYE would go out with a CSeq the carrier already saw); a
 * BYE ends its dialog (nothing follows it); any other in-dialog request cannot change its route
 * set (§12.2: it is fixed when the dialog is set up), so its challenge is passed on.
 */
export function offsetCanBeKept(method: string, initial: boolean, recordRoutes: number): boolean {
  if (!initial) return method === "BYE";
  return !DIALOG_CREATING.has(method) || recordRoutes > 0;
}

const DIALOG_CREATING = new Set(["INVITE", "SUBSCRIBE", "REFER"]);
