import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBindingStore } from "@sipfleet/bindings";
import type { DomainConfig } from "@sipfleet/config";
import { Forward_Failover } from "@sipfleet/proto";
import { parseUri } from "@sipfleet/sip";
import { type Gateway, type NumberRoute, parseSubnet, type Trunk } from "@sipfleet/trunks";
import { requestedNumber } from "./inbound-trunks.js";
import { dialledNumber, gatewayRequestUri } from "./outbound-trunks.js";
import { resolveRequestUri } from "./platform-address.js";
import {
  ALICE_FLOW,
  bind,
  BOB_FLOW,
  domain,
  forwarded,
  onlyTarget,
  OPEN,
  proxyWith,
  REALM,
  RecordingLogger,
  request,
  type RequestSpec,
  responded,
  settings,
  withCredentials,
  wire,
} from "./proxy-fixtures.js";

const LOCAL = { ip: "127.0.0.1", port: 5060 };

/** `transport` null: none configured. */
function gw(host: string, port: number | undefined, priority = 1, weight = 1, transport: Gateway["transport"] | null = "udp"): Gateway {
  return { host, port, transport: transport ?? undefined, priority, weight };
}

function trunk(name: string, gateways: Gateway[], numbers: [string, string, string[]][] = []): Trunk {
  const allow = parseSubnet("198.51.100.0/24");
  if ("problem" in allow) throw new RangeError(allow.problem);
  return {
    name,
    gateways,
    inbound: { allow: [allow.subnet], credentials: undefined },
    numbers: numbers.map(([first, last, owners]) => ({
      block: { first, last },
      owners: owners.map((o) => ({ user: o.split("@")[0]!, domain: o.split("@")[1]! })),
    })),
    outbound: { credentials: undefined, register: undefined },
    maxConcurrentCalls: undefined,
  };
}

/** sipfleet.local: national numbers for everyone, premium rate blocked; carol may call abroad. */
function policyDomain(): DomainConfig {
  const base = domain(REALM, ["alice", "bob", "carol", "1234"]);
  const users = new Map(base.users);
  users.set("carol", { ...users.get("carol")!, allowedDestinations: ["+"] });
  return {
    ...base,
    users,
    dialPlan: [
      { match: "00", replace: "+" },
      { match: "0", replace: "+49" },
    ],
    blockedPrefixes: ["+", "+49900"],
    allowedPrefixes: ["+49"],
  };
}

const CARRIER_A = trunk(
  "carrier-a",
  [gw("192.0.2.91", 5070, 1, 1), gw("192.0.2.92", undefined, 2, 1, null)],
  [
    ["+4930123456", "+4930123456", ["alice@sipfleet.local"]],
    ["+4930999000", "+4930999099", ["bob@sipfleet.local"]],
  ],
);
const CARRIER_B = trunk("carrier-b", [gw("2001:db8::7", 5061, 1, 1, "tls")]);
const BERLIN = trunk("berlin", [gw("192.0.2.30", 5060)]);

const ROUTES: NumberRoute[] = [
  { prefix: "+49", trunks: [{ trunk: "carrier-a", priority: 1, weight: 1 }, { trunk: "carrier-b", priority: 2, weight: 1 }] },
  { prefix: "+4940", trunks: [{ trunk: "berlin", priority: 1, weight: 1 }] },
  { prefix: "+1", trunks: [{ trunk: "carrier-b", priority: 1, weight: 1 }] },
];

function setup(opts: { routes?: NumberRoute[]; random?: () => number; logger?: RecordingLogger } = {}) {
  const store = new MemoryBindingStore();
  const proxy = proxyWith(store, {
    settings: settings({
      domains: [policyDomain(), domain(OPEN, [], "none")],
      trunks: [CARRIER_A, CARRIER_B, BERLIN],
      numberRoutes: opts.routes ?? ROUTES,
      gatewayProvisionalTimeoutMs: 2500,
    }),
    logger: opts.logger ?? new RecordingLogger(),
    random: opts.random ?? (() => 0),
  });
  return { store, proxy };
}

/** Alice (or `user`) dials `ruri`, answering the 407. */
function dial(ruri: string, user = "alice", extra: Partial<RequestSpec> = {}): RequestSpec {
  return { ruri, to: ruri, from: `sip:${user}@sipfleet.local`, ...extra };
}

describe("gatewayRequestUri", () => {
  it("writes the number at the gateway, with port and transport only when configured", () => {
    assert.equal(gatewayRequestUri("+4930123", gw("192.0.2.91", 5070)), "sip:+4930123@192.0.2.91:5070;transport=udp");
    assert.equal(gatewayRequestUri("+4930123", gw("gw.carrier.example", undefined, 1, 1, null)), "sip:+4930123@gw.carrier.example");
    assert.equal(gatewayRequestUri("+4930123", gw("2001:db8::7", 5061, 1, 1, "tls")), "sip:+4930123@[2001:db8::7]:5061;transport=tls");
  });
});

describe("dialledNumber", () => {
  const d = policyDomain();
  const domains = new Map([[d.name, d]]);
  const number = (text: string) => {
    const uri = parseUri(text);
    const resolved = resolveRequestUri(uri, { local: LOCAL }, domains, d);
    return dialledNumber(uri, resolved, requestedNumber(uri, resolved), d);
  };

  it("takes E.164 as it is and local digits through the caller domain's dial plan (longest match)", () => {
    assert.equal(number("sip:+4930123@sipfleet.local"), "+4930123");
    assert.equal(number("tel:+1-555-0100"), "+15550100");
    assert.equal(number("sip:030123@sipfleet.local"), "+4930123");
    assert.equal(number("sip:0015550100@127.0.0.1"), "+15550100");
  });

  it("is not a number: a configured user named by digits, a name, digits at a foreign host", () => {
    assert.equal(number("sip:1234@sipfleet.local"), undefined);
    assert.equal(number("sip:bob@sipfleet.local"), undefined);
    assert.equal(number("sip:030123@example.org"), undefined);
    assert.equal(number("sip:+4930123@example.org"), undefined);
  });
});

describe("SipProxy: calls to trunks", () => {
  it("challenges first, then sends to the gateways of the longest prefix route, one serial group each, failing over on server failure", async () => {
    const { proxy } = setup();
    const challenge = responded(await proxy.handle(request(dial("sip:030555@sipfleet.local")), ALICE_FLOW));
    assert.equal(challenge.status, 407);

    const f = forwarded(await withCredentials(proxy, dial("sip:030555@sipfleet.local"), ALICE_FLOW));
    // +49 route: carrier-a (priority 1) with its gateways by priority, then carrier-b.
    assert.deepEqual(
      f.groups.map((g) => g.targets.map((t) => t.requestUri)),
      [["sip:+4930555@192.0.2.91:5070;transport=udp"], ["sip:+4930555@192.0.2.92"], ["sip:+4930555@[2001:db8::7]:5061;transport=tls"]],
    );
    assert.equal(f.failover, Forward_Failover.FAILOVER_SERVER_FAILURE);
    // Each target names its trunk (the edge answers the gateway's challenges with its credentials);
    // IP gateways are reached by their Request-URI, no located next hop.
    assert.deepEqual(f.groups.map((g) => g.targets[0]!.trunk), ["carrier-a", "carrier-a", "carrier-b"]);
    assert.ok(f.groups.every((g) => g.targets[0]!.nextHop === undefined));
    assert.ok(f.groups.every((g) => g.timeoutMs === 0 && g.targets.every((t) => t.flow === undefined && t.routes.length === 0)));
    // A silent gateway is given up after proxy.gatewayProvisionalTimeoutMs; a ringing one is not.
    assert.deepEqual(
      f.groups.map((g) => g.provisionalTimeoutMs),
      [2500, 2500, 2500],
    );
    // Record-routed as any call: toward the callee (no flow) and toward the caller, both on the caller's edge socket.
    for (const g of f.groups) {
      assert.equal(g.targets[0]!.recordRoutes.length, 2);
      assert.ok(g.targets[0]!.recordRoutes.every((rr) => rr.startsWith("<sip:127.0.0.1:5060;lr;ft=")));
    }

    // The longer +4940 prefix wins over +49.
    const hamburg = forwarded(await withCredentials(proxy, dial("sip:+494012345@sipfleet.local", "alice", { callId: "c2" }), ALICE_FLOW));
    assert.deepEqual(hamburg.groups.map((g) => g.targets[0]!.requestUri), ["sip:+494012345@192.0.2.30:5060;transport=udp"]);
  });

  it("in the trunk call's dialog, the caller's requests go only to carrier addresses: the token toward the gateway names no flow", async () => {
    const { proxy } = setup();
    const f = forwarded(await withCredentials(proxy, dial("sip:030555@sipfleet.local"), ALICE_FLOW));
    const [toCallee, toCaller] = f.groups[0]!.targets[0]!.recordRoutes as [string, string];
    // The caller's route set is the Record-Route reversed (RFC 3261 §12.1.2).
    const inDialog = (ruri: string, extraRoutes: string[] = []) =>
      request({ method: "BYE", ruri, toTag: "gw-tag", to: "sip:+4930555@192.0.2.91", routes: [toCaller, toCallee, ...extraRoutes] });
    // To the gateway (or any address a trunk's inbound.allow covers): forwarded by its Request-URI.
    const bye = forwarded(await proxy.handle(inDialog("sip:+4930555@192.0.2.91:5070"), ALICE_FLOW));
    assert.equal(bye.groups[0]!.targets[0]!.flow, undefined);
    forwarded(await proxy.handle(inDialog("sip:mgw@198.51.100.20"), ALICE_FLOW));
    // Anywhere else, by Request-URI or by a Route added after ours: refused, not relayed.
    for (const r of [inDialog("sip:+19005550100@203.0.113.9"), inDialog("sip:+4930555@192.0.2.91:5070", ["<sip:203.0.113.9;lr>"]), inDialog("sip:x@carrier.example")]) {
      assert.equal(responded(await proxy.handle(r, ALICE_FLOW)).status, 403);
    }
  });

  it("cso (an edge answered the carrier's challenge): the caller's requests toward the carrier are shifted, the carrier's toward the caller are not", async () => {
    const { proxy } = setup();
    const f = forwarded(await withCredentials(proxy, dial("sip:030555@sipfleet.local"), ALICE_FLOW));
    const [toCallee, toCaller] = f.groups[0]!.targets[0]!.recordRoutes as [string, string];
    assert.equal(f.cseqOffset, 0, "nothing to shift outside a dialog");
    // What the edge sent the carrier after answering its 407 (carrier-challenge.ts, edge).
    const toCarrier = toCallee.replace(/>$/, ";cso=1>");
    // The caller's route set: the Record-Route of the 2xx reversed (RFC 3261 §12.1.2).
    for (const method of ["ACK", "BYE", "INVITE"]) {
      const req = request({ method, ruri: "sip:+4930555@192.0.2.91:5070", toTag: "gw-tag", to: "sip:+4930555@192.0.2.91", cseq: 2, routes: [toCaller, toCarrier] });
      const d = forwarded(await proxy.handle(req, ALICE_FLOW));
      assert.equal(d.cseqOffset, 1, method);
      assert.equal(d.popRoutes, 2, method);
    }
    // The carrier's route set is the Record-Route in order (§12.1.1); its BYE goes to the caller
    // with the carrier's own CSeq.
    const fromCarrier = request({
      method: "BYE",
      ruri: "sip:alice@192.0.2.10:40000",
      from: "sip:+4930555@192.0.2.91",
      fromTag: "gw-tag",
      to: "sip:alice@sipfleet.local",
      toTag: "alice-tag",
      cseq: 7,
      routes: [toCarrier, toCaller],
      via: ["SIP/2.0/UDP 192.0.2.91:5070;branch=z9hG4bK-gw-bye"],
    });
    const back = forwarded(await proxy.handle(fromCarrier, { ...ALICE_FLOW, connectionId: "udp/carrier" }));
    assert.equal(back.cseqOffset, 0);
    assert.deepEqual(onlyTarget(back).flow, wire(ALICE_FLOW));
    // No cso, or one that is not a small number: no shift.
    for (const bad of [toCallee, toCallee.replace(/>$/, ";cso=x>"), toCallee.replace(/>$/, ";cso=99999>"), toCallee.replace(/>$/, ";cso>")]) {
      const req = request({ method: "BYE", ruri: "sip:+4930555@192.0.2.91:5070", toTag: "gw-tag", to: "sip:+4930555@192.0.2.91", routes: [toCaller, bad] });
      assert.equal(forwarded(await proxy.handle(req, ALICE_FLOW)).cseqOffset, 0, bad);
    }
  });

  it("orders trunks of equal priority by the injected random draw", async () => {
    const routes: NumberRoute[] = [{ prefix: "+49", trunks: [{ trunk: "carrier-b", priority: 1, weight: 1 }, { trunk: "berlin", priority: 1, weight: 3 }] }];
    const low = forwarded(await withCredentials(setup({ routes, random: () => 0 }).proxy, dial("sip:+4930555@sipfleet.local"), ALICE_FLOW));
    assert.deepEqual(low.groups.map((g) => g.targets[0]!.requestUri), ["sip:+4930555@[2001:db8::7]:5061;transport=tls", "sip:+4930555@192.0.2.30:5060;transport=udp"]);
    const high = forwarded(await withCredentials(setup({ routes, random: () => 0.5 }).proxy, dial("sip:+4930555@sipfleet.local"), ALICE_FLOW));
    assert.deepEqual(high.groups.map((g) => g.targets[0]!.requestUri), ["sip:+4930555@192.0.2.30:5060;transport=udp", "sip:+4930555@[2001:db8::7]:5061;transport=tls"]);
  });

  it("asserts the caller's number (or AOR) and removes identities and credentials the caller sent, and every Route", async () => {
    const { proxy } = setup();
    const spec = dial("tel:+4930555", "alice", {
      headers: ["P-Asserted-Identity: <sip:+4930000000@sipfleet.local>", "P-Preferred-Identity: <sip:boss@sipfleet.local>"],
      routes: ["<sip:192.0.2.66;lr>"],
    });
    const f = forwarded(await withCredentials(proxy, spec, ALICE_FLOW));
    assert.deepEqual(f.addHeaders, [{ name: "P-Asserted-Identity", value: "<sip:+4930123456@sipfleet.local>" }]);
    assert.deepEqual(f.removeHeaders, ["P-Asserted-Identity", "P-Preferred-Identity", "Proxy-Authorization"]);
    assert.deepEqual([f.rewriteRoutes, f.routes], [true, []]);

    // Bob owns only a range: his AOR is asserted.
    const bob = forwarded(await withCredentials(proxy, dial("sip:+4930555@sipfleet.local", "bob"), ALICE_FLOW, { user: "bob" }));
    assert.deepEqual(bob.addHeaders, [{ name: "P-Asserted-Identity", value: "<sip:bob@sipfleet.local>" }]);
  });

  it("refuses premium rate and, unless allowed, international numbers with 403 Destination Not Allowed", async () => {
    const logger = new RecordingLogger();
    const { proxy } = setup({ logger });
    for (const [user, ruri] of [
      ["alice", "sip:0900123456@sipfleet.local"],
      ["alice", "sip:+15550100@sipfleet.local"],
      ["carol", "sip:+49900123456@sipfleet.local"],
    ] as const) {
      const r = responded(await withCredentials(proxy, dial(ruri, user), ALICE_FLOW, { user }));
      assert.deepEqual([r.status, r.reason], [403, "Destination Not Allowed"], `${user} ${ruri}`);
    }
    assert.equal(logger.lines.length, 3);
    // Carol may call abroad.
    const f = forwarded(await withCredentials(proxy, dial("sip:0015550100@sipfleet.local", "carol"), ALICE_FLOW, { user: "carol" }));
    assert.deepEqual(f.groups.map((g) => g.targets[0]!.requestUri), ["sip:+15550100@[2001:db8::7]:5061;transport=tls"]);
  });

  it("answers 404 Not Found to an allowed number no route covers", async () => {
    const { proxy } = setup({ routes: [{ prefix: "+1", trunks: [{ trunk: "carrier-b", priority: 1, weight: 1 }] }] });
    const r = responded(await withCredentials(proxy, dial("sip:030555@sipfleet.local"), ALICE_FLOW));
    assert.deepEqual([r.status, r.reason], [404, "Not Found"]);
  });

  it("rings the owner of a DID of ours without a trunk, and a user named by digits as a user", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000>", BOB_FLOW);
    const f = forwarded(await withCredentials(proxy, dial("sip:030999042@sipfleet.local"), ALICE_FLOW));
    assert.deepEqual(f.groups.map((g) => g.targets[0]!.requestUri), ["sip:bob@192.0.2.20:51000"]);
    assert.equal(f.addHeaders.length, 0);

    await bind(store, "sip:1234@sipfleet.local", "<sip:1234@192.0.2.21:5060>", BOB_FLOW);
    const named = forwarded(await withCredentials(proxy, dial("sip:1234@sipfleet.local"), ALICE_FLOW));
    assert.deepEqual(named.groups.map((g) => g.targets[0]!.requestUri), ["sip:1234@192.0.2.21:5060"]);
  });

  it("leaves callers of domains without authentication out: their numbers are refused, not dialled out", async () => {
    const { proxy } = setup();
    for (const ruri of ["tel:+4930555", "sip:+4930555@sipfleet.local"]) {
      const r = responded(await proxy.handle(request({ ruri, from: `sip:dave@${OPEN}` }), ALICE_FLOW));
      assert.deepEqual([r.status, r.reason], [403, "Forbidden"], ruri);
    }
  });
});
