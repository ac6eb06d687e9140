import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { createNonce } from "@sipfleet/sip";
import { Registrar, type RegistrarLogger } from "./registrar.js";
import { answer, FLOW, register, SECRET, settings } from "./registrar-fixtures.js";
import type { RegistrarReply } from "./reply.js";

// Enumeration (docs/security.md): every answer a REGISTER can get must be the same for a user
// the domain has and for one it does not, at each step of the exchange. alice and bob exist,
// mallory and trent do not.
const quiet: RegistrarLogger = { warn() {}, error() {} };
const NOW = 1_800_000_000_000;

function setup(now: () => number = () => NOW) {
  const store = new MemoryBindingStore({ now });
  return { store, registrar: new Registrar({ settings: settings(), store, clock: now, logger: quiet }) };
}

/** The reply with every nonce blanked: nonces carry random salt, and say nothing about the user. */
function shape(r: RegistrarReply): RegistrarReply {
  return { ...r, headers: r.headers.map(([n, v]) => [n, v.replace(/nonce="[^"]*"/g, 'nonce="*"')] as const) };
}

async function challengeFor(registrar: Registrar, user: string): Promise<RegistrarReply> {
  return registrar.handle(register({ user, callId: `c-${user}` }), FLOW);
}

/** The final answer when `user` answers the challenge as `as` with `password`. */
async function finalFor(registrar: Registrar, user: string, spec: { as?: string; password: string; pick?: number }): Promise<RegistrarReply> {
  const challenge = await challengeFor(registrar, user);
  const authorization = answer(challenge, { user: spec.as ?? user, password: spec.password, pick: spec.pick });
  return registrar.handle(register({ user, callId: `c-${user}`, cseq: 2, authorization }), FLOW);
}

describe("Registrar: answers that do not tell a user from a missing one", () => {
  it("challenges a missing user with the same 401 as a known one", async () => {
    const { registrar } = setup();
    const known = await challengeFor(registrar, "alice");
    assert.equal(known.status, 401);
    for (const user of ["mallory", "trent", "0001"]) assert.deepEqual(shape(await challengeFor(registrar, user)), shape(known), user);
  });

  for (const pick of [0, 1]) {
    it(`answers a wrong password and a missing user with the same 403 (${pick === 0 ? "SHA-256" : "MD5"})`, async () => {
      const { registrar, store } = setup();
      const wrong = await finalFor(registrar, "alice", { password: "guess", pick });
      assert.deepEqual(wrong, { status: 403, reason: "Forbidden", headers: [], credentialsFailed: true });
      assert.deepEqual(await finalFor(registrar, "mallory", { password: "guess", pick }), wrong);
      assert.deepEqual(await finalFor(registrar, "mallory", { password: "mallory-secret", pick }), wrong);
      assert.deepEqual(await store.lookup("sip:mallory@sipfleet.local"), []);
    });
  }

  it("answers a known user's valid credentials for a missing AOR as for another user's AOR (403)", async () => {
    const { registrar } = setup();
    const other = await finalFor(registrar, "alice", { as: "bob", password: "bob-secret" });
    assert.equal(other.status, 403);
    // Good credentials are no guess: nothing for the edge to count toward a ban.
    assert.notEqual(other.credentialsFailed, true);
    assert.deepEqual(await finalFor(registrar, "mallory", { as: "bob", password: "bob-secret" }), other);
  });

  it("answers credentials on an expired nonce with the same 403 for a missing user and a wrong password", async () => {
    let now = NOW;
    const { registrar } = setup(() => now);
    const challenge = await challengeFor(registrar, "alice");
    const wrongAuth = answer(challenge, { password: "guess" });
    const missingAuth = answer(challenge, { user: "mallory", password: "guess" });
    now += 301_000;
    const wrong = await registrar.handle(register({ cseq: 2, authorization: wrongAuth }), FLOW);
    const missing = await registrar.handle(register({ user: "mallory", cseq: 2, authorization: missingAuth }), FLOW);
    assert.equal(wrong.status, 403);
    assert.deepEqual(missing, wrong);
  });

  it("gives a missing user's forged nonce the same fresh challenge as a known user's", async () => {
    const { registrar } = setup();
    const forged = createNonce(Buffer.from("another-secret-0123456789abcdef-xyz"), NOW);
    const reply = async (user: string) => {
      const challenge = await challengeFor(registrar, user);
      const authorization = answer(challenge, { user, password: "guess" }).replace(/nonce="[^"]*"/, `nonce="${forged}"`);
      return registrar.handle(register({ user, cseq: 2, authorization }), FLOW);
    };
    const known = await reply("alice");
    assert.equal(known.status, 401);
    assert.deepEqual(shape(await reply("mallory")), shape(known));
  });

  it("answers the same malformed Authorization with the same 400 for both", async () => {
    const { registrar } = setup();
    const nonce = createNonce(SECRET, NOW);
    const bad = (user: string) => `Digest username="${user}", realm="sipfleet.local", nonce="${nonce}", uri="sip:sipfleet.local", response="zz", qop=auth, nc=zz, cnonce="c"`;
    const known = await registrar.handle(register({ authorization: bad("alice") }), FLOW);
    assert.equal(known.status, 400);
    assert.deepEqual(await registrar.handle(register({ user: "mallory", authorization: bad("mallory") }), FLOW), known);
  });
});
