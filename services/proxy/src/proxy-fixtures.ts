// Test fixtures for the proxy: settings, flows, a request builder, bindings, decision readers, a
// digest-answering client and an edge that applies a Forward the way the edge does.
import assert from "node:assert/strict";
import type { BindingStore, CallSlotStore, Flow } from "@sipfleet/bindings";
import { DEFAULT_DIAL_POLICY, type DomainConfig, type UserConfig } from "@sipfleet/config";
import { flowToWire } from "@sipfleet/location-client/wire";
import type { Decision, Flow as WireFlow, Forward, Respond, Target } from "@sipfleet/proto";
import { FlowTokens, loopHash, platformBranch } from "@sipfleet/routing";
import { buildAuthorization, computeHa1, editMessage, parseMessage, SipRequest } from "@sipfleet/sip";
import type { SipDnsLookup } from "@sipfleet/sip-dns";
import type { NumberRoute, Trunk } from "@sipfleet/trunks";
import type { ProxySettings } from "./proxy-settings.js";
import { type ProxyLogger, SipProxy } from "./sip-proxy.js";

export const SECRET = Buffer.from("proxy-test-secret-0123456789abcdef");
export const REALM = "sipfleet.local";
export const OPEN = "bench.sipfleet.local";

const NO_LIMITS = { allowedDestinations: [], maxConcurrentCalls: undefined };

function user(name: string, realm: string, password: string): UserConfig {
  return { name, ha1: { MD5: computeHa1(name, realm, password, "MD5"), "SHA-256": computeHa1(name, realm, password, "SHA-256") }, ...NO_LIMITS };
}

export function domain(name: string, users: readonly string[], authentication: "digest" | "none" = "digest"): DomainConfig {
  return { name, ...DEFAULT_DIAL_POLICY, authentication, users: new Map(users.map((u) => [u, user(u, name, `${u}-secret`)])) };
}

export function settings(
  opts: {
    domains?: DomainConfig[];
    maxTargets?: number;
    serialGroupTimeoutMs?: number;
    gatewayProvisionalTimeoutMs?: number;
    trunks?: readonly Trunk[];
    numberRoutes?: readonly NumberRoute[];
  } = {},
): ProxySettings {
  const domains = opts.domains ?? [domain(REALM, ["alice", "bob", "carol"]), domain(OPEN, [], "none")];
  return {
    domains: new Map(domains.map((d) => [d.name, d])),
    proxy: {
      serialGroupTimeoutMs: opts.serialGroupTimeoutMs ?? 20_000,
      maxTargets: opts.maxTargets ?? 10,
      gatewayProvisionalTimeoutMs: opts.gatewayProvisionalTimeoutMs ?? 4000,
      callSlotLifetimeMs: 4 * 60 * 60 * 1000,
    },
    auth: { algorithms: ["SHA-256", "MD5"], nonceLifetimeMs: 300_000, nonceSecret: SECRET, nonceSecretSource: "config" },
    trunks: opts.trunks ?? [],
    numberRoutes: opts.numberRoutes ?? [],
  };
}

/** Alice's UDP flow into edge-a (the caller side in most tests). */
export const ALICE_FLOW: Flow = {
  edgeId: "edge-a",
  connectionId: "udp:127.0.0.1:5060:192.0.2.10:40000",
  transport: "udp",
  remote: { ip: "192.0.2.10", port: 40000 },
  local: { ip: "127.0.0.1", port: 5060 },
};

/** Bob's TCP connection to edge-b (another edge pod, another address). */
export const BOB_FLOW: Flow = {
  edgeId: "edge-b",
  connectionId: "tcp/7f000002.42",
  transport: "tcp",
  remote: { ip: "192.0.2.20", port: 51000 },
  local: { ip: "127.0.0.2", port: 5070 },
};

export const quiet: ProxyLogger = { warn() {}, error() {} };

export class RecordingLogger implements ProxyLogger {
  readonly lines: { level: string; obj: object; msg: string }[] = [];
  warn(obj: object, msg: string): void {
    this.lines.push({ level: "warn", obj, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: "error", obj, msg });
  }
}

export function proxyWith(
  store: BindingStore,
  opts: { settings?: ProxySettings; now?: () => number; logger?: ProxyLogger; random?: () => number; dns?: SipDnsLookup; callSlots?: CallSlotStore } = {},
): SipProxy {
  return new SipProxy({
    settings: opts.settings ?? settings(),
    store,
    clock: opts.now ?? Date.now,
    logger: opts.logger ?? quiet,
    ...(opts.random === undefined ? {} : { random: opts.random }),
    ...(opts.dns === undefined ? {} : { dns: opts.dns }),
    ...(opts.callSlots === undefined ? {} : { callSlots: opts.callSlots }),
  });
}

export interface RequestSpec {
  method?: string;
  ruri?: string;
  from?: string;
  fromTag?: string;
  to?: string;
  toTag?: string;
  callId?: string;
  cseq?: number;
  maxForwards?: number;
  routes?: string[];
  contact?: string;
  headers?: string[];
  via?: string[];
}

let branches = 0;

/** A request as a UA sends it; From alice@sipfleet.local to bob@sipfleet.local by default. */
export function request(spec: RequestSpec = {}): SipRequest {
  const method = spec.method ?? "INVITE";
  const ruri = spec.ruri ?? "sip:bob@sipfleet.local";
  const lines = [
    `${method} ${ruri} SIP/2.0`,
    ...(spec.via ?? [`SIP/2.0/UDP 192.0.2.10:40000;branch=z9hG4bK-ua-${++branches};rport`]).map((v) => `Via: ${v}`),
    `Max-Forwards: ${spec.maxForwards ?? 70}`,
    `From: <${spec.from ?? "sip:alice@sipfleet.local"}>;tag=${spec.fromTag ?? "alice-tag"}`,
    `To: <${spec.to ?? ruri}>${spec.toTag === undefined ? "" : `;tag=${spec.toTag}`}`,
    `Call-ID: ${spec.callId ?? "call-1@192.0.2.10"}`,
    `CSeq: ${spec.cseq ?? 1} ${method}`,
    ...(spec.routes ?? []).map((r) => `Route: ${r}`),
    `Contact: ${spec.contact ?? "<sip:alice@192.0.2.10:40000>"}`,
    ...(spec.headers ?? []),
    `Content-Length: 0`,
    ``,
    ``,
  ];
  return parse(lines.join("\r\n"));
}

export function parse(text: string | Buffer): SipRequest {
  const m = parseMessage(typeof text === "string" ? Buffer.from(text, "latin1") : text);
  if (!(m instanceof SipRequest)) throw new Error("not a request");
  return m;
}

/** Registers `contact` for `aor` over `flow` as the registrar would have. */
export async function bind(
  store: BindingStore,
  aor: string,
  contact: string,
  flow: Flow,
  opts: { q?: number; path?: string[]; callId?: string; now?: number } = {},
): Promise<void> {
  const r = await store.save({
    aor,
    callId: opts.callId ?? `reg-${contact}`,
    cseq: 1,
    changes: [
      {
        key: contact,
        contact,
        qMillis: Math.round((opts.q ?? 1) * 1000),
        instanceId: "",
        regId: 0,
        path: opts.path ?? [],
        flow,
        userAgent: "test",
        lifetimeMs: 3_600_000,
      },
    ],
    removeAll: false,
    maxBindings: 0,
    nowMs: opts.now ?? Date.now(),
  });
  assert.equal(r.outcome, "saved");
}

export function responded(d: Decision): Respond {
  assert.equal(d.action?.$case, "respond", `expected a response, got ${JSON.stringify(d.action)}`);
  return d.action.value;
}

export function forwarded(d: Decision): Forward {
  if (d.action?.$case !== "forward") assert.fail(`expected a forward, got ${JSON.stringify(d.action)}`);
  return d.action.value;
}

export function dropped(d: Decision): string {
  if (d.action?.$case !== "drop") assert.fail(`expected a drop, got ${JSON.stringify(d.action)}`);
  return d.action.value.reason;
}

export function headerValues(r: Respond, name: string): string[] {
  return r.headers.filter((h) => h.name.toLowerCase() === name.toLowerCase()).map((h) => h.value);
}

/** The only target of a Forward with one group of one. */
export function onlyTarget(f: Forward): Target {
  assert.equal(f.groups.length, 1);
  assert.equal(f.groups[0]!.targets.length, 1);
  return f.groups[0]!.targets[0]!;
}

/** The Proxy-Authorization answering the first challenge of a 407 (SHA-256, as RFC 8760 says to pick). */
export function proxyAuthorization(
  challenge: Respond,
  spec: { user?: string; password?: string; method?: string; uri?: string; nc?: number } = {},
): string {
  const ch = headerValues(challenge, "Proxy-Authenticate")[0] ?? assert.fail(`no challenge in ${challenge.status}`);
  const user = spec.user ?? "alice";
  return buildAuthorization({
    challenge: ch,
    username: user,
    password: spec.password ?? `${user}-secret`,
    method: spec.method ?? "INVITE",
    uri: spec.uri ?? "sip:bob@sipfleet.local",
    nc: spec.nc ?? 1,
  });
}

/** Sends `spec` without credentials, answers the 407 and returns the decision for the second try. */
export async function withCredentials(
  proxy: SipProxy,
  spec: RequestSpec,
  flow: Flow,
  answer: { user?: string; password?: string } = {},
): Promise<Decision> {
  const challenge = responded(await proxy.handle(request(spec), flow));
  assert.equal(challenge.status, 407);
  const credentials = proxyAuthorization(challenge, { ...answer, method: spec.method ?? "INVITE", uri: spec.ruri ?? "sip:bob@sipfleet.local" });
  return proxy.handle(request({ ...spec, cseq: (spec.cseq ?? 1) + 1, headers: [...(spec.headers ?? []), `Proxy-Authorization: ${credentials}`] }), flow);
}

/**
 * What the edge sends on one branch of a Forward (RFC 3261 §16.6): Route edits (pop or rewrite,
 * then the target's routes on top), the target's Request-URI, its Record-Route values on top,
 * removed headers, a platform Via on top, Max-Forwards decremented.
 */
export function applyForward(req: SipRequest, f: Forward, target: Target, edgeId: string): SipRequest {
  // Prepended lines keep the order they are given in, above the original ones.
  const e = editMessage(req);
  e.prependVia(`SIP/2.0/UDP 127.0.0.1:5060;branch=${platformBranch(edgeId, loopHash(req))}`);
  const kept = f.rewriteRoutes ? [...f.routes] : req.route.slice(f.popRoutes).map((r) => r.toString());
  e.removeHeader("Route");
  for (const r of [...target.routes, ...kept]) e.prependHeader("Route", r);
  if (target.requestUri !== "") e.setRequestUri(target.requestUri);
  for (const rr of target.recordRoutes) e.addRecordRoute(rr);
  for (const h of f.removeHeaders) e.removeHeader(h);
  e.decrementMaxForwards();
  return parse(e.toBuffer());
}

export const wire = flowToWire;

/** The flow a Record-Route value's token names (undefined: a token naming no flow); fails the test without a valid token. */
export function recordRouteFlow(value: string): WireFlow | undefined {
  const token = /;ft=([A-Za-z0-9_-]+)>$/.exec(value)?.[1];
  assert.ok(token !== undefined, `no flow token in ${value}`);
  const decoded = new FlowTokens(SECRET).decode(token);
  assert.ok(decoded !== undefined, `invalid flow token in ${value}`);
  return decoded.flow;
}
