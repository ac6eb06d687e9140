import type { Decision } from "@sipfleet/proto";

/** What the registrar answers a REGISTER with; the edge builds the response from the request. */
export interface RegistrarReply {
  readonly status: number;
  /** Omitted: the standard reason phrase. */
  readonly reason?: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

export function reply(status: number, reason?: string, headers: ReadonlyArray<readonly [string, string]> = []): RegistrarReply {
  return reason === undefined ? { status, headers } : { status, reason, headers };
}

/** The wire form for the edge. */
export function toDecision(r: RegistrarReply): Decision {
  return {
    action: {
      $case: "respond",
      value: {
        status: r.status,
        reason: r.reason ?? "",
        headers: r.headers.map(([name, value]) => ({ name, value })),
        body: Buffer.alloc(0),
        toTag: "",
      },
    },
  };
}
