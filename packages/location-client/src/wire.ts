/**
 * `sipfleet.location.v1` messages ⇄ the domain types of `@sipfleet/bindings`, for both ends of
 * the location service: this client and the server (which also stores `Binding` bytes in Redis).
 *
 * Times on the wire are relative (`expires_in_ms`) so that the two ends need not share a clock;
 * the domain holds absolute Unix ms (`expiresAtMs`), converted with the receiver's clock.
 */
import type { AorBindings, Binding, BindingChange, Flow, ListPage, SaveBindings, SaveResult, TransportName, UseNonce, UseNonceResult } from "@sipfleet/bindings";
import {
  Transport,
  SaveResponse_Outcome,
  type Binding as WireBinding,
  type Flow as WireFlow,
  type ListResponse,
  type SaveRequest,
  type SaveResponse,
  type UseNonceRequest,
  type UseNonceResponse,
} from "@sipfleet/proto";

export type { WireBinding, WireFlow };

const TRANSPORT_TO_WIRE: Readonly<Record<TransportName, Transport>> = {
  udp: Transport.TRANSPORT_UDP,
  tcp: Transport.TRANSPORT_TCP,
  tls: Transport.TRANSPORT_TLS,
  ws: Transport.TRANSPORT_WS,
  wss: Transport.TRANSPORT_WSS,
};

export function transportToWire(t: TransportName): Transport {
  return TRANSPORT_TO_WIRE[t];
}

/** undefined for TRANSPORT_UNSPECIFIED or an unknown value. */
export function transportFromWire(t: Transport): TransportName | undefined {
  switch (t) {
    case Transport.TRANSPORT_UDP:
      return "udp";
    case Transport.TRANSPORT_TCP:
      return "tcp";
    case Transport.TRANSPORT_TLS:
      return "tls";
    case Transport.TRANSPORT_WS:
      return "ws";
    case Transport.TRANSPORT_WSS:
      return "wss";
    default:
      return undefined;
  }
}

export function flowToWire(f: Flow): WireFlow {
  return {
    edgeId: f.edgeId,
    connectionId: f.connectionId,
    transport: transportToWire(f.transport),
    remote: { ip: f.remote.ip, port: f.remote.port },
    local: { ip: f.local.ip, port: f.local.port },
    // Always present, as decoding writes it: a flow and its round trip compare equal.
    advertised: f.advertised === undefined ? undefined : { host: f.advertised.host, port: f.advertised.port },
  };
}

/** The domain flow, or a string saying what is wrong with the wire one. */
export function flowFromWire(f: WireFlow | undefined): Flow | string {
  if (f === undefined) return "flow is missing";
  const transport = transportFromWire(f.transport);
  if (transport === undefined) return "flow.transport is unspecified";
  return {
    edgeId: f.edgeId,
    connectionId: f.connectionId,
    transport,
    remote: { ip: f.remote?.ip ?? "", port: f.remote?.port ?? 0 },
    local: { ip: f.local?.ip ?? "", port: f.local?.port ?? 0 },
    ...(f.advertised === undefined ? {} : { advertised: { host: f.advertised.host, port: f.advertised.port } }),
  };
}

/** A change as Save carries it: expires_in_ms is the lifetime, Call-ID and CSeq are the request's. */
export function changeToWire(c: BindingChange): WireBinding {
  return {
    key: c.key,
    contact: c.contact,
    callId: "",
    cseq: 0,
    qMillis: c.qMillis,
    instanceId: c.instanceId,
    regId: c.regId,
    path: [...c.path],
    flow: flowToWire(c.flow),
    userAgent: c.userAgent,
    updatedAtMs: 0,
    expiresInMs: c.lifetimeMs,
  };
}

export function changeFromWire(w: WireBinding): BindingChange | string {
  const flow = flowFromWire(w.flow);
  if (typeof flow === "string") return flow;
  return {
    key: w.key,
    contact: w.contact,
    qMillis: w.qMillis,
    instanceId: w.instanceId,
    regId: w.regId,
    path: w.path,
    flow,
    userAgent: w.userAgent,
    lifetimeMs: w.expiresInMs,
  };
}

/** A stored or returned binding; its flow was checked when it was saved. */
export function bindingFromWire(w: WireBinding, nowMs: number): Binding {
  const flow = flowFromWire(w.flow);
  return {
    key: w.key,
    contact: w.contact,
    callId: w.callId,
    cseq: w.cseq,
    qMillis: w.qMillis,
    instanceId: w.instanceId,
    regId: w.regId,
    path: w.path,
    flow: typeof flow === "string" ? UNKNOWN_FLOW : flow,
    userAgent: w.userAgent,
    updatedAtMs: w.updatedAtMs,
    expiresAtMs: nowMs + w.expiresInMs,
  };
}

const UNKNOWN_FLOW: Flow = Object.freeze({
  edgeId: "",
  connectionId: "",
  transport: "udp",
  remote: Object.freeze({ ip: "", port: 0 }),
  local: Object.freeze({ ip: "", port: 0 }),
});

export function bindingToWire(b: Binding, nowMs: number): WireBinding {
  return {
    key: b.key,
    contact: b.contact,
    callId: b.callId,
    cseq: b.cseq,
    qMillis: b.qMillis,
    instanceId: b.instanceId,
    regId: b.regId,
    path: [...b.path],
    flow: flowToWire(b.flow),
    userAgent: b.userAgent,
    updatedAtMs: b.updatedAtMs,
    expiresInMs: Math.max(0, b.expiresAtMs - nowMs),
  };
}

export function saveToWire(r: SaveBindings): SaveRequest {
  const n = r.nonceUse;
  return {
    aor: r.aor,
    callId: r.callId,
    cseq: r.cseq,
    changes: r.changes.map(changeToWire),
    removeAll: r.removeAll,
    nonceUse: n === undefined ? undefined : { nonce: n.nonce, nc: n.nc, ttlMs: n.ttlMs },
    maxBindings: r.maxBindings,
    nowMs: r.nowMs,
  };
}

/**
 * A Save request as the domain takes it, or what is wrong with it (→ INVALID_ARGUMENT). A
 * now_ms of 0 takes the receiver's clock.
 */
export function saveFromWire(r: SaveRequest, nowMs: number): SaveBindings | string {
  if (r.aor === "") return "aor is required";
  if (r.callId === "") return "call_id is required";
  const changes: BindingChange[] = [];
  for (let i = 0; i < r.changes.length; i++) {
    const w = r.changes[i]!;
    if (w.key === "") return `changes[${i}].key is required`;
    if (w.expiresInMs < 0) return `changes[${i}].expires_in_ms must be >= 0`;
    const c = changeFromWire(w);
    if (typeof c === "string") return `changes[${i}].${c}`;
    changes.push(c);
  }
  if (r.removeAll && changes.length > 0) return "remove_all excludes changes (RFC 3261 §10.3 step 6)";
  const n = r.nonceUse;
  if (n !== undefined) {
    if (n.nonce === "") return "nonce_use.nonce is required";
    if (n.ttlMs <= 0) return "nonce_use.ttl_ms must be > 0";
  }
  return {
    aor: r.aor,
    callId: r.callId,
    cseq: r.cseq,
    changes,
    removeAll: r.removeAll,
    nonceUse: n === undefined ? undefined : { nonce: n.nonce, nc: n.nc, ttlMs: n.ttlMs },
    maxBindings: r.maxBindings,
    nowMs: r.nowMs === 0 ? nowMs : r.nowMs,
  };
}

export function saveResultToWire(r: SaveResult, nowMs: number): SaveResponse {
  switch (r.outcome) {
    case "saved":
      return { outcome: SaveResponse_Outcome.OUTCOME_SAVED, bindings: r.bindings.map((b) => bindingToWire(b, nowMs)) };
    case "out-of-order":
      return { outcome: SaveResponse_Outcome.OUTCOME_OUT_OF_ORDER, bindings: [] };
    case "nonce-replayed":
      return { outcome: SaveResponse_Outcome.OUTCOME_NONCE_REPLAYED, bindings: [] };
    case "too-many-bindings":
      return { outcome: SaveResponse_Outcome.OUTCOME_TOO_MANY_BINDINGS, bindings: [] };
    default:
      throw new Error(`unknown save outcome ${String((r as { outcome: unknown }).outcome)}`);
  }
}

/** The domain result, or what is wrong with the response (an outcome this client does not know). */
export function saveResultFromWire(r: SaveResponse, nowMs: number): SaveResult | string {
  switch (r.outcome) {
    case SaveResponse_Outcome.OUTCOME_SAVED:
      return { outcome: "saved", bindings: r.bindings.map((b) => bindingFromWire(b, nowMs)) };
    case SaveResponse_Outcome.OUTCOME_OUT_OF_ORDER:
      return { outcome: "out-of-order" };
    case SaveResponse_Outcome.OUTCOME_NONCE_REPLAYED:
      return { outcome: "nonce-replayed" };
    case SaveResponse_Outcome.OUTCOME_TOO_MANY_BINDINGS:
      return { outcome: "too-many-bindings" };
    default:
      return `unknown save outcome ${r.outcome}`;
  }
}

export function useNonceToWire(r: UseNonce): UseNonceRequest {
  const n = r.nonceUse;
  return { aor: r.aor, callId: r.callId, cseq: r.cseq, nonceUse: { nonce: n.nonce, nc: n.nc, ttlMs: n.ttlMs } };
}

/** A UseNonce request as the domain takes it, or what is wrong with it (→ INVALID_ARGUMENT). */
export function useNonceFromWire(r: UseNonceRequest): UseNonce | string {
  if (r.aor === "") return "aor is required";
  if (r.callId === "") return "call_id is required";
  const n = r.nonceUse;
  if (n === undefined) return "nonce_use is required";
  if (n.nonce === "") return "nonce_use.nonce is required";
  if (n.ttlMs <= 0) return "nonce_use.ttl_ms must be > 0";
  return { aor: r.aor, callId: r.callId, cseq: r.cseq, nonceUse: { nonce: n.nonce, nc: n.nc, ttlMs: n.ttlMs } };
}

export function useNonceResultToWire(r: UseNonceResult): UseNonceResponse {
  return { accepted: r === "accepted" };
}

export function useNonceResultFromWire(r: UseNonceResponse): UseNonceResult {
  return r.accepted ? "accepted" : "nonce-replayed";
}

export function listPageToWire(page: ListPage, nowMs: number): ListResponse {
  return {
    entries: page.entries.map((e) => ({ aor: e.aor, bindings: e.bindings.map((b) => bindingToWire(b, nowMs)) })),
    nextPageToken: page.nextPageToken ?? "",
  };
}

export function listPageFromWire(r: ListResponse, nowMs: number): ListPage {
  const entries: AorBindings[] = r.entries.map((e) => ({ aor: e.aor, bindings: e.bindings.map((b) => bindingFromWire(b, nowMs)) }));
  return { entries, nextPageToken: r.nextPageToken === "" ? undefined : r.nextPageToken };
}
