/** Counters since the edge started, and gauges now. */
export interface EdgeStats {
  /** Requests parsed and handed to validation (retransmissions included). */
  readonly requestsReceived: number;
  /** Responses received (for this edge's client transactions or relayed to their owner). */
  readonly responsesReceived: number;
  /** Datagrams, stream messages and requests dropped without an answer. */
  readonly dropped: number;
  /** Requests answered by validation (400, 416, 420, 483, 505, 513). */
  readonly rejected: number;
  /** Decisions asked of workers (a retry counts once more). */
  readonly decisionsAsked: number;
  /** Requests answered 503 because the in-flight cap was reached, without asking. */
  readonly overloaded: number;
  /** Requests answered 503 because no worker answered (none serving, none in time). */
  readonly unavailable: number;
  /** Requests answered 500 because the decision could not be used. */
  readonly failedDecisions: number;
  readonly decisionsInFlight: number;
  /**
   * Open connections of every connection transport, TCP, TLS, WS and WSS, accepted or opened by
   * the edge (the name is older than TLS and WebSocket).
   */
  readonly tcpConnections: number;
  /**
   * New connections refused because the edge held `maxTcpConnections` (of every transport):
   * sockets closed at accept, WebSocket upgrades answered 503, and connections the edge would
   * have opened to send a request.
   */
  readonly connectionsRefused: number;
  /** Connections closed at accept because their source held edge.maxConnectionsPerSource. */
  readonly connectionsRefusedPerSource: number;
  readonly serverTransactions: number;
  /** Client transactions of forwarded requests (branches and their CANCELs). */
  readonly clientTransactions: number;
  /** Forwarded requests whose response context is still open. */
  readonly forwarding: number;
}

/** The mutable counters behind `EdgeStats`; gauges are read from their owners. */
export class EdgeCounters {
  requestsReceived = 0;
  responsesReceived = 0;
  dropped = 0;
  rejected = 0;
  decisionsAsked = 0;
  overloaded = 0;
  unavailable = 0;
  failedDecisions = 0;
}
