import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Flow, MemoryBindingStore } from "@sipfleet/bindings";
import { computeHa1 } from "@sipfleet/sip";
import { parseSubnet, type Subnet, type Trunk } from "@sipfleet/trunks";
import {
  ALICE_FLOW,
  applyForward,
  bind,
  BOB_FLOW,
  dropped,
  forwarded,
  headerValues,
  onlyTarget,
  proxyAuthorization,
  proxyWith,
  RecordingLogger,
  request,
  responded,
  settings,
} from "./proxy-fixtures.js";

/*
 * A trunk with inbound.credentials (README "Calls from trunks"): its requests from its allowed
 * sources answer a 407 in the trunk's realm with the carrier's digest before anything is routed.
 */

const CARRIER_REALM = "carrier.sipfleet.test";

function subnet(text: string): Subnet {
  const parsed = parseSubnet(text);
  if ("problem" in parsed) throw new RangeError(parsed.problem);
  return parsed.subnet;
}

function digestTrunk(name: string, allow: string, username: string, password: string, did: string, owner: string, realm = CARRIER_REALM): Trunk {
  return {
    name,
    gateways: [{ host: "192.0.2.200", port: 5060, transport: "udp", priority: 1, weight: 1 }],
    inbound: {
      allow: [subnet(allow)],
      credentials: { username, realm, ha1: { MD5: computeHa1(username, realm, password, "MD5"), "SHA-256": computeHa1(username, realm, password, "SHA-256") } },
    },
    numbers: [{ block: { first: did, last: did }, owners: [{ user: owner, domain: "sipfleet.local" }] }],
    outbound: { credentials: undefined, register: undefined },
    maxConcurrentCalls: undefined,
  };
}

const ACME = digestTrunk("acme", "198.51.100.0/24", "acme-in", "acme-pass", "+4930555000", "carol");
/** Another carrier in the same realm: its credentials are right, but not ACME's. */
const BETA = digestTrunk("beta", "203.0.113.20", "beta-in", "beta-pass", "+4930666000", "bob");
/** Another carrier in its own realm. */
const GAMMA = digestTrunk("gamma", "203.0.113.30", "gamma-in", "gamma-pass", "+4930777000", "bob", "gamma.example");

const ACME_FLOW: Flow = { ...ALICE_FLOW, connectionId: "udp:127.0.0.1:5060:198.51.100.5:5060", remote: { ip: "198.51.100.5", port: 5060 } };
const DID = "sip:+4930555000@sipfleet.local";
const FROM = "sip:+4915112345678@198.51.100.5";

async function setup(now?: () => number) {
  const store = new MemoryBindingStore();
  const lookups: string[] = [];
  const lookup = store.lookup.bind(store);
  store.lookup = async (aor: string) => {
    lookups.push(aor);
    return lookup(aor);
  };
  const logger = new RecordingLogger();
  const proxy = proxyWith(store, { settings: settings({ trunks: [ACME, BETA, GAMMA] }), logger, ...(now === undefined ? {} : { now }) });
  await bind(store, "sip:carol@sipfleet.local", "<sip:carol@192.0.2.30:40000>", BOB_FLOW);
  lookups.length = 0;
  return { store, proxy, logger, lookups };
}

const acme = { user: "acme-in", password: "acme-pass", uri: DID };

describe("SipProxy: calls from a trunk with inbound digest credentials", () => {
  it("challenges the trunk's request in the trunk's realm before looking anything up, for a DID and an unknown number alike", async () => {
    const { proxy, lookups } = await setup();
    for (const ruri of [DID, "sip:+4930999999@sipfleet.local", "sip:+4930666000@sipfleet.local"]) {
      const r = responded(await proxy.handle(request({ ruri, from: FROM }), ACME_FLOW));
      assert.equal(r.status, 407, ruri);
      const challenges = headerValues(r, "Proxy-Authenticate");
      assert.equal(challenges.length, 2);
      assert.ok(challenges.every((c) => c.includes(`realm="${CARRIER_REALM}"`)), challenges.join(" | "));
      assert.equal(r.credentialsFailed, false);
    }
    assert.deepEqual(lookups, []);
  });

  it("routes the answered request to the DID's owner as a trunk call, without the carrier's Proxy-Authorization", async () => {
    const { proxy, lookups } = await setup();
    const challenge = responded(await proxy.handle(request({ ruri: DID, from: FROM }), ACME_FLOW));
    const credentials = proxyAuthorization(challenge, acme);
    const f = forwarded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ACME_FLOW));
    const target = onlyTarget(f);
    assert.equal(target.requestUri, "sip:carol@192.0.2.30:40000");
    assert.equal(target.recordRoutes.length, 2);
    assert.deepEqual(lookups, ["sip:carol@sipfleet.local"]);
    // §22.3: the credentials were for us; the edge removes them on the way to carol.
    assert.deepEqual(f.removeHeaders, ["Proxy-Authorization"]);
    const sent = applyForward(request({ ruri: DID, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), f, target, "edge-a");
    assert.equal(sent.header("Proxy-Authorization"), undefined);
  });

  it("answers a number the trunk does not deliver with 404 only once the carrier has proved itself", async () => {
    const { proxy } = await setup();
    const ruri = "sip:+4930999999@sipfleet.local";
    const challenge = responded(await proxy.handle(request({ ruri, from: FROM }), ACME_FLOW));
    const credentials = proxyAuthorization(challenge, { ...acme, uri: ruri });
    assert.equal(responded(await proxy.handle(request({ ruri, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ACME_FLOW)).status, 404);
  });

  it("refuses a wrong password with 403 and credentials_failed, logged with the trunk", async () => {
    const { proxy, logger, lookups } = await setup();
    const challenge = responded(await proxy.handle(request({ ruri: DID, from: FROM }), ACME_FLOW));
    const credentials = proxyAuthorization(challenge, { ...acme, password: "guess" });
    const r = responded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ACME_FLOW));
    assert.deepEqual([r.status, r.credentialsFailed], [403, true]);
    assert.deepEqual(lookups, []);
    const line = logger.lines.find((l) => l.msg === "trunk authentication failed");
    assert.equal((line?.obj as { trunk?: string } | undefined)?.trunk, "acme");
  });

  it("refuses another trunk's right credentials from this trunk's source: 403 in the same realm, a new 407 in another", async () => {
    const { proxy } = await setup();
    const challenge = responded(await proxy.handle(request({ ruri: DID, from: FROM }), ACME_FLOW));
    const beta = proxyAuthorization(challenge, { user: "beta-in", password: "beta-pass", uri: DID });
    const r = responded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${beta}`] }), ACME_FLOW));
    assert.deepEqual([r.status, r.credentialsFailed], [403, true]);

    // GAMMA's realm is not ACME's: its credentials do not answer ACME's challenge at all.
    const gammaChallenge = { ...challenge, headers: challenge.headers.map((h) => ({ ...h, value: h.value.replace(`realm="${CARRIER_REALM}"`, 'realm="gamma.example"') })) };
    const gamma = proxyAuthorization(gammaChallenge, { user: "gamma-in", password: "gamma-pass", uri: DID });
    const again = responded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 3, headers: [`Proxy-Authorization: ${gamma}`] }), ACME_FLOW));
    assert.deepEqual([again.status, again.credentialsFailed], [407, false]);
    assert.ok(headerValues(again, "Proxy-Authenticate").every((c) => c.includes(`realm="${CARRIER_REALM}"`)));
  });

  it("re-challenges with stale=true when the credentials were right for an expired nonce", async () => {
    let now = 1_800_000_000_000;
    const { proxy } = await setup(() => now);
    const challenge = responded(await proxy.handle(request({ ruri: DID, from: FROM }), ACME_FLOW));
    const credentials = proxyAuthorization(challenge, acme);
    now += 301_000;
    const r = responded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ACME_FLOW));
    assert.equal(r.status, 407);
    const stale = headerValues(r, "Proxy-Authenticate");
    assert.ok(stale.length > 0 && stale.every((c) => /stale=true/i.test(c) && c.includes(`realm="${CARRIER_REALM}"`)));
    const fresh = proxyAuthorization(r, acme);
    forwarded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 3, headers: [`Proxy-Authorization: ${fresh}`] }), ACME_FLOW));
  });

  it("refuses a replayed nonce count in another request with a fresh challenge", async () => {
    const { proxy, logger } = await setup();
    const challenge = responded(await proxy.handle(request({ ruri: DID, from: FROM }), ACME_FLOW));
    const credentials = proxyAuthorization(challenge, acme);
    forwarded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ACME_FLOW));
    const replay = responded(await proxy.handle(request({ ruri: DID, from: FROM, callId: "replay@198.51.100.5", cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ACME_FLOW));
    assert.deepEqual([replay.status, replay.credentialsFailed], [407, false]);
    assert.ok(logger.lines.some((l) => l.msg === "replayed nonce count from a trunk"));
  });

  it("keeps the source a first factor: the trunk's right credentials from another address get the 403 of a non-trunk source", async () => {
    const { proxy } = await setup();
    const challenge = responded(await proxy.handle(request({ ruri: DID, from: FROM }), ACME_FLOW));
    const credentials = proxyAuthorization(challenge, acme);
    const elsewhere: Flow = { ...ACME_FLOW, connectionId: "udp:127.0.0.1:5060:192.0.2.99:5060", remote: { ip: "192.0.2.99", port: 5060 } };
    const r = responded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), elsewhere));
    assert.equal(r.status, 403);
  });

  it("does not challenge an ACK nor a request in the dialog the platform record-routed", async () => {
    const { proxy } = await setup();
    assert.match(dropped(await proxy.handle(request({ method: "ACK", ruri: DID, from: FROM }), ACME_FLOW)), /ACK/);
    const challenge = responded(await proxy.handle(request({ ruri: DID, from: FROM }), ACME_FLOW));
    const credentials = proxyAuthorization(challenge, acme);
    const invite = forwarded(await proxy.handle(request({ ruri: DID, from: FROM, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ACME_FLOW));
    const rr = onlyTarget(invite).recordRoutes;
    // The carrier's route set is the Record-Route as the 200 carried it (RFC 3261 §12.1.2).
    for (const method of ["ACK", "BYE"]) {
      const d = await proxy.handle(request({ method, ruri: "sip:carol@192.0.2.30:40000", from: FROM, to: DID, toTag: "carol-tag", cseq: 2, routes: [...rr].reverse() }), ACME_FLOW);
      // Forwarded over the flow the token names (carol's), no 407.
      assert.equal(onlyTarget(forwarded(d)).flow?.edgeId, BOB_FLOW.edgeId, method);
    }
  });
});
