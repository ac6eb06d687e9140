import type { Forward, Respond } from "@sipfleet/proto";
import type { ResponseOptions } from "@sipfleet/sip";
import { knownFailover } from "./group-failover.js";

/** RFC 3261 §25.1 token characters: what a header name may be made of. */
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
/** CR, LF and NUL would end the header line (or the message) early. */
// eslint-disable-next-line no-control-regex
const LINE_BREAKING = /[\r\n\0]/;
/** White space or NUL: a Request-URI with either would break the start line. */
const URI_BREAKING = /[\s\0]/;

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

/**
 * Why a worker's `forward` decision cannot be carried out, or undefined when it can. As with
 * `respond`, the edge checks framing, not policy: there is a target, header names are tokens,
 * and nothing that goes into a header line or the start line can break out of it.
 */
export function forwardProblem(f: Forward): string | undefined {
  if (f.groups.length === 0 || f.groups.every((g) => g.targets.length === 0)) return "no target";
  if (!knownFailover(f.failover)) return `unknown failover rule ${f.failover}`;
  for (const r of f.routes) if (badLine(r)) return badLineReason("Route", r);
  for (const h of f.addHeaders) {
    if (!TOKEN.test(h.name)) return `header name ${JSON.stringify(h.name)} is not a token`;
    if (badLine(h.value)) return badLineReason(h.name, h.value);
  }
  for (const name of f.removeHeaders) if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not a token`;
  for (const g of f.groups) {
    for (const t of g.targets) {
      if (URI_BREAKING.test(t.requestUri)) return `Request-URI ${JSON.stringify(t.requestUri)} contains white space`;
      for (const r of t.routes) if (badLine(r)) return badLineReason("Route", r);
      for (const r of t.recordRoutes) if (badLine(r)) return badLineReason("Record-Route", r);
      if (t.flow !== undefined && (t.flow.edgeId === "" || t.flow.remote === undefined)) return "target flow without an edge or a remote address";
    }
  }
  return undefined;
}

/** A header value that is empty or would end its line early. */
function badLine(value: string): boolean {
  return value === "" || LINE_BREAKING.test(value);
}

function badLineReason(name: string, value: string): string {
  return `${name} value ${JSON.stringify(value)} is empty or contains a line break`;
}
