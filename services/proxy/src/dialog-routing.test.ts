import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBindingStore } from "@sipfleet/bindings";
import type { Flow } from "@sipfleet/bindings";
import { FlowTokens } from "@sipfleet/routing";
import type { SipRequest } from "@sipfleet/sip";
import {
  ALICE_FLOW,
  applyForward,
  bind,
  BOB_FLOW,
  dropped,
  forwarded,
  onlyTarget,
  OPEN,
  proxyWith,
  request,
  SECRET,
  wire,
  withCredentials,
  type RequestSpec,
} from "./proxy-fixtures.js";

/*
 * The double Record-Route scheme end to end: alice (UDP, edge-a) calls bob (TCP, edge-b); the
 * INVITE as the edge forwards it carries both Record-Route values; each side's route set is built
 * from them as RFC 3261 §12.1 says; then an in-dialog request from either side, arriving at the
 * edge its route set names, is routed by the proxy to the other side's flow.
 */

const BOB_CONTACT = "sip:bob@192.0.2.20:51000;transport=tcp";
const ALICE_CONTACT = "sip:alice@192.0.2.10:40000";

/** The flow an in-dialog request from a UA arrives over at the edge it sent it to. */
function arrivingOver(base: Flow, edgeId: string, connectionId: string): Flow {
  return { ...base, edgeId, connectionId };
}

async function establish() {
  const store = new MemoryBindingStore();
  const proxy = proxyWith(store);
  await bind(store, "sip:bob@sipfleet.local", `<${BOB_CONTACT}>;+sip.instance="<urn:uuid:b0b>"`, BOB_FLOW);
  const invite: RequestSpec = { method: "INVITE", contact: `<${ALICE_CONTACT}>` };
  const f = forwarded(await withCredentials(proxy, invite, ALICE_FLOW));
  const target = onlyTarget(f);
  // What bob receives: the edge applies the decision.
  const atBob = applyForward(request({ ...invite, cseq: 2 }), f, target, ALICE_FLOW.edgeId);
  return { proxy, target, atBob };
}

/** RFC 3261 §12.1.1: the UAS's route set is the Record-Route list in order. */
function calleeRouteSet(invite: SipRequest): string[] {
  return invite.recordRoute.map((r) => r.toString());
}

/** RFC 3261 §12.1.2: the UAC's route set is the Record-Route list of the 2xx, reversed. */
function callerRouteSet(invite: SipRequest): string[] {
  return calleeRouteSet(invite).reverse();
}

describe("double Record-Route with flow tokens (RFC 3261 §16.6 step 4, RFC 5626 §5.3)", () => {
  it("records the callee's edge (its flow, its transport) above the caller's", async () => {
    const { target } = await establish();
    const tokens = new FlowTokens(SECRET);
    assert.equal(target.recordRoutes.length, 2);
    const [toCallee, toCaller] = target.recordRoutes;
    assert.match(toCallee!, /^<sip:127\.0\.0\.2:5070;transport=tcp;lr;ft=[A-Za-z0-9_-]+>$/);
    assert.match(toCaller!, /^<sip:127\.0\.0\.1:5060;lr;ft=[A-Za-z0-9_-]+>$/, "udp: no transport parameter");
    const token = (v: string) => tokens.decode(/ft=([A-Za-z0-9_-]+)/.exec(v)![1]!)?.flow;
    assert.deepEqual(token(toCallee!), wire(BOB_FLOW));
    assert.deepEqual(token(toCaller!), wire(ALICE_FLOW));
    assert.deepEqual(target.flow, wire(BOB_FLOW));
    assert.equal(target.requestUri, BOB_CONTACT);
  });

  it("routes the callee's BYE, sent to the callee-side edge, to the caller's flow", async () => {
    const { proxy, atBob } = await establish();
    const routeSet = calleeRouteSet(atBob);
    assert.match(routeSet[0]!, /127\.0\.0\.2:5070;transport=tcp/, "bob sends to his own edge first");
    const bye = request({
      method: "BYE",
      ruri: ALICE_CONTACT,
      from: "sip:bob@sipfleet.local",
      fromTag: "bob-tag",
      to: "sip:alice@sipfleet.local",
      toTag: "alice-tag",
      cseq: 1,
      routes: routeSet,
      contact: `<${BOB_CONTACT}>`,
      via: ["SIP/2.0/TCP 192.0.2.20:51000;branch=z9hG4bK-bob-bye"],
    });
    const f = forwarded(await proxy.handle(bye, arrivingOver(BOB_FLOW, "edge-b", "tcp/7f000002.42")));
    assert.equal(f.popRoutes, 2, "both platform values removed");
    const target = onlyTarget(f);
    assert.deepEqual(target.flow, wire(ALICE_FLOW), "over alice's UDP pinhole on edge-a");
    assert.equal(target.requestUri, "", "the Request-URI stays alice's contact");
    assert.deepEqual(target.recordRoutes, []);
    // As the edge forwards it: no Route left, Request-URI alice's contact.
    const out = applyForward(bye, f, target, "edge-b");
    assert.deepEqual(out.route, []);
    assert.equal(out.uriText, ALICE_CONTACT);
  });

  it("routes the caller's BYE and the ACK for the 2xx, sent to the caller-side edge, to the callee's flow", async () => {
    const { proxy, atBob } = await establish();
    const routeSet = callerRouteSet(atBob);
    assert.match(routeSet[0]!, /127\.0\.0\.1:5060;lr/, "alice sends to her own edge first");
    for (const [method, cseq] of [["ACK", 2], ["BYE", 3]] as const) {
      const req = request({ method, ruri: BOB_CONTACT, toTag: "bob-tag", cseq, routes: routeSet });
      const f = forwarded(await proxy.handle(req, ALICE_FLOW));
      assert.equal(f.popRoutes, 2, method);
      assert.deepEqual(onlyTarget(f).flow, wire(BOB_FLOW), method);
    }
  });

  it("works whichever edge the request lands on (the token, not the address, names the flow)", async () => {
    const { proxy, atBob } = await establish();
    // Behind a shared address, alice's re-INVITE reaches edge-c.
    const reinvite = request({ method: "INVITE", ruri: BOB_CONTACT, toTag: "bob-tag", cseq: 4, routes: callerRouteSet(atBob) });
    const elsewhere: Flow = { ...ALICE_FLOW, edgeId: "edge-c", local: { ip: "127.0.0.3", port: 5060 } };
    const f = forwarded(await proxy.handle(reinvite, elsewhere));
    assert.equal(f.popRoutes, 2);
    const target = onlyTarget(f);
    assert.deepEqual(target.flow, wire(BOB_FLOW));
    assert.deepEqual(target.recordRoutes, [], "a target refresh does not change the route set (§12.2)");
  });

  it("is not challenged in the dialog, and drops a Proxy-Authorization meant for the platform", async () => {
    const { proxy, atBob } = await establish();
    const bye = request({
      method: "BYE",
      ruri: BOB_CONTACT,
      toTag: "bob-tag",
      cseq: 5,
      routes: callerRouteSet(atBob),
      headers: ['Proxy-Authorization: Digest username="alice", realm="sipfleet.local", nonce="x", uri="sip:bob@sipfleet.local", response="00"'],
    });
    const f = forwarded(await proxy.handle(bye, ALICE_FLOW));
    assert.deepEqual(f.removeHeaders, ["Proxy-Authorization"]);
  });

  it("a request from a user of no served domain records routes the same way", async () => {
    const store = new MemoryBindingStore();
    const proxy = proxyWith(store);
    await bind(store, `sip:dave@${OPEN}`, "<sip:dave@192.0.2.30:5060;transport=ws>", { ...BOB_FLOW, transport: "ws" });
    const f = forwarded(await proxy.handle(request({ ruri: `sip:dave@${OPEN}`, from: "sip:eve@example.org" }), ALICE_FLOW));
    assert.match(onlyTarget(f).recordRoutes[0]!, /^<sip:127\.0\.0\.2:5070;transport=ws;lr;ft=/);
  });

  it("strict-route compatibility: the Request-URI holding our Record-Route URI is replaced by the last Route", async () => {
    const { proxy, atBob } = await establish();
    const [toCallee, toCaller] = calleeRouteSet(atBob);
    const uriOf = (v: string) => /^<([^>]+)>/.exec(v)![1]!;
    // A strict router between bob and the platform put the first route set entry in the
    // Request-URI and the remote target last in Route.
    const bye = request({ method: "BYE", ruri: uriOf(toCallee!), toTag: "alice-tag", routes: [toCaller!, `<${ALICE_CONTACT}>`], from: "sip:bob@sipfleet.local", fromTag: "bob-tag" });
    const f = forwarded(await proxy.handle(bye, BOB_FLOW));
    assert.equal(f.rewriteRoutes, true);
    assert.deepEqual(f.routes, [], "our second value removed as well");
    const target = onlyTarget(f);
    assert.equal(target.requestUri, ALICE_CONTACT);
    assert.deepEqual(target.flow, wire(ALICE_FLOW), "from the last of our values");
    // With only the Request-URI ours, its token decides.
    const single = request({ method: "BYE", ruri: uriOf(toCallee!), toTag: "bob-tag", routes: [`<${BOB_CONTACT}>`] });
    const g = forwarded(await proxy.handle(single, ALICE_FLOW));
    assert.deepEqual(onlyTarget(g).flow, wire(BOB_FLOW));
    assert.equal(onlyTarget(g).requestUri, BOB_CONTACT);
    // And with nothing to replace it with, the request is malformed (an ACK is dropped).
    const none = request({ method: "BYE", ruri: uriOf(toCaller!), toTag: "bob-tag" });
    assert.equal((await proxy.handle(none, ALICE_FLOW)).action?.$case, "respond");
    dropped(await proxy.handle(request({ method: "ACK", ruri: uriOf(toCaller!), toTag: "bob-tag" }), ALICE_FLOW));
  });

  it("an edge behind a public address (Flow.advertised): Record-Route names that address, and requests to it are routed as the platform's own", async () => {
    const store = new MemoryBindingStore();
    const proxy = proxyWith(store);
    // Pods bound to their pod IPs, each advertising the load balancer in front of it.
    const alice: Flow = { ...ALICE_FLOW, advertised: { host: "203.0.113.7", port: 5060 } };
    const bob: Flow = { ...BOB_FLOW, advertised: { host: "sip.example.net", port: 5070 } };
    await bind(store, "sip:bob@sipfleet.local", `<${BOB_CONTACT}>;+sip.instance="<urn:uuid:b0b>"`, bob);
    const invite: RequestSpec = { method: "INVITE", contact: `<${ALICE_CONTACT}>` };
    const f = forwarded(await withCredentials(proxy, invite, alice));
    const target = onlyTarget(f);
    const [toCallee, toCaller] = target.recordRoutes;
    assert.match(toCallee!, /^<sip:sip\.example\.net:5070;transport=tcp;lr;ft=/, "the callee's edge by its public name");
    assert.match(toCaller!, /^<sip:203\.0\.113\.7:5060;lr;ft=/, "the caller's edge by its public address");
    assert.ok(!target.recordRoutes.some((r) => r.includes("127.0.0.")), "no bound (pod) address");
    const tokens = new FlowTokens(SECRET);
    assert.deepEqual(tokens.decode(/ft=([A-Za-z0-9_-]+)/.exec(toCallee!)![1]!)?.flow, wire(bob), "the stored flow kept its advertised address");

    // The caller's BYE, sent to the public address its route set starts with, reaches bob.
    const atBob = applyForward(request({ ...invite, cseq: 2 }), f, target, alice.edgeId);
    const bye = request({ method: "BYE", ruri: BOB_CONTACT, toTag: "bob-tag", cseq: 3, routes: callerRouteSet(atBob) });
    const b = forwarded(await proxy.handle(bye, alice));
    assert.equal(b.popRoutes, 2);
    assert.deepEqual(onlyTarget(b).flow, wire(bob));

    // A preloaded outbound-proxy Route naming the public address (no token) is ours, and removed.
    const preloaded = request({ method: "INVITE", contact: `<${ALICE_CONTACT}>`, routes: ["<sip:203.0.113.7:5060;lr>"] });
    const p = forwarded(await withCredentials(proxy, { method: "INVITE", contact: `<${ALICE_CONTACT}>`, routes: ["<sip:203.0.113.7:5060;lr>"] }, alice));
    assert.equal(p.popRoutes, 1, "the public address is the platform's");
    assert.equal(preloaded.route.length, 1);
    // The same Route at an address that is neither the socket nor the advertised one is not ours.
    const other = forwarded(await withCredentials(proxy, { method: "INVITE", contact: `<${ALICE_CONTACT}>`, routes: ["<sip:203.0.113.7:5999;lr>"] }, alice));
    assert.equal(other.popRoutes, 0);
  });
});
