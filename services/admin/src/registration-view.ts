import type { AorBindings, Binding, HostPort } from "@sipfleet/bindings";

/** One binding as the API shows it: the flow back to the UA, its user agent, how long it has left. */
export interface BindingView {
  key: string;
  contact: string;
  callId: string;
  cseq: number;
  q: number;
  instanceId: string;
  regId: number;
  path: readonly string[];
  userAgent: string;
  flow: { edgeId: string; connectionId: string; transport: string; source: string; local: string; advertised?: string };
  updatedAt: string;
  expiresAt: string;
  /** Whole seconds until it expires, never negative (the store returns only live bindings). */
  expiresInSeconds: number;
}

export interface RegistrationView {
  aor: string;
  user: string;
  domain: string;
  bindings: BindingView[];
}

/** `ip:port`, IPv6 in brackets. */
export function hostPort(a: { ip?: string; host?: string; port: number }): string {
  const host = a.ip ?? a.host ?? "";
  return host.includes(":") ? `[${host}]:${a.port}` : `${host}:${a.port}`;
}

/** The user and domain of a canonical `sip:user@domain` AOR (the last @: a user part may hold one escaped). */
export function splitAor(aor: string): { user: string; domain: string } {
  const rest = aor.replace(/^sips?:/, "");
  const at = rest.lastIndexOf("@");
  return at < 0 ? { user: "", domain: rest } : { user: rest.slice(0, at), domain: rest.slice(at + 1) };
}

export function bindingView(b: Binding, nowMs: number): BindingView {
  const flow: BindingView["flow"] = {
    edgeId: b.flow.edgeId,
    connectionId: b.flow.connectionId,
    transport: b.flow.transport,
    source: hostPort(b.flow.remote),
    local: hostPort(b.flow.local),
  };
  if (b.flow.advertised !== undefined) flow.advertised = hostPort(b.flow.advertised);
  return {
    key: b.key,
    contact: b.contact,
    callId: b.callId,
    cseq: b.cseq,
    q: b.qMillis / 1000,
    instanceId: b.instanceId,
    regId: b.regId,
    path: b.path,
    userAgent: b.userAgent,
    flow,
    updatedAt: new Date(b.updatedAtMs).toISOString(),
    expiresAt: new Date(b.expiresAtMs).toISOString(),
    expiresInSeconds: Math.max(0, Math.ceil((b.expiresAtMs - nowMs) / 1000)),
  };
}

export function registrationView(entry: AorBindings, nowMs: number): RegistrationView {
  return { aor: entry.aor, ...splitAor(entry.aor), bindings: entry.bindings.map((b) => bindingView(b, nowMs)) };
}

/** What a search asks for; every given filter must hold. */
export interface RegistrationFilter {
  /** The AOR's user part, exactly. */
  user?: string;
  /** The AOR's domain, case-insensitively. */
  domain?: string;
  /** A binding's source address: `ip` (any port) or `ip:port` (`[v6]:port`). */
  source?: string;
}

function sourceMatches(remote: HostPort, source: string): boolean {
  const bare = source.replace(/^\[|\]$/g, "");
  return remote.ip === bare || hostPort(remote) === source;
}

/**
 * The entry as the filter sees it: undefined when it does not match. A source filter keeps only
 * the bindings from that address (the AOR's other devices are not what was searched for).
 */
export function filterRegistration(entry: AorBindings, f: RegistrationFilter): AorBindings | undefined {
  const { user, domain } = splitAor(entry.aor);
  if (f.user !== undefined && user !== f.user) return undefined;
  if (f.domain !== undefined && domain !== f.domain.toLowerCase()) return undefined;
  if (f.source === undefined) return entry;
  const source = f.source;
  const bindings = entry.bindings.filter((b) => sourceMatches(b.flow.remote, source));
  return bindings.length === 0 ? undefined : { aor: entry.aor, bindings };
}
