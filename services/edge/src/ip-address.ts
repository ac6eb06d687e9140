import { isIP } from "node:net";

/*
 * IP literals as the edge compares and prints them. Sockets report IPv6 without brackets and
 * Via/URI hosts carry them ("[2001:db8::1]"); comparisons go through one canonical form.
 */

/** Host without IPv6 brackets, lower-cased; IPv6 in its compressed canonical form. */
export function canonicalHost(host: string): string {
  let h = host.length > 1 && host.charCodeAt(0) === 91 /* [ */ && host.charCodeAt(host.length - 1) === 93 ? host.slice(1, -1) : host;
  h = h.toLowerCase();
  if (isIP(h) === 6) {
    // The WHATWG URL parser prints IPv6 in the RFC 5952 form: "0:0::1" and "::1" agree.
    h = new URL(`http://[${h}]/`).hostname.slice(1, -1);
  }
  return h;
}

/** Whether a Via sent-by or URI host names the same IP address as a socket address. */
export function sameAddress(host: string, ip: string): boolean {
  if (host === ip) return true;
  return canonicalHost(host) === canonicalHost(ip);
}

/** `ip:port`, with brackets around IPv6 (as in a SIP URI or Via). */
export function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
