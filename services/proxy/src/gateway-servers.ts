import { isIP } from "node:net";
import { type Random, type SipDnsLookup, type SipServer, locateSipServers } from "@sipfleet/sip-dns";
import type { TrunkGateway } from "./outbound-trunks.js";

/*
 * Gateways a trunk names by a domain are located by RFC 3263 (NAPTR, SRV, A/AAAA, through the
 * system resolver and a cache): each server found becomes a gateway of its own, in the order DNS
 * gives, so the serial failover that already moves from gateway to gateway on 408, 5xx or
 * silence (RFC 3263 §4.3: "the client SHOULD try the next element ... on a 503 or a timeout")
 * runs over them. The Request-URI keeps the domain (the carrier may route on it); the edge is
 * told the address (Target.next_hop) instead of looking the name up again.
 *
 * Why here and not at the edge: the worker already turns a number into an ordered list of
 * gateways, and the order DNS gives is the same kind of list; the edge keeps one hop per branch.
 */

/** A gateway as it is reached: by its configured IP address (`server` undefined), or at one located server. */
export interface LocatedGateway extends TrunkGateway {
  readonly server: SipServer | undefined;
}

export interface GatewayLocationLog {
  warn(obj: object, msg: string): void;
}

/**
 * The gateways with every named one replaced by its servers, in order. A name that DNS cannot
 * answer for, or knows no server of, is skipped (and logged): the next gateway is tried, as for
 * one that refuses connections.
 */
export async function locateGateways(gateways: readonly TrunkGateway[], dns: SipDnsLookup, random: Random, log: GatewayLocationLog): Promise<LocatedGateway[]> {
  const located = await Promise.all(
    gateways.map(async (g): Promise<LocatedGateway[]> => {
      const { host, port, transport } = g.gateway;
      if (isIP(host) !== 0) return [{ ...g, server: undefined }];
      try {
        const servers = await locateSipServers({ host, port, transport, secure: transport === "tls" }, dns, random);
        if (servers.length === 0) log.warn({ trunk: g.trunk, gateway: host }, "gateway name has no SIP server in DNS; skipped");
        return servers.map((server) => ({ ...g, server }));
      } catch (e) {
        log.warn({ trunk: g.trunk, gateway: host, err: e }, "gateway name could not be looked up; skipped");
        return [];
      }
    }),
  );
  return located.flat();
}
