import { CallEvent, CallEvent_Ending, CallEvent_Kind, CallEvent_Party, Transport } from "@sipfleet/proto";

/** The three events of one answered call, as the edge would emit them (ids left for the sink to fill). */
export function answeredCall(callId: string, t0 = 1_700_000_000_000): CallEvent[] {
  const base = CallEvent.fromPartial({
    callId,
    inviteCseq: 2,
    fromUri: "sip:alice@example.com",
    fromTag: "a1",
    toUri: "sip:bob@example.com",
    requestUri: "sip:bob@example.com",
    authenticatedUser: "alice",
    callerFlow: { edgeId: "edge-1", connectionId: "udp:1", transport: Transport.TRANSPORT_UDP, remote: { ip: "127.0.0.2", port: 5060 }, local: { ip: "127.0.0.1", port: 5060 } },
    edgeId: "edge-1",
    attemptedAtMs: t0,
  });
  return [
    { ...base, kind: CallEvent_Kind.KIND_ATTEMPTED },
    { ...base, kind: CallEvent_Kind.KIND_ANSWERED, toTag: "b1", answeredAtMs: t0 + 2_000, statusCode: 200, reason: "OK" },
    {
      ...base,
      kind: CallEvent_Kind.KIND_ENDED,
      toTag: "b1",
      answeredAtMs: t0 + 2_000,
      endedAtMs: t0 + 62_000,
      statusCode: 200,
      reason: "OK",
      endedBy: CallEvent_Party.PARTY_CALLEE,
      ending: CallEvent_Ending.ENDING_BYE,
      durationMs: 60_000,
    },
  ];
}

