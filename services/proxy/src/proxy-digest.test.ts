import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { createNonce } from "@sipfleet/sip";
import {
  ALICE_FLOW,
  bind,
  BOB_FLOW,
  forwarded,
  headerValues,
  onlyTarget,
  OPEN,
  proxyAuthorization,
  proxyWith,
  RecordingLogger,
  request,
  responded,
  type RequestSpec,
  settings,
  domain,
  withCredentials,
} from "./proxy-fixtures.js";

/* Digest between a caller of a served domain and the proxy: RFC 3261 §22.3 (407), RFC 8760. */

async function setup(now?: () => number) {
  const store = new MemoryBindingStore();
  const logger = new RecordingLogger();
  const proxy = proxyWith(store, { logger, ...(now === undefined ? {} : { now }) });
  await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000;transport=tcp>", BOB_FLOW);
  return { store, proxy, logger };
}

describe("proxy digest (407 / Proxy-Authenticate / Proxy-Authorization)", () => {
  it("challenges a caller of a served domain with one Proxy-Authenticate per algorithm, then forwards", async () => {
    const { proxy } = await setup();
    const challenge = responded(await proxy.handle(request(), ALICE_FLOW));
    assert.equal(challenge.status, 407);
    const values = headerValues(challenge, "Proxy-Authenticate");
    assert.equal(values.length, 2);
    assert.match(values[0]!, /^Digest .*realm="sipfleet\.local".*algorithm=SHA-256/);
    assert.match(values[1]!, /algorithm=MD5/);
    assert.deepEqual(headerValues(challenge, "WWW-Authenticate"), []);

    const credentials = proxyAuthorization(challenge);
    const f = forwarded(await proxy.handle(request({ cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ALICE_FLOW));
    assert.equal(onlyTarget(f).requestUri, "sip:bob@192.0.2.20:51000;transport=tcp");
    // §22.3: the credentials were for the platform; bob does not get them.
    assert.deepEqual(f.removeHeaders, ["Proxy-Authorization"]);
  });

  it("authenticates every out-of-dialog method (MESSAGE, OPTIONS to a user, SUBSCRIBE, ...)", async () => {
    const { proxy } = await setup();
    for (const method of ["MESSAGE", "OPTIONS", "SUBSCRIBE", "NOTIFY", "PUBLISH", "REFER", "INFO", "UPDATE", "PRACK", "BYE"]) {
      assert.equal(responded(await proxy.handle(request({ method }), ALICE_FLOW)).status, 407, method);
      forwarded(await withCredentials(proxy, { method }, ALICE_FLOW));
    }
  });

  it("re-challenges with stale=true when the credentials were right for an expired nonce", async () => {
    let now = 1_800_000_000_000;
    const { proxy } = await setup(() => now);
    const challenge = responded(await proxy.handle(request(), ALICE_FLOW));
    const credentials = proxyAuthorization(challenge);
    now += 301_000;
    const r = responded(await proxy.handle(request({ cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }), ALICE_FLOW));
    assert.equal(r.status, 407);
    const stale = headerValues(r, "Proxy-Authenticate");
    assert.ok(stale.length > 0, "a challenge");
    assert.ok(stale.every((c) => /stale=true/i.test(c)));
    // The UA answers the new nonce without asking for a password.
    const again = proxyAuthorization(r);
    forwarded(await proxy.handle(request({ cseq: 3, headers: [`Proxy-Authorization: ${again}`] }), ALICE_FLOW));
  });

  it("gives a fresh challenge for a nonce another platform issued", async () => {
    const { proxy } = await setup();
    const challenge = responded(await proxy.handle(request(), ALICE_FLOW));
    const forged = createNonce(Buffer.from("another-platform-secret-0123456789ab"), Date.now());
    const altered = { ...challenge, headers: challenge.headers.map((h) => ({ ...h, value: h.value.replace(/nonce="[^"]+"/, `nonce="${forged}"`) })) };
    const r = responded(await proxy.handle(request({ cseq: 2, headers: [`Proxy-Authorization: ${proxyAuthorization(altered)}`] }), ALICE_FLOW));
    assert.equal(r.status, 407);
    const challenges = headerValues(r, "Proxy-Authenticate");
    assert.ok(challenges.length > 0, "a fresh challenge");
    assert.ok(challenges.every((c) => !/stale/i.test(c)));
  });

  it("answers a wrong password and an unknown user alike: 403, logged with the reason", async () => {
    const { proxy, logger } = await setup();
    const wrong = responded(await withCredentials(proxy, {}, ALICE_FLOW, { password: "guess" }));
    const unknown = responded(await withCredentials(proxy, { from: "sip:mallory@sipfleet.local" }, ALICE_FLOW, { user: "mallory", password: "guess" }));
    assert.equal(wrong.status, 403);
    // The edge counts these toward banning the source (Respond.credentials_failed).
    assert.equal(wrong.credentialsFailed, true);
    assert.deepEqual(unknown, wrong);
    assert.deepEqual(logger.lines.map((l) => l.msg), ["authentication failed", "authentication failed"]);
  });

  it("refuses bob's valid credentials on a request From alice (no calling as someone else)", async () => {
    const { proxy } = await setup();
    const r = responded(await withCredentials(proxy, { from: "sip:alice@sipfleet.local", ruri: "sip:bob@sipfleet.local" }, ALICE_FLOW, { user: "bob" }));
    assert.deepEqual([r.status, r.reason], [403, "From Does Not Match Credentials"]);
    // Valid credentials: no guess to count.
    assert.equal(r.credentialsFailed, false);
  });

  it("challenges a From spoofing a served user, whatever host spelling it uses", async () => {
    const { proxy } = await setup();
    // Without alice's password there is no way past the 407.
    for (const from of ["sip:alice@sipfleet.local", "sip:alice@SIPFLEET.LOCAL", "sips:alice@sipfleet.local"]) {
      assert.equal(responded(await proxy.handle(request({ from }), ALICE_FLOW)).status, 407, from);
    }
    // By the platform's address, with one served domain, the From is in that domain.
    const store = new MemoryBindingStore();
    const single = proxyWith(store, { settings: settings({ domains: [domain("sipfleet.local", ["alice", "bob"])] }) });
    assert.equal(responded(await single.handle(request({ from: "sip:alice@127.0.0.1:5060" }), ALICE_FLOW)).status, 407);
  });

  it("keeps credentials for another realm on the request", async () => {
    const { proxy } = await setup();
    const spec: RequestSpec = { headers: ['Proxy-Authorization: Digest username="a", realm="upstream.example", nonce="n", uri="sip:x", response="00"'] };
    const f = forwarded(await withCredentials(proxy, spec, ALICE_FLOW));
    assert.deepEqual(f.removeHeaders, [], "one value is someone else's: the header field stays");
  });

  it("accepts a caller of a domain it does not serve without a challenge (inbound federation)", async () => {
    const { proxy } = await setup();
    const f = forwarded(await proxy.handle(request({ from: "sip:eve@example.org" }), ALICE_FLOW));
    assert.equal(onlyTarget(f).requestUri, "sip:bob@192.0.2.20:51000;transport=tcp");
  });

  it("does not challenge callers of a domain without authentication", async () => {
    const { proxy } = await setup();
    forwarded(await proxy.handle(request({ from: `sip:frank@${OPEN}` }), ALICE_FLOW));
  });

  it("challenges before telling whether the callee exists", async () => {
    const { proxy } = await setup();
    assert.equal(responded(await proxy.handle(request({ ruri: "sip:nobody@sipfleet.local" }), ALICE_FLOW)).status, 407);
    assert.equal(responded(await withCredentials(proxy, { ruri: "sip:nobody@sipfleet.local" }, ALICE_FLOW)).status, 404);
  });

  it("refuses a nonce count used before by another request with a fresh 407 (replay), accepts a higher one", async () => {
    const { proxy, logger } = await setup();
    const challenge = responded(await proxy.handle(request(), ALICE_FLOW));
    const once = proxyAuthorization(challenge, { nc: 1 });
    forwarded(await proxy.handle(request({ cseq: 2, headers: [`Proxy-Authorization: ${once}`] }), ALICE_FLOW));
    // The same credentials on another request: a replay.
    const replay = responded(await proxy.handle(request({ callId: "call-2@192.0.2.10", cseq: 1, headers: [`Proxy-Authorization: ${once}`] }), ALICE_FLOW));
    assert.equal(replay.status, 407);
    const challenges = headerValues(replay, "Proxy-Authenticate");
    assert.ok(challenges.length > 0, "a fresh challenge");
    assert.ok(challenges.every((c) => !/stale/i.test(c)));
    assert.ok(logger.lines.some((l) => l.msg === "replayed nonce count"));
    // The UA's next request counts on with the same nonce (RFC 7616 §3.4).
    const next = proxyAuthorization(challenge, { nc: 2 });
    forwarded(await proxy.handle(request({ callId: "call-2@192.0.2.10", cseq: 1, headers: [`Proxy-Authorization: ${next}`] }), ALICE_FLOW));
  });

  it("accepts the very same request asked again (the edge re-asks after a worker died)", async () => {
    const { proxy } = await setup();
    const challenge = responded(await proxy.handle(request(), ALICE_FLOW));
    const spec = { cseq: 2, headers: [`Proxy-Authorization: ${proxyAuthorization(challenge)}`] };
    forwarded(await proxy.handle(request(spec), ALICE_FLOW));
    forwarded(await proxy.handle(request(spec), ALICE_FLOW));
  });

  it("shares nonce counts with the registrar: a count spent on a REGISTER is spent here too", async () => {
    const { store, proxy } = await setup();
    const challenge = responded(await proxy.handle(request(), ALICE_FLOW));
    const nonce = /nonce="([^"]+)"/.exec(headerValues(challenge, "Proxy-Authenticate")[0]!)![1]!;
    const r = await store.save({ aor: "sip:alice@sipfleet.local", callId: "reg-1", cseq: 1, changes: [], removeAll: false, nonceUse: { nonce, nc: 1, ttlMs: 60_000 }, maxBindings: 0, nowMs: Date.now() });
    assert.equal(r.outcome, "saved");
    const d = await proxy.handle(request({ cseq: 2, headers: [`Proxy-Authorization: ${proxyAuthorization(challenge, { nc: 1 })}`] }), ALICE_FLOW);
    assert.equal(responded(d).status, 407);
  });

  it("answers 503 with Retry-After when the nonce count cannot be recorded", async () => {
    const store = new MemoryBindingStore();
    const broken = Object.assign(store, {
      useNonce: async () => {
        throw new Error("UNAVAILABLE: no location replica");
      },
    });
    const proxy = proxyWith(broken);
    const challenge = responded(await proxy.handle(request(), ALICE_FLOW));
    const r = responded(await proxy.handle(request({ cseq: 2, headers: [`Proxy-Authorization: ${proxyAuthorization(challenge)}`] }), ALICE_FLOW));
    assert.equal(r.status, 503);
    assert.deepEqual(headerValues(r, "Retry-After"), ["5"]);
  });

  it("answers 400 Malformed Proxy-Authorization to credentials that do not parse", async () => {
    const { proxy } = await setup();
    const r = responded(await proxy.handle(request({ headers: ['Proxy-Authorization: Digest realm="sipfleet.local", nonce='] }), ALICE_FLOW));
    assert.deepEqual([r.status, r.reason], [400, "Malformed Proxy-Authorization"]);
  });
});
