import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Flow, MemoryBindingStore } from "@sipfleet/bindings";
import { Forward_CarrierSide } from "@sipfleet/proto";
import { ContactMasks } from "@sipfleet/routing";
import { parseSubnet, type Trunk } from "@sipfleet/trunks";
import {
  ALICE_FLOW,
  bind,
  domain,
  REALM,
  BOB_FLOW,
  forwarded,
  onlyTarget,
  proxyWith,
  request,
  responded,
  SECRET,
  settings,
  withCredentials,
  wire,
} from "./proxy-fixtures.js";

/*
 * Topology hiding (topology-hiding.ts): which side of each decision is a carrier
 * (Forward.carrier_side, which the edge acts on), and a carrier's in-dialog request to a masked
 * Contact forwarded with the original Contact URI as the Request-URI.
 */

const allow = parseSubnet("198.51.100.0/24");
if ("problem" in allow) throw new RangeError(allow.problem);
const CARRIER: Trunk = {
  name: "carrier",
  gateways: [{ host: "192.0.2.91", port: 5070, transport: "udp", priority: 1, weight: 1 }],
  inbound: { allow: [allow.subnet], credentials: undefined },
  numbers: [{ block: { first: "+4930123400", last: "+4930123400" }, owners: [{ user: "alice", domain: "sipfleet.local" }] }],
  outbound: { credentials: undefined, register: undefined },
  maxConcurrentCalls: undefined,
};
const CARRIER_FLOW: Flow = { ...ALICE_FLOW, connectionId: "udp:127.0.0.1:5060:198.51.100.5:5060", remote: { ip: "198.51.100.5", port: 5060 } };
/** What the gateway's requests arrive over (not covered by inbound.allow: the gateway host). */
const GATEWAY_FLOW: Flow = { ...ALICE_FLOW, connectionId: "udp:127.0.0.1:5060:192.0.2.91:5070", remote: { ip: "192.0.2.91", port: 5070 } };
const ALICE_CONTACT = "sip:alice@192.0.2.10:40000;ob";
const masks = new ContactMasks(SECRET);

function setup() {
  const store = new MemoryBindingStore();
  const proxy = proxyWith(store, {
    settings: settings({
      domains: [{ ...domain(REALM, ["alice", "bob"]), blockedPrefixes: [], allowedPrefixes: [] }],
      trunks: [CARRIER], numberRoutes: [{ prefix: "+49", trunks: [{ trunk: "carrier", priority: 1, weight: 1 }] }] }),
    random: () => 0,
  });
  return { store, proxy };
}

const dial = { ruri: "sip:+4930555@sipfleet.local", to: "sip:+4930555@sipfleet.local", contact: `<${ALICE_CONTACT}>` };

describe("SipProxy: topology hiding toward carriers", () => {
  it("a call to a trunk hides the branches; a call between users hides nothing", async () => {
    const { store, proxy } = setup();
    const out = forwarded(await withCredentials(proxy, dial, ALICE_FLOW));
    assert.equal(out.carrierSide, Forward_CarrierSide.CARRIER_SIDE_BRANCHES);
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000;transport=tcp>", BOB_FLOW);
    const local = forwarded(await withCredentials(proxy, { callId: "c-local" }, ALICE_FLOW));
    assert.equal(local.carrierSide, Forward_CarrierSide.CARRIER_SIDE_UNSPECIFIED);
  });

  it("a call from a trunk hides upstream: the user's answers go back to the carrier", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:alice@sipfleet.local", `<${ALICE_CONTACT}>`, ALICE_FLOW);
    const f = forwarded(await proxy.handle(request({ ruri: "sip:+4930123400@sipfleet.local", from: "sip:+4915112345678@198.51.100.5" }), CARRIER_FLOW));
    assert.equal(f.carrierSide, Forward_CarrierSide.CARRIER_SIDE_UPSTREAM);
    assert.deepEqual(onlyTarget(f).flow, wire(ALICE_FLOW));
  });

  it("in a trunk call's dialog: the caller's requests hide toward the carrier; the carrier's BYE to the masked Contact reaches the caller's original URI", async () => {
    const { proxy } = setup();
    const f = forwarded(await withCredentials(proxy, dial, ALICE_FLOW));
    const [toCallee, toCaller] = onlyTarget(f).recordRoutes as [string, string];
    // The caller's re-INVITE: its route set is the Record-Route reversed (RFC 3261 §12.1.2).
    const reinvite = forwarded(
      await proxy.handle(request({ method: "INVITE", ruri: "sip:+4930555@192.0.2.91:5070", toTag: "gw", to: "sip:+4930555@192.0.2.91", cseq: 3, routes: [toCaller, toCallee] }), ALICE_FLOW),
    );
    assert.equal(reinvite.carrierSide, Forward_CarrierSide.CARRIER_SIDE_BRANCHES);

    // The carrier's BYE: to the masked Contact the edge wrote, by its route set (§12.1.1, in order).
    const masked = masks.maskedUri(ALICE_CONTACT, "127.0.0.1:5060", undefined);
    const bye = request({
      method: "BYE",
      ruri: masked,
      from: "sip:+4930555@192.0.2.91",
      fromTag: "gw",
      to: "sip:alice@sipfleet.local",
      toTag: "alice-tag",
      routes: [toCallee, toCaller],
      via: ["SIP/2.0/UDP 192.0.2.91:5070;branch=z9hG4bK-gw-bye"],
    });
    const back = forwarded(await proxy.handle(bye, GATEWAY_FLOW));
    assert.equal(onlyTarget(back).requestUri, ALICE_CONTACT, "the masked Request-URI is restored");
    assert.deepEqual(onlyTarget(back).flow, wire(ALICE_FLOW));
    // The sender's own token names no flow: the carrier is upstream (its BYE's 200 is hidden).
    assert.equal(back.carrierSide, Forward_CarrierSide.CARRIER_SIDE_UPSTREAM);

    // A masked URI naming the platform whose token another key wrote: refused, not forwarded to ourselves.
    const forged = new ContactMasks("another secret that is long enough, really").maskedUri(ALICE_CONTACT, "127.0.0.1:5060", undefined);
    assert.equal(responded(await proxy.handle(request({ method: "BYE", ruri: forged, toTag: "alice-tag", fromTag: "gw", routes: [toCallee, toCaller] }), GATEWAY_FLOW)).status, 404);
    // A Request-URI without a token stays as it is.
    const plain = forwarded(await proxy.handle(request({ method: "BYE", ruri: ALICE_CONTACT, toTag: "alice-tag", fromTag: "gw", routes: [toCallee, toCaller] }), GATEWAY_FLOW));
    assert.equal(onlyTarget(plain).requestUri, "");
  });

  it("in a call from a trunk's dialog: the user's requests hide toward the carrier's flow, the carrier's requests hide their responses", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:alice@sipfleet.local", `<${ALICE_CONTACT}>`, ALICE_FLOW);
    const f = forwarded(await proxy.handle(request({ ruri: "sip:+4930123400@sipfleet.local", from: "sip:+4915112345678@198.51.100.5" }), CARRIER_FLOW));
    const [toCallee, toCaller] = onlyTarget(f).recordRoutes as [string, string];
    // Alice hangs up: her route set is the Record-Route in order; the token she is sent on names the carrier's flow.
    const bye = forwarded(
      await proxy.handle(request({ method: "BYE", ruri: "sip:+4915112345678@198.51.100.5", toTag: "c", fromTag: "alice-tag", routes: [toCallee, toCaller] }), ALICE_FLOW),
    );
    assert.deepEqual(onlyTarget(bye).flow, wire(CARRIER_FLOW));
    assert.equal(bye.carrierSide, Forward_CarrierSide.CARRIER_SIDE_BRANCHES);
    // The carrier's re-INVITE to alice's masked Contact.
    const reinvite = forwarded(
      await proxy.handle(
        request({ method: "INVITE", ruri: masks.maskedUri(ALICE_CONTACT, "127.0.0.1:5060", undefined), toTag: "alice-tag", fromTag: "c", cseq: 9, routes: [toCaller, toCallee] }),
        CARRIER_FLOW,
      ),
    );
    assert.equal(onlyTarget(reinvite).requestUri, ALICE_CONTACT);
    assert.equal(reinvite.carrierSide, Forward_CarrierSide.CARRIER_SIDE_UPSTREAM);
  });
});
