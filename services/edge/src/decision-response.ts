import type { Respond } from "@sipfleet/proto";
import type { ResponseOptions } from "@sipfleet/sip";

/** RFC 3261 §25.1 token characters: what a header name may be made of. */
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
/** CR, LF and NUL would end the header line (or the message) early. */
// eslint-disable-next-line no-control-regex
const LINE_BREAKING = /[\r\n\0]/;

/**
 * The response options for a worker's `respond` decision, or the reason it cannot be sent. The
 * edge trusts workers with content but not with framing: the status must be final (a worker
 * answers a request once), header names must be tokens, values single lines; Content-Length is
 * the edge's to write (it writes the body's real length).
 */
export function respondOptions(r: Respond): { ok: true; status: number; options: ResponseOptions } | { ok: false; reason: string } {
  const status = r.status;
  if (!Number.isInteger(status) || status < 200 || status > 699) return { ok: false, reason: `status ${status} is not a final response` };
  if (LINE_BREAKING.test(r.reason)) return { ok: false, reason: "reason phrase contains a line break" };
  if (r.toTag !== "" && !TOKEN.test(r.toTag)) return { ok: false, reason: `To tag ${JSON.stringify(r.toTag)} is not a token` };
  const headers: [string, string][] = [];
  for (const h of r.headers) {
    if (!TOKEN.test(h.name)) return { ok: false, reason: `header name ${JSON.stringify(h.name)} is not a token` };
    if (LINE_BREAKING.test(h.value)) return { ok: false, reason: `header ${h.name} contains a line break` };
    const lower = h.name.toLowerCase();
    if (lower === "content-length" || lower === "l") continue;
    headers.push([h.name, h.value]);
  }
  const options: ResponseOptions = { headers };
  if (r.reason !== "") options.reason = r.reason;
  if (r.toTag !== "") options.toTag = r.toTag;
  if (r.body.length > 0) options.body = r.body;
  return { ok: true, status, options };
}
