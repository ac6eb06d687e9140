import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";
import {
  ATTR_ACTION,
  ATTR_DIRECTION,
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_DESTINATION,
  ATTR_SIP_METHOD,
  ATTR_SIP_STATUS_CLASS,
  ATTR_SIP_TRANSPORT,
  METRIC_EDGE_BANNED_DROPS,
  METRIC_EDGE_BANS,
  METRIC_EDGE_CALLS_ANSWERED,
  METRIC_EDGE_CALLS_ATTEMPTED,
  METRIC_EDGE_CONNECTIONS_ACTIVE,
  METRIC_EDGE_DECISION_DURATION,
  METRIC_EDGE_DECISIONS_PENDING,
  METRIC_EDGE_DIALOGS_ACTIVE,
  METRIC_EDGE_RATE_LIMITED,
  METRIC_EDGE_REQUESTS,
  METRIC_EDGE_RESPONSES,
  METRIC_EDGE_RETRANSMISSIONS,
  METRIC_EDGE_TRANSACTION_DURATION,
  METRIC_EDGE_TRANSACTIONS_ACTIVE,
  METRIC_NATS_ERRORS,
  statusClass,
} from "@sipfleet/telemetry";
import type { AbuseStats } from "./abuse-guard.js";
import type { Transport } from "./flow.js";
import { transportName } from "./hop.js";

/** What the observable instruments read: counts the edge keeps anyway (edge-stats.ts, abuse-guard.ts). */
export interface EdgeMetricSources {
  readonly abuse: () => AbuseStats;
  /** Open connections by transport, read at collection time only. */
  readonly connections: () => ReadonlyMap<Transport, number>;
  /** Decisions asked over NATS and not yet answered, read at collection time only. */
  readonly decisionsPending: () => number;
}

/** Why a bus request for a decision failed (error.type of METRIC_NATS_ERRORS). */
export type NatsErrorType = "timeout" | "no_responders" | "unavailable" | "closed" | "other";

/**
 * The edge's instruments, created once from a meter, with their attribute sets kept per method,
 * status class or subject so that recording builds no object per message.
 */
export class EdgeMetrics {
  readonly requests: Counter;
  readonly responses: Counter;
  readonly retransmissions: Counter;
  readonly transactionDuration: Histogram;
  readonly transactionsActive: UpDownCounter;
  readonly dialogsActive: UpDownCounter;
  readonly callsAttempted: Counter;
  readonly callsAnswered: Counter;
  readonly decisionDuration: Histogram;
  readonly natsErrors: Counter;
  private readonly byMethod = new Map<string, Attributes>();
  private readonly byMethodClass = new Map<string, Attributes>();
  private readonly byMethodDirection = new Map<string, Attributes>();
  private readonly bySubjectError = new Map<string, Attributes>();

  constructor(meter: Meter, sources: EdgeMetricSources) {
    this.requests = meter.createCounter(METRIC_EDGE_REQUESTS, { description: "New requests the edge took (retransmissions not counted)" });
    this.responses = meter.createCounter(METRIC_EDGE_RESPONSES, { description: "Final responses the edge sent for its server transactions" });
    this.retransmissions = meter.createCounter(METRIC_EDGE_RETRANSMISSIONS, { description: "Request retransmissions absorbed (received) or sent by the edge's timers A/E" });
    this.transactionDuration = meter.createHistogram(METRIC_EDGE_TRANSACTION_DURATION, {
      description: "Request in to final response out",
      // Buckets: LATENCY_BUCKETS_S, one view for every histogram (@sipfleet/telemetry startMetrics).
      unit: "s",
    });
    this.transactionsActive = meter.createUpDownCounter(METRIC_EDGE_TRANSACTIONS_ACTIVE, { description: "Server transactions awaiting their final response" });
    this.dialogsActive = meter.createUpDownCounter(METRIC_EDGE_DIALOGS_ACTIVE, { description: "Calls answered and not yet ended, as this edge saw them" });
    this.callsAttempted = meter.createCounter(METRIC_EDGE_CALLS_ATTEMPTED, { description: "Initial INVITEs taken" });
    this.callsAnswered = meter.createCounter(METRIC_EDGE_CALLS_ANSWERED, { description: "Initial INVITEs answered with a 2xx" });
    this.decisionDuration = meter.createHistogram(METRIC_EDGE_DECISION_DURATION, {
      description: "Asking a worker over NATS, reply included",
      unit: "s",
    });
    this.natsErrors = meter.createCounter(METRIC_NATS_ERRORS, { description: "Bus requests for a decision that failed" });
    observeSources(meter, sources);
  }

  method(method: string): Attributes {
    let a = this.byMethod.get(method);
    if (a === undefined) this.byMethod.set(method, (a = { [ATTR_SIP_METHOD]: method }));
    return a;
  }

  methodStatus(method: string, status: number): Attributes {
    const cls = statusClass(status);
    const key = method + " " + cls;
    let a = this.byMethodClass.get(key);
    if (a === undefined) this.byMethodClass.set(key, (a = { [ATTR_SIP_METHOD]: method, [ATTR_SIP_STATUS_CLASS]: cls }));
    return a;
  }

  retransmission(method: string, direction: "received" | "sent"): void {
    const key = method + " " + direction;
    let a = this.byMethodDirection.get(key);
    if (a === undefined) this.byMethodDirection.set(key, (a = { [ATTR_SIP_METHOD]: method, [ATTR_DIRECTION]: direction }));
    this.retransmissions.add(1, a);
  }

  natsError(subject: string, type: NatsErrorType): void {
    const key = subject + " " + type;
    let a = this.bySubjectError.get(key);
    if (a === undefined) this.bySubjectError.set(key, (a = { [ATTR_MESSAGING_DESTINATION]: subject, [ATTR_ERROR_TYPE]: type }));
    this.natsErrors.add(1, a);
  }
}

const RESPONDED: Attributes = { [ATTR_ACTION]: "responded" };
const DROPPED: Attributes = { [ATTR_ACTION]: "dropped" };
const TRANSPORT_ATTRIBUTES = new Map<Transport, Attributes>();

/**
 * Counts the edge keeps for its stats anyway are read at collection, not counted twice: the abuse
 * guard's rate-limit and ban counters, the connection registry's open connections.
 */
function observeSources(meter: Meter, sources: EdgeMetricSources): void {
  meter.createObservableCounter(METRIC_EDGE_RATE_LIMITED, { description: "Requests over a source's rate limit" }).addCallback((r) => {
    const s = sources.abuse();
    r.observe(s.rateRejected, RESPONDED);
    r.observe(s.rateDropped, DROPPED);
  });
  meter.createObservableCounter(METRIC_EDGE_BANS, { description: "Bans this edge imposed" }).addCallback((r) => r.observe(sources.abuse().bansIssued));
  meter
    .createObservableCounter(METRIC_EDGE_BANNED_DROPS, { description: "Datagrams and connections dropped because their source is banned" })
    .addCallback((r) => r.observe(sources.abuse().bannedDropped));
  meter
    .createObservableGauge(METRIC_EDGE_DECISIONS_PENDING, { description: "Decisions asked of workers over NATS and not yet answered" })
    .addCallback((r) => r.observe(sources.decisionsPending()));
  meter.createObservableUpDownCounter(METRIC_EDGE_CONNECTIONS_ACTIVE, { description: "Open TCP, TLS and WebSocket connections" }).addCallback((r) => {
    for (const [transport, n] of sources.connections()) {
      let a = TRANSPORT_ATTRIBUTES.get(transport);
      if (a === undefined) TRANSPORT_ATTRIBUTES.set(transport, (a = { [ATTR_SIP_TRANSPORT]: transportName(transport) }));
      r.observe(n, a);
    }
  });
}
