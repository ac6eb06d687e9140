import { randomBytes } from "node:crypto";
import type { Meter, Tracer } from "@opentelemetry/api";
import { activeTracer, NOOP_METER } from "@sipfleet/telemetry";
import type { Bus } from "@sipfleet/bus";
import { isSecureTransport, type EdgeConfig, type ListenAddress, type SipMessageLogConfig } from "@sipfleet/config";
import { DEFAULT_STREAM_FRAMER_OPTIONS, DEFAULT_TIMERS, systemClock, type Clock, type TransactionTimers } from "@sipfleet/sip";
import type { CallEventSink } from "@sipfleet/call-events/memory";
import { cachedDnsLookup, systemDnsLookup, type SipDnsLookup } from "@sipfleet/sip-dns";
import { ContactMasks } from "@sipfleet/routing";
import type { Trunk } from "@sipfleet/trunks";
import { AbuseGuard, type AbuseStats } from "./abuse-guard.js";
import type { AbuseStore } from "./abuse-store.js";
import { CallRecorder } from "./call-recorder.js";
import type { CarrierRegistrationOptions } from "./carrier-registration.js";
import { CarrierRegistrations } from "./carrier-registrations.js";
import { ConnectionRegistry, type ConnectionListener, type ListenerContext } from "./connection.js";
import { DecisionClient } from "./decision-client.js";
import { resolveEdgeId } from "./edge-id.js";
import { EdgeMetrics } from "./edge-metrics.js";
import { EdgeCounters, type EdgeStats } from "./edge-stats.js";
import { EdgeTelemetry } from "./edge-telemetry.js";
import { EdgeConfigError } from "./errors.js";
import { EdgeDirectory, LiveDirectory } from "./edge-directory.js";
import { ConnectionIds } from "./flow.js";
import { LocalLinks } from "./flow-links.js";
import { GatewayHealth, GatewayPinger } from "./gateway-health.js";
import { optionsPinger } from "./gateway-ping.js";
import { gatewayLocator } from "./locate-gateway.js";
import { CONSOLE_EDGE_LOGGER, type EdgeLogger } from "./logger.js";
import { MessageIntake } from "./message-intake.js";
import { OutboundConnections } from "./outbound-connections.js";
import { LISTEN_TRANSPORTS, PublicAddresses } from "./public-address.js";
import { RequestRouter } from "./request-router.js";
import { SipMessageLog } from "./sip-message-log.js";
import { SourceLimit } from "./source-limit.js";
import { StreamListener } from "./stream-listener.js";
import { clientTlsOptions, serverTlsOptions } from "./tls-options.js";
import { UdpListener } from "./udp-listener.js";
import { WebSocketListener } from "./websocket-listener.js";

export interface EdgeOptions {
  readonly bus: Bus;
  readonly config: EdgeConfig;
  /** Served domains (lower-cased): an OPTIONS to one of them is answered by the edge. */
  readonly domains: ReadonlySet<string>;
  /** Defaults to `SIPFLEET_EDGE_ID`, else the host name with a random suffix (edge-id.ts). */
  readonly edgeId: string | undefined;
  /** Where `SIPFLEET_EDGE_ID` is read from. */
  readonly env: NodeJS.ProcessEnv;
  readonly logger: EdgeLogger;
  /** Transaction timers and shutdown waits run on it. */
  readonly clock: Clock;
  /** Wall clock, Unix ms: `received_at_ms` of the envelopes. */
  readonly now: () => number;
  readonly timers: TransactionTimers;
  /** Decisions awaited at once; beyond it requests get 503 without asking (invariant 7). */
  readonly maxDecisionsInFlight: number;
  /** Asks after a first one that timed out (a worker may have died: invariant 2). */
  readonly decisionRetries: number;
  /**
   * A connection (TCP, TLS, WS, WSS: the name predates the others) that carries nothing for this
   * long is closed. Longer than the usual registration interval (3600 s), so a UA that only
   * re-registers keeps its flow.
   */
  readonly tcpIdleTimeoutMs: number;
  /** Connections of every connection transport open at once, across listeners; more are refused. */
  readonly maxTcpConnections: number;
  /** Unread response bytes a connection's peer may leave queued before it is disconnected. */
  readonly maxTcpWriteBufferBytes: number;
  /** Longest `stop()` waits for requests in hand to be answered. */
  readonly stopTimeoutMs: number;
  /**
   * After every request is answered, how long `stop()` keeps UDP sockets open so answered
   * transactions can resend their response to a retransmitted request (RFC 3261 §17.2.2 Timer
   * J runs 32 s; one T2 covers a UA's next retransmission).
   */
  readonly stopLingerMs: number;
  /** Option tags the platform supports (Supported of the OPTIONS answer). */
  readonly supported: readonly string[];
  /**
   * Timer C of forwarded INVITEs: how long a branch may ring, reset by each provisional response
   * (RFC 3261 §16.6 step 11: "MUST be greater than 3 minutes").
   */
  readonly timerCMs: number;
  /** Where call events go (JetStream in a cluster, memory in one process); none: not recorded. */
  readonly callEvents: CallEventSink | undefined;
  /**
   * The configured carrier trunks: the edge answers a gateway's 401/407 with a trunk's outbound
   * credentials, registers with carriers and keeps gateway health (Target.trunk names the trunk).
   */
  readonly trunks: readonly Trunk[];
  /** Backoff and unregistration bounds of the REGISTERs to carriers (carrier-registration.ts defaults). */
  readonly carrierRegistration: Partial<CarrierRegistrationOptions>;
  /**
   * The DNS through which trunk gateways are located (RFC 3263: NAPTR, SRV, A/AAAA) for their
   * OPTIONS pings and for REGISTERs to carriers: the system resolver behind a cache of
   * DNS_CACHE_MS by default, as the proxy locates the gateways of calls.
   */
  readonly dns: SipDnsLookup;
  /**
   * Where the per-source request counts and bans of every edge meet (Redis in a cluster);
   * undefined: this edge's own (one process). The caller owns it.
   */
  readonly abuseStore: AbuseStore | undefined;
  /**
   * The platform's shared secret (`auth.nonceSecret`, SIPFLEET_NONCE_SECRET), from which the key of
   * the masked Contacts written toward carriers is derived (topology hiding, README): the proxy
   * workers restore them with the same secret, so in a cluster every edge and proxy must hold it.
   * Undefined: a random secret of this edge (tests; masks no proxy can restore).
   */
  readonly sharedSecret: string | Uint8Array | undefined;
  /**
   * `logging.sipMessages`: the domains and users whose SIP messages are logged, credentials
   * redacted (sip-message-log.ts). Undefined or nothing listed: none are.
   */
  readonly sipMessageLog: SipMessageLogConfig | undefined;
  /**
   * Spans of the edge's transactions and branches (README: Telemetry). Left out of the start
   * options: `activeTracer()` at start (set when the process traces); given as undefined: none,
   * and no span work at all.
   */
  readonly tracer: Tracer | undefined;
  /** Where the edge's instruments come from; NOOP_METER: no metric work per message. */
  readonly meter: Meter;
}

/**
 * How long a DNS answer for a gateway is kept (the proxy's DNS_CACHE_MS): a carrier's DNS change
 * shows within it, and pings and REGISTERs never become a query rate.
 */
export const DNS_CACHE_MS = 30_000;

type RequiredKeys = "bus" | "config" | "domains";
export type StartEdgeOptions = Pick<EdgeOptions, RequiredKeys> & Partial<Omit<EdgeOptions, RequiredKeys>>;

export const DEFAULT_EDGE_OPTIONS: Omit<EdgeOptions, RequiredKeys> = {
  edgeId: undefined,
  env: process.env,
  logger: CONSOLE_EDGE_LOGGER,
  clock: systemClock,
  now: Date.now,
  timers: DEFAULT_TIMERS,
  maxDecisionsInFlight: 1000,
  decisionRetries: 1,
  tcpIdleTimeoutMs: 3_900_000,
  maxTcpConnections: 10_000,
  maxTcpWriteBufferBytes: 1 << 20,
  stopTimeoutMs: 20_000,
  stopLingerMs: DEFAULT_TIMERS.t2,
  // The registrar implements RFC 3327 Path and RFC 5626 outbound; the edge answers CRLF pings.
  supported: ["path", "outbound"],
  timerCMs: 181_000,
  callEvents: undefined,
  trunks: [],
  carrierRegistration: {},
  dns: cachedDnsLookup(systemDnsLookup(), DNS_CACHE_MS),
  abuseStore: undefined,
  sharedSecret: undefined,
  sipMessageLog: undefined,
  tracer: undefined,
  meter: NOOP_METER,
};

/** What `Edge.applyConfig` takes: the platform configuration's parts the edge reads. */
export interface EdgeRuntimeConfig {
  readonly domains: Iterable<string>;
  readonly trunks: readonly Trunk[];
  /** The new edge section, compared with the one started with: what differs needs a restart. */
  readonly config?: EdgeConfig | undefined;
}

export interface Edge {
  readonly id: string;
  /** What the edge is bound to (port 0 in the configuration resolved to the actual port). */
  readonly addresses: readonly ListenAddress[];
  readonly stats: EdgeStats;
  /** This edge's view of the trunks' gateways, from its own OPTIONS pings (gateway-health.ts). */
  readonly gatewayHealth: GatewayHealth;
  /** Rate limit and ban counts since the edge started. */
  readonly abuseStats: AbuseStats;
  /** The served domains in force (lower-cased). */
  readonly domains: ReadonlySet<string>;
  /** The carrier trunks in force. */
  readonly trunks: readonly Trunk[];
  /**
   * Applies a new configuration's domains and trunks without a restart: the served domains, the
   * trunks' sources (abuse exemption, the trunk named in spans), their outbound credentials (401/407
   * answers), the gateways pinged and the registrations with carriers (one removed unregisters
   * with Expires: 0, one added registers, one changed does both). Built whole, then swapped in one
   * step; a request sees the old set or the new one. The other edge settings (`config`: listen
   * addresses, TLS, timers, limits) are taken at start only: a change to them is logged as needing
   * a restart and not applied. Throws (an `EdgeConfigError`, nothing applied) on trunks this edge
   * cannot serve (inbound.tlsNames without edge.tls.caFile). Resolves once the carrier
   * registrations have followed (an unregistration answered or timed out).
   */
  applyConfig(next: EdgeRuntimeConfig): Promise<void>;
  /**
   * Graceful stop, a drain for a scale-in: new dialogs and registrations get 503 with Retry-After,
   * listeners stop accepting, requests within dialogs keep being relayed (for
   * `edge.drainInDialogMs` at least), requests in hand get their answers (up to `stopTimeoutMs`);
   * then the connections (TCP, TLS, WS) close, so their UAs re-register elsewhere, answered UDP
   * transactions linger for `stopLingerMs`, and the sockets close. The bus is the caller's to drain.
   */
  stop(): Promise<void>;
}

/** Binds every configured address and starts serving. Throws naming the address it cannot bind. */
export async function startEdge(options: StartEdgeOptions): Promise<Edge> {
  const o: EdgeOptions = { ...DEFAULT_EDGE_OPTIONS, ...options };
  checkOptions(o);
  const id = resolveEdgeId(o.edgeId, o.env);
  const counters = new EdgeCounters();
  const publicAddress = PublicAddresses.from(o.config.publicAddress);
  // An OPTIONS to the public address is addressed to the platform as much as one to a bound one.
  const ownAddresses = [...o.config.listen.map((a) => a.host), ...(publicAddress?.hosts() ?? [])];
  // Domains and trunks follow the configuration while the edge runs (applyConfig): every
  // component reads them from this one holder, swapped whole.
  const directory = new LiveDirectory(EdgeDirectory.build(o.domains, o.trunks, ownAddresses));
  const registry = new ConnectionRegistry(o.maxTcpConnections);
  const sources = new SourceLimit(o.config.maxConnectionsPerSource, o.logger, o.now);
  const calls = o.callEvents === undefined ? undefined : new CallRecorder(o.callEvents, id, o.now, o.logger);
  const health = new GatewayHealth(o.config.gatewayPing.failuresBeforeDown, o.clock);
  const abuse = new AbuseGuard({ rateLimit: o.config.rateLimit, bans: o.config.bans, store: o.abuseStore, bus: o.bus, edgeId: id, trunks: directory, logger: o.logger, now: o.now });
  const messageLog = SipMessageLog.create(o.sipMessageLog, o.logger);
  const tracer = "tracer" in options ? options.tracer : activeTracer();
  // Nothing to record: no telemetry object, so the SIP path does none of its work.
  const telemetry =
    tracer === undefined && o.meter === NOOP_METER
      ? undefined
      : new EdgeTelemetry(tracer, new EdgeMetrics(o.meter, {
          abuse: () => abuse.stats,
          connections: () => registry.countByTransport(),
          // Read at collection only, by when the router below exists.
          decisionsPending: (): number => router.decisionsPending,
        }), id, directory);
  const decisions = new DecisionClient({ bus: o.bus, timeoutMs: o.config.decisionTimeoutMs, retries: o.decisionRetries, metrics: telemetry?.metrics });
  const udp: UdpListener[] = [];
  const addresses: ListenAddress[] = [];
  const connections: ListenerContext = {
    // The intake needs the router, which needs the links below: bound once both exist.
    handler: { onStreamMessage: (bytes, conn) => intake.onStreamMessage(bytes, conn) },
    registry,
    sources,
    ids: new ConnectionIds(randomBytes(4).toString("hex")),
    edgeId: id,
    logger: o.logger,
    options: {
      idleTimeoutMs: o.tcpIdleTimeoutMs,
      maxWriteBufferBytes: o.maxTcpWriteBufferBytes,
      closeGraceMs: 1000,
      maxMessageSize: o.config.maxMessageSize,
      maxHeaderSize: Math.min(DEFAULT_STREAM_FRAMER_OPTIONS.maxHeaderSize, o.config.maxMessageSize),
      handshakeTimeoutMs: Math.min(o.tcpIdleTimeoutMs, HANDSHAKE_TIMEOUT_MS),
      partialMessageTimeoutMs: o.config.partialMessageTimeoutMs,
      messageLog,
      publicAddress,
    },
  };
  const outbound = new OutboundConnections(connections, {
    connectTimeoutMs: o.config.connectTimeoutMs,
    idleTimeoutMs: o.config.outboundIdleTimeoutMs,
    tls: clientTlsOptions(o.config.tls),
    // Filled as the sockets are bound below.
    listening: addresses,
  });
  const links = new LocalLinks(udp, registry, outbound);
  const router = new RequestRouter({
    decisions,
    platform: directory,
    supported: o.supported,
    retryAfterSeconds: o.config.retryAfterSeconds,
    maxDecisionsInFlight: o.maxDecisionsInFlight,
    logger: o.logger,
    counters,
    clock: o.clock,
    timers: o.timers,
    edgeId: id,
    bus: o.bus,
    links,
    timerCMs: o.timerCMs,
    cancelRelayTimeoutMs: o.config.cancelRelayTimeoutMs,
    calls: telemetry === undefined ? calls : telemetry.callObserver(calls),
    telemetry,
    gatewayDown: (t) => health.targetDown(t),
    credentialsOf: (trunk) => directory.current.credentialsOf(trunk),
    contactMasks: new ContactMasks(o.sharedSecret ?? randomBytes(32)),
    onCredentialsFailed: (ip) => abuse.credentialsFailed(ip),
  });
  const intake = new MessageIntake({
    router,
    platform: directory,
    maxMessageSize: o.config.maxMessageSize,
    maxHeaderLines: o.config.maxHeaderLines,
    supported: o.supported,
    logger: o.logger,
    counters,
    now: o.now,
    abuse,
    retryAfterSeconds: o.config.retryAfterSeconds,
    messageLog,
  });
  // The bans in force, before the first request comes.
  await abuse.start();
  const tls = o.config.tls === undefined ? undefined : serverTlsOptions(o.config.tls);
  const connectionListeners: ConnectionListener[] = [];
  try {
    for (const a of o.config.listen) {
      let l: UdpListener | ConnectionListener;
      if (a.transport === "udp") {
        l = await UdpListener.bind(a.host, a.port, intake, id, o.logger, messageLog, publicAddress);
        udp.push(l);
      } else {
        l = a.transport === "tcp" || a.transport === "tls"
          ? await StreamListener.listen(a.transport, a.host, a.port, connections, tls)
          : await WebSocketListener.listen(a.transport, a.host, a.port, connections, tls);
        connectionListeners.push(l);
      }
      addresses.push({ transport: a.transport, host: l.localIp, port: l.localPort });
    }
  } catch (e) {
    abuse.stop();
    await Promise.all([...udp.map((l) => l.close()), ...connectionListeners.map((l) => l.close())]);
    throw e;
  }
  // Other edges reach this one on edge.<id>.* and with their CANCELs; live on the server before
  // the edge says it listens.
  router.relay.start();
  router.cancels.start();
  await o.bus.flush?.();
  // Pings leave from the bound sockets, so they start once those exist.
  const locate = gatewayLocator(o.dns);
  const pinger = new GatewayPinger({
    trunks: o.trunks,
    config: o.config.gatewayPing,
    health,
    clock: o.clock,
    locate: (g) => locate(g, false),
    send: optionsPinger({ edgeId: id, clients: router.proxy.clients, links }),
    logger: o.logger,
  });
  pinger.start();
  o.logger.info?.({ edgeId: id, addresses, gatewaysPinged: pinger.size }, "edge listening");
  const wildcard = addresses.find((a) => a.host === "0.0.0.0" || a.host === "::");
  if (wildcard !== undefined && publicAddress?.of(LISTEN_TRANSPORTS[wildcard.transport], wildcard.port) === undefined) {
    // A wildcard is no address a peer can send to: it would be written in Via and Record-Route.
    o.logger.warn({ listen: `${wildcard.transport}:${wildcard.host}:${wildcard.port}` }, "listening on a wildcard address without edge.publicAddress (SIPFLEET_PUBLIC_ADDRESS): peers will be given an unusable address");
  }
  const carriers = new CarrierRegistrations({
    trunks: o.trunks,
    edgeId: id,
    clients: router.proxy.clients,
    links,
    clock: o.clock,
    logger: o.logger,
    locate,
    registration: o.carrierRegistration,
  });
  carriers.start();
  return new RunningEdge(id, addresses, o, router, decisions, counters, registry, sources, outbound, udp, connectionListeners, calls, carriers, pinger, health, abuse, directory, ownAddresses);
}

/**
 * A TLS handshake or WebSocket upgrade takes a few round trips; a client still not done after
 * this holds a socket for nothing (and would hold up `stop()`).
 */
const HANDSHAKE_TIMEOUT_MS = 10_000;

class RunningEdge implements Edge {
  private stopping: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly addresses: readonly ListenAddress[],
    private readonly o: EdgeOptions,
    private readonly router: RequestRouter,
    private readonly decisions: DecisionClient,
    private readonly counters: EdgeCounters,
    private readonly registry: ConnectionRegistry,
    private readonly sources: SourceLimit,
    private readonly outbound: OutboundConnections,
    private readonly udp: readonly UdpListener[],
    private readonly connectionListeners: readonly ConnectionListener[],
    private readonly calls: CallRecorder | undefined,
    private readonly carriers: CarrierRegistrations,
    private readonly pinger: GatewayPinger,
    readonly gatewayHealth: GatewayHealth,
    private readonly abuse: AbuseGuard,
    private readonly directory: LiveDirectory,
    private readonly ownAddresses: readonly string[],
  ) {}

  get domains(): ReadonlySet<string> {
    return this.directory.current.domains;
  }

  get trunks(): readonly Trunk[] {
    return this.directory.current.trunks;
  }

  applyConfig(next: EdgeRuntimeConfig): Promise<void> {
    if (this.stopping !== undefined) return Promise.resolve();
    const { logger } = this.o;
    if (next.config !== undefined) {
      const changed = startTimeChanges(this.o.config, next.config);
      if (changed.length > 0) logger.warn({ changed: changed.map((k) => `edge.${k}`) }, "configuration changed: these edge settings take effect at the edge's next start (restart it)");
    }
    // Everything for the new configuration is built and checked before anything changes.
    checkTrunks(next.trunks, this.o.config);
    const built = EdgeDirectory.build(next.domains, next.trunks, this.ownAddresses);
    const previous = this.directory.swap(built);
    this.pinger.setTrunks(built.trunks);
    logger.info?.(directoryChanges(previous, built), "configuration applied: domains and trunks");
    return this.carriers.apply(built.trunks);
  }

  get abuseStats(): AbuseStats {
    return { ...this.abuse.stats };
  }

  get stats(): EdgeStats {
    const c = this.counters;
    return {
      requestsReceived: c.requestsReceived,
      responsesReceived: c.responsesReceived,
      dropped: c.dropped,
      rejected: c.rejected,
      decisionsAsked: this.decisions.asked,
      overloaded: c.overloaded,
      unavailable: c.unavailable,
      failedDecisions: c.failedDecisions,
      decisionsInFlight: this.router.decisionsInFlight,
      tcpConnections: this.registry.size,
      connectionsRefused: this.registry.refused,
      connectionsRefusedPerSource: this.sources.refused,
      serverTransactions: this.router.layer.serverCount,
      clientTransactions: this.router.proxy.clients.clientCount,
      forwarding: this.router.proxy.pending,
    };
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { clock, logger } = this.o;
    const router = this.router;
    // New dialogs and registrations: 503 at once. Requests within dialogs: still relayed, so
    // the calls in progress here can end, until the in-dialog drain is over.
    router.startDraining(true);
    this.pinger.stop();
    // Expires: 0 to the carriers while requests in hand are answered; bounded on its own.
    const unregistered = this.carriers.stop();
    for (const l of this.connectionListeners) l.stopAccepting();
    const started = clock.now();
    const deadline = started + Math.max(this.o.stopTimeoutMs, this.o.config.drainInDialogMs);
    const inDialogUntil = started + this.o.config.drainInDialogMs;
    const answered = await waitUntil(clock, () => router.decisionsInFlight === 0 && router.awaitingAnswer === 0 && clock.now() >= inDialogUntil, deadline);
    if (!answered) {
      logger.warn({ decisionsInFlight: router.decisionsInFlight, stopTimeoutMs: this.o.stopTimeoutMs }, "stopping with requests unanswered");
    }
    router.stopInDialog();
    // Every request is answered: the connection-oriented flows close now, not after the UDP
    // linger (a reliable transport has no retransmissions to absorb). The UA sees its flow fail
    // and re-registers through another edge (RFC 5626 §4.4); a UDP UA does on its next refresh.
    this.outbound.stop();
    await this.registry.closeAll();
    await waitUntil(clock, () => router.layer.serverCount === 0, Math.min(deadline, clock.now() + this.o.stopLingerMs));
    await unregistered;
    router.layer.terminateAll();
    router.proxy.terminateAll();
    router.relay.stop();
    router.cancels.stop();
    this.abuse.stop();
    await this.registry.closeAll();
    await Promise.all(this.connectionListeners.map((l) => l.close()));
    await Promise.all(this.udp.map((l) => l.close()));
    // ENDED events still waiting for their ANSWERED lookup go to the sink before its owner closes it.
    await this.calls?.settled();
    logger.info?.({ edgeId: this.id }, "edge stopped");
  }
}

const POLL_MS = 10;

/** Resolves true once `done()` holds, false if `deadline` (clock time) passes first. */
function waitUntil(clock: Clock, done: () => boolean, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (done()) return resolve(true);
      const left = deadline - clock.now();
      if (left <= 0) return resolve(false);
      clock.setTimer(Math.min(POLL_MS, left), check, undefined);
    };
    check();
  });
}

function checkOptions(o: EdgeOptions): void {
  const whole = (key: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new EdgeConfigError(`${key}: must be an integer >= ${min}, got ${String(v)}`);
  };
  whole("maxDecisionsInFlight", o.maxDecisionsInFlight, 1);
  whole("decisionRetries", o.decisionRetries, 0);
  whole("tcpIdleTimeoutMs", o.tcpIdleTimeoutMs, 1);
  whole("maxTcpConnections", o.maxTcpConnections, 1);
  whole("maxTcpWriteBufferBytes", o.maxTcpWriteBufferBytes, 1);
  whole("stopTimeoutMs", o.stopTimeoutMs, 0);
  whole("stopLingerMs", o.stopLingerMs, 0);
  whole("timerCMs", o.timerCMs, 1);
  whole("edge.decisionTimeoutMs", o.config.decisionTimeoutMs, 1);
  whole("edge.retryAfterSeconds", o.config.retryAfterSeconds, 0);
  whole("edge.cancelRelayTimeoutMs", o.config.cancelRelayTimeoutMs, 1);
  whole("edge.maxMessageSize", o.config.maxMessageSize, 1);
  whole("edge.connectTimeoutMs", o.config.connectTimeoutMs, 1);
  whole("edge.outboundIdleTimeoutMs", o.config.outboundIdleTimeoutMs, 1);
  whole("edge.maxHeaderLines", o.config.maxHeaderLines, 1);
  whole("edge.maxConnectionsPerSource", o.config.maxConnectionsPerSource, 1);
  whole("edge.partialMessageTimeoutMs", o.config.partialMessageTimeoutMs, 1);
  whole("edge.gatewayPing.intervalMs", o.config.gatewayPing.intervalMs, 0);
  whole("edge.gatewayPing.failuresBeforeDown", o.config.gatewayPing.failuresBeforeDown, 1);
  whole("edge.rateLimit.requestsPerSecond", o.config.rateLimit.requestsPerSecond, 1);
  whole("edge.rateLimit.rejectsPerSecond", o.config.rateLimit.rejectsPerSecond, 0);
  whole("edge.rateLimit.syncIntervalMs", o.config.rateLimit.syncIntervalMs, 1);
  whole("edge.bans.failuresBeforeBan", o.config.bans.failuresBeforeBan, 1);
  whole("edge.bans.windowSeconds", o.config.bans.windowSeconds, 1);
  whole("edge.bans.banSeconds", o.config.bans.banSeconds, 1);
  if (o.config.listen.length === 0) throw new EdgeConfigError("edge.listen: no address to listen on");
  const secure = o.config.listen.find((a) => isSecureTransport(a.transport));
  if (secure !== undefined && o.config.tls === undefined) {
    throw new EdgeConfigError(`edge.tls: required by the ${secure.transport} listener on ${secure.host}:${secure.port}`);
  }
  checkTrunks(o.trunks, o.config);
}

/**
 * A trunk bound to its client certificate needs the edge to verify one: without edge.tls.caFile
 * none is asked for, and the trunk could never call in. Checked here, not in the config
 * package: only the edge's configuration (SIPFLEET_LISTEN applied) says whether it has TLS.
 */
function checkTrunks(trunks: readonly Trunk[], config: EdgeConfig): void {
  const mtls = trunks.findIndex((t) => t.inbound.tlsNames !== undefined);
  if (mtls >= 0 && config.tls?.caFile === undefined) {
    throw new EdgeConfigError(
      `trunks[${mtls}].inbound.tlsNames: needs edge.tls.caFile (and a tls or wss listener): the CA certificates the carrier's client certificate is verified against`,
    );
  }
}

/** The keys of the edge section that differ (compared as values): settings taken at start only. */
export function startTimeChanges(started: EdgeConfig, next: EdgeConfig): string[] {
  const keys = new Set([...Object.keys(started), ...Object.keys(next)]);
  const a = started as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** Domains and trunk names added and removed, for the log (the trunk names when none were). */
function directoryChanges(before: EdgeDirectory, after: EdgeDirectory): Record<string, string[]> {
  const diff = (a: Iterable<string>, b: Iterable<string>): string[] => {
    const has = new Set(a);
    return [...b].filter((x) => !has.has(x));
  };
  const names = (d: EdgeDirectory): string[] => d.trunks.map((t) => t.name);
  const out: Record<string, string[]> = {
    domainsAdded: diff(before.domains, after.domains),
    domainsRemoved: diff(after.domains, before.domains),
    trunksAdded: diff(names(before), names(after)),
    trunksRemoved: diff(names(after), names(before)),
  };
  for (const k of Object.keys(out)) if ((out[k] as string[]).length === 0) delete out[k];
  return Object.keys(out).length === 0 ? { trunks: names(after) } : out;
}
