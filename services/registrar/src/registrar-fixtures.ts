// Test fixtures for the registrar: settings, a REGISTER builder and a digest-answering client.
import type { Flow } from "@sipfleet/bindings";
import { DEFAULT_DIAL_POLICY, type DomainConfig, type UserConfig } from "@sipfleet/config";
import { buildAuthorization, computeHa1, parseMessage, SipRequest } from "@sipfleet/sip";
import type { RegistrarReply } from "./reply.js";
import type { RegistrarSettings } from "./registrar-settings.js";

export const SECRET = Buffer.from("registrar-test-secret-0123456789abcdef");

const NO_LIMITS = { allowedDestinations: [], maxConcurrentCalls: undefined };

function user(name: string, realm: string, password: string): UserConfig {
  return { name, ha1: { MD5: computeHa1(name, realm, password, "MD5"), "SHA-256": computeHa1(name, realm, password, "SHA-256") }, ...NO_LIMITS };
}

export function settings(overrides: Partial<RegistrarSettings["registrar"]> = {}): RegistrarSettings {
  const realm = "sipfleet.local";
  const digest: DomainConfig = {
    name: realm,
    ...DEFAULT_DIAL_POLICY,
    authentication: "digest",
    users: new Map([
      ["alice", user("alice", realm, "alice-secret")],
      ["bob", user("bob", realm, "bob-secret")],
    ]),
  };
  const open: DomainConfig = { name: "bench.sipfleet.local", ...DEFAULT_DIAL_POLICY, authentication: "none", users: new Map() };
  return {
    domains: new Map([
      [digest.name, digest],
      [open.name, open],
    ]),
    registrar: { minExpires: 60, defaultExpires: 3600, maxExpires: 7200, maxBindingsPerAor: 5, ...overrides },
    auth: { algorithms: ["SHA-256", "MD5"], nonceLifetimeMs: 300_000, nonceSecret: SECRET, nonceSecretSource: "config" },
  };
}

export const FLOW: Flow = {
  edgeId: "edge-a",
  connectionId: "udp:127.0.0.1:5060:192.0.2.10:40000",
  transport: "udp",
  remote: { ip: "192.0.2.10", port: 40000 },
  local: { ip: "127.0.0.1", port: 5060 },
};

export interface RegisterSpec {
  user?: string;
  domain?: string;
  ruri?: string;
  callId?: string;
  cseq?: number;
  contacts?: string[];
  expires?: number;
  headers?: string[];
  authorization?: string;
}

export function register(spec: RegisterSpec = {}): SipRequest {
  const user = spec.user ?? "alice";
  const domain = spec.domain ?? "sipfleet.local";
  const ruri = spec.ruri ?? `sip:${domain}`;
  const lines = [
    `REGISTER ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.10:40000;branch=z9hG4bK-${Math.random().toString(36).slice(2)};rport`,
    `Max-Forwards: 70`,
    `From: <sip:${user}@${domain}>;tag=f1`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${spec.callId ?? "call-1@192.0.2.10"}`,
    `CSeq: ${spec.cseq ?? 1} REGISTER`,
    ...(spec.contacts ?? [`<sip:${user}@192.0.2.10:40000>`]).map((c) => `Contact: ${c}`),
    ...(spec.expires === undefined ? [] : [`Expires: ${spec.expires}`]),
    ...(spec.authorization === undefined ? [] : [`Authorization: ${spec.authorization}`]),
    ...(spec.headers ?? []),
    `Content-Length: 0`,
    ``,
    ``,
  ];
  const m = parseMessage(Buffer.from(lines.join("\r\n"), "latin1"));
  if (!(m instanceof SipRequest)) throw new Error("not a request");
  return m;
}

export function header(r: RegistrarReply, name: string): string[] {
  return r.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

/** The Authorization answering the first challenge of a 401 (SHA-256, as RFC 8760 says to pick). */
export function answer(challenge: RegistrarReply, spec: { user?: string; password?: string; ruri?: string; nc?: number; pick?: number } = {}): string {
  const ch = header(challenge, "WWW-Authenticate")[spec.pick ?? 0];
  if (ch === undefined) throw new Error(`no challenge in ${challenge.status}`);
  return buildAuthorization({
    challenge: ch,
    username: spec.user ?? "alice",
    password: spec.password ?? "alice-secret",
    method: "REGISTER",
    uri: spec.ruri ?? "sip:sipfleet.local",
    nc: spec.nc ?? 1,
  });
}
