import { buildAuthorization, createCnonce, selectChallenge, type SipResponse } from "@sipfleet/sip";
import type { OutboundCredentials } from "@sipfleet/trunks";

/** The header that answers a challenge, its value, and whether the challenge said stale=true. */
export interface ChallengeAnswer {
  /** RFC 3261 §22.2: Authorization answers a 401's WWW-Authenticate; §22.3: Proxy-Authorization a 407's Proxy-Authenticate. */
  readonly name: "Authorization" | "Proxy-Authorization";
  readonly value: string;
  /** RFC 7616 §3.3: the nonce was old but the credentials were right: answering again is no retry of bad credentials. */
  readonly stale: boolean;
  /** The realm of the challenge answered (a carrier that challenges again for it refused the credentials). */
  readonly realm: string | undefined;
}

/** The request being answered: what RFC 3261 §22.4 puts into the digest (method, uri; body for auth-int). */
export interface ChallengedRequest {
  readonly method: string;
  readonly uri: string;
  readonly body?: Buffer | undefined;
}

/**
 * Answers a carrier's 401/407 to one of our requests with a trunk's outbound credentials (RFC
 * 3261 §22.2/§22.3): the topmost Digest challenge we can answer (RFC 8760 §2.4), a fresh cnonce,
 * nc 1 (a fresh challenge's nonce has not been used by us). Returns why not when the response
 * carries no challenge we can answer. Never throws: the response came from the network.
 *
 * Kept apart from who sends the request (outbound REGISTER, forwarded INVITEs) so one function
 * answers challenges for both.
 */
export function answerChallenge(
  response: SipResponse,
  request: ChallengedRequest,
  credentials: OutboundCredentials,
  cnonce: () => string = createCnonce,
): ChallengeAnswer | string {
  const proxy = response.status === 407;
  if (!proxy && response.status !== 401) return `status ${response.status} is not a challenge`;
  try {
    const offered = proxy ? response.proxyAuthenticate : response.wwwAuthenticate;
    const challenge = selectChallenge(offered);
    if (challenge === undefined) return `no Digest challenge we can answer in the ${response.status}`;
    const value = buildAuthorization({
      challenge,
      username: credentials.username,
      password: credentials.password,
      method: request.method,
      uri: request.uri,
      body: request.body,
      cnonce: cnonce(),
      nc: 1,
    });
    return { name: proxy ? "Proxy-Authorization" : "Authorization", value, stale: challenge.stale, realm: challenge.realm };
  } catch (e) {
    return `cannot answer the ${response.status}: ${e instanceof Error ? e.message : String(e)}`;
  }
}
