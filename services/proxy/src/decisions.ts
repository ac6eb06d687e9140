import { Forward_CarrierSide, Forward_Failover, type Decision, type Forward } from "@sipfleet/proto";

/* Builders for the Decision the edge executes (proto/sipfleet/sip/v1/decision.proto). */

export type HeaderPairs = ReadonlyArray<readonly [string, string]>;

/** The proxy's responses have no body; one empty buffer for all (nothing writes into it). */
const NO_BODY = Buffer.alloc(0);

/** Answer the request; `reason` omitted: the standard phrase. */
export function respond(status: number, reason?: string, headers: HeaderPairs = []): Decision {
  return {
    action: {
      $case: "respond",
      value: {
        status,
        reason: reason ?? "",
        headers: headers.map(([name, value]) => ({ name, value })),
        body: NO_BODY,
        toTag: "",
        credentialsFailed: false,
      },
    },
  };
}

/** Do nothing with the request (an ACK that cannot go anywhere); the edge logs `reason`. */
export function drop(reason: string): Decision {
  return { action: { $case: "drop", value: { reason } } };
}

export function forward(f: Partial<Forward> & Pick<Forward, "groups">): Decision {
  return {
    action: {
      $case: "forward",
      value: {
        groups: f.groups,
        popRoutes: f.popRoutes ?? 0,
        rewriteRoutes: f.rewriteRoutes ?? false,
        routes: f.routes ?? [],
        removeHeaders: f.removeHeaders ?? [],
        addHeaders: f.addHeaders ?? [],
        failover: f.failover ?? Forward_Failover.FAILOVER_UNSPECIFIED,
        cseqOffset: f.cseqOffset ?? 0,
        carrierSide: f.carrierSide ?? Forward_CarrierSide.CARRIER_SIDE_UNSPECIFIED,
      },
    },
  };
}

/**
 * A refusal that suits the method: a response, except for ACK, which is never answered (RFC 3261
 * §17: an ACK has no response) and is dropped with the would-be status as the reason.
 */
export function refuse(method: string, status: number, reason: string, headers: HeaderPairs = []): Decision {
  return method === "ACK" ? drop(`${status} ${reason}`) : respond(status, reason, headers);
}
