import { isIPv6 } from "node:net";
import type { ListenTransport, PublicAddress } from "./config.js";
import { type IssueList, describeValue } from "./schema.js";

/*
 * edge.publicAddress / SIPFLEET_PUBLIC_ADDRESS: the address the edge writes as its own (Via
 * sent-by, Record-Route, Path, its Contacts toward carriers) when that is not the address its
 * sockets are bound to: a pod behind a Kubernetes Service or a load balancer, a host behind NAT
 * (RFC 3261 §18.2.1: the sent-by is where responses are to be sent; §20.30 Record-Route, RFC 3327
 * Path: where the next in-dialog request or incoming call is to arrive).
 *
 * Comma-separated entries `[transport:]host[:port]`: `sip.example.com`, `203.0.113.7:5060`,
 * `[2001:db8::7]`, `udp:203.0.113.7:5060,tls:203.0.113.7:5061`. An entry with a transport is that
 * transport's; one without is every other transport's. Without a port, the listener's own port
 * is advertised (a Service usually maps the same port).
 */

/** Overrides edge.publicAddress; empty counts as unset. */
export const ENV_PUBLIC_ADDRESS = "SIPFLEET_PUBLIC_ADDRESS";

const TRANSPORTS: ReadonlySet<string> = new Set<ListenTransport>(["udp", "tcp", "tls", "ws", "wss"]);
/** A DNS name (RFC 1123 labels) or an IPv4 literal: what a sent-by host may be besides IPv6. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** Reads the value (file or variable); issues under `path`, from `source` when given. */
export function readPublicAddress(issues: IssueList, value: unknown, path: string, source?: string): readonly PublicAddress[] | undefined {
  if (typeof value !== "string") {
    issues.add(path, `expected a string like "203.0.113.7" or "udp:203.0.113.7:5060,tls:203.0.113.7:5061", got ${describeValue(value)}`, source);
    return undefined;
  }
  const out: PublicAddress[] = [];
  const seen = new Set<string>();
  let ok = true;
  for (const raw of value.split(",")) {
    const entry = raw.trim();
    const parsed = entry === "" ? "empty entry (stray comma?)" : parsePublicAddressEntry(entry);
    const key = typeof parsed === "string" ? "" : (parsed.transport ?? "*");
    const problem = typeof parsed === "string" ? parsed : seen.has(key) ? `a second address for ${parsed.transport ?? "every transport"}` : undefined;
    if (problem !== undefined || typeof parsed === "string") {
      issues.add(path, entry === "" ? (problem ?? "") : `entry ${JSON.stringify(entry)}: ${problem ?? ""}`, source);
      ok = false;
      continue;
    }
    seen.add(key);
    out.push(parsed);
  }
  return ok ? Object.freeze(out) : undefined;
}

/** One `[transport:]host[:port]`, or why it is not one. The host is kept without IPv6 brackets. */
export function parsePublicAddressEntry(entry: string): PublicAddress | string {
  let rest = entry;
  let transport: ListenTransport | undefined;
  const first = /^([a-z]+):/i.exec(rest);
  if (first !== null && TRANSPORTS.has((first[1] ?? "").toLowerCase())) {
    transport = (first[1] ?? "").toLowerCase() as ListenTransport;
    rest = rest.slice(first[0].length);
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) return "IPv6 address without its closing ]";
    host = rest.slice(1, close);
    if (!isIPv6(host)) return `${JSON.stringify(host)} is not an IPv6 address`;
    const after = rest.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return "expected :port after the ]";
    portText = after === "" ? undefined : after.slice(1);
  } else {
    if (isIPv6(rest)) return "an IPv6 address goes in brackets, e.g. [2001:db8::7]:5060";
    const colon = rest.lastIndexOf(":");
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
    if (!HOST_NAME.test(host)) return `${JSON.stringify(host)} is not a host name or IPv4 address`;
  }
  if (portText === undefined) return { transport, host: host.toLowerCase(), port: undefined };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return `port must be 1-65535, got ${JSON.stringify(portText)}`;
  return { transport, host: host.toLowerCase(), port };
}
