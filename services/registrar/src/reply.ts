import type { Decision } from "@sipfleet/proto";
import { type AuthReply, reply } from "@sipfleet/sip-auth";

/**
 * What the registrar answers a REGISTER with; the edge builds the response from the request. The
 * same shape as the digest authenticator's replies, which the registrar passes on as they are.
 */
export type RegistrarReply = AuthReply;
export { reply };

/** No response the registrar or the authenticator writes has a body; one empty buffer for all. */
const NO_BODY = Buffer.alloc(0);

/** The wire form for the edge. */
export function toDecision(r: RegistrarReply): Decision {
  return {
    action: {
      $case: "respond",
      value: {
        status: r.status,
        reason: r.reason ?? "",
        headers: r.headers.map(([name, value]) => ({ name, value })),
        body: NO_BODY,
        toTag: "",
        credentialsFailed: r.credentialsFailed === true,
      },
    },
  };
}
