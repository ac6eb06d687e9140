import { randomBytes } from "node:crypto";
import { platformBranch } from "@sipfleet/routing";
import { createRequest, type ClientTransaction, type SipRequest, type TransactionLayer } from "@sipfleet/sip";
import type { Gateway } from "@sipfleet/trunks";
import type { LocalLinks } from "./flow-links.js";
import type { PingOutcome, SendPing } from "./gateway-health.js";
import { viaTransport, type Hop } from "./hop.js";
import { hostPort } from "./ip-address.js";
import { serverAddress } from "./locate-gateway.js";

/*
 * The OPTIONS ping itself (RFC 3261 §11.1: OPTIONS "allows a UA to query another UA or a proxy
 * server as to its capabilities"; any final response shows a SIP stack answering there). It is a
 * non-INVITE client transaction of the forking proxy's transaction layer, so its responses find
 * it like any branch's: the Via branch names this edge (platformBranch), on whatever socket they
 * arrive. Retransmissions and Timer F are that transaction's (§17.1.2.2).
 */

export interface OptionsPingDeps {
  readonly edgeId: string;
  /** The forking proxy's client transaction layer (responses reach it by the Via branch). */
  readonly clients: TransactionLayer<Hop>;
  readonly links: LocalLinks;
}

/** The gateway's URI, the ping's Request-URI and To: `sip:host[:port][;transport=t]`. */
export function gatewayUri(gateway: Gateway): string {
  const host = gateway.host.includes(":") ? `[${gateway.host}]` : gateway.host;
  const port = gateway.port === undefined ? "" : `:${gateway.port}`;
  const transport = gateway.transport === undefined ? "" : `;transport=${gateway.transport}`;
  return `sip:${host}${port}${transport}`;
}

/**
 * The ping request (RFC 3261 §8.1.1, §11.1): Max-Forwards 70, its own Call-ID and From tag, To
 * the gateway's URI without a tag, Accept: application/sdp (§11.1 "SHOULD" for OPTIONS), From
 * the edge's own address (the platform pings, not a user).
 */
export function buildPing(gateway: Gateway, hop: Hop, branch: string): SipRequest {
  const local = hostPort(hop.link.advertisedHost, hop.link.advertisedPort);
  const uri = gatewayUri(gateway);
  return createRequest({
    method: "OPTIONS",
    uri,
    via: `${viaTransport(hop.link)} ${local};branch=${branch};rport`,
    from: `<sip:ping@${local}>;tag=${randomBytes(6).toString("hex")}`,
    to: `<${uri}>`,
    callId: `${randomBytes(12).toString("hex")}@${local}`,
    cseq: 1,
    maxForwards: 70,
    headers: [["Accept", "application/sdp"]],
  });
}

/**
 * SendPing over the edge's sockets (gateway-health.ts calls it once per located server per
 * interval): to the server's address, with the gateway's own URI as Request-URI and To.
 */
export function optionsPinger(deps: OptionsPingDeps): SendPing {
  return (gateway, server, done) => {
    let cancelled = false;
    let tx: ClientTransaction<Hop> | undefined;
    const finish = (outcome: PingOutcome): void => {
      if (cancelled) return;
      cancelled = true;
      done(outcome);
    };
    void (async () => {
      const hop = await deps.links.hopTo(serverAddress(server));
      if (cancelled) return;
      if (typeof hop === "string") return finish({ status: undefined, detail: hop });
      const req = buildPing(gateway, hop, platformBranch(deps.edgeId, "ping"));
      tx = deps.clients.sendRequest(req, hop, hop.link.reliable, {
        onResponse: (res) => {
          if (res.status >= 200) finish({ status: res.status, detail: `${res.status} ${res.reason}` });
        },
        onTimeout: () => finish({ status: undefined, detail: "no response (Timer F)" }),
        onTransportError: (err) => finish({ status: undefined, detail: `transport error: ${err instanceof Error ? err.message : String(err)}` }),
      });
    })().catch((e: unknown) => finish({ status: undefined, detail: `ping failed: ${e instanceof Error ? e.message : String(e)}` }));
    return () => {
      cancelled = true;
      tx?.terminate();
    };
  };
}
