import { createHash } from "node:crypto";
import type { SipRequest } from "@sipfleet/sip";
import { readPlatformBranch } from "./branch.js";

/*
 * RFC 3261 §16.3 step 4 / §16.6 step 8: a proxy recognises a request it forwarded before by its
 * own Via; whether that is a loop or a legitimate spiral (the request came back with another
 * Request-URI, e.g. after a user's forwarding) is told by a hash of what routes the request,
 * placed in the branch when it was forwarded and recomputed when it returns.
 *
 * The hash covers the Request-URI as received, the From and To tags, Call-ID, the CSeq number,
 * Proxy-Require and Proxy-Authorization. It leaves out the topmost Via that §16.6 step 8 lists:
 * a request that loops back through the platform arrives with the platform's own Via on top,
 * which was not on top the first time, so including it would make every loop look like a spiral
 * (RFC 5393 discusses the same weakness).
 */
export function loopHash(req: SipRequest): string {
  const h = createHash("sha1");
  h.update(req.uriText);
  h.update("\0");
  h.update(req.from.tag ?? "");
  h.update("\0");
  h.update(req.to.tag ?? "");
  h.update("\0");
  h.update(req.callId);
  h.update("\0");
  h.update(String(req.cseq.seq));
  for (const v of req.headers("proxy-require")) h.update("\0" + v);
  for (const v of req.headers("proxy-authorization")) h.update("\0" + v);
  return h.digest("hex").slice(0, 12);
}

/**
 * Whether the request has been forwarded by the platform before in this same shape (a loop,
 * answered 482 Loop Detected): a Via below the top carries a platform branch whose loop hash is
 * the request's. A platform Via with another hash is a spiral and is fine.
 */
export function isLooped(req: SipRequest): boolean {
  let hash: string | undefined;
  for (const via of req.via) {
    const ours = readPlatformBranch(via.branch);
    if (ours === undefined) continue;
    hash ??= loopHash(req);
    if (ours.loopHash === hash) return true;
  }
  return false;
}
