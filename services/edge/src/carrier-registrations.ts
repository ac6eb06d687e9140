import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP, isIPv6 } from "node:net";
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
import { defaultPort, type NextHopAddress } from "./next-hop.js";

/** A gateway host name to one address. Replaceable: RFC 3263 (NAPTR/SRV) comes later. */
export type ResolveHost = (host: string) => Promise<string>;

/** One A/AAAA lookup by the system resolver. */
export const systemResolveHost: ResolveHost = async (host) => (await lookup(host)).address;

export interface CarrierRegistrationsOptions {
  readonly trunks: readonly Trunk[];
  readonly edgeId: string;
  /** The edge's client transaction layer (the forking proxy's): responses find it by the Via branch. */
  readonly clients: TransactionLayer<Hop>;
  readonly links: LocalLinks;
  readonly clock: Clock;
  readonly logger: EdgeLogger;
  readonly resolveHost: ResolveHost;
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

  constructor(private readonly o: CarrierRegistrationsOptions) {
    for (const trunk of o.trunks) {
      const register = trunk.outbound.register;
      if (register === undefined) continue;
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
      this.byTrunk.set(trunk.name, machine);
    }
  }

  start(): void {
    for (const r of this.byTrunk.values()) r.start();
  }

  /** Every trunk's graceful unregistration, at once; each is bounded by `unregisterTimeoutMs`. */
  async stop(): Promise<void> {
    await Promise.all([...this.byTrunk.values()].map((r) => r.stop()));
  }

  /** Sends one REGISTER and waits for its final response (or its failure). */
  private async exchange(a: RegisterAttempt, fromTag: string, contactUser: string | undefined, secure: boolean): Promise<RegisterResult> {
    const next = await this.nextHop(a.gateway, secure);
    if (typeof next === "string") return { kind: "failed", why: next };
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
      cseq: a.cseq,
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
   * The gateway's address: its transport (or UDP, TLS for a sips AOR: RFC 3263 §4.1 for an IP),
   * its port (or the transport's default), its host resolved when it is a name.
   */
  private async nextHop(g: Gateway, secure: boolean): Promise<NextHopAddress | string> {
    const transport = g.transport ?? (secure ? "tls" : "udp");
    const port = g.port ?? defaultPort(transport);
    if (isIP(g.host) !== 0) return { transport, ip: g.host, port, host: g.host };
    try {
      return { transport, ip: await this.o.resolveHost(g.host), port, host: g.host };
    } catch (e) {
      return `cannot resolve ${g.host}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /**
   * The address our Contact and Via name: the socket's own. A UDP socket bound to a wildcard
   * (0.0.0.0, ::) has none: the source address the host's routing picks toward the gateway is
   * used instead (what the carrier sees the REGISTER come from). Behind NAT that is still a
   * private address: the public advertised address is a later issue.
   */
  private async ownAddress(hop: Hop): Promise<{ ip: string; port: number }> {
    const { localIp, localPort } = hop.link;
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
