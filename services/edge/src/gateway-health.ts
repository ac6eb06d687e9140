import { isIP } from "node:net";
import type { GatewayPingConfig } from "@sipfleet/config";
import type { Target } from "@sipfleet/proto";
import { parseUri, SipUri, type Clock } from "@sipfleet/sip";
import type { SipServer } from "@sipfleet/sip-dns";
import type { Gateway, Trunk } from "@sipfleet/trunks";
import type { EdgeLogger } from "./logger.js";
import { nextHopFromWire } from "./next-hop.js";

/*
 * Gateway health (issue 5): every edge pings every server of every gateway of every trunk with
 * OPTIONS (a gateway named by a domain is the servers RFC 3263 locates for it, as calls reach
 * them: Target.next_hop), and keeps the state per server, on its own (no shared state: the edge
 * that sends a call is the one whose view of the path matters, and a view another edge wrote would
 * be older than this edge's own pings). A server whose pings fail `failuresBeforeDown` times in a
 * row is down; the forking proxy skips a serial group whose targets are all down gateway servers
 * (skippableGroup). One answered ping brings it back up. Only pings change the state: a call that
 * times out or gets a 503 does not (see GatewayHealth).
 *
 * Compared with Kamailio's dispatcher (ds_ping_interval, ds_probing_threshold,
 * ds_inactive_threshold, ds_ping_reply_codes):
 *   - Kamailio counts only a 2xx, plus the codes listed in ds_ping_reply_codes, as alive, so
 *     operators routinely add "class=4;code=501" for carriers that challenge or refuse OPTIONS.
 *     Here a ping fails for exactly the outcomes that make a call fail over to the next gateway
 *     (group-failover.ts, FAILOVER_SERVER_FAILURE): no final response before the next ping is due
 *     (or Timer F, a transport error, no address), a 408, or a 5xx — except 501, which says the
 *     gateway does not implement OPTIONS (RFC 3261 §21.5.2), not that it cannot take calls. A 503
 *     (RFC 3261 §21.5.4 "temporary overloading or maintenance") fails: a call sent there would get
 *     the same 503 and cost a round trip before failing over. A 401/407/403/404/405 is a SIP
 *     stack that answers: alive.
 *   - ds_probing_threshold (failures before down) is failuresBeforeDown, default 3; the way back
 *     is one answered ping (ds_inactive_threshold's default, 1): a gateway that answers is worth
 *     trying again at once, and calls still fail over if it was a fluke.
 *   - A gateway never probed yet counts as up (Kamailio starts destinations active too), so an
 *     edge that has just started routes like one without health checks.
 */

/** How one ping ended: `status` the final response, or undefined when none came. */
export interface PingOutcome {
  readonly status: number | undefined;
  /** For the log: what happened ("200", "no response", "cannot resolve gw.example"). */
  readonly detail: string;
}

/** Whether a ping's outcome shows the gateway can take calls (rules in the comment above). */
export function pingAlive(status: number | undefined): boolean {
  if (status === undefined || status < 200) return false;
  if (status === 408) return false;
  if (status >= 500 && status < 600) return status === 501;
  return true;
}

export type GatewayState = "up" | "down";

/**
 * A gateway server's key in the health state: transport, IP and port of the server a request is
 * actually sent to. Keyed by the server, not by the configured name: a gateway named by a domain
 * is as many servers as DNS locates for it (RFC 3263), and one of them dying must not mark the
 * others down (nor hide behind them).
 */
export function serverKey(transport: string, ip: string, port: number): string {
  const h = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  return `${transport.toLowerCase()}|${h.toLowerCase()}|${port}`;
}

/**
 * The key of the gateway server a decision's target goes to: its Target.next_hop when the proxy
 * located the gateway by name (gateway-servers.ts), else its Request-URI as the proxy writes it
 * for a gateway by IP address (`gatewayRequestUri`, outbound-trunks.ts:
 * `sip:<e164>@ip[:port][;transport=t]`) with the defaults filled in as RFC 3263 §4.1/§4.2 give
 * them for an IP (UDP, TLS for sips; 5060, 5061 for TLS), so it matches the key its pings use.
 * Undefined for a target that names no trunk, a URI that does not parse, or a name without a
 * next hop (no ping knows which server it would reach).
 */
export function targetGatewayKey(target: Target): string | undefined {
  if (target.trunk === "") return undefined;
  if (target.nextHop !== undefined) {
    const hop = nextHopFromWire(target.nextHop);
    return typeof hop === "string" ? undefined : serverKey(hop.transport, hop.ip, hop.port);
  }
  if (target.requestUri === "") return undefined;
  try {
    const uri = parseUri(target.requestUri, "Request-URI");
    if (!(uri instanceof SipUri)) return undefined;
    const host = uri.host.startsWith("[") && uri.host.endsWith("]") ? uri.host.slice(1, -1) : uri.host;
    if (isIP(host) === 0) return undefined;
    const secure = uri.scheme === "sips";
    const transport = uri.transport?.toLowerCase() ?? (secure ? "tls" : "udp");
    const port = uri.port ?? (secure || transport === "tls" ? 5061 : 5060);
    return serverKey(transport, host, port);
  } catch {
    return undefined;
  }
}

/** A state change, returned by `GatewayHealth.record` when one happens. */
export interface GatewayChange {
  readonly key: string;
  readonly state: GatewayState;
  /** Pings failed in a row when it went down (0 when it came up). */
  readonly failures: number;
  /** Pings sent to it so far. */
  readonly pings: number;
}

interface GatewayRecord {
  state: GatewayState;
  failures: number;
  pings: number;
  /** Clock time of the last change (or of the first ping). */
  since: number;
}

/**
 * The health state machine, one record per gateway server (serverKey): up until `failuresBeforeDown`
 * pings in a row fail, then down until one ping is answered. Clock time only for `since`.
 */
export class GatewayHealth {
  private readonly records = new Map<string, GatewayRecord>();

  constructor(
    private readonly failuresBeforeDown: number,
    private readonly clock: Pick<Clock, "now">,
  ) {}

  /** A ping went out (counted for the figures the log and tests show). */
  pinged(key: string): void {
    this.record(key).pings++;
  }

  /** A ping's outcome; the change of state it causes, if any. */
  recordPing(key: string, alive: boolean): GatewayChange | undefined {
    const r = this.record(key);
    if (alive) {
      r.failures = 0;
      if (r.state === "up") return undefined;
      r.state = "up";
      r.since = this.clock.now();
      return { key, state: "up", failures: 0, pings: r.pings };
    }
    r.failures++;
    if (r.state === "down" || r.failures < this.failuresBeforeDown) return undefined;
    r.state = "down";
    r.since = this.clock.now();
    return { key, state: "down", failures: r.failures, pings: r.pings };
  }

  /** A gateway never pinged is up (an edge that just started routes as without health checks). */
  isDown(key: string): boolean {
    return this.records.get(key)?.state === "down";
  }

  /** Whether a decision's target is a gateway this edge has found down. */
  targetDown(target: Target): boolean {
    const key = targetGatewayKey(target);
    return key !== undefined && this.isDown(key);
  }

  /** A server DNS no longer locates: its record goes (it comes back, if ever, as never probed). */
  forget(key: string): void {
    this.records.delete(key);
  }

  /** For logs and tests: a gateway's state, pings sent and failures in a row. */
  describe(key: string): { state: GatewayState; pings: number; failures: number; since: number } | undefined {
    const r = this.records.get(key);
    return r === undefined ? undefined : { state: r.state, pings: r.pings, failures: r.failures, since: r.since };
  }

  private record(key: string): GatewayRecord {
    let r = this.records.get(key);
    if (r === undefined) {
      r = { state: "up", failures: 0, pings: 0, since: this.clock.now() };
      this.records.set(key, r);
    }
    return r;
  }
}

/**
 * Whether a serial group may be skipped: it has targets and every one is a gateway (Target.trunk
 * set) found down. A group with any other target, or any gateway up or not yet probed, is tried.
 */
export function groupAllDown(targets: readonly Target[], targetDown: (t: Target) => boolean): boolean {
  return targets.length > 0 && targets.every((t) => t.trunk !== "" && targetDown(t));
}

/**
 * Whether a Forward's down gateway groups are skipped: only when some group with targets is not
 * all down. When every group is down, all are tried as if none were (fail open), for these reasons:
 *   - the health view is this edge's alone and up to failuresBeforeDown * intervalMs old; a
 *     carrier that drops OPTIONS (or rate-limits them) while taking INVITEs, or a fault in the
 *     edge's own pinging, would otherwise stop every outbound call — the health check would be the
 *     outage;
 *   - trying costs little: a silent gateway is left after proxy.gatewayProvisionalTimeoutMs and
 *     the next is tried, and the caller then gets the carriers' real answer (or 408/500) instead
 *     of a guess;
 *   - a 503 with Retry-After at once would be faster, but RFC 3261 §21.5.4 makes it "the server
 *     is unavailable", which a caller's proxy may take as the whole platform being down (RFC 3263
 *     §4.3) though only one route is.
 * Kamailio's ds_select_dst fails when no destination is active and the script usually answers
 * 503 then; the difference is deliberate, for the reasons above.
 */
export function skipsDownGroups(groups: readonly { readonly targets: readonly Target[] }[], targetDown: (t: Target) => boolean): boolean {
  let anyDown = false;
  let anyUsable = false;
  for (const g of groups) {
    if (g.targets.length === 0) continue;
    if (groupAllDown(g.targets, targetDown)) anyDown = true;
    else anyUsable = true;
  }
  return anyDown && anyUsable;
}

/**
 * Sends one OPTIONS ping to one server of a gateway (the Request-URI names the gateway as
 * configured); `done` is called once (unless cancelled). Returns a cancel.
 */
export type SendPing = (gateway: Gateway, server: SipServer, done: (outcome: PingOutcome) => void) => () => void;

/** A gateway's servers, in order (locate-gateway.ts: RFC 3263); throws when DNS gives no answer. */
export type LocateServers = (gateway: Gateway) => Promise<readonly SipServer[]>;

export interface GatewayPingerOptions {
  readonly trunks: readonly Trunk[];
  readonly config: GatewayPingConfig;
  readonly health: GatewayHealth;
  readonly clock: Clock;
  readonly locate: LocateServers;
  readonly send: SendPing;
  readonly logger: EdgeLogger;
}

/** A gateway as configured (distinct host, port, transport), with the servers last located for it. */
interface Configured {
  readonly gateway: Gateway;
  readonly trunks: string[];
  servers: readonly SipServer[];
}

/**
 * The distinct gateways of the trunks (host, port, transport), each with the trunks that name it;
 * a gateway already known keeps the servers last located for it.
 */
function configuredGateways(trunks: readonly Trunk[], known: ReadonlyMap<string, Configured>): Map<string, Configured> {
  const gateways = new Map<string, Configured>();
  for (const trunk of trunks) {
    for (const gateway of trunk.gateways) {
      const key = `${gateway.transport ?? ""}|${gateway.host.toLowerCase()}|${gateway.port ?? ""}`;
      const seen = gateways.get(key);
      if (seen !== undefined) seen.trunks.push(trunk.name);
      else gateways.set(key, { gateway, trunks: [trunk.name], servers: known.get(key)?.servers ?? [] });
    }
  }
  return gateways;
}

function sameTrunks(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((t, i) => t === b[i]);
}

/** One server pinged. */
interface PingedServer {
  readonly key: string;
  /** The configured gateway it was located for (first of this round): the ping's Request-URI. */
  gateway: Gateway;
  /** Trunks whose gateways locate it (one ping serves them all). */
  trunks: Set<string>;
  /** The round it was last located in. */
  round: number;
  /** The ping not answered yet; cancelling it abandons its transaction. */
  pending: (() => void) | undefined;
}

/**
 * Pings every server of every distinct gateway of the trunks: one round at start, then one every
 * `intervalMs`. Each round locates every gateway again (an IP literal is one server; a name goes
 * through the edge's cached DNS, so a round is not a burst of queries) and pings each server once,
 * recorded under its own key (serverKey). A name DNS cannot answer for this round keeps the
 * servers it had (their addresses are the best knowledge there is, RFC 8767's reasoning); a server
 * no gateway locates any more is forgotten once every gateway of the round has been located.
 *
 * A ping still unanswered when the next round starts has failed (it is abandoned and counted
 * before the next goes out): the interval is also the ping's timeout, so at most one ping per
 * server is ever in flight. State changes are logged once each (warn down, info up).
 */
export class GatewayPinger {
  private gateways: Map<string, Configured>;
  private readonly servers = new Map<string, PingedServer>();
  private round = 0;
  private timer: ReturnType<Clock["setTimer"]> | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly o: GatewayPingerOptions) {
    this.gateways = configuredGateways(o.trunks, new Map());
  }

  /**
   * Takes a new configuration's trunks. When the gateways pinged change (one added or removed,
   * or a trunk moved between them), a new round starts at once: an added gateway is pinged now,
   * the servers of a removed one are forgotten (no more pings, no health kept). Otherwise the
   * rounds go on as they were.
   */
  setTrunks(trunks: readonly Trunk[]): void {
    const next = configuredGateways(trunks, this.gateways);
    const same = next.size === this.gateways.size && [...next].every(([k, c]) => sameTrunks(this.gateways.get(k)?.trunks, c.trunks));
    this.gateways = next;
    if (same || !this.started || this.stopped || this.o.config.intervalMs <= 0) return;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (next.size === 0) {
      // No round to forget them in: every server goes now, and the rounds stop until a gateway comes.
      this.forgetUnlocated(++this.round);
      return;
    }
    this.tick(true);
  }

  /** Gateways pinged, as configured (each is one or more servers). */
  get size(): number {
    return this.o.config.intervalMs > 0 ? this.gateways.size : 0;
  }

  /** Servers known from the last rounds: for tests and logs. */
  get serverKeys(): string[] {
    return [...this.servers.keys()];
  }

  /** Nothing is pinged when edge.gatewayPing.intervalMs is 0 (every gateway then counts as up). */
  start(): void {
    this.started = true;
    if (this.o.config.intervalMs <= 0 || this.gateways.size === 0) return;
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    for (const s of this.servers.values()) {
      const cancel = s.pending;
      s.pending = undefined;
      cancel?.();
    }
  }

  /** `early`: a round started before its time (new trunks); pings in flight are abandoned, not failed. */
  private tick(early = false): void {
    this.timer = undefined;
    if (this.stopped) return;
    const round = ++this.round;
    for (const s of this.servers.values()) {
      if (s.pending === undefined) continue;
      const cancel = s.pending;
      s.pending = undefined;
      cancel();
      if (!early) this.outcome(s, { status: undefined, detail: `no final response within ${this.o.config.intervalMs} ms` });
    }
    this.timer = this.o.clock.setTimer(this.o.config.intervalMs, () => this.tick(), undefined);
    let left = this.gateways.size;
    const located = (): void => {
      if (--left === 0) this.forgetUnlocated(round);
    };
    for (const c of this.gateways.values()) {
      this.o.locate(c.gateway).then(
        (servers) => {
          if (round !== this.round || this.stopped) return;
          if (servers.length === 0 && c.servers.length > 0) {
            this.o.logger.warn({ gateway: c.gateway.host, trunks: c.trunks }, "gateway name has no SIP server in DNS any more; its servers are not pinged");
          }
          c.servers = servers;
          this.pingAll(c, round);
          located();
        },
        (e: unknown) => {
          if (round !== this.round || this.stopped) return;
          this.o.logger.debug?.({ gateway: c.gateway.host, err: e instanceof Error ? e.message : String(e), servers: c.servers.length }, "gateway name not answered by DNS; pinging the servers it had");
          this.pingAll(c, round);
          located();
        },
      );
    }
  }

  private pingAll(c: Configured, round: number): void {
    for (const server of c.servers) {
      const key = serverKey(server.transport, server.ip, server.port);
      let s = this.servers.get(key);
      if (s === undefined) {
        s = { key, gateway: c.gateway, trunks: new Set(), round: 0, pending: undefined };
        this.servers.set(key, s);
      }
      if (s.round === round) {
        for (const t of c.trunks) s.trunks.add(t);
        continue;
      }
      s.round = round;
      s.gateway = c.gateway;
      s.trunks = new Set(c.trunks);
      this.ping(s, server);
    }
  }

  private ping(s: PingedServer, server: SipServer): void {
    this.o.health.pinged(s.key);
    let settled = false;
    const cancel = this.o.send(s.gateway, server, (outcome) => {
      if (settled || this.stopped) return;
      settled = true;
      s.pending = undefined;
      this.outcome(s, outcome);
    });
    // A ping that ended inside `send` (a refused connection) is not pending.
    if (!settled) {
      s.pending = () => {
        settled = true;
        cancel();
      };
    }
  }

  /** Servers located by no gateway this round: no longer pinged, their state forgotten. */
  private forgetUnlocated(round: number): void {
    for (const [key, s] of this.servers) {
      if (s.round === round) continue;
      const cancel = s.pending;
      s.pending = undefined;
      cancel?.();
      this.servers.delete(key);
      this.o.health.forget(key);
      this.o.logger.debug?.({ gateway: key, trunks: [...s.trunks] }, "gateway server no longer located; forgotten");
    }
  }

  private outcome(s: PingedServer, outcome: PingOutcome): void {
    const change = this.o.health.recordPing(s.key, pingAlive(outcome.status));
    if (change === undefined) return;
    const name = isIP(s.gateway.host) === 0 ? { name: s.gateway.host } : {};
    const obj = { gateway: s.key, ...name, trunks: [...s.trunks], last: outcome.detail, pings: change.pings, failures: change.failures };
    if (change.state === "down") this.o.logger.warn(obj, "gateway down: its OPTIONS pings fail; calls skip it");
    else this.o.logger.info?.(obj, "gateway up: it answers OPTIONS again");
  }
}
