import { CallEvent_Ending, CallEvent_Kind, CallEvent_Party, Transport, type CallEvent, type Flow } from "@sipfleet/proto";

/**
 * A call event as plain JSON for people and scripts: enums by name (without their prefix), times
 * also as ISO strings. Not a wire format: consumers decode the protobuf.
 */
export function callEventToJson(e: CallEvent): Record<string, unknown> {
  return {
    eventId: e.eventId,
    kind: enumName(CallEvent_Kind, e.kind, "KIND_"),
    callId: e.callId,
    inviteCseq: e.inviteCseq,
    fromUri: e.fromUri,
    fromTag: e.fromTag,
    toUri: e.toUri,
    toTag: e.toTag,
    requestUri: e.requestUri,
    authenticatedUser: e.authenticatedUser,
    callerFlow: flowJson(e.callerFlow),
    calleeFlow: flowJson(e.calleeFlow),
    edgeId: e.edgeId,
    attemptedAt: isoOrNull(e.attemptedAtMs),
    answeredAt: isoOrNull(e.answeredAtMs),
    endedAt: isoOrNull(e.endedAtMs),
    statusCode: e.statusCode,
    reason: e.reason,
    endedBy: enumName(CallEvent_Party, e.endedBy, "PARTY_"),
    ending: enumName(CallEvent_Ending, e.ending, "ENDING_"),
    durationMs: e.durationMs,
  };
}

function flowJson(f: Flow | undefined): Record<string, unknown> | null {
  if (f === undefined) return null;
  return {
    edgeId: f.edgeId,
    connectionId: f.connectionId,
    transport: enumName(Transport, f.transport, "TRANSPORT_"),
    remote: f.remote === undefined ? null : `${f.remote.ip}:${f.remote.port}`,
    local: f.local === undefined ? null : `${f.local.ip}:${f.local.port}`,
  };
}

function enumName(e: Record<number, string>, value: number, prefix: string): string {
  const name = e[value];
  return name === undefined ? String(value) : name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

function isoOrNull(ms: number): string | null {
  return ms > 0 ? new Date(ms).toISOString() : null;
}
