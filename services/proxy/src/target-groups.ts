import type { Binding } from "@sipfleet/bindings";
import type { ProxyConfig } from "@sipfleet/config";
import { flowToWire } from "@sipfleet/location-client/wire";
import type { Target, TargetGroup } from "@sipfleet/proto";
import { parseNameAddr, SipError } from "@sipfleet/sip";
import { type RecordRouting, recordRoutesOverFlow } from "./record-route.js";

/*
 * RFC 3261 §16.6 target processing for a user's bindings: each registered contact is a branch
 * with the contact's URI as its Request-URI (step 2), the binding's Path as its Route (RFC 3327
 * §5.3, step 5) and the registered flow as the way there (RFC 5626 §5.3).
 *
 * Forking by q (§16.6: "a proxy ... MAY process the targets in order of their q-values"): higher
 * q first; contacts of equal q ring together. Every group but the last rings at most
 * `serialGroupTimeoutMs`; the last rings until its branches end (Timer C bounds an INVITE).
 */

export interface TargetPlan {
  readonly groups: TargetGroup[];
  /** Bindings left out: their stored contact does not parse (logged by the caller). */
  readonly unusable: readonly Binding[];
}

/** `recordRouting`: how the branches record-route; undefined: they do not (not dialog-creating). */
export function targetGroups(bindings: readonly Binding[], config: ProxyConfig, recordRouting: RecordRouting | undefined): TargetPlan {
  // Highest q first; among equals the most recently registered first, so that maxTargets keeps
  // the devices in use and the order is the same on every worker.
  const ordered = [...bindings].sort((a, b) => b.qMillis - a.qMillis || b.updatedAtMs - a.updatedAtMs || cmp(a.key, b.key));
  const groups: TargetGroup[] = [];
  const unusable: Binding[] = [];
  let q = Number.NaN;
  let taken = 0;
  for (const binding of ordered) {
    if (taken === config.maxTargets) break;
    const requestUri = contactUri(binding.contact);
    if (requestUri === undefined) {
      unusable.push(binding);
      continue;
    }
    const flow = flowToWire(binding.flow);
    const recordRoutes = recordRouting === undefined ? [] : recordRoutesOverFlow(recordRouting, flow);
    const target: Target = { requestUri, routes: [...binding.path], recordRoutes, flow, trunk: "", nextHop: undefined };
    if (binding.qMillis !== q) {
      groups.push({ targets: [], timeoutMs: config.serialGroupTimeoutMs, provisionalTimeoutMs: 0 });
      q = binding.qMillis;
    }
    groups[groups.length - 1]!.targets.push(target);
    taken++;
  }
  const last = groups[groups.length - 1];
  if (last !== undefined) last.timeoutMs = 0;
  return { groups, unusable };
}

/** The URI of a stored Contact value (a name-addr with parameters), exactly as the UA wrote it. */
function contactUri(contact: string): string | undefined {
  try {
    const na = parseNameAddr(contact, 0, contact.length, "Contact");
    void na.uri; // parses it: a Request-URI that does not parse is no target
    return na.uriText;
  } catch (e) {
    if (e instanceof SipError) return undefined;
    throw e;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
