import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BindingStore } from "@sipfleet/bindings";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { createNonce } from "@sipfleet/sip";
import { Registrar, type RegistrarLogger } from "./registrar.js";
import { answer, FLOW, header, register, settings, type RegisterSpec } from "./registrar-fixtures.js";
import type { RegistrarSettings } from "./registrar-settings.js";

const quiet: RegistrarLogger = { warn() {}, error() {} };

function setup(opts: { settings?: RegistrarSettings; store?: BindingStore; now?: () => number } = {}) {
  const store = opts.store ?? new MemoryBindingStore({ now: opts.now ?? Date.now });
  const registrar = new Registrar({ settings: opts.settings ?? settings(), store, clock: opts.now ?? Date.now, logger: quiet });
  return { store, registrar };
}

/** REGISTER, answer the 401, return the final reply. */
async function registerWithAuth(registrar: Registrar, spec: RegisterSpec & { password?: string; nc?: number } = {}) {
  const challenge = await registrar.handle(register(spec), FLOW);
  assert.equal(challenge.status, 401);
  const authorization = answer(challenge, { user: spec.user, password: spec.password, ruri: spec.ruri, nc: spec.nc });
  return registrar.handle(register({ ...spec, cseq: (spec.cseq ?? 1) + 1, authorization }), FLOW);
}

describe("Registrar: domain, Require and AOR checks (RFC 3261 §10.3 steps 1, 2, 5)", () => {
  it("refuses a Request-URI domain it does not serve with 403 and stores nothing", async () => {
    const { registrar, store } = setup();
    const r = await registrar.handle(register({ ruri: "sip:elsewhere.example" }), FLOW);
    assert.equal(r.status, 403);
    assert.deepEqual(await store.lookup("sip:alice@sipfleet.local"), []);
  });
  it("answers 404 when the To AOR is not in the Request-URI's domain", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(register({ ruri: "sip:sipfleet.local", domain: "bench.sipfleet.local" }), FLOW);
    assert.equal(r.status, 404);
  });
  it("answers 420 with Unsupported for a Require it does not know, and accepts path and outbound", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(register({ domain: "bench.sipfleet.local", headers: ["Require: path, foo"] }), FLOW);
    assert.equal(r.status, 420);
    assert.deepEqual(header(r, "Unsupported"), ["foo"]);
    const ok = await registrar.handle(register({ domain: "bench.sipfleet.local", headers: ["Require: path, outbound"] }), FLOW);
    assert.equal(ok.status, 200);
  });
  it("answers 405 to anything but REGISTER", async () => {
    const { registrar } = setup();
    const req = register();
    Object.defineProperty(req, "method", { value: "OPTIONS" });
    assert.equal((await registrar.handle(req, FLOW)).status, 405);
  });
});

describe("Registrar: digest authentication (RFC 3261 §22, RFC 7616, RFC 8760)", () => {
  it("challenges with one WWW-Authenticate per algorithm, SHA-256 first, qop=auth", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(register(), FLOW);
    assert.equal(r.status, 401);
    const challenges = header(r, "WWW-Authenticate");
    assert.equal(challenges.length, 2);
    assert.match(challenges[0]!, /algorithm=SHA-256/);
    assert.match(challenges[1]!, /algorithm=MD5/);
    for (const c of challenges) {
      assert.match(c, /realm="sipfleet\.local"/);
      assert.match(c, /qop="auth"/);
    }
  });
  for (const pick of [0, 1]) {
    it(`accepts the right password answered with ${pick === 0 ? "SHA-256" : "MD5"}`, async () => {
      const { registrar, store } = setup();
      const challenge = await registrar.handle(register(), FLOW);
      const authorization = answer(challenge, { pick });
      const r = await registrar.handle(register({ cseq: 2, authorization }), FLOW);
      assert.equal(r.status, 200);
      assert.equal((await store.lookup("sip:alice@sipfleet.local")).length, 1);
    });
  }
  it("answers a wrong password and an unknown user alike with 403, storing nothing", async () => {
    const { registrar, store } = setup();
    const wrong = await registerWithAuth(registrar, { password: "guess" });
    const unknown = await registerWithAuth(registrar, { user: "mallory", password: "guess" });
    assert.equal(wrong.status, 403);
    assert.deepEqual({ ...unknown }, { ...wrong });
    assert.deepEqual(await store.lookup("sip:alice@sipfleet.local"), []);
    assert.deepEqual(await store.lookup("sip:mallory@sipfleet.local"), []);
  });
  it("refuses bob's valid credentials for alice's AOR (step 4)", async () => {
    const { registrar } = setup();
    const challenge = await registrar.handle(register(), FLOW);
    const authorization = answer(challenge, { user: "bob", password: "bob-secret" });
    const r = await registrar.handle(register({ cseq: 2, authorization }), FLOW);
    assert.equal(r.status, 403);
  });
  it("re-challenges with stale=true when the credentials were right for an expired nonce", async () => {
    let now = 1_800_000_000_000;
    const { registrar, store } = setup({ now: () => now });
    const challenge = await registrar.handle(register(), FLOW);
    const authorization = answer(challenge);
    now += 301_000;
    const r = await registrar.handle(register({ cseq: 2, authorization }), FLOW);
    assert.equal(r.status, 401);
    assert.ok(header(r, "WWW-Authenticate").every((c) => /stale=true/i.test(c)));
    assert.deepEqual(await store.lookup("sip:alice@sipfleet.local"), []);
  });
  it("answers a stale nonce with a wrong password with 403, not stale=true", async () => {
    let now = 1_800_000_000_000;
    const { registrar } = setup({ now: () => now });
    const challenge = await registrar.handle(register(), FLOW);
    const authorization = answer(challenge, { password: "guess" });
    now += 301_000;
    assert.equal((await registrar.handle(register({ cseq: 2, authorization }), FLOW)).status, 403);
  });
  it("gives a fresh challenge (no stale) for a nonce made with another secret", async () => {
    const { registrar } = setup();
    const challenge = await registrar.handle(register(), FLOW);
    const forgedNonce = createNonce(Buffer.from("some-other-secret-0123456789abcdef"), Date.now());
    const forged = header(challenge, "WWW-Authenticate")[0]!.replace(/nonce="[^"]+"/, `nonce="${forgedNonce}"`);
    const authorization = answer({ ...challenge, headers: [["WWW-Authenticate", forged]] });
    const r = await registrar.handle(register({ cseq: 2, authorization }), FLOW);
    assert.equal(r.status, 401);
    assert.ok(header(r, "WWW-Authenticate").every((c) => !/stale=true/i.test(c)));
  });
  it("accepts a nonce once per count: a replayed nc is challenged, a higher nc accepted", async () => {
    const { registrar } = setup();
    const challenge = await registrar.handle(register(), FLOW);
    const first = answer(challenge, { nc: 1 });
    assert.equal((await registrar.handle(register({ cseq: 2, authorization: first }), FLOW)).status, 200);
    // The same nonce and count on a new request (CSeq 3): a replay.
    assert.equal((await registrar.handle(register({ cseq: 3, authorization: first }), FLOW)).status, 401);
    const second = answer(challenge, { nc: 2 });
    assert.equal((await registrar.handle(register({ cseq: 4, authorization: second }), FLOW)).status, 200);
  });
  it("treats the same request retransmitted (same nonce, nc, Call-ID, CSeq) as success", async () => {
    const { registrar } = setup();
    const challenge = await registrar.handle(register(), FLOW);
    const authorization = answer(challenge);
    assert.equal((await registrar.handle(register({ cseq: 2, authorization }), FLOW)).status, 200);
    assert.equal((await registrar.handle(register({ cseq: 2, authorization }), FLOW)).status, 200);
  });
  it("answers a malformed Authorization with 400", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(register({ authorization: 'Digest username="alice", realm="sipfleet.local", nonce=' }), FLOW);
    assert.equal(r.status, 400);
  });
  it("does not challenge in a domain with authentication none", async () => {
    const { registrar, store } = setup();
    const r = await registrar.handle(register({ user: "anyone", domain: "bench.sipfleet.local" }), FLOW);
    assert.equal(r.status, 200);
    assert.equal((await store.lookup("sip:anyone@bench.sipfleet.local")).length, 1);
  });
});

const OPEN = { domain: "bench.sipfleet.local", user: "u1" } as const;
const AOR = "sip:u1@bench.sipfleet.local";

describe("Registrar: bindings (RFC 3261 §10.3 steps 6–8)", () => {
  it("stores the contact with the flow, user agent and default expiry, and lists it in the 200 with a Date", async () => {
    const now = 1_800_000_000_000;
    const { registrar, store } = setup({ now: () => now });
    const r = await registrar.handle(register({ ...OPEN, headers: ["User-Agent: phone/1.0"] }), FLOW);
    assert.equal(r.status, 200);
    assert.deepEqual(header(r, "Contact"), ["<sip:u1@192.0.2.10:40000>;expires=3600"]);
    assert.deepEqual(header(r, "Date"), [new Date(now).toUTCString()]);
    const [b] = await store.lookup(AOR);
    assert.equal(b?.userAgent, "phone/1.0");
    assert.deepEqual(b?.flow, FLOW);
    assert.equal(b?.callId, "call-1@192.0.2.10");
  });
  it("takes the contact's expires over the Expires header, and the header over the default", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(
      register({ ...OPEN, expires: 600, contacts: ["<sip:u1@192.0.2.10:1>;expires=120", "<sip:u1@192.0.2.10:2>"] }),
      FLOW,
    );
    assert.equal(r.status, 200);
    assert.deepEqual(header(r, "Contact").sort(), ["<sip:u1@192.0.2.10:1>;expires=120", "<sip:u1@192.0.2.10:2>;expires=600"]);
  });
  it("answers 423 with Min-Expires below the minimum, and shortens above the maximum", async () => {
    const { registrar } = setup();
    const brief = await registrar.handle(register({ ...OPEN, expires: 30 }), FLOW);
    assert.equal(brief.status, 423);
    assert.deepEqual(header(brief, "Min-Expires"), ["60"]);
    const long = await registrar.handle(register({ ...OPEN, expires: 100_000 }), FLOW);
    assert.deepEqual(header(long, "Contact"), ["<sip:u1@192.0.2.10:40000>;expires=7200"]);
  });
  it("answers 400 to a non-numeric expires and to a bad q", async () => {
    const { registrar } = setup();
    assert.equal((await registrar.handle(register({ ...OPEN, contacts: ["<sip:u1@h>;expires=soon"] }), FLOW)).status, 400);
    assert.equal((await registrar.handle(register({ ...OPEN, contacts: ["<sip:u1@h>;q=1.5"] }), FLOW)).status, 400);
  });
  it("orders the 200's contacts by q and keeps the other contact parameters", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(
      register({ ...OPEN, contacts: ['<sip:u1@h1>;q=0.1', '<sip:u1@h2>;q=0.9;+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>"'] }),
      FLOW,
    );
    assert.deepEqual(header(r, "Contact"), [
      '<sip:u1@h2>;q=0.9;+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>";expires=3600',
      "<sip:u1@h1>;q=0.1;expires=3600",
    ]);
  });
  it("removes a binding with expires 0 and lists what is left", async () => {
    const { registrar, store } = setup();
    await registrar.handle(register({ ...OPEN, contacts: ["<sip:u1@h1>", "<sip:u1@h2>"] }), FLOW);
    const r = await registrar.handle(register({ ...OPEN, cseq: 2, contacts: ["<sip:u1@h1>;expires=0"] }), FLOW);
    assert.deepEqual(header(r, "Contact"), ["<sip:u1@h2>;expires=3600"]);
    assert.equal((await store.lookup(AOR)).length, 1);
  });
  it("removes every binding with Contact: * and Expires: 0, refusing * without Expires: 0", async () => {
    const { registrar, store } = setup();
    await registrar.handle(register({ ...OPEN, contacts: ["<sip:u1@h1>", "<sip:u1@h2>"] }), FLOW);
    assert.equal((await registrar.handle(register({ ...OPEN, cseq: 2, contacts: ["*"] }), FLOW)).status, 400);
    assert.equal((await registrar.handle(register({ ...OPEN, cseq: 3, contacts: ["*"], expires: 60 }), FLOW)).status, 400);
    assert.equal((await store.lookup(AOR)).length, 2);
    const r = await registrar.handle(register({ ...OPEN, cseq: 4, contacts: ["*"], expires: 0 }), FLOW);
    assert.equal(r.status, 200);
    assert.deepEqual(header(r, "Contact"), []);
    assert.deepEqual(await store.lookup(AOR), []);
  });
  it("answers 400 to * together with another Contact", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(register({ ...OPEN, contacts: ["*", "<sip:u1@h1>"], expires: 0 }), FLOW);
    assert.equal(r.status, 400);
  });
  it("lists the bindings for a REGISTER without Contact and changes nothing", async () => {
    const { registrar, store } = setup();
    await registrar.handle(register({ ...OPEN, contacts: ["<sip:u1@h1>"] }), FLOW);
    const r = await registrar.handle(register({ ...OPEN, cseq: 2, contacts: [] }), FLOW);
    assert.equal(r.status, 200);
    assert.deepEqual(header(r, "Contact"), ["<sip:u1@h1>;expires=3600"]);
    assert.equal((await store.lookup(AOR))[0]?.cseq, 1);
  });
  it("refuses an older CSeq of the same Call-ID with 400 and updates from another Call-ID", async () => {
    const { registrar, store } = setup();
    await registrar.handle(register({ ...OPEN, cseq: 5, contacts: ["<sip:u1@h1>"] }), FLOW);
    const old = await registrar.handle(register({ ...OPEN, cseq: 4, contacts: ["<sip:u1@h1>;expires=0"] }), FLOW);
    assert.equal(old.status, 400);
    assert.equal((await store.lookup(AOR)).length, 1);
    const other = await registrar.handle(register({ ...OPEN, callId: "other", cseq: 1, contacts: ["<sip:u1@h1>;expires=0"] }), FLOW);
    assert.equal(other.status, 200);
    assert.deepEqual(await store.lookup(AOR), []);
  });
  it("keys an outbound contact by instance and reg-id and answers Require: outbound (RFC 5626 §6)", async () => {
    const { registrar, store } = setup();
    const inst = '+sip.instance="<urn:uuid:00000000-0000-0000-0000-0000000000aa>";reg-id=1';
    const first = await registrar.handle(register({ ...OPEN, contacts: [`<sip:u1@10.0.0.1:5060>;${inst}`], headers: ["Supported: outbound, path"] }), FLOW);
    assert.equal(first.status, 200);
    assert.deepEqual(header(first, "Require"), ["outbound"]);
    // The same instance and reg-id from a new address replaces the binding (new flow after a NAT rebinding).
    await registrar.handle(register({ ...OPEN, cseq: 2, contacts: [`<sip:u1@10.0.0.2:5060>;${inst}`], headers: ["Supported: outbound"] }), FLOW);
    const bindings = await store.lookup(AOR);
    assert.equal(bindings.length, 1);
    assert.match(bindings[0]!.contact, /10\.0\.0\.2/);
    assert.equal(bindings[0]!.regId, 1);
  });
  it("ignores reg-id without Supported: outbound (an ordinary contact, no Require)", async () => {
    const { registrar, store } = setup();
    const inst = '+sip.instance="<urn:uuid:00000000-0000-0000-0000-0000000000aa>";reg-id=1';
    const r = await registrar.handle(register({ ...OPEN, contacts: [`<sip:u1@10.0.0.1>;${inst}`] }), FLOW);
    assert.deepEqual(header(r, "Require"), []);
    assert.equal((await store.lookup(AOR))[0]?.regId, 0);
  });
  it("answers 400 to two contacts with reg-id (RFC 5626 §6)", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(
      register({
        ...OPEN,
        headers: ["Supported: outbound"],
        contacts: ['<sip:u1@h1>;+sip.instance="<urn:uuid:a>";reg-id=1', '<sip:u1@h2>;+sip.instance="<urn:uuid:a>";reg-id=2'],
      }),
      FLOW,
    );
    assert.equal(r.status, 400);
  });
  it("stores Path and returns it only to a UA that supports path (RFC 3327 §5.3)", async () => {
    const { registrar, store } = setup();
    const path = "Path: <sip:edge1.example;lr>";
    const without = await registrar.handle(register({ ...OPEN, headers: [path] }), FLOW);
    assert.deepEqual(header(without, "Path"), []);
    assert.deepEqual((await store.lookup(AOR))[0]?.path, ["<sip:edge1.example;lr>"]);
    const withSupport = await registrar.handle(register({ ...OPEN, cseq: 2, headers: [path, "Supported: path"] }), FLOW);
    assert.deepEqual(header(withSupport, "Path"), ["<sip:edge1.example;lr>"]);
  });
  it("refuses a REGISTER that would exceed the bindings limit, keeping the old set", async () => {
    const { registrar, store } = setup({ settings: settings({ maxBindingsPerAor: 2 }) });
    await registrar.handle(register({ ...OPEN, contacts: ["<sip:u1@h1>", "<sip:u1@h2>"] }), FLOW);
    const r = await registrar.handle(register({ ...OPEN, callId: "c2", contacts: ["<sip:u1@h3>"] }), FLOW);
    assert.equal(r.status, 403);
    assert.equal((await store.lookup(AOR)).length, 2);
  });
  it("answers 503 with Retry-After when the store fails", async () => {
    const failing = new MemoryBindingStore();
    failing.save = () => Promise.reject(new Error("connection refused"));
    const { registrar } = setup({ store: failing });
    const r = await registrar.handle(register(OPEN), FLOW);
    assert.equal(r.status, 503);
    assert.deepEqual(header(r, "Retry-After"), ["5"]);
  });
  it("answers 400 to a Contact that does not parse", async () => {
    const { registrar } = setup();
    const r = await registrar.handle(register({ ...OPEN, contacts: ["<sip:u1@h1"] }), FLOW);
    assert.equal(r.status, 400);
  });
});
