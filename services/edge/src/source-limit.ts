import { isIP, type Socket } from "node:net";
import type { EdgeLogger } from "./logger.js";

/** Refusals are logged at debug each; a warning at most this often says how many there were. */
const WARN_INTERVAL_MS = 60_000;

/**
 * Bounds the connections one source holds open (edge.maxConnectionsPerSource), so that one host
 * cannot take the whole connection cap. Counted from the moment the TCP socket is accepted,
 * before any TLS handshake or WebSocket upgrade (those hold a socket too), until it closes.
 * Connections the edge opens itself are not counted: it chose to open them.
 */
export class SourceLimit {
  private readonly open = new Map<string, number>();
  /** Sockets closed at accept because their source was at its limit, since the edge started. */
  refused = 0;
  private refusedSinceWarning = 0;
  private lastWarningAt = -Infinity;

  constructor(
    readonly maxPerSource: number,
    private readonly logger: EdgeLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts a just-accepted socket against its source until it closes. At the limit the socket
   * is destroyed instead and false returned.
   */
  admit(socket: Socket, kind: string): boolean {
    const key = sourceKey(socket.remoteAddress ?? "");
    const n = this.open.get(key) ?? 0;
    if (n >= this.maxPerSource) {
      this.refuse(socket, kind, key);
      return false;
    }
    this.open.set(key, n + 1);
    socket.once("close", () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    });
    return true;
  }

  private refuse(socket: Socket, kind: string, source: string): void {
    this.refused++;
    this.refusedSinceWarning++;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.logger.debug?.({ remote, source, max: this.maxPerSource }, `${kind} connection over edge.maxConnectionsPerSource: refused`);
    // One flooding source must not flood the log too.
    const now = this.now();
    if (now - this.lastWarningAt >= WARN_INTERVAL_MS) {
      this.logger.warn(
        { source, max: this.maxPerSource, refused: this.refusedSinceWarning },
        "connections over edge.maxConnectionsPerSource refused (further refusals logged at debug)",
      );
      this.lastWarningAt = now;
      this.refusedSinceWarning = 0;
    }
    socket.destroy();
  }
}

/**
 * What counts as one source: an IPv4 address, or the /64 an IPv6 address is in. An IPv6 host is
 * normally given a whole /64 (RFC 4291 §2.5.1: 64-bit interface identifiers; SLAAC and privacy
 * addresses, RFC 8981, pick any of them), so counting single IPv6 addresses would let one host
 * open 2^64 times the limit. IPv4-mapped IPv6 (::ffff:a.b.c.d, a dual-stack socket) is the IPv4
 * address.
 */
export function sourceKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  let a = ip.toLowerCase();
  const zone = a.indexOf("%");
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith("::ffff:") && isIP(a.slice(7)) === 4) return a.slice(7);
  return `${ipv6Groups(a).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 literal, as hex without leading zeros. */
function ipv6Groups(a: string): string[] {
  const groups = (s: string): string[] =>
    s === "" ? [] : s.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [parseInt(g, 16).toString(16)]));
  const gap = a.indexOf("::");
  if (gap < 0) return groups(a);
  const head = groups(a.slice(0, gap));
  const tail = groups(a.slice(gap + 2));
  return [...head, ...Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
}
