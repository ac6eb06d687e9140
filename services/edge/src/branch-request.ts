import type { Forward, Target } from "@sipfleet/proto";
import { editMessage, parseMessage, type SipRequest } from "@sipfleet/sip";
import { NO_AUTH, withCSeqOffset, type BranchAuth } from "./carrier-challenge.js";
import { maskContact, type BranchHiding } from "./topology-hiding.js";

/**
 * The request one branch sends (RFC 3261 §16.6 steps 1-8), built from the request as received:
 * the platform's Via on top with the received one carrying what the server transport stamped
 * (§18.2.1), the Route edits the decision asked for (popping the platform's own values, §16.4, or
 * a rewrite for strict routing), the target's Route values on top (§16.6 step 5, a Path),
 * header removals and additions, the target's Record-Route values (§16.6 step 4), its
 * Request-URI (step 2), and Max-Forwards one lower (step 3). Every other header line is copied
 * from the received bytes. The CSeq number goes up by the Forward's `cseq_offset` and by the
 * challenges the edge answered on this branch (`auth`, carrier-challenge.ts), whose offset is
 * also written into the Record-Route value facing the carrier (the target's first).
 * Toward a carrier (`hiding`, topology-hiding.ts) the received Via header field stays behind (only
 * the platform's Via goes) and the Contact is masked.
 */
export function buildBranchBytes(
  req: SipRequest,
  forward: Forward,
  target: Target,
  via: string,
  stampedVia: string | undefined,
  auth: BranchAuth = NO_AUTH,
  hiding: BranchHiding | undefined = undefined,
): Buffer {
  const e = editMessage(req);
  if (hiding !== undefined) {
    e.removeHeader("Via");
    maskContact(e, req, hiding.masks, hiding.at);
  } else if (stampedVia !== undefined) e.replaceTopVia(stampedVia);
  e.prependVia(via);
  if (forward.rewriteRoutes) e.removeHeader("Route");
  else if (forward.popRoutes > 0) e.removeTopRoutes(forward.popRoutes);
  for (const r of target.routes) e.prependHeader("Route", r);
  if (forward.rewriteRoutes) for (const r of forward.routes) e.prependHeader("Route", r);
  for (const name of forward.removeHeaders) e.removeHeader(name);
  for (const h of forward.addHeaders) e.appendHeader(h.name, h.value);
  const rrs = target.recordRoutes;
  for (let i = 0; i < rrs.length; i++) e.addRecordRoute(i === 0 && auth.cseqOffset > 0 ? withCSeqOffset(rrs[i]!, auth.cseqOffset) : rrs[i]!);
  for (const [name, value] of auth.headers) e.appendHeader(name, value);
  const offset = forward.cseqOffset + auth.cseqOffset;
  if (offset > 0) {
    const cseq = req.cseq;
    e.setHeader("CSeq", `${cseq.seq + offset} ${cseq.method}`);
  }
  if (target.requestUri !== "") e.setRequestUri(target.requestUri);
  e.decrementMaxForwards();
  return e.toBuffer();
}

/**
 * The branch request parsed, for a client transaction (which reads its Via, CSeq and method); a
 * request sent without one (the ACK of a 2xx) needs only `buildBranchBytes`.
 */
export function buildBranchRequest(
  req: SipRequest,
  forward: Forward,
  target: Target,
  via: string,
  stampedVia: string | undefined,
  auth: BranchAuth = NO_AUTH,
  hiding: BranchHiding | undefined = undefined,
): SipRequest {
  return parseMessage(buildBranchBytes(req, forward, target, via, stampedVia, auth, hiding), { maxSize: Number.MAX_SAFE_INTEGER }) as SipRequest;
}
