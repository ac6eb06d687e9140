import { BlockList, isIPv4, isIPv6 } from "node:net";
import type { ListenAddress, ListenTransport } from "./config.js";
import { IssueList, describeValue, indexPath } from "./schema.js";

/*
 * Listen specs: `transport:host:port[,transport:host:port...]`, e.g.
 *   udp:127.0.0.1:5060,tcp:127.0.0.1:5060        udp:[::1]:5070
 *   tls:127.0.0.1:5061,ws:127.0.0.1:8080,wss:127.0.0.1:8443
 * The host is an IP literal: a socket binds one address, and resolving a name at startup would
 * make the bound address depend on DNS. IPv6 goes in brackets, as in a SIP URI (RFC 3261 §19.1.1,
 * RFC 3986 §3.2.2), so the last colon always starts the port.
 */

const TRANSPORTS: readonly ListenTransport[] = ["udp", "tcp", "tls", "ws", "wss"];
const TRANSPORT_LIST = `${TRANSPORTS.slice(0, -1).join(", ")} or ${TRANSPORTS.at(-1) ?? ""}`;

/** The listeners that need `edge.tls`: SIP over TLS and secure WebSocket. */
export function isSecureTransport(t: ListenTransport): boolean {
  return t === "tls" || t === "wss";
}

/**
 * Parses a comma-separated listen spec. Throws ConfigError, every message prefixed with `what`
 * (e.g. "SIPFLEET_LISTEN"), listing each bad entry.
 */
export function parseListen(spec: string, what: string): ListenAddress[] {
  const issues = new IssueList(what);
  const out = readListenSpec(issues, spec, "");
  issues.throwIfAny();
  return out ?? [];
}

/** `udp:127.0.0.1:5060`, `tcp:[::1]:5060`: the spec syntax, so messages show what was configured. */
export function formatListenAddress(a: ListenAddress): string {
  return `${a.transport}:${hostPort(a)}`;
}

function hostPort(a: ListenAddress): string {
  return `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}

/**
 * A comma-separated spec (a file string or an environment variable). Bad entries are reported
 * under `path`, quoted so the operator sees which; returns undefined if any was refused.
 * `source` overrides the issue list's (an environment variable instead of the file).
 */
export function readListenSpec(
  issues: IssueList,
  spec: string,
  path: string,
  source?: string,
): ListenAddress[] | undefined {
  const entries = spec.split(",").map((e) => e.trim());
  if (entries.length === 1 && entries[0] === "") {
    issues.add(path, "must list at least one address, e.g. udp:127.0.0.1:5060", source);
    return undefined;
  }
  const seen = new Map<string, ListenAddress>();
  const out: ListenAddress[] = [];
  let ok = true;
  const report = (entry: string, problem: string): void => {
    issues.add(path, entry === "" ? problem : `entry ${JSON.stringify(entry)}: ${problem}`, source);
    ok = false;
  };
  for (const entry of entries) {
    const result = entry === "" ? "empty entry (stray comma?)" : parseListenEntry(entry);
    if (typeof result === "string") {
      report(entry, result);
      continue;
    }
    const duplicate = duplicateProblem(seen, result);
    if (duplicate !== undefined) report(entry, duplicate);
    else out.push(result);
  }
  return ok ? out : undefined;
}

/** A YAML list of single entries, each reported under its own index. */
export function readListenList(issues: IssueList, list: readonly unknown[], path: string): ListenAddress[] | undefined {
  if (list.length === 0) {
    issues.add(path, "must list at least one address, e.g. udp:127.0.0.1:5060");
    return undefined;
  }
  const seen = new Map<string, ListenAddress>();
  const out: ListenAddress[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const result =
      typeof item === "string"
        ? parseListenEntry(item.trim())
        : `expected a string like "udp:127.0.0.1:5060", got ${describeValue(item)}`;
    const problem = typeof result === "string" ? result : duplicateProblem(seen, result);
    if (problem !== undefined) {
      issues.add(indexPath(path, i), problem);
      ok = false;
    } else if (typeof result !== "string") {
      out.push(result);
    }
  });
  return ok ? out : undefined;
}

/**
 * An address listed twice, or a TCP port two listeners would both bind: tcp, tls, ws and wss
 * all listen on TCP, so each needs a port of its own (only udp and one of them can share).
 */
function duplicateProblem(seen: Map<string, ListenAddress>, a: ListenAddress): string | undefined {
  const socket = `${a.transport === "udp" ? "udp" : "tcp"} ${hostPort(a)}`;
  const earlier = seen.get(socket);
  if (earlier === undefined) {
    seen.set(socket, a);
    return undefined;
  }
  if (earlier.transport === a.transport) return "listed twice";
  return `${formatListenAddress(earlier)} listens on the same TCP port; tcp, tls, ws and wss each need a port of their own`;
}

/** One `transport:host:port`, or why it is not one. */
export function parseListenEntry(entry: string): ListenAddress | string {
  const colon = entry.indexOf(":");
  if (colon < 0) return "expected transport:host:port, e.g. udp:127.0.0.1:5060";
  const transport = entry.slice(0, colon).toLowerCase();
  if (!(TRANSPORTS as readonly string[]).includes(transport)) {
    return `transport must be ${TRANSPORT_LIST}, got ${JSON.stringify(entry.slice(0, colon))}`;
  }
  const rest = entry.slice(colon + 1);
  let host: string;
  let portText: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) return "missing ] after the IPv6 address";
    host = rest.slice(1, close);
    if (!isIPv6(host)) return `host must be an IPv6 address inside [ ], got ${JSON.stringify(host)}`;
    if (rest[close + 1] !== ":") return "expected :port after the ]";
    portText = rest.slice(close + 2);
  } else {
    const lastColon = rest.lastIndexOf(":");
    if (lastColon < 0) return "missing :port, e.g. udp:127.0.0.1:5060";
    host = rest.slice(0, lastColon);
    portText = rest.slice(lastColon + 1);
    if (isIPv6(host) || host.includes(":")) return `IPv6 addresses go in brackets, e.g. ${transport}:[::1]:5060`;
    if (!isIPv4(host)) {
      return `host must be an IP address (names are not resolved for listening), got ${JSON.stringify(host)}`;
    }
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) return `port must be 1-65535, got ${JSON.stringify(portText)}`;
  return Object.freeze({ transport: transport as ListenTransport, host, port });
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
LOOPBACK.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

/** 127.0.0.0/8 (RFC 1122 §3.2.1.3), ::1 (RFC 4291 §2.5.3), or 127/8 written IPv4-mapped. */
export function isLoopbackAddress(host: string): boolean {
  if (isIPv4(host)) return LOOPBACK.check(host, "ipv4");
  if (isIPv6(host)) return LOOPBACK.check(host, "ipv6");
  return false;
}
