import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { SipServer } from "@sipfleet/sip-dns";
import { platformBranch } from "@sipfleet/routing";
import {
  createRequest,
  newTag,
  parseUri,
  SipUri,
  TransactionError,
  type Clock,
  type ClientTransactionUser,
  type HeaderList,
  type SipResponse,
  type TransactionLayer,
  type Uri,
} from "@sipfleet/sip";
import type { Gateway, Trunk } from "@sipfleet/trunks";
import {
  CarrierRegistration,
  type CarrierRegistrationOptions,
  type RegisterAttempt,
  type RegisterResult,
} from "./carrier-registration.js";
import type { LocalLinks } from "./flow-links.js";
import { viaTransport, type Hop } from "./hop.js";
import { hostPort } from "./ip-address.js";
import type { EdgeLogger } from "./logger.js";
import { serverAddress, type LocateGateway } from "./locate-gateway.js";
import type { NextHopAddress } from "./next-hop.js";

export interface CarrierRegistrationsOptions {
  readonly trunks: readonly Trunk[];
  readonly edgeId: string;
  /** The edge's client transaction layer (the forking proxy's): responses find it by the Via branch. */
  readonly clients: TransactionLayer<Hop>;
  readonly links: LocalLinks;
  readonly clock: Clock;
  readonly logger: EdgeLogger;
  /** A gateway's servers (RFC 3263, locate-gateway.ts). */
  readonly locate: LocateGateway;
  readonly registration: Partial<CarrierRegistrationOptions>;
}

/**
 * The edge's registrations with carriers: one `CarrierRegistration` per trunk with
 * `outbound.register`, whose REGISTERs leave through the edge's own sockets in client
 * transactions of the edge's transaction layer (the Via branch names this edge, so the 200 comes
 * back here, architecture invariant 1).
 *
 * Every edge registers its own Contact for the trunk's AOR: the carrier then sends calls to any
 * of them, and whichever edge receives a call handles it (invariant 1: any edge takes any request).
 * A carrier that keeps one Contact per AOR keeps the last edge's; calls still arrive, on that edge.
 */
export class CarrierRegistrations {
  readonly byTrunk = new Map<string, CarrierRegistration>();
  /** Source address the host picks toward an address, for edges bound to a wildcard. */
  private readonly routeSources = new Map<string, Promise<string>>();
  /** Per gateway (and secure or not): the server that last answered, tried first next time. */
  private readonly lastAnswered = new Map<string, string>();

  /** The trunk each registration was made from: what a new configuration is compared with. */
  private readonly sources = new Map<string, Trunk>();
  private started = false;
  private stopped = false;
  /** The last `apply`: applies run one after another, each on what the previous left. */
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly o: CarrierRegistrationsOptions) {
    for (const trunk of o.trunks) {
      const machine = this.registrationOf(trunk);
      if (machine === undefined) continue;
      this.byTrunk.set(trunk.name, machine);
      this.sources.set(trunk.name, trunk);
    }
  }

  start(): void {
    this.started = true;
    for (const r of this.byTrunk.values()) r.start();
  }

  /** Every trunk's graceful unregistration, at once; each is bounded by `unregisterTimeoutMs`. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.byTrunk.values()].map((r) => r.stop()));
  }

  /**
   * Takes a new configuration's trunks: the registration of a trunk removed, or no longer
   * registering, is stopped (Expires: 0, no more refreshes); one whose registration, credentials
   * or gateways changed is stopped and then started again with the new ones (after its
   * unregistration is answered, so the carrier does not remove the new binding); one added is
   * started. The others keep running untouched. Resolves once every change is made.
   */
  apply(trunks: readonly Trunk[]): Promise<void> {
    const next = this.applying.then(() => this.applyNow(trunks));
    this.applying = next;
    return next;
  }

  private async applyNow(trunks: readonly Trunk[]): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map(trunks.filter((t) => t.outbound.register !== undefined).map((t) => [t.name, t]));
    const stopping: Promise<void>[] = [];
    const starting: [string, Trunk][] = [];
    for (const [name, machine] of this.byTrunk) {
      const now = wanted.get(name);
      const was = this.sources.get(name);
      if (now !== undefined && was !== undefined && sameRegistration(was, now)) continue;
      this.byTrunk.delete(name);
      this.sources.delete(name);
      this.o.logger.info?.({ trunk: name, change: now === undefined ? "removed" : "changed" }, "carrier registration stopped: the trunk's configuration changed");
      stopping.push(machine.stop());
    }
    for (const [name, trunk] of wanted) if (!this.byTrunk.has(name)) starting.push([name, trunk]);
    await Promise.all(stopping);
    if (this.stopped) return;
    for (const [name, trunk] of starting) {
      const machine = this.registrationOf(trunk);
      if (machine === undefined) continue;
      this.byTrunk.set(name, machine);
      this.sources.set(name, trunk);
      this.o.logger.info?.({ trunk: name }, "carrier registration started: the trunk's configuration changed");
      if (this.started) machine.start();
    }
  }

  /** The registration a trunk asks for (`outbound.register`); none without one. */
  private registrationOf(trunk: Trunk): CarrierRegistration | undefined {
    const o = this.o;
    const register = trunk.outbound.register;
    if (register === undefined) return undefined;
    const gateways = [...trunk.gateways].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    const callId = `${randomBytes(12).toString("hex")}@${o.edgeId}`;
    const fromTag = newTag();
    let contactUser: string | undefined;
    try {
      const aor = parseUri(register.aor, "outbound.register.aor");
      contactUser = aor instanceof SipUri ? aor.user : undefined;
    } catch {
      contactUser = undefined;
    }
    const machine = new CarrierRegistration(
      {
        trunk: trunk.name,
        register,
        credentials: trunk.outbound.credentials,
        gateways,
        callId,
        exchange: (a) => this.exchange(a, fromTag, contactUser, register.aor.trim().toLowerCase().startsWith("sips:")),
        clock: o.clock,
        logger: o.logger,
      },
      o.registration,
    );
    return machine;
  }

  /**
   * Sends one REGISTER to the attempt's gateway: to its located servers in order (RFC 3263 §4.3:
   * on no response, a transport error or a 5xx the next server is tried), each with a new CSeq;
   * the result of the first that answers otherwise, or of the last. The server that answered
   * last is tried first next time (a challenge's answer, a refresh, the unregistration reach
   * the registrar that knows us without waiting out a dead server first).
   */
  private async exchange(a: RegisterAttempt, fromTag: string, contactUser: string | undefined, secure: boolean): Promise<RegisterResult> {
    let servers: SipServer[];
    try {
      servers = await this.o.locate(a.gateway, secure);
    } catch (e) {
      return { kind: "failed", why: `cannot locate ${a.gateway.host}: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (servers.length === 0) return { kind: "failed", why: `no SIP server in DNS for ${a.gateway.host}` };
    const gatewayKey = `${a.gateway.transport ?? ""}|${a.gateway.host.toLowerCase()}|${a.gateway.port ?? ""}|${secure}`;
    const sticky = this.lastAnswered.get(gatewayKey);
    const first = servers.findIndex((s) => serverId(s) === sticky);
    if (first > 0) servers.unshift(...servers.splice(first, 1));
    let result: RegisterResult = { kind: "failed", why: "no server tried" };
    for (const [i, server] of servers.entries()) {
      result = await this.sendTo(serverAddress(server), i === 0 ? a.cseq : a.nextCseq(), a, fromTag, contactUser);
      if (result.kind === "response" && result.response.status < 500) {
        this.lastAnswered.set(gatewayKey, serverId(server));
        return result;
      }
      if (i + 1 < servers.length) {
        const why = result.kind === "failed" ? result.why : String(result.response.status);
        this.o.logger.debug?.({ gateway: a.gateway.host, server: serverId(server), reason: why }, "carrier registrar server failed; trying the gateway's next server");
      }
    }
    return result;
  }

  /** One REGISTER to one server and its final response (or its failure). */
  private async sendTo(next: NextHopAddress, cseq: number, a: RegisterAttempt, fromTag: string, contactUser: string | undefined): Promise<RegisterResult> {
    const hop = await this.o.links.hopTo(next);
    if (typeof hop === "string") return { kind: "failed", why: hop };
    const local = await this.ownAddress(hop);
    const contact = contactUri(contactUser, local, next.transport);
    const headers: [string, string][] = [
      ["Contact", `<${contact}>`],
      ["Expires", String(a.expires)],
    ];
    if (a.authorization !== undefined) headers.push([a.authorization.name, a.authorization.value]);
    const req = createRequest({
      method: "REGISTER",
      uri: a.requestUri,
      via: `${viaTransport(hop.link)} ${hostPort(local.ip, local.port)};branch=${platformBranch(this.o.edgeId, "0")};rport`,
      from: `<${a.aor}>;tag=${fromTag}`,
      to: `<${a.aor}>`,
      callId: a.callId,
      cseq,
      headers: [...headers, ...FIXED_HEADERS],
    });
    const contactParsed: Uri = parseUri(contact, "Contact");
    return new Promise((resolve) => {
      const user: ClientTransactionUser<Hop> = {
        onResponse: (res: SipResponse) => {
          if (res.status >= 200) resolve({ kind: "response", response: res, contact: contactParsed });
        },
        onTimeout: () => resolve({ kind: "failed", why: `no answer from ${hostPort(hop.ip, hop.port)}` }),
        onTransportError: (err: unknown) => resolve({ kind: "failed", why: `cannot send to ${hostPort(hop.ip, hop.port)}: ${err instanceof Error ? err.message : String(err)}` }),
        // Terminated without a final response (the edge is stopping): nothing will come.
        onTerminated: () => resolve({ kind: "failed", why: "transaction ended" }),
      };
      try {
        this.o.clients.sendRequest(req, hop, hop.link.reliable, user);
      } catch (e) {
        if (!(e instanceof TransactionError)) throw e;
        resolve({ kind: "failed", why: e.message });
      }
    });
  }

  /**
   * The address our Contact and Via name: edge.publicAddress when configured (the carrier must
   * reach the pod through its Service, not at the pod IP), else the socket's own. A UDP socket
   * bound to a wildcard (0.0.0.0, ::) has none: the source address the host's routing picks
   * toward the gateway is used instead (what the carrier sees the REGISTER come from).
   */
  private async ownAddress(hop: Hop): Promise<{ ip: string; port: number }> {
    const { localIp, localPort, advertisedHost, advertisedPort } = hop.link;
    if (advertisedHost !== localIp || advertisedPort !== localPort) return { ip: advertisedHost, port: advertisedPort };
    if (localIp !== "0.0.0.0" && localIp !== "::") return { ip: localIp, port: localPort };
    const key = hop.ip;
    let p = this.routeSources.get(key);
    if (p === undefined) {
      p = routeSource(hop.ip, hop.port).catch(() => (isIPv6(hop.ip) ? "::1" : "127.0.0.1"));
      this.routeSources.set(key, p);
    }
    return { ip: await p, port: localPort };
  }
}

/** Whether two versions of a trunk register the same way: same registration, credentials and gateways. */
function sameRegistration(a: Trunk, b: Trunk): boolean {
  const ra = a.outbound.register;
  const rb = b.outbound.register;
  if (ra === undefined || rb === undefined) return ra === rb;
  if (ra.aor !== rb.aor || ra.expires !== rb.expires || ra.interval !== rb.interval) return false;
  const ca = a.outbound.credentials;
  const cb = b.outbound.credentials;
  if (ca === undefined || cb === undefined) {
    if (ca !== cb) return false;
  } else if (ca.username !== cb.username || ca.password !== cb.password) return false;
  return sameGateways(a.gateways, b.gateways);
}

export function sameGateways(a: readonly Gateway[], b: readonly Gateway[]): boolean {
  return a.length === b.length && a.every((g, i) => {
    const h = b[i] as Gateway;
    return g.host === h.host && g.port === h.port && g.transport === h.transport && g.priority === h.priority && g.weight === h.weight;
  });
}

function serverId(s: SipServer): string {
  return `${s.transport}|${s.ip}|${s.port}`;
}

/** Headers every REGISTER carries besides those of RFC 3261 §10.2. */
const FIXED_HEADERS: HeaderList = [["User-Agent", "sipfleet-edge"]];

function contactUri(user: string | undefined, local: { ip: string; port: number }, transport: NextHopAddress["transport"]): string {
  const userPart = user === undefined ? "" : `${user}@`;
  const param = transport === "udp" ? "" : `;transport=${transport}`;
  return `sip:${userPart}${hostPort(local.ip, local.port)}${param}`;
}

/** The source address the host would use toward `ip:port` (a connected UDP socket sends nothing). */
function routeSource(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket(isIPv6(ip) ? "udp6" : "udp4");
    s.once("error", (e) => {
      s.close();
      reject(e);
    });
    s.connect(port, ip, () => {
      const a = s.address().address;
      s.close();
      resolve(a);
    });
  });
}
