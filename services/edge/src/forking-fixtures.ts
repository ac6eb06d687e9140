import type { Bus } from "@sipfleet/bus";
import { Decision, Envelope, Forward_CarrierSide, Forward_Failover, PROXY_QUEUE, PROXY_SUBJECT, Transport, type Flow, type Forward, type Target } from "@sipfleet/proto";
import { createResponse, parseMessage, type SipRequest, type SipResponse } from "@sipfleet/sip";
import { request, type UdpPeer } from "./harness.js";

/*
 * What the forking proxy tests share: a stand-in proxy worker on the bus that returns Forward
 * decisions, and UDP peers playing the caller and the callee's devices (or a trunk's gateways).
 */

/** What a UA peer reads: requests and responses alike. */
export async function next(peer: UdpPeer, ms = 2000): Promise<SipRequest | SipResponse> {
  return parseMessage((await peer.inbox.next(ms, "SIP message")).data) as SipRequest | SipResponse;
}

export async function nextRequest(peer: UdpPeer, method: string, ms = 2000): Promise<SipRequest> {
  for (;;) {
    const m = await next(peer, ms);
    if (m.isRequest && m.method === method) return m;
  }
}

export async function nextResponse(peer: UdpPeer, status?: number, ms = 2000): Promise<SipResponse> {
  for (;;) {
    const m = await next(peer, ms);
    if (!m.isRequest && m.status !== 100 && (status === undefined || m.status === status)) return m;
  }
}

/** A UA answers a request it received back to where it came from (the edge, RFC 3261 §18.2.2 over UDP here). */
export function answer(peer: UdpPeer, req: SipRequest, status: number, toTag: string, edge: { host: string; port: number }): SipResponse {
  const res = createResponse(req, status, { toTag });
  peer.send(res.bytes, { transport: "udp", host: edge.host, port: edge.port });
  return res;
}

export function udpFlow(edgeId: string, edgeAddr: { host: string; port: number }, peer: UdpPeer): Flow {
  return {
    edgeId,
    connectionId: `udp/${edgeAddr.host}:${edgeAddr.port}/${peer.ip}:${peer.port}`,
    transport: Transport.TRANSPORT_UDP,
    remote: { ip: peer.ip, port: peer.port },
    local: { ip: edgeAddr.host, port: edgeAddr.port },
  };
}

/** `flow` undefined: a target the edge reaches by its URI (no registered flow). */
export function target(flow: Flow | undefined, uri: string, recordRoutes: string[] = []): Target {
  return { requestUri: uri, routes: [], recordRoutes, flow, trunk: "", nextHop: undefined };
}

export function forward(groups: { targets: Target[]; timeoutMs?: number; provisionalTimeoutMs?: number }[], extra: Partial<Forward> = {}): Forward {
  return {
    groups: groups.map((g) => ({ targets: g.targets, timeoutMs: g.timeoutMs ?? 0, provisionalTimeoutMs: g.provisionalTimeoutMs ?? 0 })),
    popRoutes: 0,
    rewriteRoutes: false,
    routes: [],
    removeHeaders: [],
    addHeaders: [],
    failover: Forward_Failover.FAILOVER_UNSPECIFIED,
    cseqOffset: 0,
    carrierSide: Forward_CarrierSide.CARRIER_SIDE_UNSPECIFIED,
    ...extra,
  };
}

export type Decide = (req: SipRequest, env: Envelope) => Decision | Promise<Decision>;

/** The proxy worker stand-in: parses what it is asked and answers what `decide` says. */
export function stubProxy(bus: Bus, decideRef: { decide: Decide }): SipRequest[] {
  const asked: SipRequest[] = [];
  bus.serve(PROXY_SUBJECT, PROXY_QUEUE, async (msg) => {
    const env = Envelope.decode(msg.data);
    const req = parseMessage(Buffer.from(env.message)) as SipRequest;
    asked.push(req);
    return Decision.encode(await decideRef.decide(req, env)).finish();
  });
  return asked;
}

export const fwd = (f: Forward): Decision => ({ action: { $case: "forward", value: f } });

/** The caller's ACK for a non-2xx final response to its INVITE (RFC 3261 §17.1.1.3: same branch). */
export function ackFor(inviteText: string, final: SipResponse): string {
  const inv = parseMessage(Buffer.from(inviteText, "latin1")) as SipRequest;
  return request({ method: "ACK", uri: inv.uriText, callId: inv.callId, branch: inv.topVia?.branch as string, viaParams: ";rport", sentBy: "127.0.0.1:5999" }).replace(
    "To: <sip:alice@example.com>",
    `To: <sip:alice@example.com>;tag=${final.to.tag ?? ""}`,
  );
}

export function invite(callId: string, extra: string[] = []): string {
  return request({ method: "INVITE", uri: "sip:bob@example.com", callId, viaParams: ";rport", sentBy: "127.0.0.1:5999", extra });
}
