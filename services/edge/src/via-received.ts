import { Params, Via } from "@sipfleet/sip";
import { sameAddress } from "./ip-address.js";
import { defaultPort } from "./next-hop.js";

/**
 * The top Via of the responses to a request received from `sourceIp:sourcePort`, or undefined
 * when it needs nothing added.
 *
 * RFC 3261 §18.2.1: "When the server transport receives a request over any transport, it MUST
 * examine the value of the "sent-by" parameter in the top Via header field value. If the host
 * portion of the "sent-by" parameter contains a domain name, or if it contains an IP address that
 * differs from the packet source address, the server MUST add a "received" parameter to that Via
 * header field value. This parameter MUST contain the source address from which the packet was
 * received."
 *
 * RFC 3581 §4: "If this Via header field value contains an "rport" parameter with no value, it
 * MUST set the value of the parameter to the source port of the request. [...] the server MUST
 * insert a "received" parameter containing the source IP address that the request came from,
 * even if it is identical to the value of the "sent-by" component."
 */
export function stampTopVia(via: Via, sourceIp: string, sourcePort: number): string | undefined {
  const wantsRport = via.rport === null;
  const differs = !sameAddress(via.host, sourceIp);
  if (!wantsRport && !differs) return undefined;
  const entries: (string | null)[] = [];
  for (const [name, value] of via.params) {
    const lower = name.toLowerCase();
    // The UA has no business sending `received`; ours replaces it.
    if (lower === "received") continue;
    entries.push(name, lower === "rport" && value === null ? String(sourcePort) : value);
  }
  // received = IPv4address / IPv6address: an IPv6 address goes in without brackets.
  entries.push("received", sourceIp);
  return new Via(via.protocolName, via.protocolVersion, via.transport, via.host, via.port, new Params(entries)).toString();
}

/**
 * Where a UDP response goes (RFC 3261 §18.2.2 as updated by RFC 3581 §4): back to the source
 * address and port when the request asked for rport ("the response MUST be sent to the IP
 * address listed in the "received" parameter [...] and the port in the "rport" parameter"),
 * otherwise to the source address (the `received` value) at the sent-by port ("or using port
 * 5060 if none is present", §18.2.2).
 *
 * `maddr` is not honoured: sending responses to an address the request names, rather than the
 * one it came from, would let anyone aim the edge's responses at a third party.
 */
export function udpReplyPort(via: Via, sourcePort: number): number {
  return via.rport === null ? sourcePort : (via.port ?? defaultPort("udp"));
}
