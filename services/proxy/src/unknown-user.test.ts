import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { ALICE_FLOW, OPEN, proxyWith, request, responded, withCredentials } from "./proxy-fixtures.js";

// Enumeration (docs/security.md): whoever has not proved who they are must not learn from the
// answers which user names exist.
const FEDERATED = "sip:eve@example.org"; // a caller of a domain we do not serve: no challenge

function setup() {
  return proxyWith(new MemoryBindingStore());
}

describe("SipProxy: answers that do not tell a user from a missing one", () => {
  for (const method of ["INVITE", "OPTIONS", "MESSAGE"]) {
    it(`answers a ${method} from another domain for a missing user exactly as for a known user with no binding (480)`, async () => {
      const proxy = setup();
      const known = responded(await proxy.handle(request({ method, ruri: "sip:carol@sipfleet.local", from: FEDERATED }), ALICE_FLOW));
      const missing = responded(await proxy.handle(request({ method, ruri: "sip:mallory@sipfleet.local", from: FEDERATED }), ALICE_FLOW));
      assert.equal(known.status, 480);
      assert.deepEqual(missing, known);
    });
  }

  it("answers a caller claiming a domain without authentication like a foreign one (480 for both)", async () => {
    const proxy = setup();
    const from = `sip:frank@${OPEN}`;
    const known = responded(await proxy.handle(request({ ruri: "sip:carol@sipfleet.local", from }), ALICE_FLOW));
    const missing = responded(await proxy.handle(request({ ruri: "sip:mallory@sipfleet.local", from }), ALICE_FLOW));
    assert.equal(known.status, 480);
    assert.deepEqual(missing, known);
  });

  it("challenges a caller claiming the served digest domain alike for both, and tells only them 404 from 480", async () => {
    const proxy = setup();
    const known = responded(await proxy.handle(request({ ruri: "sip:carol@sipfleet.local" }), ALICE_FLOW));
    const missing = responded(await proxy.handle(request({ ruri: "sip:mallory@sipfleet.local" }), ALICE_FLOW));
    assert.deepEqual([known.status, missing.status], [407, 407]);
    assert.deepEqual(
      missing.headers.map((h) => h.name),
      known.headers.map((h) => h.name),
    );
    assert.equal(responded(await withCredentials(proxy, { ruri: "sip:carol@sipfleet.local" }, ALICE_FLOW)).status, 480);
    assert.equal(responded(await withCredentials(proxy, { ruri: "sip:mallory@sipfleet.local", callId: "c2" }, ALICE_FLOW)).status, 404);
  });
});
