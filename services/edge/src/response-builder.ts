import { createResponse, editMessage, parseMessage, type ResponseOptions, type SipRequest, type SipResponse } from "@sipfleet/sip";

/**
 * A response to `request` (RFC 3261 §8.2.6, via `createResponse`, which copies the Via lines as
 * received) whose top Via is `stampedVia` when the edge had to add `received`/`rport` to it
 * (RFC 3261 §18.2.1, RFC 3581 §4). Throws `SipError` for an invalid status.
 */
export function buildResponse(request: SipRequest, stampedVia: string | undefined, status: number, options?: ResponseOptions): SipResponse {
  const res = createResponse(request, status, options);
  if (stampedVia === undefined) return res;
  const bytes = editMessage(res).removeTopVia().prependVia(stampedVia).toBuffer();
  return parseMessage(bytes, { maxSize: Number.MAX_SAFE_INTEGER }) as SipResponse;
}
