import type { DecodedFlowToken, FlowTokens } from "@sipfleet/routing";
import { type NameAddr, SipUri, type SipRequest } from "@sipfleet/sip";
import { type ArrivalAddress, type Domains, namesPlatform } from "./platform-address.js";

/*
 * RFC 3261 §16.4 route information preprocessing, for a platform that record-routes twice with
 * flow tokens (record-route.ts). The Route values on top that are the platform's own are removed;
 * the flow token of the last one removed says where the request goes next (RFC 5626 §5.3).
 *
 * A Route value is the platform's own when it carries an `ft` parameter the platform wrote
 * (FlowTokens.decode accepts it: any edge's address, since the token is what proves it), or when
 * it names the platform (a served domain or the address the request arrived at) without one:
 * a UA's preloaded outbound-proxy route. A value naming the platform with a token the platform
 * did not write has been tampered with (RFC 5626 §5.3: "the proxy SHOULD send a 403").
 */

export type RouteProcessing =
  | {
      readonly kind: "ok";
      /** Route values to remove from the top (loose routing). 0 when `rewrite` is set. */
      readonly popRoutes: number;
      /**
       * Strict-route compatibility (§16.4): the Request-URI was one of our Record-Route URIs, put
       * there by a strict router upstream. The request's new Request-URI is the last Route value
       * and the Route header field becomes `routes`.
       */
      readonly rewrite: { readonly requestUri: string; readonly routes: readonly string[] } | undefined;
      /** The token of the last of our values removed; undefined when none carried one. */
      readonly token: DecodedFlowToken | undefined;
      /**
       * The token of the first of our values removed (the Request-URI's, for strict routing): the
       * sender's own side, since each side's route set starts with its own edge (record-route.ts).
       * Undefined when none carried one.
       */
      readonly senderToken: DecodedFlowToken | undefined;
      /**
       * The `cso` parameter of the value whose token is `token` (0 when absent or unusable): the
       * CSeq offset toward that side (see `cseqOffsetOf`).
       */
      readonly cseqOffset: number;
    }
  /** A value naming the platform carries a token the platform did not write. */
  | { readonly kind: "bad-token" }
  /** The Request-URI is our Record-Route URI but there is no Route value to take its place from. */
  | { readonly kind: "no-route-for-strict-routing" };

type OwnRoute = { readonly kind: "token"; readonly token: DecodedFlowToken } | { readonly kind: "plain" } | { readonly kind: "tampered" };

/** Reads the Request-URI and Route of `req`; throws ParseError (a 400) when a Route value does not parse. */
export function processRoutes(req: SipRequest, local: ArrivalAddress, domains: Domains, tokens: FlowTokens): RouteProcessing {
  let values: readonly NameAddr[] = req.route;
  let token: DecodedFlowToken | undefined;
  let senderToken: DecodedFlowToken | undefined;
  let cseqOffset = 0;
  let rewrite: { requestUri: string } | undefined;

  // §16.4: "If the Request-URI contains a value this proxy previously placed into a Record-Route
  // header field ..., the proxy MUST replace the Request-URI in the request with the last value
  // from the Route header field, and remove that value from the Route header field."
  const ruri = req.uri;
  if (ruri instanceof SipUri) {
    const own = ownUri(ruri, local, domains, tokens);
    if (own?.kind === "tampered") return { kind: "bad-token" };
    if (own?.kind === "token") {
      const last = values[values.length - 1];
      if (last === undefined) return { kind: "no-route-for-strict-routing" };
      token = own.token;
      senderToken = own.token;
      cseqOffset = cseqOffsetOf(ruri);
      rewrite = { requestUri: last.uriText };
      values = values.slice(0, -1);
    }
  }

  // §16.4: "If the first value in the Route header field indicates this proxy, the proxy MUST
  // remove that value from the request." With two Record-Route values per dialog (one per side),
  // both of ours come in a row; the last one's token is the far side's flow.
  let popped = 0;
  for (const value of values) {
    const uri = value.uri;
    const own = uri instanceof SipUri ? ownUri(uri, local, domains, tokens) : undefined;
    if (own === undefined) break;
    if (own.kind === "tampered") return { kind: "bad-token" };
    if (own.kind === "token") {
      token = own.token;
      senderToken ??= own.token;
      cseqOffset = cseqOffsetOf(uri as SipUri);
    }
    popped++;
  }

  if (rewrite === undefined) return { kind: "ok", popRoutes: popped, rewrite: undefined, token, senderToken, cseqOffset };
  return {
    kind: "ok",
    popRoutes: 0,
    rewrite: { requestUri: rewrite.requestUri, routes: values.slice(popped).map((v) => v.toString()) },
    token,
    senderToken,
    cseqOffset,
  };
}

/** Larger offsets are not the edge's (it answers a challenge once, or twice when stale). */
const MAX_CSEQ_OFFSET = 16;

/**
 * The CSeq offset an edge wrote as `cso` into the Record-Route value facing a carrier whose
 * 401/407 it answered (the re-sent request had CSeq + 1, RFC 3261 §22.2). That value is the one
 * whose token names the side the request goes to: the caller's requests toward the carrier pop it
 * last and are shifted; the carrier's requests toward the caller pop the caller-side value last
 * (no `cso`) and are not, their CSeq space being the carrier's own (§12.2.1.1). The token's GCM tag
 * does not cover `cso`; a forged one can only shift the CSeq of the forger's own dialog, and the
 * bound keeps it from pushing the number past 2**31 in practice.
 */
export function cseqOffsetOf(uri: SipUri): number {
  const v = uri.params.get("cso");
  if (typeof v !== "string" || !/^[0-9]{1,2}$/.test(v)) return 0;
  const n = Number(v);
  return n <= MAX_CSEQ_OFFSET ? n : 0;
}

function ownUri(uri: SipUri, local: ArrivalAddress, domains: Domains, tokens: FlowTokens): OwnRoute | undefined {
  const ft = uri.params.get("ft");
  if (typeof ft === "string") {
    const token = tokens.decode(ft);
    if (token !== undefined) return { kind: "token", token };
    // A token we cannot read on someone else's URI is theirs to read.
    return namesPlatform(uri, local, domains) ? { kind: "tampered" } : undefined;
  }
  return namesPlatform(uri, local, domains) ? { kind: "plain" } : undefined;
}
