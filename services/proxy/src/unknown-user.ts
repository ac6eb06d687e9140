import type { DomainConfig } from "@sipfleet/config";
import type { Decision } from "@sipfleet/proto";
import { respond } from "./decisions.js";

/**
 * The answer to a request for a user a digest domain does not have, chosen so that a caller who
 * has not proved who they are cannot enumerate users (SIPVicious svwar and its kin compare the
 * answers for many names).
 *
 * RFC 3261 §21.4.5 404: "The server has definitive information that the user does not exist at
 * the domain specified in the Request-URI." §21.4.18 480: "The callee's end system was contacted
 * successfully but the callee is currently unavailable (for example, is not logged in ...)".
 * A known user with no live binding gets 480 (sip-proxy.ts, forwardToUsers). A 404 for a missing
 * user next to that 480 tells anyone which names exist, and a caller of another domain must be
 * able to reach our users without credentials (RFC 3261 §22.3 leaves challenging to the proxy's
 * policy; federation cannot answer one), so it cannot be challenged first.
 *
 * So an unauthenticated caller gets the very 480 a known, unregistered user gets: nothing is
 * promised that is false (nobody by that name will answer now), a UA treats both alike (no
 * retry without a change, RFC 3261 §21.4), and the answers are equal byte for byte. A caller
 * who authenticated as a user of `from` (a served digest domain: the proxy challenged them
 * before asking here) already belongs to the platform and gets the definitive 404.
 */
export function unknownUser(from: DomainConfig | undefined): Decision {
  if (from !== undefined && from.authentication === "digest") return respond(404, "Not Found");
  return respond(UNAVAILABLE_STATUS, UNAVAILABLE_REASON);
}

/** Also what forwardToUsers answers for a user with no live binding (sip-proxy.ts uses these), so the two stay equal. */
export const UNAVAILABLE_STATUS = 480;
export const UNAVAILABLE_REASON = "Temporarily Unavailable";
