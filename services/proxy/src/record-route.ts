import { transportFromWire } from "@sipfleet/location-client/wire";
import type { Flow, Transport } from "@sipfleet/proto";
import type { FlowTokens } from "@sipfleet/routing";
import { advertisedHostPort } from "./platform-address.js";

/*
 * Double Record-Route with flow tokens (RFC 3261 §16.6 step 4, RFC 5626 §5.3; the "double
 * record-routing" of RFC 5658 for a proxy with two faces). For each branch the platform adds,
 * topmost first:
 *
 *   1. <sip:CALLEE-EDGE;transport=T;lr;ft=TOKEN(callee's flow)>  toward the callee
 *   2. <sip:CALLER-EDGE;transport=T;lr;ft=TOKEN(caller's flow)>  toward the caller
 *
 * each addressed to the edge socket that side talks to, over that side's transport. The callee's
 * route set is the Record-Route list in order, the caller's is it reversed (RFC 3261 §12.1.1,
 * §12.1.2), so whoever sends an in-dialog request sends it to its own side's edge with both values
 * on top of Route; route-set.ts removes both and the token of the second — the other side's flow —
 * says where the request goes. The callee-side value is for a target reached over a registered
 * flow; for one reached by address (no flow) it names the edge the request came in on and carries
 * a token with no flow ("ours, route by the URI").
 */

/**
 * What a request's branches need to record-route. The caller-side value (and for targets without
 * a flow the callee-side one too) is the same for every branch, so it is signed once per request
 * (a token is sealed with AES-GCM); only a registered flow's callee-side value differs per branch.
 */
export interface RecordRouting {
  readonly tokens: FlowTokens;
  /** `<sip:CALLER-EDGE...;ft=TOKEN(caller's flow)>`. */
  readonly toCaller: string;
  /** The request came in over this flow: a target without a flow is reached from its edge. */
  readonly inbound: Flow;
}

/** The Record-Routing of a request that came in over `inbound`. */
export function recordRouting(tokens: FlowTokens, inbound: Flow): RecordRouting {
  return { tokens, toCaller: recordRouteValue(tokens, inbound, inbound), inbound };
}

/** The two Record-Route values of a branch over the registered flow `target`. */
export function recordRoutesOverFlow(rr: RecordRouting, target: Flow): [toCallee: string, toCaller: string] {
  return [recordRouteValue(rr.tokens, target, target), rr.toCaller];
}

/** The two Record-Route values of every branch toward an address (no flow: a gateway). */
export function recordRoutesByAddress(rr: RecordRouting): [toCallee: string, toCaller: string] {
  return [recordRouteValue(rr.tokens, undefined, rr.inbound), rr.toCaller];
}

/**
 * `<sip:HOST:PORT;transport=T;lr;ft=TOKEN>` addressed to the edge of `at` over `at.transport`,
 * carrying `flow`: to the address that edge advertises (edge.publicAddress), else its socket's.
 */
export function recordRouteValue(tokens: FlowTokens, flow: Flow | undefined, at: Flow): string {
  const transport = transportParam(at.transport);
  return `<sip:${advertisedHostPort({ local: at.local ?? NO_ADDRESS, advertised: at.advertised })}${transport === undefined ? "" : `;transport=${transport}`};lr;ft=${tokens.encode(flow)}>`;
}

const NO_ADDRESS = { ip: "", port: 0 };

/** The URI transport parameter (RFC 3261 §19.1.1, RFC 7118 §5.2 for ws/wss); none for UDP, the default. */
export function transportParam(t: Transport): string | undefined {
  const name = transportFromWire(t);
  return name === "udp" ? undefined : name;
}
