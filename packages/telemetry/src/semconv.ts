/*
 * Every name Sipfleet's telemetry uses: span attributes, span and event names, metric names and
 * their attributes. Dashboards, alerts and docs/observability.md depend on these strings; change
 * one only with them. Where OpenTelemetry's semantic conventions have a name (network.*, rpc.*,
 * error.type, nodejs.*), it is used; SIP has none, so its attributes live under `sip.`.
 */

// ---- Span attributes -----------------------------------------------------------------------

/** Request method: INVITE, REGISTER... (for a response, the method of its CSeq). */
export const ATTR_SIP_METHOD = "sip.method" as const;
export const ATTR_SIP_CALL_ID = "sip.call_id" as const;
/** The CSeq sequence number (the method is sip.method). */
export const ATTR_SIP_CSEQ = "sip.cseq" as const;
/** Final status code of the transaction or branch, once known. */
export const ATTR_SIP_STATUS_CODE = "sip.status_code" as const;
/** As SIP names it: UDP, TCP, TLS, WS, WSS. */
export const ATTR_SIP_TRANSPORT = "sip.transport" as const;
/** The domain the request is for: the Request-URI host (REGISTER, INVITE to a user) or the To host. */
export const ATTR_SIP_DOMAIN = "sip.domain" as const;
/** Name of the trunk the request came from or goes to, when one is concerned. */
export const ATTR_SIP_TRUNK = "sip.trunk" as const;
/** Address of record a registration or lookup is about. */
export const ATTR_SIP_AOR = "sip.aor" as const;
/** The Request-URI a client branch sends to. */
export const ATTR_SIP_TARGET = "sip.target" as const;
/** What a worker decided: forward, respond, relay, reject... */
export const ATTR_SIP_DECISION = "sip.decision" as const;
/** How many targets a forward decision holds (a fork when above 1). */
export const ATTR_SIP_TARGET_COUNT = "sip.target_count" as const;
/** Id of the edge pod that holds the transaction. */
export const ATTR_SIPFLEET_EDGE_ID = "sipfleet.edge_id" as const;
/** Location operation: save, lookup, use_nonce, remove, list, acquire_call_slots, release_call_slots. */
export const ATTR_SIPFLEET_LOCATION_OP = "sipfleet.location.op" as const;
/** OpenTelemetry names for the peer and the wire. */
export const ATTR_NETWORK_PEER_ADDRESS = "network.peer.address" as const;
export const ATTR_NETWORK_PEER_PORT = "network.peer.port" as const;
/** udp or tcp (TLS and WebSocket run over tcp; sip.transport tells which). */
export const ATTR_NETWORK_TRANSPORT = "network.transport" as const;
export const ATTR_RPC_SYSTEM = "rpc.system" as const;
export const ATTR_RPC_SERVICE = "rpc.service" as const;
export const ATTR_RPC_METHOD = "rpc.method" as const;
export const ATTR_ERROR_TYPE = "error.type" as const;

// ---- Span and event names (low cardinality: never a Call-ID or a URI in a name) ------------

/** Edge server transaction: `SIP INVITE` (kind SERVER); client branch: same name, kind CLIENT. */
export function sipSpanName(method: string): string {
  return "SIP " + method;
}
/** Proxy or registrar worker deciding about one request: `proxy INVITE`, `registrar REGISTER`. */
export function workerSpanName(tier: "proxy" | "registrar", method: string): string {
  return tier + " " + method;
}
/** Location request, client and server side: `location Lookup`. */
export function locationSpanName(rpcMethod: string): string {
  return "location " + rpcMethod;
}
/** A retransmission absorbed (server side) or sent (client side, timer A/E). */
export const EVENT_SIP_RETRANSMISSION = "sip.retransmission" as const;
/** A forward decision with more than one target: attribute sip.target_count. */
export const EVENT_SIP_FORK = "sip.fork" as const;
/** A provisional response relayed: attribute sip.status_code. */
export const EVENT_SIP_PROVISIONAL = "sip.provisional" as const;
/** A CANCEL received for this INVITE transaction. */
export const EVENT_SIP_CANCEL = "sip.cancel" as const;

// ---- Metric attributes ----------------------------------------------------------------------

/** 1xx .. 6xx. */
export const ATTR_SIP_STATUS_CLASS = "sip.status_class" as const;
/** Retransmission direction: received (absorbed) or sent (our timers). */
export const ATTR_DIRECTION = "direction" as const;
/** ok, or the failure (invalid_argument, unavailable...). */
export const ATTR_OUTCOME = "outcome" as const;
/** Rate-limit action: responded (503 sent) or dropped (silence). */
export const ATTR_ACTION = "action" as const;
/** NATS subject of a failed bus request. */
export const ATTR_MESSAGING_DESTINATION = "messaging.destination.name" as const;

// ---- Metric names (OpenTelemetry form; on /metrics dots become underscores and counters end in
// _total, with no unit suffix: sipfleet.edge.requests -> sipfleet_edge_requests_total,
// sipfleet.edge.transaction.duration (unit s) -> sipfleet_edge_transaction_duration_bucket) ----

/** Counter {sip.method}: new requests the edge took (retransmissions not counted). */
export const METRIC_EDGE_REQUESTS = "sipfleet.edge.requests" as const;
/** Counter {sip.method, sip.status_class}: final responses the edge sent for its server transactions. */
export const METRIC_EDGE_RESPONSES = "sipfleet.edge.responses" as const;
/** Counter {sip.method, direction}. */
export const METRIC_EDGE_RETRANSMISSIONS = "sipfleet.edge.retransmissions" as const;
/** Histogram (s) {sip.method, sip.status_class}: request in to final response out. */
export const METRIC_EDGE_TRANSACTION_DURATION = "sipfleet.edge.transaction.duration" as const;
/** UpDownCounter: server transactions in progress. */
export const METRIC_EDGE_TRANSACTIONS_ACTIVE = "sipfleet.edge.transactions.active" as const;
/** UpDownCounter: calls answered and not yet ended, as this edge's call events saw them. */
export const METRIC_EDGE_DIALOGS_ACTIVE = "sipfleet.edge.dialogs.active" as const;
/** Counter: initial INVITEs taken (ASR denominator). */
export const METRIC_EDGE_CALLS_ATTEMPTED = "sipfleet.edge.calls.attempted" as const;
/** Counter: initial INVITEs answered with a 2xx (ASR numerator). */
export const METRIC_EDGE_CALLS_ANSWERED = "sipfleet.edge.calls.answered" as const;
/** Histogram (s) {sip.method}: asking a worker over NATS, reply included. */
export const METRIC_EDGE_DECISION_DURATION = "sipfleet.edge.decision.duration" as const;
/**
 * Gauge: decisions asked of workers over NATS and not yet answered (CANCEL claims included): the
 * edge's SIP-aware load, for an autoscaler (it rises before CPU does when workers fall behind).
 */
export const METRIC_EDGE_DECISIONS_PENDING = "sipfleet.edge.decisions.pending" as const;
/** UpDownCounter {sip.transport}: open TCP, TLS and WebSocket connections. */
export const METRIC_EDGE_CONNECTIONS_ACTIVE = "sipfleet.edge.connections.active" as const;
/** Counter {action}: requests over a source's rate limit. */
export const METRIC_EDGE_RATE_LIMITED = "sipfleet.edge.rate_limited" as const;
/** Counter: bans this edge imposed. */
export const METRIC_EDGE_BANS = "sipfleet.edge.bans" as const;
/** Counter: datagrams and connections dropped because their source is banned. */
export const METRIC_EDGE_BANNED_DROPS = "sipfleet.edge.banned_drops" as const;

/** Counter {sip.method, sip.decision}: decisions a proxy worker made. */
export const METRIC_PROXY_DECISIONS = "sipfleet.proxy.decisions" as const;
/** Histogram (s) {sip.method}: envelope in to decision out, in the worker. */
export const METRIC_PROXY_DECISION_DURATION = "sipfleet.proxy.decision.duration" as const;

/** Counter {sip.status_class}: REGISTERs answered. */
export const METRIC_REGISTRAR_REGISTERS = "sipfleet.registrar.registers" as const;
/** Histogram (s): REGISTER in to answer out, in the worker. */
export const METRIC_REGISTRAR_REGISTER_DURATION = "sipfleet.registrar.register.duration" as const;

/** Counter {sipfleet.location.op, outcome}. */
export const METRIC_LOCATION_OPERATIONS = "sipfleet.location.operations" as const;
/** Histogram (s) {sipfleet.location.op}. */
export const METRIC_LOCATION_OPERATION_DURATION = "sipfleet.location.operation.duration" as const;
/** Gauge: addresses of record with live bindings (registrations stored), counted periodically. */
export const METRIC_LOCATION_AORS = "sipfleet.location.aors" as const;

/** Counter {messaging.destination.name, error.type}: bus requests that failed (timeout, no_responders, unavailable, closed, other). */
export const METRIC_NATS_ERRORS = "sipfleet.nats.errors" as const;
/** Counter {rpc.method, error.type}: location requests that failed (unavailable, deadline_exceeded, invalid_argument, internal). */
export const METRIC_GRPC_ERRORS = "sipfleet.grpc.errors" as const;

/** Gauges (s): event-loop delay percentiles over the last scrape interval (OpenTelemetry nodejs semconv). */
export const METRIC_EVENTLOOP_DELAY_P50 = "nodejs.eventloop.delay.p50" as const;
export const METRIC_EVENTLOOP_DELAY_P99 = "nodejs.eventloop.delay.p99" as const;
export const METRIC_EVENTLOOP_DELAY_MAX = "nodejs.eventloop.delay.max" as const;
/** Counter (s): CPU time of this process (user + system). */
export const METRIC_PROCESS_CPU_TIME = "process.cpu.time" as const;
/** Gauge (By): resident memory of this process. */
export const METRIC_PROCESS_MEMORY = "process.memory.usage" as const;

/** `1xx`..`6xx` for a status code; shared label values so no string is built per response. */
export function statusClass(code: number): string {
  return STATUS_CLASSES[Math.floor(code / 100)] ?? "other";
}
const STATUS_CLASSES: readonly string[] = ["other", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx"];
